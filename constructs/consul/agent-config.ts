import { NODE_PATHS } from "../../domain/node-paths";
import { CONSUL_PORTS } from "../../domain/ports";

/**
 * The Consul agent configuration as a typed object, rendered to JSON. Field names are Consul's own
 * (snake_case) so that the rendered file reads like Consul's documentation.
 */

export interface ConsulTlsSettings {
  readonly ca_file: string;
  readonly cert_file?: string;
  readonly key_file?: string;
  readonly verify_incoming?: boolean;
  readonly verify_outgoing?: boolean;
  readonly verify_server_hostname?: boolean;
  readonly use_auto_cert?: boolean;
}

export interface ConsulAclTokens {
  readonly initial_management?: string;
  readonly agent?: string;
  readonly replication?: string;
  readonly dns?: string;
  readonly default?: string;
  /** Registers the services and checks of this file (Consul 1.15 and later). */
  readonly config_file_service_registration?: string;
}

/** A service of the configuration file with its checks (Consul's service definition, JSON names). */
export interface ConsulServiceDefinition {
  readonly id: string;
  readonly name: string;
  readonly checks: readonly {
    readonly id: string;
    readonly name: string;
    readonly notes: string;
    /** A TTL check: critical unless something reports within this time (e.g. `7200s`). */
    readonly ttl: string;
  }[];
}

export interface ConsulAclSettings {
  readonly enabled: boolean;
  readonly default_policy: "allow" | "deny";
  readonly down_policy: "allow" | "deny" | "extend-cache" | "async-cache";
  readonly enable_token_persistence: boolean;
  readonly enable_token_replication?: boolean;
  readonly tokens?: ConsulAclTokens;
}

export interface ConsulAgentConfig {
  readonly datacenter: string;
  readonly primary_datacenter: string;
  readonly node_name: string;
  readonly domain: string;
  readonly data_dir: string;
  readonly log_level: string;
  readonly server: boolean;
  readonly bootstrap_expect?: number;
  readonly bind_addr: string;
  readonly advertise_addr: string;
  /**
   * Gateways only. Servers keep the default (their private address): with WAN federation over mesh gateways,
   * WAN gossip between servers of one datacenter goes straight to each member's WAN address (other
   * datacenters are reached through the gateways), and a floating IP would hairpin through the router with
   * a public source address that the servers' security group drops.
   */
  readonly advertise_addr_wan?: string;
  readonly translate_wan_addrs: boolean;
  readonly client_addr: string;
  readonly retry_join: readonly string[];
  readonly encrypt: string;
  readonly encrypt_verify_incoming: boolean;
  readonly encrypt_verify_outgoing: boolean;
  readonly leave_on_terminate?: boolean;
  readonly tls: {
    readonly defaults: ConsulTlsSettings;
    readonly internal_rpc: { readonly verify_incoming?: boolean; readonly verify_server_hostname: boolean };
    readonly https: { readonly verify_incoming: boolean };
    readonly grpc: { readonly verify_incoming: boolean; readonly use_auto_cert?: boolean };
  };
  readonly ports: {
    readonly http: number;
    readonly https: number;
    readonly grpc: number;
    readonly grpc_tls: number;
    readonly dns: number;
  };
  readonly ui_config: { readonly enabled: boolean };
  readonly alt_domain?: string;
  readonly recursors?: readonly string[];
  readonly dns_config: { readonly enable_truncate: boolean; readonly a_record_limit: number };
  readonly performance?: { readonly raft_multiplier: number };
  readonly telemetry?: { readonly prometheus_retention_time: string; readonly disable_hostname: boolean };
  readonly connect?: { readonly enabled: boolean; readonly enable_mesh_gateway_wan_federation?: boolean };
  readonly primary_gateways?: readonly string[];
  readonly acl?: ConsulAclSettings;
  readonly services?: readonly ConsulServiceDefinition[];
}

/** Production settings of every agent; each is a field of the federation configuration. */
export interface AgentSettings {
  readonly logLevel: string;
  readonly raftMultiplier: number;
  readonly ui: boolean;
  readonly prometheusRetentionTime: string;
  readonly disableHostname: boolean;
  readonly leaveOnTerminate: boolean;
  readonly altDomain?: string;
  readonly recursors: readonly string[];
  readonly enableTruncate: boolean;
  readonly aRecordLimit: number;
}

export interface CommonAgentInput {
  readonly datacenter: string;
  readonly primaryDatacenter: string;
  readonly nodeName: string;
  readonly domain: string;
  /** The node's fixed private address, advertised inside the datacenter (NAT: the private side). */
  readonly privateAddress: string;
  /** Fixed addresses of the datacenter's servers. */
  readonly retryJoin: readonly string[];
  /** Gossip encryption key (base64, 32 bytes): a secret. */
  readonly gossipKey: string;
  readonly settings: AgentSettings;
  readonly connect: boolean;
  readonly acl?: ConsulAclSettings;
}

