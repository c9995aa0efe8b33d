import { ConsulServerNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

/** A secondary server needs the primary's gateways (mesh stage on) and a replication token (acl stage on). */
export const secondaryFederation: FederationRule = {
  id: "CF-SECONDARY-WIRING",
  level: "error",
  fix: "give secondary servers primary_gateways (every primary gateway, <address>:8443) and acl.tokens.replication with enable_token_replication",
  check(construct, context) {
    if (!(construct instanceof ConsulServerNode)) return [];
    const config = construct.agentConfig;
    if (config.datacenter === config.primary_datacenter) return [];
    const problems: string[] = [];
    const meshOn = context.stage === "mesh" || context.stage === "enforced";
    if (meshOn && !(config.primary_gateways && config.primary_gateways.length > 0))
      problems.push("no primary_gateways");
    if (context.stage !== "cluster" && !(config.acl?.enable_token_replication && config.acl.tokens?.replication)) {
      problems.push("no ACL token replication (enable_token_replication and a replication token)");
    }
    return problems.map((problem) => ({ message: `secondary server ${config.node_name}: ${problem}` }));
  },
};
