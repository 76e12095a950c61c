// The whole cloud side of one site: APIs, the clip bucket, the state database and document, the runner's identity.
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { BucketReaders } from './bucket-readers.js';
import { ClipBucket } from './clip-bucket.js';
import type { StackConfig } from './config.js';
import { FirestoreState, STATE_COLLECTION } from './firestore-state.js';
import { ProjectServices } from './project-services.js';
import { RunnerIdentity } from './runner-identity.js';

export const DATABASE_NAME = 'nvr-backup';

export class BackupStack extends TerraformStack {
  constructor(scope: Construct, id: string, config: StackConfig) {
    super(scope, id);
    new GoogleProvider(this, 'google', { project: config.projectId, region: config.region });
    const services = new ProjectServices(this, 'services', { projectId: config.projectId });
    const clips = new ClipBucket(this, 'clips', {
      name: config.bucketName,
      location: config.region.toUpperCase(),
      deleteAfterDays: config.retentionDays,
      retentionDays: config.retentionLockDays,
      lockRetention: config.lockRetention,
      labels: { app: 'nvr-backup', site: config.siteId },
    });
    clips.bucket.dependsOn = services.services.map((service) => service.fqn);
    const state = new FirestoreState(this, 'state', { projectId: config.projectId, location: config.region, databaseName: DATABASE_NAME, siteId: config.siteId });
    state.database.dependsOn = services.services.map((service) => service.fqn);
    const runner = new RunnerIdentity(this, 'runner', { projectId: config.projectId, bucketName: clips.bucket.name, databaseName: DATABASE_NAME, createKey: config.createKey });
    const readers = new BucketReaders(this, 'readers', { projectId: config.projectId, bucketName: clips.bucket.name, members: config.readers ?? [], createAccount: config.createReaderAccount ?? false });
    if (readers.account) new TerraformOutput(this, 'reader_service_account_email', { value: readers.account.email });

    const documentPath = `${STATE_COLLECTION}/${config.siteId}`;
    new TerraformOutput(this, 'bucket_name', { value: clips.bucket.name });
    new TerraformOutput(this, 'service_account_email', { value: runner.account.email });
    new TerraformOutput(this, 'firestore_database', { value: state.database.name });
    new TerraformOutput(this, 'state_document', { value: documentPath });
    new TerraformOutput(this, 'runner_env', {
      value: [
        `GCS_PROJECT_ID=${config.projectId}`,
        `GCS_BUCKET_NAME=${config.bucketName}`,
        `FIRESTORE_DATABASE=${DATABASE_NAME}`,
        `STATE_DOCUMENT=${documentPath}`,
        `SITE_ID=${config.siteId}`,
        'GCS_KEYFILE_PATH=/secrets/gcs-key.json',
      ].join('\n'),
    });
    if (runner.key) new TerraformOutput(this, 'runner_key_base64', { value: runner.key.privateKey, sensitive: true });
  }
}
