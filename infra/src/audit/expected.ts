// What the deployed bucket must look like, derived from the same settings (NVR_BACKUP_*) the stack is
// synthesized from: the audit and the stack cannot disagree about the lifecycle age or the runner's roles.
import { DATABASE_NAME } from '../backup-stack.js';
import { lifecycleJson } from '../clip-bucket.js';
import type { StackConfig } from '../config.js';
import { RUNNER_ACCOUNT_ID, RUNNER_BUCKET_ROLE, STATE_ROLE_ID, stateDatabaseCondition } from '../runner-identity.js';

export interface ExpectedBucket {
  bucket: string;
  projectId: string;
  /** As `gsutil lifecycle get` prints it. */
  lifecycle: ReturnType<typeof lifecycleJson>;
  storageClass: 'STANDARD';
  uniformAccess: true;
  publicAccessPrevention: 'enforced';
  softDeleteSeconds: 0;
  versioning: false;
  /** undefined: the bucket must have no retention policy. */
  retention: { periodSeconds: number; locked: boolean } | undefined;
  runnerMember: string;
  /** Every role the runner may hold on the bucket, and on the project (with the condition of each). */
  runnerBucketRoles: string[];
  runnerProjectRoles: Array<{ role: string; condition: string }>;
}

export function expectedBucket(config: StackConfig): ExpectedBucket {
  return {
    bucket: config.bucketName,
    projectId: config.projectId,
    lifecycle: lifecycleJson(config.retentionDays),
    storageClass: 'STANDARD',
    uniformAccess: true,
    publicAccessPrevention: 'enforced',
    softDeleteSeconds: 0,
    versioning: false,
    retention: config.retentionLockDays === undefined ? undefined : { periodSeconds: config.retentionLockDays * 86_400, locked: config.lockRetention },
    runnerMember: `serviceAccount:${RUNNER_ACCOUNT_ID}@${config.projectId}.iam.gserviceaccount.com`,
    runnerBucketRoles: [RUNNER_BUCKET_ROLE],
    runnerProjectRoles: [{ role: `projects/${config.projectId}/roles/${STATE_ROLE_ID}`, condition: stateDatabaseCondition(config.projectId, DATABASE_NAME) }],
  };
}
