import { AclPolicy } from "@cdktf/provider-consul/lib/acl-policy";
import { AclToken } from "@cdktf/provider-consul/lib/acl-token";
import { AclTokenPolicyAttachment } from "@cdktf/provider-consul/lib/acl-token-policy-attachment";
import { ConfigEntry } from "@cdktf/provider-consul/lib/config-entry";
import { DataConsulAclTokenSecretId } from "@cdktf/provider-consul/lib/data-consul-acl-token-secret-id";
import { Construct } from "constructs";
import { NODE_NAME, PropsValidator } from "../validation";
import { AclRules, dnsRules, meshGatewayRules, renderAclRules, replicationRules } from "./rules";

export interface AclDatacenter {
  readonly name: string;
  readonly serverNodes: readonly string[];
  readonly gatewayNodes: readonly string[];
}

export interface ProxyDefaults {
  /** Default protocol of services (`config.protocol`). */
  readonly protocol: "tcp" | "http" | "http2" | "grpc";
  /** `config.envoy_prometheus_bind_addr`, e.g. `0.0.0.0:9102`; none when undefined. */
  readonly envoyPrometheusBindAddr?: string;
}

export interface CustomAclPolicy {
  readonly name: string;
  readonly description?: string;
  readonly rules: AclRules;
  /** @default every datacenter */
  readonly datacenters?: readonly string[];
}

export interface CustomAclToken {
  readonly description: string;
  /** Names of custom or built-in policies. */
  readonly policies: readonly string[];
  readonly nodeIdentities: readonly { readonly nodeName: string; readonly datacenter: string }[];
  readonly serviceIdentities: readonly { readonly serviceName: string; readonly datacenters?: readonly string[] }[];
  readonly local: boolean;
}

export interface FederationAclsProps {
  readonly primaryDatacenter: string;
  /** Every datacenter, the primary included. */
  readonly datacenters: readonly AclDatacenter[];
  /** Service name the mesh gateways register as. @default "mesh-gateway" */
  readonly gatewayServiceName?: string;
  /** Create the global proxy-defaults entry (mesh gateway mode local) when given. */
  readonly proxyDefaults?: ProxyDefaults;
  /** The operator's own policies (e.g. for Nomad). @default none */
  readonly policies?: readonly CustomAclPolicy[];
  /** The operator's own tokens; their secrets stay in Consul and the state, never in outputs. @default none */
  readonly tokens?: readonly CustomAclToken[];
}

/** Accessor of Consul's built-in anonymous token. */
export const ANONYMOUS_TOKEN_ACCESSOR = "00000000-0000-0000-0000-000000000002";

/**
 * The federation's ACL objects, all created in the primary (global, replicated to secondaries, so
 * they exist before a secondary starts and nothing is ever created by a secondary's own bootstrap):
 * policies for mesh gateways, ACL replication and DNS; one agent token per node (node identity);
 * one mesh-gateway token per gateway; one replication token per secondary.
 */
export class FederationAcls extends Construct {
  readonly meshGatewayPolicy: AclPolicy;
  readonly replicationPolicy: AclPolicy;
  readonly dnsPolicy: AclPolicy;
  private readonly agentSecrets = new Map<string, string>();
  private readonly gatewaySecrets = new Map<string, string>();
  private readonly replicationSecrets = new Map<string, string>();

