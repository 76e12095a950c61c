// After synth: one Terraform file per stack directory, in the format asked for, and valid HCL.
// Terraform reads every *.tf and *.tf.json of a directory, so a cdk.tf.json left by an earlier `make synth`
// beside `make hcl`'s cdk.tf (or the reverse) would declare every resource twice.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * cdktf 0.21's HCL writer quotes the references in `depends_on` ("google_x.y"), which Terraform 1.x reports as
 * "Quoted references are deprecated". Unquotes the items of every `depends_on = [ ... ]` list; nothing else.
 */
export function unquoteDependsOn(hcl: string): string {
  return hcl.replace(/(depends_on\s*=\s*\[)([^\]]*)(\])/g, (_all, open: string, items: string, close: string) =>
    open + items.replace(/"([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+)"/g, '$1') + close);
}

/** Leaves only the format just written in each stack directory under `outdir`, fixing the HCL. */
export function tidyStackOutput(outdir: string, hcl: boolean): void {
  const stacks = join(outdir, 'stacks');
  if (!existsSync(stacks)) return;
  for (const stack of readdirSync(stacks)) {
    const dir = join(stacks, stack);
    if (hcl) {
      const file = join(dir, 'cdk.tf');
      if (existsSync(file)) writeFileSync(file, unquoteDependsOn(readFileSync(file, 'utf8')));
      rmSync(join(dir, 'cdk.tf.json'), { force: true });
    } else {
      rmSync(join(dir, 'cdk.tf'), { force: true });
    }
  }
}
