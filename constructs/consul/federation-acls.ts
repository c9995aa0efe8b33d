import { AclPolicy } from "@cdktf/provider-consul/lib/acl-policy";
import { AclToken, AclTokenConfig } from "@cdktf/provider-consul/lib/acl-token";
import { ConfigEntry } from "@cdktf/provider-consul/lib/config-entry";
import { DataConsulAclTokenSecretId } from "@cdktf/provider-consul/lib/data-consul-acl-token-secret-id";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import {
  AclRules,
  autopilotHealthRules,
  BUILT_IN_POLICIES,
  DNS_TEMPLATED_POLICY,
  dnsRules,
  meshGatewayRules,
  renderAclRules,
  replicationRules,
} from "../../domain/acl-rules";
import { SNAPSHOT_CHECK, snapshotPolicyName, snapshotRules } from "../../domain/backups";
import type { DatacenterRole } from "../../domain/layout";
import { DNS_LABEL, MESH_GATEWAY_SERVICE } from "../../domain/names";
import {
  otherTokenSlotId,
  RetiredGenerations,
  retiredGenerations,
  rotatedAccessorId,
  rotatedDescription,
  tokenSlotId,
} from "../../domain/token-rotation";
import { forgetResource } from "../terraform-removed";
import { terraformLiteral } from "../terraform-literal";
import { PropsValidator } from "../validation";

export interface AclDatacenter {
  readonly name: string;
  /** A secondary gets a replication token; the primary is where every ACL object is made. */
  readonly role: DatacenterRole;
  readonly serverNodes: readonly string[];
  readonly gatewayNodes: readonly string[];
}

export interface ProxyDefaults {
  /** Default protocol of services (`config.protocol`). */
  readonly protocol: "tcp" | "http" | "http2" | "grpc";
  /** `config.envoy_prometheus_bind_addr`, e.g. `0.0.0.0:9102`. */
  readonly envoyPrometheusBindAddr: string;
}

export interface CustomAclPolicy {
  readonly name: string;
  readonly description?: string;
  readonly rules: AclRules;
  /** @default every datacenter */
  readonly datacenters?: readonly string[];
}

export interface CustomAclToken {
  /** As configured: escaped here where it reaches Terraform. */
  readonly description: string;
  /** Names of custom or built-in policies. */
  readonly policies: readonly string[];
  readonly nodeIdentities: readonly { readonly nodeName: string; readonly datacenter: string }[];
  readonly serviceIdentities: readonly { readonly serviceName: string; readonly datacenters?: readonly string[] }[];
  readonly local: boolean;
  /** The token's generation: raising it makes a new token beside the old one (see domain/token-rotation.ts). */
  readonly rotation: number;
  /** Generations below this one are deleted (once its consumers hold a newer secret); at most `rotation`. */
  readonly retireBelow: number;
}

export interface FederationAclsProps {
  /** Every datacenter, the primary included. */
  readonly datacenters: readonly AclDatacenter[];
  /** The global proxy-defaults entry (mesh gateway mode local); none before Connect is on. */
  readonly proxyDefaults?: ProxyDefaults;
  /** The operator's own policies (e.g. for Nomad). */
  readonly policies: readonly CustomAclPolicy[];
  /** The operator's own tokens; their secrets stay in Consul and the state, never in outputs. */
  readonly tokens: readonly CustomAclToken[];
  /**
   * Scheduled snapshots: per datacenter a snapshot policy valid there alone (`acl = "write"`, which Consul
   * requires for snapshots) and its token; one token that registers the servers' freshness check service.
   */
  readonly backups: boolean;
  /** The federation's name (its primary datacenter's), part of every rotated token's accessor ID. */
  readonly federation: string;
  /** The generation of every token the federation makes for its nodes (`rotation.tokens`). */
  readonly tokenRotation: number;
}

