import type { DataResource } from "cdktf";
import { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DNS_LABEL } from "../../domain/names";
import { PropsValidator } from "../validation";
import { nodeFile } from "./node-files";
import { PrimaryServerStepProps, runOnPrimaryServer } from "./primary-server-step";

export interface GossipKeyRotationProps extends PrimaryServerStepProps {
  /** The new gossip key (sensitive): what every agent ends up with, alone. */
  readonly gossipKey: string;
  /**
   * Every datacenter of the federation with the agents it runs: the rotation changes nothing unless each one
   * answers with at least that many members (an agent that is down or has left would miss the new key).
   */
  readonly members: readonly {
    readonly datacenter: string;
    readonly agents: number;
    readonly servers: number;
    /** The names of those agents' nodes: each must be alive (its count alone cannot tell a node that is down). */
    readonly nodes: readonly string[];
  }[];
  /** Steps that must run first (the WAN pool pruned of servers that are gone). @default none */
  readonly after?: readonly ITerraformDependable[];
}

/**
 * Rotates the gossip key of the whole federation through Consul's keyring (install, use, remove the others),
 * from one server of the primary, whenever the key changes; finds nothing to do while it does not. `encrypt` in
 * the agents' configuration carries the same key for agents that start without a keyring (new or rebuilt nodes).
 */
export class GossipKeyRotation extends Construct {
  /** Completes once the step has run on the server. */
  readonly applied: DataResource;

  constructor(scope: Construct, id: string, props: GossipKeyRotationProps) {
    super(scope, id);
    new PropsValidator(this)
      .check(props.members.length > 0, "members", "must list every datacenter of the federation")
      .check(
        props.members.every(
          (dc) =>
            /^[a-z0-9-]+$/.test(dc.datacenter) &&
            dc.servers > 0 &&
            dc.agents >= dc.servers &&
            dc.nodes.length === dc.agents &&
            dc.nodes.every((node) => DNS_LABEL.test(node)),
        ),
        "members",
        "each datacenter needs a name, at least one server, at least as many agents as servers, and a node name per agent",
      )
      .throwIfInvalid();
    this.applied = runOnPrimaryServer(this, props, {
      script: "rotate-gossip-key.sh",
      dependsOn: props.after,
      // Runs again only for a new key; a rebuilt server needs nothing from it.
      target: "keyring",
      environment: {
        name: "keyring.env",
        values: {
          // Per datacenter, the members its LAN pool must count; the WAN pool counts every server.
          LAN_MEMBERS: props.members.map((dc) => `${dc.datacenter}:${dc.agents}`).join(","),
          WAN_MEMBERS: props.members.reduce((sum, dc) => sum + dc.servers, 0),
          FEDERATION_NODES: props.members.flatMap((dc) => dc.nodes.map((node) => `${dc.datacenter}/${node}`)).join(","),
        },
      },
      files: [nodeFile.staged("gossip-key.json", JSON.stringify({ Key: props.gossipKey }))],
    });
  }
}
