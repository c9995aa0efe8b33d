import { TerraformResource, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { GossipKeyRotation } from "../constructs/consul/gossip-key-rotation";
import { TokenRetirement } from "../constructs/consul/token-retirement";
import { WanMemberPrune } from "../constructs/consul/wan-member-prune";
import type { DatacenterStack } from "./datacenter-stack";
import type { FederationPlan } from "./federation-plan";
import { configureStack } from "./stack-setup";
import type { TokenSecrets } from "./token-routing";

/**
 * The last stack: puts the federation's gossip key on every running agent through Consul's keyring, once every
 * datacenter is deployed and federated (a datacenter added in the same deploy included). Whatever changes the
 * key (rotation.gossipKey, up or down) is rotated here; with the key unchanged, the step finds every agent on it.
 * A refusal (a datacenter that does not answer, an agent missing) stops nothing but this stack.
 *
 * Being last, it also prunes the servers of decommissioned datacenters from the WAN pool, and retires the older
 * generations of rotated tokens: by now every datacenter's stack has delivered the new ones
 * (domain/token-rotation.ts).
 */
export class PrimaryKeyringStack extends TerraformStack {
  /** Every step of this stack: what a record of completed rotations waits for. */
  readonly steps: TerraformResource[] = [];

  constructor(
    scope: Construct,
    id: string,
    props: { plan: FederationPlan; primary: DatacenterStack; tokens: TokenSecrets },
  ) {
    super(scope, id);
    const { plan, primary } = props;
    const federation = plan.config;
    configureStack(this, federation, primary.datacenter.config);
    const server = primary.servers[0];
    // The servers of decommissioned datacenters, destroyed earlier in this deploy, leave the WAN pool before the
    // keyring counts it (and before anything else looks for their datacenters).
    const pruned =
      plan.decommissioned.length > 0
        ? new WanMemberPrune(this, "wan-member-prune", {
            host: server.vm.publicIp,
            hostKey: federation.ssh.pinHostKeys ? server.hostKey.publicKey : undefined,
            sshUser: federation.ssh.user,
            managementToken: primary.secrets.terraformToken,
            servers: plan.decommissioned.flatMap((dc) =>
              dc.servers.map((node) => ({ node: node.name, datacenter: dc.name })),
            ),
          })
        : undefined;
    const rotation = new GossipKeyRotation(this, "gossip-key-rotation", {
      host: server.vm.publicIp,
      hostKey: federation.ssh.pinHostKeys ? server.hostKey.publicKey : undefined,
      sshUser: federation.ssh.user,
      gossipKey: primary.secrets.gossipKey,
      managementToken: primary.secrets.terraformToken,
      members: plan.datacenters.map((dc) => ({
        datacenter: dc.name,
        agents: dc.servers.length + dc.gateways.length,
        servers: dc.servers.length,
        nodes: [...dc.servers, ...dc.gateways].map((node) => node.name),
      })),
      after: pruned ? [pruned.applied] : undefined,
    });
    this.steps.push(rotation.applied, ...(pruned ? [pruned.applied] : []));
    const retired = props.tokens.acls?.retiredGenerations() ?? [];
    if (retired.length > 0) {
      const retirement = new TokenRetirement(this, "token-retirement", {
        host: server.vm.publicIp,
        hostKey: federation.ssh.pinHostKeys ? server.hostKey.publicKey : undefined,
        sshUser: federation.ssh.user,
        managementToken: primary.secrets.terraformToken,
        retired,
      });
      this.steps.push(retirement.applied);
    }
  }
}
