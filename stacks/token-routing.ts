import type { ConsulAclTokens } from "../constructs/consul/agent-config";
import type { FederationAcls } from "../constructs/consul/federation-acls";
import type { PlannedNode } from "../domain/layout";
import { ROLLOUT_STAGES, RolloutStage } from "../domain/stages";
import { TokenName, tokenRoutes } from "../domain/tokens";

/** Where the secrets come from in the stack that builds a node. */
export interface TokenSecrets {
  /** The primary's initial management token (in the primary's own stacks). */
  readonly initialManagement?: string;
  /** The federation's tokens, once the ACL stack has made them. */
  readonly acls?: FederationAcls;
}

/** A node's tokens, sorted by the mechanism that delivers each (see domain/tokens.ts). */
export interface RoutedTokens {
  /** `acl.tokens` of the agent's configuration file. */
  readonly agentConfig: ConsulAclTokens;
  /** `CONSUL_HTTP_TOKEN` of a mesh gateway's environment file. */
  readonly gatewayEnvironment?: string;
  /** The agent token, set through the agent API by the ACL stack. */
  readonly agentApi?: string;
}

const AGENT_CONFIG_KEYS: Partial<Record<TokenName, keyof ConsulAclTokens>> = {
  "initial-management": "initial_management",
  agent: "agent",
  replication: "replication",
};

function secretOf(token: TokenName, node: PlannedNode, secrets: TokenSecrets): string | undefined {
  switch (token) {
    case "initial-management":
      return secrets.initialManagement;
    case "agent":
      return secrets.acls?.agentTokenSecret(node.name);
    case "replication":
      return secrets.acls?.replicationTokenSecret(node.datacenter);
    case "mesh-gateway":
      return secrets.acls?.gatewayTokenSecret(node.name);
  }
}

/** The secrets a node receives at `stage`, each for the mechanism its route names. */
export function routeTokens(node: PlannedNode, stage: RolloutStage, secrets: TokenSecrets): RoutedTokens {
  const reached = (from: RolloutStage) => ROLLOUT_STAGES.indexOf(stage) >= ROLLOUT_STAGES.indexOf(from);
  const agentConfig: Record<string, string> = {};
  let gatewayEnvironment: string | undefined;
  let agentApi: string | undefined;
  for (const route of tokenRoutes(node.role)) {
    const secret = reached(route.fromStage) ? secretOf(route.token, node, secrets) : undefined;
    if (secret === undefined) continue;
    if (route.mechanism === "agent-config") agentConfig[AGENT_CONFIG_KEYS[route.token] as string] = secret;
    else if (route.mechanism === "gateway-environment") gatewayEnvironment = secret;
    else agentApi = secret;
  }
  return { agentConfig, gatewayEnvironment, agentApi };
}
