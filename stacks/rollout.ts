import type { RolloutStage } from "../config/schema";
import type { ConsulAclSettings, ConsulAclTokens } from "../constructs/consul/agent-config";

/** What a rollout stage turns on. Stages only change Consul settings, never a VM or a volume. */
export interface StageSettings {
  /** ACLs on, tokens created and delivered, replication on. */
  readonly acl: boolean;
  /** Connect, WAN federation over gateways, gateways registered, proxy-defaults. */
  readonly mesh: boolean;
  readonly defaultPolicy: "allow" | "deny";
}

export function stageSettings(stage: RolloutStage): StageSettings {
  return {
    acl: stage !== "cluster",
    mesh: stage === "mesh" || stage === "enforced",
    defaultPolicy: stage === "enforced" ? "deny" : "allow",
  };
}

/** The agent's `acl` block for a stage, or none before ACLs are on. */
export interface AclAgentOptions {
  readonly downPolicy: ConsulAclSettings["down_policy"];
  readonly tokenPersistence: boolean;
}

export function aclSettings(
  stage: StageSettings,
  tokens: ConsulAclTokens,
  enableTokenReplication = false,
  options: AclAgentOptions = { downPolicy: "extend-cache", tokenPersistence: true },
): ConsulAclSettings | undefined {
  if (!stage.acl) return undefined;
  const definedTokens = Object.fromEntries(Object.entries(tokens).filter(([, value]) => value !== undefined));
  return {
    enabled: true,
    default_policy: stage.defaultPolicy,
    down_policy: options.downPolicy,
    enable_token_persistence: options.tokenPersistence,
    ...(enableTokenReplication ? { enable_token_replication: true } : {}),
    ...(Object.keys(definedTokens).length > 0 ? { tokens: definedTokens } : {}),
  };
}
