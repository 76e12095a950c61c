// The clip bucket: STANDARD, objects deleted at age N days, no public access, no versioning, no soft delete.
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket/index.js';

export interface ClipBucketProps {
  name: string;
  location: string;
  /** Objects are deleted this many days after they were created (the lifecycle rule). */
  deleteAfterDays: number;
  /** Optional retention policy: no one, not even the project owner, can delete an object younger than this. */
  retentionDays: number | undefined;
  /** Lock the retention policy (irreversible: the bucket cannot be deleted before its objects expire). */
  lockRetention: boolean;
  labels: Record<string, string>;
  /** What must exist first (the Storage API). */
  dependsOn: ITerraformDependable[];
}

/** The lifecycle rule, in the form `gsutil lifecycle get` prints (tools/gcs-lifecycle-7d.json for 7 days); `make audit` compares with it. */
export function lifecycleJson(deleteAfterDays: number) {
  return { rule: [{ action: { type: 'Delete' }, condition: { age: deleteAfterDays } }] };
}

export class ClipBucket extends Construct {
  readonly bucket: StorageBucket;

  constructor(scope: Construct, id: string, props: ClipBucketProps) {
    super(scope, id);
    this.bucket = new StorageBucket(this, 'bucket', {
      name: props.name,
      location: props.location,
      storageClass: 'STANDARD',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: false },
      // Soft delete keeps deleted bytes (and bills them) 7 more days: for a 7-day bucket that doubles the cost.
      softDeletePolicy: { retentionDurationSeconds: 0 },
      forceDestroy: false,
      lifecycleRule: lifecycleJson(props.deleteAfterDays).rule.map((rule) => ({ action: rule.action, condition: rule.condition })),
      ...(props.retentionDays
        ? { retentionPolicy: { retentionPeriod: props.retentionDays * 86_400, isLocked: props.lockRetention } }
        : {}),
      labels: props.labels,
      dependsOn: props.dependsOn,
    });
  }
}
