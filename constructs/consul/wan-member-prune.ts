import type { DataResource } from "cdktf";
import { Construct } from "constructs";
import { DNS_LABEL } from "../../domain/names";
import { PropsValidator } from "../validation";
import { PrimaryServerStepProps, runOnPrimaryServer } from "./primary-server-step";

export interface WanMemberPruneProps extends PrimaryServerStepProps {
  /** The servers that are gone, by node name and datacenter (their WAN pool name is `<node>.<datacenter>`). */
  readonly servers: readonly { readonly node: string; readonly datacenter: string }[];
}

/**
 * Removes servers that are gone (those of decommissioned datacenters) from the WAN pool, from one server of the
 * primary: it waits until the pool no longer counts them alive, then force-leaves and prunes them. Runs again
 * only when the list changes; finds nothing to do once they are gone.
 */
export class WanMemberPrune extends Construct {
  /** The step, for what must come after it. */
  readonly applied: DataResource;

  constructor(scope: Construct, id: string, props: WanMemberPruneProps) {
    super(scope, id);
    new PropsValidator(this)
      .check(props.servers.length > 0, "servers", "must name at least one server")
      .check(
        props.servers.every((server) => DNS_LABEL.test(server.node) && DNS_LABEL.test(server.datacenter)),
        "servers",
        "node and datacenter names must be DNS labels",
      )
      .throwIfInvalid();
    this.applied = runOnPrimaryServer(this, props, {
      script: "prune-wan-members.sh",
      // Nothing on the server itself is converged: a rebuilt server needs nothing from it.
      target: "wan-member-prune",
      environment: {
        name: "prune.env",
        values: { GONE_SERVERS: props.servers.map((server) => `${server.node}.${server.datacenter}`).join(",") },
      },
    });
  }
}
