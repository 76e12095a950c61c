// Runs the real `terraform init -backend=false` on a synthesized configuration, offline by construction: the CLI
// configuration allows only an empty filesystem mirror as provider source, so init parses the whole
// configuration and then fails at the provider query, never reaching the network, wherever the test runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The one error `terraform init` must report here: no provider can be installed without a registry. */
export const PROVIDER_QUERY_ERROR = 'Failed to query available provider packages';

const TIMEOUT_MS = 60_000;

export interface InitResult {
  output: string;
  /** The title of every `Error:` Terraform printed. */
  errors: string[];
  /** The title of every `Warning:` Terraform printed. */
  warnings: string[];
}

/** A fresh directory with a CLI configuration whose only provider source is an empty mirror. */
export function terraformSandbox(): { dir: string; cliConfig: string } {
  const root = mkdtempSync(join(tmpdir(), 'nvr-tf-init-'));
  mkdirSync(join(root, 'empty-mirror'));
  const cliConfig = join(root, 'offline.tfrc');
  writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(join(root, 'empty-mirror'))}\n  }\n}\n`);
  return { dir: root, cliConfig };
}

/** `terraform init -backend=false` in `configDir`; throws a clear error if terraform is missing or hangs. */
export function terraformInit(configDir: string, cliConfig: string): InitResult {
  const result = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], {
    cwd: configDir,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    env: {
      PATH: `${process.env.PATH ?? ''}:/usr/local/bin`,
      HOME: configDir,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
    },
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error('terraform is not installed (looked on PATH and in /usr/local/bin): install Terraform >= 1.5 to run this test (https://developer.hashicorp.com/terraform/install)');
  }
  if (result.signal) throw new Error(`terraform init did not finish within ${TIMEOUT_MS / 1000} s (killed with ${result.signal})`);
  if (result.error) throw result.error;
  const output = `${result.stdout}${result.stderr}`;
  const titles = (kind: string) => [...output.matchAll(new RegExp(`^[\\s│]*${kind}: (.+)$`, 'gm'))].map((m) => (m[1] as string).trim());
  return { output, errors: titles('Error'), warnings: titles('Warning') };
}
