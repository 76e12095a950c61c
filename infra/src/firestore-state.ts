// The state: a Firestore database (native mode) and the site's state document. Terraform creates the document
// with a zero watermark and then ignores its fields: the runner owns them.
import { Construct } from 'constructs';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database/index.js';
import { FirestoreDocument } from '@cdktf/provider-google/lib/firestore-document/index.js';

export const STATE_COLLECTION = 'nvr-backup';

export interface FirestoreStateProps {
  projectId: string;
  location: string;
  databaseName: string;
  siteId: string;
}

export class FirestoreState extends Construct {
  readonly database: FirestoreDatabase;
  readonly document: FirestoreDocument;

  constructor(scope: Construct, id: string, props: FirestoreStateProps) {
    super(scope, id);
    this.database = new FirestoreDatabase(this, 'database', {
      project: props.projectId,
      name: props.databaseName,
      locationId: props.location,
      type: 'FIRESTORE_NATIVE',
      // Keep the watermark if the stack is destroyed by mistake; delete it by hand when meant.
      deletionPolicy: 'ABANDON',
    });
    this.document = new FirestoreDocument(this, 'state', {
      project: props.projectId,
      database: this.database.name,
      collection: STATE_COLLECTION,
      documentId: props.siteId,
      fields: JSON.stringify({ lastTimestamp: { integerValue: '0' }, cameras: { mapValue: {} } }),
      lifecycle: { ignoreChanges: ['fields'] },
    });
  }
}
