// Terraform's own parser on what we synthesize (issue 14 point 1): `terraform init -backend=false`, offline, must
// fail at the provider query and nowhere else, for `make synth`'s JSON and for `make hcl`'s HCL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { synth } from './support/synth.js';
import { PROVIDER_QUERY_ERROR, terraformInit, terraformSandbox } from './support/terraform.js';

const sandbox = terraformSandbox();
after(() => rmSync(sandbox.dir, { recursive: true, force: true }));

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
/** Runs infra/main.ts as `make synth` (or `make hcl`) does, into `outdir`; returns the stack's directory. */
function synthWithMain(outdir: string, env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', main], {
    env: { PATH: process.env.PATH ?? '', CDKTF_OUTDIR: outdir, NVR_BACKUP_PROJECT_ID: 'my-project-123', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, result.stderr);
  return join(outdir, 'stacks', 'nvr-backup');
}

function assertOnlyProviderError(dir: string): void {
  const init = terraformInit(dir, sandbox.cliConfig);
  assert.doesNotMatch(init.output, /Invalid expression/);
  assert.deepEqual(init.errors, [PROVIDER_QUERY_ERROR], init.output);
  assert.deepEqual(init.warnings, [], init.output);
}

describe('terraform init on the synthesized stack', () => {
  it('make synth (infra/main.ts, default settings): parsed, fails only at the provider query', () => {
    assertOnlyProviderError(synthWithMain(join(sandbox.dir, 'json')));
  });

  it('every option on (key, locked retention, state bucket, adopted database, bucket readers): parsed, fails only at the provider query', () => {
    const dir = join(sandbox.dir, 'json-all');
    mkdirSync(dir);
    const json = synth({ createKey: true, retentionLockDays: 3, lockRetention: true, stateBucket: 'my-tf-state', adoptDatabase: true, readers: ['user:you@example.com'], createReaderAccount: true });
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
    assertOnlyProviderError(dir);
  });

  it('make hcl after make synth: only cdk.tf is left, and it is parsed without errors or warnings but the provider query', () => {
    const outdir = join(sandbox.dir, 'hcl');
    synthWithMain(outdir);
    const dir = synthWithMain(outdir, { SYNTH_HCL_OUTPUT: 'true' });
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tf') || name.endsWith('.tf.json')), ['cdk.tf']);
    assertOnlyProviderError(dir);
    // and back: make synth after make hcl leaves only cdk.tf.json
    synthWithMain(outdir);
    assert.ok(!existsSync(join(dir, 'cdk.tf')) && existsSync(join(dir, 'cdk.tf.json')));
  });

  it('catches what broke deploys before: interpolations in depends_on are reported as Invalid expression', () => {
    const dir = join(sandbox.dir, 'broken');
    mkdirSync(dir);
    const json = synth() as unknown as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const bucket = Object.values(json.resource.google_storage_bucket ?? {})[0] as Record<string, unknown>;
    bucket.depends_on = (bucket.depends_on as string[]).map((ref) => `\${${ref}}`);
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
    const init = terraformInit(dir, sandbox.cliConfig);
    assert.ok(init.errors.includes('Invalid expression'), init.output);
  });
});
