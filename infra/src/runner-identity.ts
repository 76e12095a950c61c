// The runner's identity: a service account that can only add objects to the clip bucket, and read and write
// documents of the state database, nothing else.
import { Construct } from 'constructs';
import type { ProjectServices } from './project-services.js';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role/index.js';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountKey } from '@cdktf/provider-google/lib/service-account-key/index.js';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member/index.js';

/**
 * What the runner's Firestore transactions call (@google-cloud/firestore's runTransaction: the first get starts the
 * transaction inside BatchGetDocuments, then Commit with one set() without precondition, or Rollback), and the
 * permission Google's table lists for each (https://cloud.google.com/firestore/docs/security/iam, "Required
 * permissions for API methods"; justified one by one in docs/infra.md):
 * - begin or roll back a transaction: datastore.databases.get (in Firestore this permission means exactly that,
 *   not "read the database's metadata", which is datastore.databases.getMetadata and is not needed);
 * - get/batchGet the document: datastore.entities.get;
 * - commit a write without precondition (set(), which creates the document on the first run and updates it
 *   afterwards): datastore.entities.create and datastore.entities.update.
 * No delete, no list or query, no index, import or export permission.
 */
export const RUNNER_FIRESTORE_PERMISSIONS = [
  'datastore.databases.get',
  'datastore.entities.get',
  'datastore.entities.create',
  'datastore.entities.update',
];

/** The runner's service account id (its email is <id>@<project>.iam.gserviceaccount.com) and its custom role's id. */
export const RUNNER_ACCOUNT_ID = 'nvr-backup-runner';
export const STATE_ROLE_ID = 'nvrBackupStateWriter';
/** The only role the runner holds on the clip bucket: create objects. */
export const RUNNER_BUCKET_ROLE = 'roles/storage.objectCreator';
/** The IAM condition that limits the Firestore role to the state database. */
export const stateDatabaseCondition = (projectId: string, databaseName: string) => `resource.name == "projects/${projectId}/databases/${databaseName}"`;

export interface RunnerIdentityProps {
  projectId: string;
  bucketName: string;
  databaseName: string;
  createKey: boolean;
  /** The APIs each resource waits for: IAM (account, role, key), Resource Manager (project binding), Storage. */
  services: ProjectServices;
}

export class RunnerIdentity extends Construct {
  readonly account: ServiceAccount;
  readonly key: ServiceAccountKey | undefined;

  constructor(scope: Construct, id: string, props: RunnerIdentityProps) {
    super(scope, id);
    this.account = new ServiceAccount(this, 'account', {
      accountId: RUNNER_ACCOUNT_ID,
      displayName: 'Scrypted NVR backup runner (create objects, state document)',
      project: props.projectId,
      dependsOn: props.services.for('iam.googleapis.com'),
    });
    const member = `serviceAccount:${this.account.email}`;
    // Create only: no read, no overwrite (creating over an existing name needs delete), no delete, no list.
    new StorageBucketIamMember(this, 'bucket-object-creator', { bucket: props.bucketName, role: RUNNER_BUCKET_ROLE, member, dependsOn: props.services.for('storage.googleapis.com') });
    const role = new ProjectIamCustomRole(this, 'firestore-role', {
      project: props.projectId,
      roleId: STATE_ROLE_ID,
      title: 'NVR backup state writer',
      description: 'Reads and writes the NVR backup state document; nothing else',
      permissions: RUNNER_FIRESTORE_PERMISSIONS,
      dependsOn: props.services.for('iam.googleapis.com'),
    });
    // The IAM condition limits the role to the state database
    // (https://cloud.google.com/firestore/docs/security/iam#iam-conditions: resource.name of the database).
    new ProjectIamMember(this, 'firestore-member', {
      project: props.projectId,
      role: role.name,
      member,
      condition: {
        title: 'nvr-backup-state-database-only',
        description: 'Only the NVR backup state database',
        expression: stateDatabaseCondition(props.projectId, props.databaseName),
      },
      dependsOn: props.services.for('cloudresourcemanager.googleapis.com', 'iam.googleapis.com'),
    });
    // A key made here sits in Terraform state in plain text: off by default (docs/infra.md).
    this.key = props.createKey ? new ServiceAccountKey(this, 'key', { serviceAccountId: this.account.name, dependsOn: props.services.for('iam.googleapis.com') }) : undefined;
  }
}
