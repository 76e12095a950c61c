// Who may read the clips back (nvr-backup find/restore/browse): named principals and, optionally, a reader
// service account, each granted roles/storage.objectViewer (list and read objects:
// https://cloud.google.com/storage/docs/access-control/iam-roles) on the clip bucket alone, never project-wide.
// The runner's account is not among them: it stays create-only.
import { Construct } from 'constructs';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member/index.js';

export const READER_ROLE = 'roles/storage.objectViewer';

/** `user:`, `group:`, `serviceAccount:` or `domain:` principals (https://cloud.google.com/iam/docs/principal-identifiers). */
export const READER_MEMBER = /^(user|group|serviceAccount):[^\s@,]+@[^\s@,]+\.[^\s@,]+$|^domain:[a-z0-9.-]+\.[a-z]{2,}$/i;

export interface BucketReadersProps {
  projectId: string;
  bucketName: string;
  members: string[];
  /** Also make a service account `nvr-backup-reader` with the role (its key is made by hand, not by Terraform). */
  createAccount: boolean;
}

export class BucketReaders extends Construct {
  readonly account: ServiceAccount | undefined;

  constructor(scope: Construct, id: string, props: BucketReadersProps) {
    super(scope, id);
    this.account = props.createAccount
      ? new ServiceAccount(this, 'account', { accountId: 'nvr-backup-reader', displayName: 'Scrypted NVR backup reader (list and read clips)', project: props.projectId })
      : undefined;
    const members = [...props.members, ...(this.account ? [`serviceAccount:${this.account.email}`] : [])];
    members.forEach((member, index) => {
      new StorageBucketIamMember(this, `object-viewer-${index}`, { bucket: props.bucketName, role: READER_ROLE, member });
    });
  }
}