/**
 * The federation's ACL objects, all created in the primary (global, replicated to secondaries, so
 * they exist before a secondary starts and nothing is ever created by a secondary's own bootstrap):
 * policies for mesh gateways, ACL replication, DNS and autopilot health; one agent token per node (node
 * identity); one DNS token every agent uses (builtin/dns); one mesh-gateway token per gateway; one
 * replication token per secondary; one token that lets the apply script read autopilot's health; with
 * backups, a snapshot token per datacenter and the token that registers the freshness check. The anonymous
 * token gets no policy: nobody lists the catalog without a token.
 *
 * Every token lives in the slot of its generation; the other slot is forgotten, never destroyed, so that a
 * rotation leaves the previous generation working until the last stack retires it (domain/token-rotation.ts).
 */
export class FederationAcls extends Construct {
  readonly meshGatewayPolicy: AclPolicy;
  readonly replicationPolicy: AclPolicy;
  readonly dnsPolicy: AclPolicy;
  readonly autopilotHealthPolicy: AclPolicy;
  private readonly backups: boolean;
  private readonly dnsSecret: string;
  private readonly serviceRegistrationSecret?: string;
  private readonly snapshotSecrets = new Map<string, string>();
  private readonly snapshotPolicies: AclPolicy[] = [];
  private readonly autopilotHealthSecret: string;
  private readonly agentSecrets = new Map<string, string>();
  private readonly gatewaySecrets = new Map<string, string>();
  private readonly replicationSecrets = new Map<string, string>();
  private readonly federation: string;
  private readonly tokenRotation: number;
  private readonly rotated: RetiredGenerations[] = [];

  constructor(scope: Construct, id: string, props: FederationAclsProps) {
    super(scope, id);
    const names = props.datacenters.map((dc) => dc.name);
    const nodes = props.datacenters.flatMap((dc) => [...dc.serverNodes, ...dc.gatewayNodes]);
    new PropsValidator(this)
      .check(
        props.datacenters.filter((dc) => dc.role === "primary").length === 1,
        "datacenters",
        "exactly one must be the primary",
      )
      .check(new Set(names).size === names.length, "datacenters", "names must be unique")
      .check(new Set(nodes).size === nodes.length, "datacenters", "node names must be unique across the federation")
      .check(
        nodes.every((node) => DNS_LABEL.test(node)),
        "datacenters",
        "node names must be short and without dots",
      )
      .throwIfInvalid();

    this.federation = props.federation;
    this.tokenRotation = props.tokenRotation;
    const policy = (id: string, name: string, description: string, rules: AclRules) =>
      new AclPolicy(this, id, { name, description, rules: renderAclRules(rules), datacenters: [...names] });
    this.meshGatewayPolicy = policy(
      "mesh-gateway-policy",
      BUILT_IN_POLICIES.meshGateway,
      "Mesh gateways of every datacenter (WAN federation)",
      meshGatewayRules(MESH_GATEWAY_SERVICE),
    );
    this.replicationPolicy = policy(
      "replication-policy",
      BUILT_IN_POLICIES.replication,
      "ACL token replication into secondary datacenters",
      replicationRules(),
    );
    this.dnsPolicy = policy(
      "dns-policy",
      BUILT_IN_POLICIES.dns,
      "DNS lookups (for your own tokens; agents use a builtin/dns token)",
      dnsRules(),
    );
    this.autopilotHealthPolicy = policy(
      "autopilot-health-policy",
      BUILT_IN_POLICIES.autopilotHealth,
      "Servers' apply script: waits for autopilot's health, hands leadership over before a restart",
      autopilotHealthRules(),
    );
    this.dnsSecret = this.federationToken("dns-token", {
      description: `DNS lookups of every agent (${DNS_TEMPLATED_POLICY})`,
      templatedPolicies: [{ templateName: DNS_TEMPLATED_POLICY }],
    });
    this.autopilotHealthSecret = this.federationToken("autopilot-health-token", {
      description: "Autopilot health checks of the servers' apply script",
      policies: [this.autopilotHealthPolicy.name],
    });
    this.backups = props.backups;
    if (props.backups) {
      this.serviceRegistrationSecret = this.federationToken("service-registration-token", {
        description: `Registers the servers' ${SNAPSHOT_CHECK.service} service from their configuration file`,
        serviceIdentities: [{ serviceName: SNAPSHOT_CHECK.service }],
      });
    }

    for (const dc of props.datacenters) this.addDatacenterTokens(dc);
    this.addCustomPoliciesAndTokens(props, names);
    if (props.proxyDefaults) this.addProxyDefaults(props.proxyDefaults);
  }

