/**
 * Which ACL token reaches which node, by which mechanism and from which rollout stage on: the one place
 * that decides it. Stacks ask `tokenRoutes` for a node and hand each secret to the mechanism named here;
 * node constructs only deliver what they are given.
 */
import type { NodeRole } from "./layout";
import type { RolloutStage } from "./stages";

export type TokenName =
  /** The primary's bootstrap token (`acl.tokens.initial_management`) while `rotation.terraformToken` is 0. */
  | "initial-management"
  /**
   * The management token Terraform and the federation's scripts use: the initial management token, or from
   * `rotation.terraformToken` 1 on Terraform's own (domain/terraform-token.ts).
   */
  | "terraform"
  /** The agent's own token, a node identity `<node>:<dc>`. */
  | "agent"
  /** The agent's DNS token (`builtin/dns` templated policy): lookups under `default_policy = "deny"`. */
  | "dns"
  /** A secondary's token for ACL replication from the primary. */
  | "replication"
  /** What the apply script asks autopilot for the datacenter's health with (`operator = "read"`). */
  | "autopilot-health"
  /** The token Envoy registers the mesh gateway and reads its configuration with. */
  | "mesh-gateway"
  /** A datacenter's token for `consul snapshot save` (`acl = "write"`), with scheduled backups. */
  | "snapshot"
  /** Registers the services of the agent's configuration file (the snapshot freshness check). */
  | "service-registration";

export type TokenMechanism =
  /** A key of `acl.tokens` in the agent's configuration file: read when the agent starts. */
  | "agent-config"
  /**
   * The same, until the ACL system holds the token: then the apply script takes it out of the file (the initial
   * management token, which Consul needs only to create it when a server first leads).
   */
  | "bootstrap-config"
  /**
   * `PUT /v1/agent/token/<kind>` on the running agent, from the ACL stack over SSH: for agents that start
   * before their token can exist (the primary's servers, whose ACL system makes it). Kept by token persistence.
   */
  | "agent-api"
  /** A file of the settings delivery that only the apply script reads, removed with the staging folder. */
  | "apply-script"
  /** `CONSUL_HTTP_TOKEN` in the gateway's environment file, read by `consul connect envoy`. */
  | "gateway-environment"
  /** A root-only file that the backup unit loads as a credential, installed with the node's settings. */
  | "backup-credential"
  /** The same file, installed by the ACL stack over SSH (the primary's servers come before their tokens). */
  | "backup-credential-acl-stack";

export interface TokenRoute {
  readonly token: TokenName;
  readonly mechanism: TokenMechanism;
  /** The first stage in which the node receives it. */
  readonly fromStage: RolloutStage;
}

/**
 * The tokens a node receives, in the order its agent configuration lists them. Every token exists from
 * the `acl` stage on: the stage that turns ACLs on creates and delivers all of them. The primary's servers
 * check their datacenter's health with Terraform's management token: it is the only token that exists in
 * their stack, which comes before the ACL stack. The backup tokens exist only while backups are enabled.
 */
/**
 * How the primary's ACL system is bootstrapped: from `initial_management` in its servers' configuration, or through
 * the API by the servers' apply script, with no management token in any configuration (domain/terraform-token.ts).
 */
export type AclBootstrap = "configuration" | "api";

export function tokenRoutes(role: NodeRole, aclBootstrap: AclBootstrap = "configuration"): readonly TokenRoute[] {
  if (role.kind === "gateway") {
    return [
      { token: "agent", mechanism: "agent-config", fromStage: "acl" },
      { token: "dns", mechanism: "agent-config", fromStage: "acl" },
      { token: "mesh-gateway", mechanism: "gateway-environment", fromStage: "acl" },
    ];
  }
  if (role.datacenterRole === "primary") {
    return [
      ...(aclBootstrap === "configuration"
        ? [{ token: "initial-management", mechanism: "bootstrap-config", fromStage: "acl" } as const]
        : []),
      { token: "agent", mechanism: "agent-api", fromStage: "acl" },
      { token: "dns", mechanism: "agent-api", fromStage: "acl" },
      { token: "service-registration", mechanism: "agent-api", fromStage: "acl" },
      { token: "terraform", mechanism: "apply-script", fromStage: "acl" },
      { token: "snapshot", mechanism: "backup-credential-acl-stack", fromStage: "acl" },
    ];
  }
  return [
    { token: "agent", mechanism: "agent-config", fromStage: "acl" },
    { token: "dns", mechanism: "agent-config", fromStage: "acl" },
    { token: "replication", mechanism: "agent-config", fromStage: "acl" },
    { token: "service-registration", mechanism: "agent-config", fromStage: "acl" },
    { token: "autopilot-health", mechanism: "apply-script", fromStage: "acl" },
    { token: "snapshot", mechanism: "backup-credential", fromStage: "acl" },
  ];
}

const ROLE_LABELS: readonly [string, NodeRole][] = [
  ["primary server", { kind: "server", datacenterRole: "primary" }],
  ["secondary server", { kind: "server", datacenterRole: "secondary" }],
  ["mesh gateway (any datacenter)", { kind: "gateway", datacenterRole: "primary" }],
];

const MECHANISM_LABELS: Record<TokenMechanism, string> = {
  "agent-config": "`acl.tokens` in `consul.json`, read at start",
  "bootstrap-config": "`acl.tokens` in `consul.json` until the ACL system holds it, then removed by `node-apply.sh`",
  "agent-api": "`PUT /v1/agent/token/<token>` from the ACL stack, kept by token persistence",
  "apply-script": "`health-check.token` beside `node-apply.sh`, removed when it ends",
  "gateway-environment": "`CONSUL_HTTP_TOKEN` in `mesh-gateway.env`, read by `consul connect envoy`",
  "backup-credential": "`/etc/consul-backup/snapshot.token` (root only), loaded by the backup unit",
  "backup-credential-acl-stack": "`/etc/consul-backup/snapshot.token` (root only) from the ACL stack over SSH",
};

/** The routes as the Markdown table printed in the README (a test keeps the two identical). */
export function renderTokenRoutesMarkdown(): string {
  const rows = ROLE_LABELS.flatMap(([label, role]) =>
    tokenRoutes(role).map(
      (route) => `| ${label} | ${route.token} | ${MECHANISM_LABELS[route.mechanism]} | \`${route.fromStage}\` |`,
    ),
  );
  return ["| node | token | how it gets there | from stage |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