function commonSettings(input: CommonAgentInput) {
  const { settings } = input;
  return {
    datacenter: input.datacenter,
    primary_datacenter: input.primaryDatacenter,
    node_name: input.nodeName,
    domain: input.domain,
    data_dir: NODE_PATHS.dataDir,
    log_level: settings.logLevel,
    bind_addr: "0.0.0.0",
    // The address is fixed at synth: no template that depends on what the guest calls its interface.
    advertise_addr: input.privateAddress,
    translate_wan_addrs: true,
    client_addr: "127.0.0.1",
    retry_join: [...input.retryJoin],
    encrypt: input.gossipKey,
    encrypt_verify_incoming: true,
    encrypt_verify_outgoing: true,
    ports: { http: -1, https: CONSUL_PORTS.https, grpc: -1, grpc_tls: CONSUL_PORTS.grpcTls, dns: CONSUL_PORTS.dns },
    ...(settings.altDomain ? { alt_domain: settings.altDomain } : {}),
    ...(settings.recursors.length > 0 ? { recursors: [...settings.recursors] } : {}),
    dns_config: { enable_truncate: settings.enableTruncate, a_record_limit: settings.aRecordLimit },
    telemetry: {
      prometheus_retention_time: settings.prometheusRetentionTime,
      disable_hostname: settings.disableHostname,
    },
  };
}

export interface ServerAgentInput extends CommonAgentInput {
  readonly serverCount: number;
  /** Secondaries only: the primary's gateways, `<floating ip>:8443`. */
  readonly primaryGateways?: readonly string[];
  /** Services the server registers from its configuration file (the snapshot freshness check). */
  readonly services?: readonly ConsulServiceDefinition[];
}

export function serverAgentConfig(input: ServerAgentInput): ConsulAgentConfig {
  return {
    ...commonSettings(input),
    // Servers answer the API and DNS for operators and the local gateways, so they listen on all
    // interfaces; the security groups decide who reaches them.
    client_addr: "0.0.0.0",
    ui_config: { enabled: input.settings.ui },
    performance: { raft_multiplier: input.settings.raftMultiplier },
    server: true,
    bootstrap_expect: input.serverCount,
    tls: {
      defaults: {
        ca_file: NODE_PATHS.caFile,
        cert_file: NODE_PATHS.certFile,
        key_file: NODE_PATHS.keyFile,
        verify_incoming: true,
        verify_outgoing: true,
      },
      internal_rpc: { verify_incoming: true, verify_server_hostname: true },
      // The API is protected by ACL tokens and reachable from admin CIDRs only; clients present no certificate.
      https: { verify_incoming: false },
      grpc: { verify_incoming: false },
    },
    ...(input.connect
      ? {
          // No auto_encrypt.allow_tls: every agent of this design (servers, gateways) has its certificate from
          // the federation CA, and a server that signs certificates for any client that asks only widens what a
          // stolen gossip key and token can do.
          connect: { enabled: true, enable_mesh_gateway_wan_federation: true },
          ...(input.primaryGateways ? { primary_gateways: [...input.primaryGateways] } : {}),
        }
      : {}),
    ...(input.acl ? { acl: input.acl } : {}),
    ...(input.services && input.services.length > 0 ? { services: input.services } : {}),
  };
}

export interface GatewayAgentInput extends CommonAgentInput {
  /** The floating IP: what other datacenters reach (NAT: the public side). */
  readonly wanAddress: string;
}

export function gatewayAgentConfig(input: GatewayAgentInput): ConsulAgentConfig {
  return {
    ...commonSettings(input),
    advertise_addr_wan: input.wanAddress,
    // Gateways serve no UI: their API listens on loopback for the local Envoy only.
    ui_config: { enabled: false },
    server: false,
    leave_on_terminate: input.settings.leaveOnTerminate,
    // The gateway's own certificate from the federation CA, not auto_encrypt: auto_encrypt certificates
    // come from the Connect CA, which Envoy's -ca-file (the federation CA) cannot verify, and which a
    // secondary datacenter only has once WAN federation runs (the mesh stage).
    tls: {
      defaults: {
        ca_file: NODE_PATHS.caFile,
        cert_file: NODE_PATHS.certFile,
        key_file: NODE_PATHS.keyFile,
        verify_incoming: false,
        verify_outgoing: true,
      },
      internal_rpc: { verify_server_hostname: true },
      https: { verify_incoming: false },
      grpc: { verify_incoming: false },
    },
    ...(input.connect ? { connect: { enabled: true } } : {}),
    ...(input.acl ? { acl: input.acl } : {}),
  };
}

/** Every dotted key path of a rendered configuration (for checking against Consul's accepted keys). */
export function configKeyPaths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...configKeyPaths(child, path)];
  });
}