  constructor(scope: Construct, id: string, props: FederationAclsProps) {
    super(scope, id);
    const serviceName = props.gatewayServiceName ?? "mesh-gateway";
    const names = props.datacenters.map((dc) => dc.name);
    const nodes = props.datacenters.flatMap((dc) => [...dc.serverNodes, ...dc.gatewayNodes]);
    new PropsValidator(this)
      .check(
        names.includes(props.primaryDatacenter),
        "primaryDatacenter",
        `"${props.primaryDatacenter}" is not one of the datacenters`,
      )
      .check(new Set(names).size === names.length, "datacenters", "names must be unique")
      .check(new Set(nodes).size === nodes.length, "datacenters", "node names must be unique across the federation")
      .check(
        nodes.every((node) => NODE_NAME.test(node)),
        "datacenters",
        "node names must be short and without dots",
      )
      .throwIfInvalid();

    const allDatacenters = [...names];
    this.meshGatewayPolicy = new AclPolicy(this, "mesh-gateway-policy", {
      name: "mesh-gateway",
      description: "Mesh gateways of every datacenter (WAN federation)",
      rules: renderAclRules(meshGatewayRules(serviceName)),
      datacenters: allDatacenters,
    });
    this.replicationPolicy = new AclPolicy(this, "replication-policy", {
      name: "acl-replication",
      description: "ACL token replication into secondary datacenters",
      rules: renderAclRules(replicationRules()),
      datacenters: allDatacenters,
    });
    this.dnsPolicy = new AclPolicy(this, "dns-policy", {
      name: "dns-lookups",
      description: "DNS lookups under default_policy = deny (attached to the anonymous token)",
      rules: renderAclRules(dnsRules()),
      datacenters: allDatacenters,
    });
    new AclTokenPolicyAttachment(this, "anonymous-dns", {
      tokenId: ANONYMOUS_TOKEN_ACCESSOR,
      policy: this.dnsPolicy.name,
    });

    for (const dc of props.datacenters) {
      for (const node of [...dc.serverNodes, ...dc.gatewayNodes]) {
        const token = new AclToken(this, `${node}-agent-token`, {
          description: `Agent token of ${node} (${dc.name})`,
          nodeIdentities: [{ nodeName: node, datacenter: dc.name }],
        });
        this.agentSecrets.set(node, this.secretOf(`${node}-agent-token`, token));
      }
      for (const node of dc.gatewayNodes) {
        const token = new AclToken(this, `${node}-gateway-token`, {
          description: `Mesh gateway ${serviceName} on ${node} (${dc.name})`,
          policies: [this.meshGatewayPolicy.name],
        });
        this.gatewaySecrets.set(node, this.secretOf(`${node}-gateway-token`, token));
      }
      if (dc.name !== props.primaryDatacenter) {
        const token = new AclToken(this, `${dc.name}-replication-token`, {
          description: `ACL replication into ${dc.name}`,
          policies: [this.replicationPolicy.name],
        });
        this.replicationSecrets.set(dc.name, this.secretOf(`${dc.name}-replication-token`, token));
      }
    }

    const policiesByName = new Map<string, AclPolicy>([
      ["mesh-gateway", this.meshGatewayPolicy],
      ["acl-replication", this.replicationPolicy],
      ["dns-lookups", this.dnsPolicy],
    ]);
    for (const policy of props.policies ?? []) {
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
    (props.tokens ?? []).forEach((token, index) => {
      new AclToken(this, `token-${index + 1}`, {
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

    if (props.proxyDefaults) {
      new ConfigEntry(this, "proxy-defaults", {
        kind: "proxy-defaults",
        name: "global",
        configJson: JSON.stringify({
          Config: {
            protocol: props.proxyDefaults.protocol,
            ...(props.proxyDefaults.envoyPrometheusBindAddr
              ? { envoy_prometheus_bind_addr: props.proxyDefaults.envoyPrometheusBindAddr }
              : {}),
          },
          MeshGateway: { Mode: "local" },
        }),
      });
    }
  }

  /** The secret of a node's agent token (sensitive). */
  agentTokenSecret(node: string): string {
    return this.lookup(this.agentSecrets, node, "agent token");
  }

  /** The secret of a gateway node's mesh-gateway token (sensitive). */
  gatewayTokenSecret(node: string): string {
    return this.lookup(this.gatewaySecrets, node, "mesh-gateway token");
  }

  /** The secret of a secondary datacenter's replication token (sensitive). */
  replicationTokenSecret(datacenter: string): string {
    return this.lookup(this.replicationSecrets, datacenter, "replication token");
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
