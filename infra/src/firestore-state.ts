// The state: a Firestore database (native mode). There is no document resource: the runner creates the site's
// state document on its first read (runner/src/firestore), so Terraform holds nothing that a destroy, a
// replacement or a refresh could delete or reset. The database is protected twice: Google refuses to delete it
// (delete protection), and `destroy` only forgets it (deletion policy ABANDON). docs/infra.md, "The watermark".
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database/index.js';

/** The collection of the state documents: the runner's default STATE_DOCUMENT is `nvr-backup/<SITE_ID>`. */
export const STATE_COLLECTION = 'nvr-backup';

export interface FirestoreStateProps {
  projectId: string;
  location: string;
  databaseName: string;
  /** What must exist first (the Firestore API). */
  dependsOn: ITerraformDependable[];
}

export class FirestoreState extends Construct {
  readonly database: FirestoreDatabase;

  constructor(scope: Construct, id: string, props: FirestoreStateProps) {
    super(scope, id);
    this.database = new FirestoreDatabase(this, 'database', {
      project: props.projectId,
      name: props.databaseName,
      locationId: props.location,
      type: 'FIRESTORE_NATIVE',
      // Google refuses DeleteDatabase while this is on, whoever asks (console, gcloud, Terraform).
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
      // `destroy` (or a forced replacement) removes the database from Terraform state only.
      deletionPolicy: 'ABANDON',
      dependsOn: props.dependsOn,
    });
  }
}
