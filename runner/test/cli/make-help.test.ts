// `make help` names every target of the Makefile and the files it includes (infra/infra.mk, runner/container.mk).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function targets(): string[] {
  const found = new Set<string>();
  for (const file of ['Makefile', 'infra/infra.mk', 'runner/container.mk']) {
    for (const match of readFileSync(`${root}${file}`, 'utf8').matchAll(/^([a-z][a-z0-9-]*):(?!=)/gm)) found.add(match[1] as string);
  }
  found.delete('help');
  return [...found];
}

it('make help lists every target', (t) => {
  const result = spawnSync('make', ['-s', '--no-print-directory', 'help'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (result.error) return t.skip(`make is not installed here: ${result.error.message}`);
  assert.equal(result.status, 0, result.stderr);
  const all = targets();
  assert.ok(all.length >= 15, `found only ${all.join(', ')}`);
  const missing = all.filter((target) => !new RegExp(`make ${target}(\\s|$)`, 'm').test(result.stdout));
  assert.deepEqual(missing, [], `make help does not name: ${missing.join(', ')}`);
});
