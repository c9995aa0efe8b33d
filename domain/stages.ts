/**
 * The rollout stages and what each one turns on. A federation moves through them in order; a stage only
 * changes Consul settings and ACL objects, never a VM or a volume.
 */

export const ROLLOUT_STAGES = ["cluster", "acl", "mesh", "enforced"] as const;
export type RolloutStage = (typeof ROLLOUT_STAGES)[number];

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

/** One line per stage, as the topology document states it. */
export const STAGE_DESCRIPTIONS: Readonly<Record<RolloutStage, string>> = {
  cluster: "servers and gateways with TLS and gossip; no ACLs, no Connect",
  acl: 'ACLs on (default_policy "allow"), tokens delivered, replication on',
  mesh: 'Connect and WAN federation over mesh gateways, proxy-defaults; default_policy "allow"',
  enforced: 'default_policy "deny"',
};