  /**
   * The tokens that were ever rotated (generation above 0), with what the last stack deletes of their other
   * generations once every node holds the current one.
   */
  retiredGenerations(): readonly RetiredGenerations[] {
    return this.rotated;
  }

  /** The secret of a node's agent token (sensitive). */
  agentTokenSecret(node: string): string {
    return this.lookup(this.agentSecrets, node, "agent token");
  }

  /** The secret of the agents' DNS token (sensitive). */
  dnsTokenSecret(): string {
    return this.dnsSecret;
  }

  /** The secret of the token that reads autopilot's health (sensitive). */
  autopilotHealthTokenSecret(): string {
    return this.autopilotHealthSecret;
  }

  /** The secret of a datacenter's snapshot token (sensitive); none without backups. */
  snapshotTokenSecret(datacenter: string): string | undefined {
    return this.backups ? this.lookup(this.snapshotSecrets, datacenter, "snapshot token") : undefined;
  }

  /** The secret of the token that registers the servers' freshness check (sensitive); none without backups. */
  serviceRegistrationTokenSecret(): string | undefined {
    return this.serviceRegistrationSecret;
  }

  /** The secret of a gateway node's mesh-gateway token (sensitive). */
  gatewayTokenSecret(node: string): string {
    return this.lookup(this.gatewaySecrets, node, "mesh-gateway token");
  }

  /** The secret of a secondary datacenter's replication token (sensitive). */
  replicationTokenSecret(datacenter: string): string {
    return this.lookup(this.replicationSecrets, datacenter, "replication token");
  }

  /**
   * An agent token per node, a mesh-gateway token per gateway, for a secondary its replication token and,
   * with backups, the datacenter's snapshot token.
   */
  private addDatacenterTokens(dc: AclDatacenter): void {
    for (const node of [...dc.serverNodes, ...dc.gatewayNodes]) {
      const secret = this.federationToken(`${node}-agent-token`, {
        description: `Agent token of ${node} (${dc.name})`,
        nodeIdentities: [{ nodeName: node, datacenter: dc.name }],
      });
      this.agentSecrets.set(node, secret);
    }
    for (const node of dc.gatewayNodes) {
      const secret = this.federationToken(`${node}-gateway-token`, {
        description: `Mesh gateway ${MESH_GATEWAY_SERVICE} on ${node} (${dc.name})`,
        policies: [this.meshGatewayPolicy.name],
      });
      this.gatewaySecrets.set(node, secret);
    }
    if (dc.role === "secondary") {
      const secret = this.federationToken(`${dc.name}-replication-token`, {
        description: `ACL replication into ${dc.name}`,
        policies: [this.replicationPolicy.name],
      });
      this.replicationSecrets.set(dc.name, secret);
    }
    if (this.backups) {
      const snapshotPolicy = new AclPolicy(this, `${dc.name}-snapshot-policy`, {
        name: snapshotPolicyName(dc.name),
        description: `Scheduled snapshots of ${dc.name} and their freshness check`,
        rules: renderAclRules(snapshotRules()),
        datacenters: [dc.name],
      });
      this.snapshotPolicies.push(snapshotPolicy);
      const secret = this.federationToken(`${dc.name}-snapshot-token`, {
        description: `Scheduled snapshots of ${dc.name}`,
        policies: [snapshotPolicy.name],
      });
      this.snapshotSecrets.set(dc.name, secret);
    }
  }

