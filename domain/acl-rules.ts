/**
 * Consul ACL rules as typed objects, rendered to Consul's HCL rule syntax. Every block goes on its own
 * lines: Consul parses rules with HCL 1, which also accepts one-line blocks, but HCL 2 tools do not.
 */

/**
 * Characters a rule name cannot hold: quotes, escapes and template sequences would need HCL escaping
 * that Consul's HCL 1 and HCL 2 tools read differently; no real service, node or key name needs them.
 */
export const UNSAFE_RULE_NAME = /["\\\n\r\t]|[$%]\{/;

export const POLICY_VALUES = ["read", "write", "deny", "list"] as const;
export type PolicyValue = (typeof POLICY_VALUES)[number];

export interface ResourceRule {
  readonly policy: PolicyValue;
  /** Service rules only. */
  readonly intentions?: PolicyValue;
}

/** Rule kinds with a single policy value. */
export const SCALAR_RULE_KINDS = ["acl", "operator", "mesh", "peering", "keyring"] as const;
/** Rule kinds keyed by a name (exact) or a prefix. */
export const RESOURCE_RULE_KINDS = [
  "agent",
  "agent_prefix",
  "event",
  "event_prefix",
  "identity",
  "identity_prefix",
  "key",
  "key_prefix",
  "node",
  "node_prefix",
  "query",
  "query_prefix",
  "service",
  "service_prefix",
  "session",
  "session_prefix",
] as const;

export type ScalarRuleKind = (typeof SCALAR_RULE_KINDS)[number];
export type ResourceRuleKind = (typeof RESOURCE_RULE_KINDS)[number];

export type AclRules = { readonly [K in ScalarRuleKind]?: PolicyValue } & {
  readonly [K in ResourceRuleKind]?: Readonly<Record<string, ResourceRule>>;
};

/** Renders rules in a fixed order (scalars, then resource kinds, names sorted) for stable diffs. */
export function renderAclRules(rules: AclRules): string {
  const lines: string[] = [];
  for (const kind of SCALAR_RULE_KINDS) {
    const value = rules[kind];
    if (value !== undefined) lines.push(`${kind} = ${JSON.stringify(value)}`);
  }
  for (const kind of RESOURCE_RULE_KINDS) {
    const entries = Object.entries(rules[kind] ?? {}).sort(([a], [b]) => a.localeCompare(b));
    for (const [name, rule] of entries) {
      if (UNSAFE_RULE_NAME.test(name))
        throw new Error(`${kind} ${JSON.stringify(name)}: the name holds characters ACL rules cannot carry`);
      lines.push(`${kind} ${JSON.stringify(name)} {`, `  policy = ${JSON.stringify(rule.policy)}`);
      if (rule.intentions !== undefined) {
        if (kind !== "service" && kind !== "service_prefix") {
          throw new Error(`${kind} "${name}": intentions are only valid on service and service_prefix rules`);
        }
        lines.push(`  intentions = ${JSON.stringify(rule.intentions)}`);
      }
      lines.push("}");
    }
  }
  if (lines.length === 0) throw new Error("an ACL policy needs at least one rule");
  return `${lines.join("\n")}\n`;
}

/** The policies the federation itself creates, which tokens of the configuration may name too. */
export const BUILT_IN_POLICIES = {
  meshGateway: "mesh-gateway",
  replication: "acl-replication",
  dns: "dns-lookups",
  autopilotHealth: "autopilot-health",
  /** Consul's own policy of management tokens. */
  globalManagement: "global-management",
} as const;

/**
 * Mesh gateways, valid in every datacenter of the federation: Consul's documented permissions
 * (https://developer.hashicorp.com/consul/docs/secure/acl/token/mesh-gateway): `mesh = "write"` for the leaf
 * certificates a gateway obtains, its own service to register, read on all services and nodes to route, and
 * `agent_prefix` read for `consul connect envoy`; `peering = "read"` is left out, as the page allows without
 * cluster peering.
 */
export function meshGatewayRules(serviceName: string): AclRules {
  return {
    mesh: "write",
    service: { [serviceName]: { policy: "write" } },
    service_prefix: { "": { policy: "read" } },
    node_prefix: { "": { policy: "read" } },
    agent_prefix: { "": { policy: "read" } },
  };
}

/** ACL replication in secondaries: ACLs, proxy-defaults and CA signing, service defaults and intentions. */
export function replicationRules(): AclRules {
  return {
    acl: "write",
    operator: "write",
    service_prefix: { "": { policy: "read", intentions: "read" } },
  };
}

/**
 * What the apply script needs on a server: autopilot's health (`/v1/operator/autopilot/health`, operator:read)
 * and handing leadership over before it restarts the leader (`/v1/operator/raft/transfer-leader`,
 * operator:write). A secondary's servers hold the replication token, which has `operator = "write"` already.
 */
export function autopilotHealthRules(): AclRules {
  return { operator: "write" };
}

/**
 * Consul's templated policy for an agent's DNS token (`acl.tokens.dns`, Consul 1.17 and later): the
 * documented way to serve DNS under `default_policy = "deny"` without granting anything to the anonymous
 * token (developer.hashicorp.com/consul/docs/reference/agent/configuration-file/acl, `tokens.dns`).
 */
export const DNS_TEMPLATED_POLICY = "builtin/dns";

/** What DNS lookups need (Consul's builtin/dns template): nodes, services and prepared queries. */
export function dnsRules(): AclRules {
  return {
    node_prefix: { "": { policy: "read" } },
    service_prefix: { "": { policy: "read" } },
    query_prefix: { "": { policy: "read" } },
  };
}
