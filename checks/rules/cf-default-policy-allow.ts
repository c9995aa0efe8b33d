import { stageSettings } from "../../domain/stages";
import { deliveredNode } from "../emitted";
import type { FederationRule } from "../engine";

export const rule: FederationRule = {
  id: "CF-DEFAULT-POLICY-ALLOW",
  level: "error",
  fix: 'set acl.default_policy = "deny" on every agent in the enforced stage (or move rollout.stage back to mesh)',
  check(construct, context) {
    if (stageSettings(context.stage).defaultPolicy !== "deny") return [];
    const node = deliveredNode(construct);
    if (!node) return [];
    const acl = node.agentConfig.acl;
    if (acl?.enabled && acl.default_policy === "deny") return [];
    return [
      { message: `${node.agentConfig.node_name} runs with ${acl?.enabled ? 'default_policy = "allow"' : "ACLs off"}` },
    ];
  },
};
