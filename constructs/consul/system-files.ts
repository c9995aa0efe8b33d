import { CONSUL_UNIT, MESH_GATEWAY_UNIT, NODE_PATHS } from "../../domain/node-paths";
import { CONSUL_PORTS, ENVOY_ADMIN_ADDRESS, MESH_GATEWAY_PORT, NodeKind } from "../../domain/ports";
import { CloudConfig, CloudConfigAptSource } from "../bootstrap/cloud-config";
import { renderEnvironmentFile } from "../bootstrap/environment-file";
import { renderSystemdConfig, SystemdUnit } from "../bootstrap/systemd-unit";

/** What a Consul node runs besides the files it receives: first-boot bootstrap, units, resolver drop-in. */

/** Debian packages of a node and the repositories they come from. */
export interface ConsulNodePackages {
  /** Debian version of HashiCorp's `consul` package, e.g. `1.22.4-1`. */
  readonly consulVersion: string;
  /** Envoy's package (`envoy-1.35`) and, optionally, its exact version (`1.35.6`). */
  readonly envoy: { readonly name: string; readonly version?: string };
  readonly repositories: {
    readonly hashicorp: CloudConfigAptSource;
    readonly envoy: CloudConfigAptSource;
  };
}

/**
 * First-boot bootstrap: repositories, pinned packages and the `consul` user. Nothing here changes
 * with Consul settings, so it never needs to change on a running node; the apply script converges
 * package versions in place when they do change.
 */
export function consulNodeCloudConfig(role: NodeKind, hostname: string, packages: ConsulNodePackages): CloudConfig {
  const envoy = packages.envoy.version ? ([packages.envoy.name, packages.envoy.version] as const) : packages.envoy.name;
  return {
    hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    users: [
      "default",
      { name: "consul", system: true, homedir: NODE_PATHS.dataDir, shell: "/usr/sbin/nologin", lock_passwd: true },
    ],
    package_update: true,
    apt: {
      sources: {
        hashicorp: packages.repositories.hashicorp,
        ...(role === "gateway" ? { envoy: packages.repositories.envoy } : {}),
      },
    },
    packages: [["consul", packages.consulVersion], ...(role === "gateway" ? [envoy] : []), "curl"],
  };
}

export function consulUnit(role: NodeKind): SystemdUnit {
  return {
    Unit: {
      Description: `Consul agent (${role}), managed by consul-federation-openstack`,
      Documentation: "https://developer.hashicorp.com/consul/docs/agent",
      Wants: "network-online.target",
      After: "network-online.target",
      ConditionFileNotEmpty: NODE_PATHS.agentConfig,
      ...(role === "server" ? { RequiresMountsFor: NODE_PATHS.dataDir } : {}),
    },
    Service: {
      Type: "notify",
      User: "consul",
      Group: "consul",
      ExecStart: `/usr/bin/consul agent -config-file=${NODE_PATHS.agentConfig}`,
      ExecReload: "/bin/kill --signal HUP $MAINPID",
      KillMode: "process",
      KillSignal: "SIGTERM",
      Restart: "on-failure",
      RestartSec: 5,
      LimitNOFILE: 65536,
    },
    Install: { WantedBy: "multi-user.target" },
  };
}

/** `consul connect envoy` for a mesh gateway; per-node addresses come from the EnvironmentFile. */
export function meshGatewayCommand(): string[] {
  const https = `https://127.0.0.1:${CONSUL_PORTS.https}`;
  return [
    "/usr/bin/consul",
    "connect",
    "envoy",
    "-gateway=mesh",
    "-register",
    "-service",
    "${GATEWAY_SERVICE}",
    "-address",
    `\${LAN_ADDRESS}:${MESH_GATEWAY_PORT}`,
    "-wan-address",
    `\${WAN_ADDRESS}:${MESH_GATEWAY_PORT}`,
    // Lets secondary servers reach this datacenter's servers through the gateway (WAN federation).
    "-expose-servers",
    "-http-addr",
    https,
    "-ca-file",
    NODE_PATHS.caFile,
    "-grpc-addr",
    `https://127.0.0.1:${CONSUL_PORTS.grpcTls}`,
    "-grpc-ca-file",
    NODE_PATHS.caFile,
    "-admin-bind",
    ENVOY_ADMIN_ADDRESS,
    "--",
    "--log-level",
    "debug",
  ];
}

export function meshGatewayUnit(): SystemdUnit {
  return {
    Unit: {
      Description: "Consul mesh gateway (Envoy), managed by consul-federation-openstack",
      Documentation: "https://developer.hashicorp.com/consul/docs/connect/gateways/mesh-gateway",
      Requires: CONSUL_UNIT,
      After: CONSUL_UNIT,
    },
    Service: {
      Type: "simple",
      User: "consul",
      Group: "consul",
      EnvironmentFile: NODE_PATHS.gatewayEnvironment,
      ExecStart: meshGatewayCommand().join(" "),
      Restart: "on-failure",
      RestartSec: 5,
      // Envoy's debug log goes to stderr: keep it in the journal.
      StandardOutput: "journal",
      StandardError: "journal",
    },
    Install: { WantedBy: "multi-user.target" },
  };
}

/**
 * A systemd-resolved drop-in that sends the Consul domain(s), and only them, to the local agent's DNS
 * port. Ubuntu and Debian cloud images resolve through systemd-resolved; Consul does not sign answers.
 */
export function consulDnsForwarding(domains: readonly string[]): string {
  return renderSystemdConfig({
    Resolve: {
      DNS: `127.0.0.1:${CONSUL_PORTS.dns}`,
      DNSSEC: false,
      Domains: domains.map((domain) => `~${domain}`).join(" "),
    },
  });
}

export interface NodeEnvironmentInput {
  readonly role: NodeKind;
  readonly packages: ConsulNodePackages;
  /** The data volume's device (servers). */
  readonly dataDevice?: string;
  /** Gateways: run Envoy (only once Connect is on). */
  readonly startGateway?: boolean;
  /** Wait for a cluster leader even on first start (the last server of a datacenter). */
  readonly waitForLeader?: boolean;
}

/** What the apply script needs to know about its node. */
export function nodeEnvironment(input: NodeEnvironmentInput): string {
  const { envoy } = input.packages;
  return renderEnvironmentFile({
    NODE_ROLE: input.role,
    CONSUL_PACKAGE: `consul=${input.packages.consulVersion}`,
    ...(input.role === "gateway"
      ? { ENVOY_PACKAGE: envoy.version ? `${envoy.name}=${envoy.version}` : envoy.name }
      : {}),
    ...(input.dataDevice ? { DATA_DEVICE: input.dataDevice } : {}),
    DATA_DIR: NODE_PATHS.dataDir,
    CONSUL_CONFIG_FILE: NODE_PATHS.agentConfig,
    CONSUL_HTTPS_ADDR: `127.0.0.1:${CONSUL_PORTS.https}`,
    CONSUL_CA_FILE: NODE_PATHS.caFile,
    NODE_UNITS: input.role === "gateway" && input.startGateway ? `${CONSUL_UNIT},${MESH_GATEWAY_UNIT}` : CONSUL_UNIT,
    WAIT_FOR_LEADER: input.waitForLeader ? "yes" : "no",
    ...(input.role === "gateway" ? { ENVOY_ADMIN_ADDR: ENVOY_ADMIN_ADDRESS } : {}),
  });
}
