// The node flags the container starts the runner with (runner/Dockerfile's ENTRYPOINT, the words between "node"
// and the runner's cli.js), so that the bench runs the runner's processes as the container does: V8's heap
// flags change a resident daemon's CPU on a slow link (docs/benchmarks.md, "Small-clip CPU on slow links").
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOCKERFILE = fileURLToPath(new URL('../Dockerfile', import.meta.url));
const CLI = 'runner/dist/cli.js';

/** The flags of a Dockerfile's exec-form `ENTRYPOINT ["node", ...flags, "runner/dist/cli.js"]`; throws on any other form. */
export function entrypointNodeArgs(dockerfile: string): string[] {
  const lines = dockerfile.split('\n').filter((line) => /^ENTRYPOINT\s/.test(line));
  if (lines.length !== 1) throw new Error(`the Dockerfile has ${lines.length} ENTRYPOINT lines, not one`);
  const form = (lines[0] as string).replace(/^ENTRYPOINT\s+/, '').trim();
  let words: unknown;
  try {
    words = JSON.parse(form);
  } catch {
    throw new Error(`the Dockerfile's ENTRYPOINT is not in exec form (a JSON array): ${form}`);
  }
  if (!Array.isArray(words) || !words.every((word): word is string => typeof word === 'string') || words[0] !== 'node' || words.at(-1) !== CLI) {
    throw new Error(`the Dockerfile's ENTRYPOINT is not ["node", ...flags, "${CLI}"]: ${form}`);
  }
  return words.slice(1, -1);
}

/** The node flags of runner/Dockerfile's ENTRYPOINT. */
export const containerNodeArgs = (): string[] => entrypointNodeArgs(readFileSync(DOCKERFILE, 'utf8'));
