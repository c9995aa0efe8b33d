import type { DataResource } from "cdktf";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import { SshFileDelivery } from "../compute/ssh-file-delivery";
import { DNS_LABEL } from "../../domain/names";
import { PropsValidator } from "../validation";
import { localAgentEnvironment, nodeFile } from "./node-files";

const SCRIPT = "prune-wan-members.sh";
const SCRIPT_SOURCE = readFileSync(join(__dirname, "files", SCRIPT), "utf8");

export interface WanMemberPruneProps {
  /** A server of the primary datacenter: its floating IP. */
  readonly host: string;
  /** The server's SSH host key, pinned in the connection; none to trust any. */
  readonly hostKey?: string;
  readonly sshUser: string;
  /** A token with `operator = "write"` (the management token). */
  readonly managementToken: string;
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
    const delivery = new SshFileDelivery(this, "delivery", {
      host: props.host,
      hostKey: props.hostKey,
      user: props.sshUser,
      applyScript: SCRIPT,
      // Nothing on the server itself is converged: a rebuilt server needs nothing from it.
      target: "wan-member-prune",
      files: [
        nodeFile.staged(SCRIPT, SCRIPT_SOURCE, "0700"),
        localAgentEnvironment("prune.env", {
          GONE_SERVERS: props.servers.map((server) => `${server.node}.${server.datacenter}`).join(","),
        }),
        nodeFile.tokenHeader("management-token.header", props.managementToken),
      ],
    });
    this.applied = delivery.resource;
  }
}
