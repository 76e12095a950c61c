// The project APIs the stack and the runner use. Never disabled on destroy: other things may use them.
// Every resource that calls one of these APIs lists its service in `dependsOn` (a static reference, as Terraform
// requires: https://developer.hashicorp.com/terraform/language/meta-arguments/depends_on), so on a fresh project
// nothing is created before its API is on.
import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service/index.js';

export const REQUIRED_SERVICES = ['storage.googleapis.com', 'firestore.googleapis.com', 'iam.googleapis.com', 'cloudresourcemanager.googleapis.com'] as const;
export type RequiredService = (typeof REQUIRED_SERVICES)[number];

export class ProjectServices extends Construct {
  readonly services: ProjectService[];
  private readonly byName = new Map<RequiredService, ProjectService>();

  constructor(scope: Construct, id: string, props: { projectId: string }) {
    super(scope, id);
    this.services = REQUIRED_SERVICES.map((service) => {
      const resource = new ProjectService(this, service.split('.')[0] as string, { project: props.projectId, service, disableOnDestroy: false });
      this.byName.set(service, resource);
      return resource;
    });
  }

  /** The services a resource must wait for, for its `dependsOn`. */
  for(...names: RequiredService[]): ProjectService[] {
    return names.map((name) => this.byName.get(name) as ProjectService);
  }
}
