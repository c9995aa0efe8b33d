import type { ConsulAclTokens } from "../constructs/consul/agent-config";
import type { AgentApiTokens } from "../constructs/consul/agent-token-delivery";
import type { FederationAcls } from "../constructs/consul/federation-acls";
import type { PlannedNode } from "../domain/layout";
import { ROLLOUT_STAGES, RolloutStage } from "../domain/stages";
import { AclBootstrap, TokenName, tokenRoutes } from "../domain/tokens";

/** Where the secrets come from in the stack that builds a node. */
export interface TokenSecrets {
  /** The primary's initial management token (in the primary's own stacks). */
  readonly initialManagement?: string;
  /** Terraform's management token (in the primary's own stacks): the initial management token at generation 0. */
  readonly terraform?: string;
  /** The federation's tokens, once the ACL stack has made them. */
  readonly acls?: FederationAcls;
}

/** A node's tokens, sorted by the mechanism that delivers each (see domain/tokens.ts). */
export interface RoutedTokens {
  /** `acl.tokens` of the agent's configuration file. */
  readonly agentConfig: ConsulAclTokens;
  /** Tokens the ACL stack sets through the agent API, by the API's name for them. */
  readonly agentApi: AgentApiTokens;
  /** The token the apply script checks the datacenter's health with. */
  readonly applyScript?: string;
  /** `CONSUL_HTTP_TOKEN` of a mesh gateway's environment file. */
  readonly gatewayEnvironment?: string;
  /** The snapshot token the node's own settings install. */
  readonly backupCredential?: string;
  /** The snapshot token the ACL stack installs. */
  readonly aclStackBackupCredential?: string;
}

/** The agent API's and the configuration file's name of each token an agent holds. */
const AGENT_TOKEN_KEYS: Partial<Record<TokenName, keyof ConsulAclTokens & keyof AgentApiTokens>> = {
  agent: "agent",
  dns: "dns",
  replication: "replication",
  "service-registration": "config_file_service_registration",
};
const AGENT_CONFIG_KEYS: Partial<Record<TokenName, keyof ConsulAclTokens>> = {
  ...AGENT_TOKEN_KEYS,
  "initial-management": "initial_management",
};

function secretOf(token: TokenName, node: PlannedNode, secrets: TokenSecrets): string | undefined {
  switch (token) {
    case "initial-management":
      return secrets.initialManagement;
    case "terraform":
      return secrets.terraform;
    case "agent":
      return secrets.acls?.agentTokenSecret(node.name);
    case "dns":
      return secrets.acls?.dnsTokenSecret();
    case "replication":
      return secrets.acls?.replicationTokenSecret(node.datacenter);
    case "autopilot-health":
      return secrets.acls?.autopilotHealthTokenSecret();
    case "mesh-gateway":
      return secrets.acls?.gatewayTokenSecret(node.name);
    case "snapshot":
      return secrets.acls?.snapshotTokenSecret(node.datacenter);
    case "service-registration":
      return secrets.acls?.serviceRegistrationTokenSecret();
  }
}

/** The secrets a node receives at `stage`, each for the mechanism its route names. */
export function routeTokens(
  node: PlannedNode,
  stage: RolloutStage,
  secrets: TokenSecrets,
  aclBootstrap: AclBootstrap = "configuration",
): RoutedTokens {
  const reached = (from: RolloutStage) => ROLLOUT_STAGES.indexOf(stage) >= ROLLOUT_STAGES.indexOf(from);
  const agentConfig: Record<string, string> = {};
  const agentApi: Record<string, string> = {};
  let applyScript: string | undefined;
  let gatewayEnvironment: string | undefined;
  let backupCredential: string | undefined;
  let aclStackBackupCredential: string | undefined;
  for (const route of tokenRoutes(node.role, aclBootstrap)) {
    const secret = reached(route.fromStage) ? secretOf(route.token, node, secrets) : undefined;
    if (secret === undefined) continue;
    switch (route.mechanism) {
      case "agent-config":
      case "bootstrap-config":
        agentConfig[AGENT_CONFIG_KEYS[route.token] as string] = secret;
        break;
      case "agent-api":
        agentApi[AGENT_TOKEN_KEYS[route.token] as string] = secret;
        break;
      case "apply-script":
        applyScript = secret;
        break;
      case "gateway-environment":
        gatewayEnvironment = secret;
        break;
      case "backup-credential":
        backupCredential = secret;
        break;
      case "backup-credential-acl-stack":
        aclStackBackupCredential = secret;
        break;
    }
  }
  return { agentConfig, agentApi, applyScript, gatewayEnvironment, backupCredential, aclStackBackupCredential };
}
