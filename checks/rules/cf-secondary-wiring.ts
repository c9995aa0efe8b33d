import { stageSettings } from "../../domain/stages";
import { deliveredNode } from "../emitted";
import type { FederationRule } from "../engine";

/** A secondary server needs the primary's gateways (once Connect is on) and a replication token (once ACLs are). */
export const rule: FederationRule = {
  id: "CF-SECONDARY-WIRING",
  level: "error",
  fix: "give secondary servers primary_gateways (every primary gateway, <address>:<port>) and acl.tokens.replication with enable_token_replication",
  check(construct, context) {
    const node = deliveredNode(construct);
    const config = node?.agentConfig;
    if (!config?.server || config.datacenter === config.primary_datacenter) return [];
    const stage = stageSettings(context.stage);
    const problems: string[] = [];
    if (stage.mesh && !(config.primary_gateways && config.primary_gateways.length > 0)) {
      problems.push("no primary_gateways");
    }
    if (stage.acl && !(config.acl?.enable_token_replication && config.acl.tokens?.replication)) {
      problems.push("no ACL token replication (enable_token_replication and a replication token)");
    }
    return problems.map((problem) => ({ message: `secondary server ${config.node_name}: ${problem}` }));
  },
};