  private addCustomPoliciesAndTokens(props: FederationAclsProps, allDatacenters: readonly string[]): void {
    const policiesByName = new Map<string, AclPolicy>([
      [BUILT_IN_POLICIES.meshGateway, this.meshGatewayPolicy],
      [BUILT_IN_POLICIES.replication, this.replicationPolicy],
      [BUILT_IN_POLICIES.dns, this.dnsPolicy],
      [BUILT_IN_POLICIES.autopilotHealth, this.autopilotHealthPolicy],
      ...this.snapshotPolicies.map((policy) => [policy.nameInput as string, policy] as const),
    ]);
    for (const policy of props.policies) {
      policiesByName.set(
        policy.name,
        new AclPolicy(this, `policy-${policy.name}`, {
          name: policy.name,
          description: policy.description,
          rules: renderAclRules(policy.rules),
          datacenters: [...(policy.datacenters ?? allDatacenters)],
        }),
      );
    }
    props.tokens.forEach((token, index) => {
      this.slottedToken(`token-${index + 1}`, token.rotation, token.retireBelow, {
        description: token.description,
        // Built-in "global-management" is referenced by name; the others through their resource, which
        // orders the token after its policies.
        policies: token.policies.map((name) => policiesByName.get(name)?.name ?? name),
        nodeIdentities: token.nodeIdentities.map((identity) => ({ ...identity })),
        serviceIdentities: token.serviceIdentities.map((identity) => ({
          serviceName: identity.serviceName,
          datacenters: identity.datacenters ? [...identity.datacenters] : undefined,
        })),
        local: token.local || undefined,
      });
    });
  }

  /** One of the federation's own tokens, in the generation of `rotation.tokens`; returns its secret. */
  private federationToken(id: string, config: AclTokenConfig & { readonly description: string }): string {
    // The deploy delivers the federation's own tokens to every node before the last stack: every older one goes.
    const token = this.slottedToken(id, this.tokenRotation, this.tokenRotation, config);
    // One reading per token, whichever slot holds it: the output that carries the secret to other stacks keeps its
    // name across rotations, so that their plans, made before this stack applies a rotation, still find it.
    return this.secretOf(id, token);
  }

  /**
   * A token in the slot of its generation, with the description and accessor ID of that generation (the
   * description as given: escaped here); the other slot is forgotten.
   */
  private slottedToken(
    id: string,
    generation: number,
    retireBelow: number,
    config: AclTokenConfig & { readonly description: string },
  ): AclToken {
    const slot = tokenSlotId(id, generation);
    const token = new AclToken(this, slot, {
      ...config,
      description: terraformLiteral(rotatedDescription(config.description, generation)),
      accessorId: rotatedAccessorId(this.federation, id, generation),
      // From the first rotation on, a counter moved by two would put a new generation into the slot of a live
      // one, replacing it before any node holds the new one: Terraform refuses that plan ("Instance cannot be
      // destroyed"). prevent_destroy holds only while the block is in the configuration: a token of a node or
      // datacenter that leaves the federation is still destroyed.
      ...(generation > 0 ? { lifecycle: { preventDestroy: true } } : {}),
    });
    // A plain construct where the other slot's token would be: its address is the one Terraform forgets.
    const otherSlot = new Construct(this, otherTokenSlotId(id, generation));
    forgetResource(
      TerraformStack.of(this),
      `${AclToken.tfResourceType}.${TerraformStack.of(this).getLogicalId(otherSlot.node)}`,
    );
    if (generation > 0) {
      this.rotated.push(retiredGenerations(this.federation, id, config.description, generation, retireBelow));
    }
    return token;
  }

  private addProxyDefaults(proxyDefaults: ProxyDefaults): void {
    new ConfigEntry(this, "proxy-defaults", {
      kind: "proxy-defaults",
      name: "global",
      configJson: JSON.stringify({
        Config: {
          protocol: proxyDefaults.protocol,
          envoy_prometheus_bind_addr: proxyDefaults.envoyPrometheusBindAddr,
        },
        MeshGateway: { Mode: "local" },
      }),
    });
  }

  private secretOf(id: string, token: AclToken): string {
    return new DataConsulAclTokenSecretId(this, `${id}-secret`, { accessorId: token.accessorId }).secretId;
  }

  private lookup(map: Map<string, string>, key: string, what: string): string {
    const secret = map.get(key);
    if (secret === undefined) throw new Error(`${this.node.path}: no ${what} for "${key}"`);
    return secret;
  }
}
