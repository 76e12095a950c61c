// The bench starts the runner with the container's node flags (runner/Dockerfile's ENTRYPOINT), so a flag that
// changes its CPU (V8's heap sizing) is measured as it ships.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerNodeArgs, entrypointNodeArgs } from '../../bench/container-node-args.js';

const dockerfile = (entrypoint: string) => `FROM node:20\nUSER node\n${entrypoint}\nCMD ["daemon", "--watch"]\n`;

describe("the container's node flags", () => {
  it('are the words between "node" and the cli in ENTRYPOINT', () => {
    assert.deepEqual(entrypointNodeArgs(dockerfile('ENTRYPOINT ["node", "runner/dist/cli.js"]')), []);
    assert.deepEqual(entrypointNodeArgs(dockerfile('ENTRYPOINT ["node", "--min-semi-space-size=16", "--stack-trace-limit=20", "runner/dist/cli.js"]')), ['--min-semi-space-size=16', '--stack-trace-limit=20']);
  });

  it('refuse an ENTRYPOINT the bench cannot mirror', () => {
    assert.throws(() => entrypointNodeArgs(dockerfile('ENTRYPOINT node runner/dist/cli.js')), /not in exec form/);
    assert.throws(() => entrypointNodeArgs(dockerfile('ENTRYPOINT ["tini", "--", "node", "runner/dist/cli.js"]')), /not \["node"/);
    assert.throws(() => entrypointNodeArgs(dockerfile('ENTRYPOINT ["node", "other.js"]')), /not \["node"/);
    assert.throws(() => entrypointNodeArgs('FROM node:20\n'), /0 ENTRYPOINT lines/);
  });

  it("are read from the runner's own Dockerfile", () => {
    const args = containerNodeArgs();
    assert.ok(args.every((arg) => arg.startsWith('--')), `every word is a flag: ${JSON.stringify(args)}`);
  });
});
