import { DataResource, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { credentialOwnerGuard, SnapshotStore } from "../constructs/storage/snapshot-store";
import { terraformLiteral } from "../constructs/terraform-literal";
import { snapshotContainer } from "../domain/backups";
import { SNAPSHOT_STORE_ID } from "./datacenter-stack";
import type { FederationPlan, PlannedDatacenter } from "./federation-plan";
import { configureStack, requiredTerraformVersion } from "./stack-setup";

/**
 * The stack of a secondary marked `decommission: true`: same name, hence same state, as the datacenter's stack,
 * with nothing left in its configuration but the backup credential's owner record and the gate on it, so that
 * Terraform plans the destruction of everything else the state holds (VMs, data volumes, ports, floating IPs,
 * security groups, network, router, key pair, the backup credential).
 *
 * - `prevent_destroy` on the VMs and volumes protects a resource only while its block is in the configuration
 *   ("This rule doesn't prevent Terraform from destroying the resource if you remove the resource configuration",
 *   Terraform's resource block reference, lifecycle): removing the blocks is what lets the stack go.
 * - cdktf never destroys a stack that disappears from the app, so the stack stays (empty) as long as the entry
 *   does; the entry goes only after this deploy.
 * - The snapshot container is forgotten, not destroyed (a `removed` block with `destroy = false`): its snapshots
 *   are the datacenter's only remaining copy of its Raft data once the data volumes are gone.
 * - The providers stay configured as before (same cloud and region): Terraform destroys an orphaned resource with
 *   the provider configuration it was made with, and the OpenStack provider takes a 404 for "already gone", so a
 *   provider pointed elsewhere would drop the VMs from the state and leave them running.
 * - No `consul leave` runs on the nodes first. A `removed` block may carry destroy-time provisioners (Terraform
 *   1.9), but they and their connection may reference only `self` (internal/configs/provisioner.go,
 *   onlySelfRefs): of a server, what Terraform destroys before its VM (its settings delivery and volume
 *   attachment) holds no address it can be reached at, and its floating IP and association, which do, are not
 *   ordered before the VM; nor does any node hold a token that may call `/v1/agent/leave` (`agent:write`).
 *   Nova's delete stops the VMs outright; the primary then removes them from the WAN pool (WanMemberPrune, in the
 *   keyring stack). Nothing of a datacenter that goes away as a whole depends on how its own Raft peers leave.
 *
 * The stack runs right after the primary's and before the ACL stack (federation.ts), so that its agents still
 * hold valid tokens until their VMs are gone and the ACL stack deletes those tokens afterwards.
 */
export class DecommissionedDatacenterStack extends TerraformStack {
  readonly datacenter: PlannedDatacenter;

  constructor(scope: Construct, id: string, props: { plan: FederationPlan; datacenter: PlannedDatacenter }) {
    super(scope, id);
    const { plan, datacenter } = props;
    this.datacenter = datacenter;
    configureStack(this, plan.config, datacenter.config);
    // The `removed` block needs Terraform 1.7 (the S3 lock file already needs 1.10).
    this.addOverride("terraform.required_version", requiredTerraformVersion(plan.config, true));
    // The configuration refuses a decommission without backups, so the datacenter has had a container.
    SnapshotStore.keepContainer(this, SNAPSHOT_STORE_ID);
    // The backup credential is destroyed by whoever deploys, under their own user: run by another user than the
    // one who made it, the provider would find it gone and drop it from the state, alive. The owner record stays
    // (at its address in the datacenter's stack) and a plan by anyone else stops before anything is destroyed.
    const guard = credentialOwnerGuard(new Construct(this, SNAPSHOT_STORE_ID), {
      containerName: snapshotContainer(datacenter.name),
      identityRegion: terraformLiteral(
        datacenter.config.openstack.identityRegion ?? datacenter.config.openstack.region,
      ),
    });
    new DataResource(this, "credential-owner-gate", {
      input: { container: snapshotContainer(datacenter.name) },
      lifecycle: { precondition: [guard.precondition] },
    });
  }
}
