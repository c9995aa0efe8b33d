import { DataResource, Fn, Op, TerraformCondition, TerraformStack, Token } from "cdktf";
import { Construct } from "constructs";
import { DataOpenstackIdentityAuthScopeV3 } from "../../.gen/providers/openstack/data-openstack-identity-auth-scope-v3";
import { IdentityApplicationCredentialV3 } from "../../.gen/providers/openstack/identity-application-credential-v3";
import { ObjectstorageContainerV1 } from "../../.gen/providers/openstack/objectstorage-container-v1";
import { forgetResource } from "../terraform-removed";
import { PropsValidator } from "../validation";

export interface SnapshotStoreProps {
  /** The container's name (Swift: no slash, at most 256 bytes), also the credential's name. */
  readonly containerName: string;
  /** The region whose object storage holds the container (a Terraform literal). */
  readonly region: string;
  /** The region of Keystone's endpoint, for the credential and the catalog (a Terraform literal). @default region */
  readonly identityRegion?: string;
  /** The credential's description (a Terraform literal). */
  readonly description: string;
}

/**
 * An object storage (Swift) container and the one credential that may use it: a Keystone application
 * credential whose access rules allow listing the container and reading, writing and deleting its objects,
 * and nothing else in the cloud (Keystone access rules, Train and later; the credential cannot make other
 * credentials). Terraform never deletes the snapshots: destroying the container stops while it holds any
 * (force_destroy off), and a store taken out of its stack is forgotten, not destroyed (keepContainer).
 */
export class SnapshotStore extends Construct {
  /** The container's name. */
  readonly container: string;
  /**
   * What a node needs to reach the container (sensitive, it holds the credential's secret), as JSON:
   * `request`, the body of Keystone's `POST /v3/auth/tokens` with the credential; `catalog`, the deploying
   * token's service catalog, where the node finds Keystone's public endpoint; `region`, whose public object
   * storage endpoint the node takes from the catalog of its own login (there the project is filled in).
   */
  readonly login: string;

  /** The container's address in a stack where the store has the construct ID `id`. */
  static containerAddress(id: string): string {
    return `${ObjectstorageContainerV1.tfResourceType}.${id}_container`;
  }

  /**
   * Where the stack no longer has a store of ID `id`: Terraform forgets its container instead of destroying it
   * (a `removed` block, Terraform 1.7; a no-op when there is none), so the snapshots in it stay and a store
   * made again later takes the container over (Swift's PUT of a container that exists succeeds). The
   * credential, which nothing needs any more, is destroyed.
   */
  static keepContainer(stack: TerraformStack, id: string): void {
    forgetResource(stack, SnapshotStore.containerAddress(id));
  }

  constructor(scope: Construct, id: string, props: SnapshotStoreProps) {
    super(scope, id);
    new PropsValidator(this)
      .check(
        /^[A-Za-z0-9._-]{1,200}$/.test(props.containerName),
        "containerName",
        `"${props.containerName}" must be a plain container name`,
      )
      .throwIfInvalid();

    const container = new ObjectstorageContainerV1(this, "container", {
      name: props.containerName,
      region: props.region,
      forceDestroy: false,
    });
    // A fixed address, which keepContainer names once the store is gone.
    container.overrideLogicalId(SnapshotStore.containerAddress(id).split(".")[1]);
    const identityRegion = props.identityRegion ?? props.region;
    const guard = credentialOwnerGuard(this, { containerName: props.containerName, identityRegion });
    const deployer = guard.deployer;
    // Swift paths are /v1/<account>/<container>[/<object>]; `*` matches one path segment (the account, which
    // the token's project decides anyway, and one object name). The query (?format=json) is not part of a path.
    const containerPath = `/v1/*/${props.containerName}`;
    const credential = new IdentityApplicationCredentialV3(this, "credential", {
      name: props.containerName,
      description: props.description,
      region: identityRegion,
      unrestricted: false,
      accessRules: [
        { service: "object-store", method: "GET", path: containerPath },
        { service: "object-store", method: "GET", path: `${containerPath}/*` },
        { service: "object-store", method: "PUT", path: `${containerPath}/*` },
        { service: "object-store", method: "DELETE", path: `${containerPath}/*` },
      ],
      dependsOn: [container],
      lifecycle: { precondition: [guard.precondition] },
    });
    this.container = container.name;
    this.login = Fn.sensitive(
      Fn.jsonencode({
        request: {
          auth: {
            identity: {
              methods: ["application_credential"],
              application_credential: { id: credential.id, secret: credential.secret },
            },
          },
        },
        catalog: Token.asAny(deployer.interpolationForAttribute("service_catalog")),
        region: props.region,
        identityRegion,
      }),
    );
  }
}

/**
 * The first deployer of a datacenter's snapshot credential, recorded, and the precondition that stops a plan by
 * anyone else. Keystone keeps an application credential under the user who made it, and the provider reads and
 * deletes it there (/v3/users/<current user>/application_credentials): run by another user, it would look gone,
 * be made again (or, in a decommission, be dropped from the state) and the old one stay alive. `scope` is the
 * snapshot store's construct, or a construct of the same ID where the store is gone, so that the record keeps
 * its address. The deploying token's catalog comes with it: any project member may read it, unlike Keystone's
 * endpoint list (admin-only by default policy), and its URLs are the project's, not `$(project_id)s` templates.
 */
export function credentialOwnerGuard(
  scope: Construct,
  props: { readonly containerName: string; readonly identityRegion: string },
): { deployer: DataOpenstackIdentityAuthScopeV3; precondition: TerraformCondition } {
  const deployer = new DataOpenstackIdentityAuthScopeV3(scope, "deployer-scope", {
    name: props.containerName,
    region: props.identityRegion,
  });
  const owner = new DataResource(scope, "credential-owner", {
    input: { user_id: deployer.userId },
    lifecycle: { ignoreChanges: ["input"] },
  });
  const ownerId = Token.asString(Fn.lookup(owner.output, "user_id", ""));
  return {
    deployer,
    precondition: {
      condition: Op.eq(deployer.userId, ownerId),
      errorMessage: `The application credential ${props.containerName} belongs to the OpenStack user ${ownerId}, who made it; this plan runs as ${deployer.userName}. Deploy as that user, or make a new credential on purpose (terraform apply -replace on it and on its owner record; README: Backups and restore).`,
    },
  };
}
