// The project APIs the stack and the runner use. Never disabled on destroy: other things may use them.
import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service/index.js';

export const REQUIRED_SERVICES = ['storage.googleapis.com', 'firestore.googleapis.com', 'iam.googleapis.com', 'cloudresourcemanager.googleapis.com'];

export class ProjectServices extends Construct {
  readonly services: ProjectService[];

  constructor(scope: Construct, id: string, props: { projectId: string }) {
    super(scope, id);
    this.services = REQUIRED_SERVICES.map(
      (service) => new ProjectService(this, service.split('.')[0] as string, { project: props.projectId, service, disableOnDestroy: false }),
    );
  }
}
