// Synthesizes the stack to JSON in memory (cdktf's Testing helper), for assertions.
import { Testing } from 'cdktf';
import { BackupStack } from '../../src/backup-stack.js';
import type { StackConfig } from '../../src/config.js';

export const baseConfig: StackConfig = {
  projectId: 'my-project-123', region: 'europe-west1', bucketName: 'my-project-123-nvr-clips-home', retentionDays: 7,
  siteId: 'home', createKey: false, retentionLockDays: undefined, lockRetention: false, stateBucket: undefined, adoptDatabase: false,
};

export type Synth = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
  provider: unknown;
  terraform: { backend?: Record<string, unknown> };
  import?: Array<{ to: string; id: string }>;
};

export function synth(config: Partial<StackConfig> = {}): Synth {
  const app = Testing.app();
  const stack = new BackupStack(app, 'nvr-backup', { ...baseConfig, ...config });
  return JSON.parse(Testing.synth(stack)) as Synth;
}

export function resourcesOf(json: Synth, type: string): Array<Record<string, unknown>> {
  return Object.values(json.resource[type] ?? {});
}
