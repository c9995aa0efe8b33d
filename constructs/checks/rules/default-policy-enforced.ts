import { ConsulServerNode, MeshGatewayNode } from "../../consul/consul-nodes";
import type { FederationRule } from "../rule";

export const defaultPolicyEnforced: FederationRule = {
  id: "CF-DEFAULT-POLICY-ALLOW",
  level: "error",
  fix: 'set acl.default_policy = "deny" on every agent in the enforced stage (or move rollout.stage back to mesh)',
  check(construct, context) {
    if (context.stage !== "enforced") return [];
    if (!(construct instanceof ConsulServerNode || construct instanceof MeshGatewayNode)) return [];
    const acl = construct.agentConfig.acl;
    if (acl?.enabled && acl.default_policy === "deny") return [];
    return [
      {
        message: `${construct.agentConfig.node_name} runs with ${acl?.enabled ? 'default_policy = "allow"' : "ACLs off"}`,
      },
    ];
  },
};
