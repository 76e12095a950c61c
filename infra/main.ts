// The cdktf app: `cdktf synth` / `cdktf deploy`, or `tsx infra/main.ts` (synth without cdktf-cli; with
// SYNTH_HCL_OUTPUT=true it writes HCL, as `cdktf synth --hcl` does).
import { App } from 'cdktf';
import { BackupStack } from './src/backup-stack.js';
import { loadStackConfig } from './src/config.js';
import { tidyStackOutput } from './src/synth-output.js';

const result = loadStackConfig(process.env);
if (!result.ok) {
  process.stderr.write(`configuration error (nothing was synthesized):\n${result.problems.map((p) => `  - ${p}`).join('\n')}\nsee docs/infra.md\n`);
  process.exit(2);
}
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
new BackupStack(app, 'nvr-backup', result.config);
app.synth();
tidyStackOutput(app.outdir, app.hclOutput);
