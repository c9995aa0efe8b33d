import { BACKUP_PATHS, BACKUP_TIMER_UNIT } from "../../domain/backups";
import {
  CONSUL_UNIT,
  ENVOY_ADMIN_FIREWALL_UNIT,
  MESH_GATEWAY_UNIT,
  NODE_PATHS,
  ROOT_UID,
  SYSTEM_USERS,
  SystemUser,
} from "../../domain/node-paths";
import { CONSUL_PORTS, ENVOY_ADMIN_ADDRESS, hostOf, MESH_GATEWAY_PORT, NodeKind, portOf } from "../../domain/ports";
import { CloudConfig } from "../bootstrap/cloud-config";
import { renderEnvironmentFile } from "../bootstrap/environment-file";
import { renderSystemdConfig, SystemdUnit } from "../bootstrap/systemd-unit";

/** What a Consul node runs besides the files it receives: first-boot bootstrap, units, resolver drop-in. */

/** An apt repository and the key its packages are signed with, converged by the apply script. */
export interface AptRepository {
  readonly url: string;
  /** The apt suite; the image's release codename when absent. */
  readonly suite?: string;
  /** Where the signing key is downloaded from (HTTPS). */
  readonly keyUrl: string;
  /** The primary key's fingerprint the download must have. */
  readonly keyFingerprint: string;
}

/** Debian packages of a node and the repositories they come from. */
export interface ConsulNodePackages {
  /** Debian version of HashiCorp's `consul` package, e.g. `1.22.4-1`. */
  readonly consulVersion: string;
  /** Envoy's package (`envoy-1.35`) and, optionally, its exact version (`1.35.6`). */
  readonly envoy: { readonly name: string; readonly version?: string };
  readonly repositories: {
    readonly hashicorp: AptRepository;
    readonly envoy: AptRepository;
  };
}

/**
 * First-boot bootstrap: the host name and the system users with their pinned IDs. Repositories, packages
 * and everything else come with the settings delivery, which converges them on every apply; the user data
 * never changes on a running node (a change would replace the VM, so the instance ignores it).
 */
export function consulNodeCloudConfig(hostname: string, users: readonly SystemUser[]): CloudConfig {
  return {
    hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    // bootcmd runs before the users module: the groups exist with their pinned IDs when the users are made.
    bootcmd: users.map((user) => [
      "sh",
      "-c",
      `getent group ${user.name} >/dev/null || groupadd --system --gid ${user.gid} ${user.name}`,
    ]),
    users: [
      "default",
      ...users.map((user) => ({
        name: user.name,
        system: true,
        uid: user.uid,
        primary_group: user.name,
        no_user_group: true,
        homedir: user.home,
        no_create_home: true,
        shell: "/usr/sbin/nologin",
        lock_passwd: true,
      })),
    ],
  };
}

/**
 * The sandbox both services run in (systemd.exec(5)), each setting checked against what they need:
 * - Nothing runs privileged: every port is above 1024 (DNS is 8600, the mesh port 8443), Consul does not
 *   mlock, so the capability sets are empty and no process may gain more (NoNewPrivileges).
 * - The file system is read-only (ProtectSystem=strict) but for the agent's data directory, which the agent
 *   unit opens with ReadWritePaths (node-apply.sh makes it on every role). A setting that makes either write
 *   elsewhere (`log_file`, `pid_file`, Envoy file access logs) needs its path added here, or the service
 *   fails at start with "read-only file system". Devices are private: `consul connect envoy` starts Envoy
 *   with --disable-hot-restart (command/connect/envoy/exec_unix.go, execEnvoy), so not even /dev/shm is needed.
 * - /tmp is private and writable: `consul connect envoy` hands Envoy its bootstrap through a FIFO in
 *   os.TempDir() (command/connect/envoy/exec_unix.go, makeBootstrapPipe).
 * - Sockets: IP for Consul's and Envoy's ports, Unix for the journal and notify socket, Netlink because Go's
 *   net.Interfaces reads the node's interfaces through it.
 * - UMask 0027: what the agents write (Raft data, their state) is not world-readable.
 */
export const SERVICE_SANDBOX = {
  NoNewPrivileges: true,
  CapabilityBoundingSet: "",
  AmbientCapabilities: "",
  ProtectSystem: "strict",
  ProtectHome: true,
  PrivateTmp: true,
  PrivateDevices: true,
  PrivateMounts: true,
  // Only its own processes in /proc; the node's other processes are none of its business.
  ProtectProc: "invisible",
  RemoveIPC: true,
  ProtectKernelTunables: true,
  ProtectKernelModules: true,
  ProtectKernelLogs: true,
  ProtectControlGroups: true,
  ProtectClock: true,
  ProtectHostname: true,
  RestrictNamespaces: true,
  RestrictRealtime: true,
  RestrictSUIDSGID: true,
  LockPersonality: true,
  SystemCallArchitectures: "native",
  RestrictAddressFamilies: "AF_UNIX AF_INET AF_INET6 AF_NETLINK",
  UMask: "0027",
} as const;

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
      User: SYSTEM_USERS.consul.name,
      Group: SYSTEM_USERS.consul.name,
      ExecStart: `/usr/bin/consul agent -config-file=${NODE_PATHS.agentConfig}`,
      ExecReload: "/bin/kill --signal HUP $MAINPID",
      KillMode: "process",
      KillSignal: "SIGTERM",
      Restart: "on-failure",
      RestartSec: 5,
      LimitNOFILE: 65536,
      ...SERVICE_SANDBOX,
      ReadWritePaths: NODE_PATHS.dataDir,
    },
    Install: { WantedBy: "multi-user.target" },
  };
}

/** `consul connect envoy` for a mesh gateway; per-node addresses come from the EnvironmentFile. */
export function meshGatewayCommand(envoyLogLevel: string): string[] {
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
    envoyLogLevel,
  ];
}

/** nftables' own program; Debian's and Ubuntu's package `nftables` installs it here. */
export const NFT_PROGRAM = "/usr/sbin/nft";
/** The package the apply script installs on a gateway when its image lacks nft. */
export const FIREWALL_PACKAGE = "nftables";
/** The table that holds the rule (its own, so that other rule sets of the node stay as they are). */
export const ENVOY_ADMIN_FIREWALL_TABLE = "consul_envoy_admin";

/** The part of nftables' JSON format (libnftables-json(5)) the admin firewall writes. */
interface NftTable {
  readonly family: "inet";
  readonly name: string;
}
interface NftChain {
  readonly family: "inet";
  readonly table: string;
  readonly name: string;
  readonly type: "filter";
  readonly hook: "output";
  readonly prio: number;
  readonly policy: "accept";
}
type NftOperand =
  | { readonly payload: { readonly protocol: "ip"; readonly field: "daddr" } }
  | { readonly payload: { readonly protocol: "tcp"; readonly field: "dport" } }
  | { readonly meta: { readonly key: "skuid" } };
type NftExpression =
  | {
      readonly match: {
        readonly op: "==" | "!=";
        readonly left: NftOperand;
        readonly right: string | number | { readonly set: readonly (number | string)[] };
      };
    }
  | { readonly reject: { readonly type: "tcp reset" } };
interface NftRule {
  readonly family: "inet";
  readonly table: string;
  readonly chain: string;
  readonly expr: readonly NftExpression[];
}
type NftCommand =
  | { readonly metainfo: { readonly json_schema_version: 1 } }
  | { readonly add: { readonly table: NftTable } | { readonly chain: NftChain } | { readonly rule: NftRule } }
  | { readonly delete: { readonly table: NftTable } };
export interface NftablesRuleset {
  readonly nftables: readonly NftCommand[];
}

/**
 * Envoy's admin interface has no authentication, and its configuration dump shows the bootstrap with the
 * gateway's ACL token. It listens on loopback only, which still lets every local account in: this rule
 * refuses connections to it from any socket not owned by root (the apply script's readiness check) or
 * Envoy's own user (its Prometheus listener reads /stats through the admin port, from inside Envoy).
 * Loading the file again replaces the table whole: add (so that delete finds it), delete, add.
 * The owner match on locally made packets is nftables' `meta skuid` (nft(8), META EXPRESSIONS).
 */
export function envoyAdminFirewall(): NftablesRuleset {
  const address = hostOf(ENVOY_ADMIN_ADDRESS);
  const port = portOf(ENVOY_ADMIN_ADDRESS);
  const table: NftTable = { family: "inet", name: ENVOY_ADMIN_FIREWALL_TABLE };
  const chain = "output";
  return {
    nftables: [
      { metainfo: { json_schema_version: 1 } },
      { add: { table } },
      { delete: { table } },
      { add: { table } },
      {
        add: {
          chain: {
            family: "inet",
            table: table.name,
            name: chain,
            type: "filter",
            hook: "output",
            prio: 0,
            policy: "accept",
          },
        },
      },
      {
        add: {
          rule: {
            family: "inet",
            table: table.name,
            chain,
            expr: [
              { match: { op: "==", left: { payload: { protocol: "ip", field: "daddr" } }, right: address } },
              { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: port } },
              {
                match: {
                  op: "!=",
                  left: { meta: { key: "skuid" } },
                  // Envoy's user by name, resolved when the rule loads: right whatever ID the user got on the image.
                  right: { set: [ROOT_UID, SYSTEM_USERS.envoy.name] },
                },
              },
              { reject: { type: "tcp reset" } },
            ],
          },
        },
      },
    ],
  };
}

/** The command that loads (or loads again, whole) the firewall of Envoy's admin interface. */
const loadEnvoyAdminFirewall = `${NFT_PROGRAM} --json --file ${NODE_PATHS.envoyAdminFirewall}`;

/**
 * Loads the firewall of Envoy's admin interface at boot, whether or not nftables.service runs (Debian's package ships
 * it disabled), after it if it does.
 */
export function envoyAdminFirewallUnit(): SystemdUnit {
  return {
    Unit: {
      Description:
        "Firewall of Envoy's admin interface (root and consul-envoy only), managed by consul-federation-openstack",
      Documentation: "man:nft(8)",
      After: "nftables.service",
      Before: MESH_GATEWAY_UNIT,
    },
    Service: {
      Type: "oneshot",
      RemainAfterExit: true,
      ExecStart: loadEnvoyAdminFirewall,
    },
    Install: { WantedBy: "multi-user.target" },
  };
}

/**
 * A drop-in for nftables.service: its start and reload load /etc/nftables.conf, which usually begins with
 * `flush ruleset`, and its stop flushes the rule set (Debian's unit), each of which would take the firewall of Envoy's
 * admin interface away while Envoy runs on. So the firewall is loaded again after each ("-": a gateway without Envoy
 * yet has no rule file to load; systemd.service(5): ExecStartPost=, ExecReload= add to the unit's list, ExecStopPost=).
 * A rule set loaded outside systemd (`nft -f` by hand, configuration management) still drops it until the next
 * delivery or start of Envoy.
 */
export function nftablesServiceDropIn(): string {
  const load = `-${loadEnvoyAdminFirewall}`;
  return renderSystemdConfig({ Service: { ExecStartPost: load, ExecReload: load, ExecStopPost: load } });
}

export function meshGatewayUnit(envoyLogLevel: string): SystemdUnit {
  return {
    Unit: {
      Description: "Consul mesh gateway (Envoy), managed by consul-federation-openstack",
      Documentation: "https://developer.hashicorp.com/consul/docs/connect/gateways/mesh-gateway",
      Requires: CONSUL_UNIT,
      After: CONSUL_UNIT,
    },
    Service: {
      Type: "simple",
      // Its own user: the CA certificate is all it reads from /etc/consul.d (world-readable, through a directory
      // others may pass but not list); the agent's key and configuration stay the consul group's.
      User: SYSTEM_USERS.envoy.name,
      Group: SYSTEM_USERS.envoy.name,
      EnvironmentFile: NODE_PATHS.gatewayEnvironment,
      // Before every start, as root ("+": no User=, capability or sandbox limits for this one command,
      // systemd.service(5)): the firewall that keeps the admin interface to root and Envoy's user.
      ExecStartPre: `+${loadEnvoyAdminFirewall}`,
      ExecStart: meshGatewayCommand(envoyLogLevel).join(" "),
      Restart: "on-failure",
      RestartSec: 5,
      // One descriptor per connection through the gateway: the default soft limit of 1024 is far too low.
      LimitNOFILE: 65536,
      // Envoy logs to stderr: keep it in the journal.
      StandardOutput: "journal",
      StandardError: "journal",
      ...SERVICE_SANDBOX,
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
  readonly nodeName: string;
  readonly role: NodeKind;
  readonly packages: ConsulNodePackages;
  readonly systemUsers: readonly SystemUser[];
  /** Servers: the node's private address, to find itself in the Raft peer set. */
  readonly privateAddress?: string;
  /** Servers: the ID of the Raft data volume. */
  readonly dataVolumeId?: string;
  /** Gateways: run Envoy (only once Connect is on). */
  readonly startGateway?: boolean;
  /** Servers: run the snapshot timer (scheduled backups); when false, a timer left from before is stopped. */
  readonly snapshotTimer?: boolean;
  /** Wait for a cluster leader even on first start (the last server of a datacenter). */
  readonly waitForLeader?: boolean;
  /** The operator confirmed that ACLs may be turned off (the ACL objects are gone). */
  readonly aclsOffConfirmed: boolean;
  /** Credential files another delivery installs later: empty until then (see node-apply.sh). */
  readonly credentialPlaceholders?: readonly string[];
}

/**
 * The units the node runs, in start order, those it must no longer run, and what a server without backups
 * removes (their credentials, token and program).
 */
function nodeUnits(input: NodeEnvironmentInput): { NODE_UNITS: string; STOP_UNITS?: string; RETIRED_PATHS?: string } {
  if (input.role === "gateway") {
    return input.startGateway
      ? { NODE_UNITS: `${CONSUL_UNIT},${ENVOY_ADMIN_FIREWALL_UNIT},${MESH_GATEWAY_UNIT}` }
      : { NODE_UNITS: CONSUL_UNIT, STOP_UNITS: MESH_GATEWAY_UNIT };
  }
  return input.snapshotTimer
    ? { NODE_UNITS: `${CONSUL_UNIT},${BACKUP_TIMER_UNIT}` }
    : {
        NODE_UNITS: CONSUL_UNIT,
        STOP_UNITS: BACKUP_TIMER_UNIT,
        RETIRED_PATHS: [BACKUP_PATHS.directory, BACKUP_PATHS.program].join(","),
      };
}

/** What the apply script needs to know about its node. */
export function nodeEnvironment(input: NodeEnvironmentInput): string {
  const { envoy, repositories } = input.packages;
  const gateway = input.role === "gateway";
  const aptRepositories = gateway ? (["hashicorp", "envoy"] as const) : (["hashicorp"] as const);
  return renderEnvironmentFile({
    NODE_NAME: input.nodeName,
    NODE_ROLE: input.role,
    SYSTEM_USERS: input.systemUsers.map((u) => [u.name, u.uid, u.gid, u.home].join(":")).join(","),
    APT_REPOSITORIES: aptRepositories.join(","),
    ...Object.fromEntries(
      aptRepositories.flatMap((name) => {
        const repository = repositories[name];
        const prefix = `APT_${name.toUpperCase()}`;
        return [
          [`${prefix}_URL`, repository.url],
          ...(repository.suite ? [[`${prefix}_SUITE`, repository.suite]] : []),
          [`${prefix}_KEY_URL`, repository.keyUrl],
          [`${prefix}_KEY_FINGERPRINT`, repository.keyFingerprint],
        ];
      }),
    ),
    CONSUL_PACKAGE: `consul=${input.packages.consulVersion}`,
    ...(gateway ? { ENVOY_PACKAGE: envoy.version ? `${envoy.name}=${envoy.version}` : envoy.name } : {}),
    ...(input.dataVolumeId ? { DATA_VOLUME_ID: input.dataVolumeId } : {}),
    DATA_DIR: NODE_PATHS.dataDir,
    ...(gateway ? {} : { ACL_BOOTSTRAPPED_MARKER: NODE_PATHS.aclBootstrappedMarker }),
    CONSUL_CONFIG_FILE: NODE_PATHS.agentConfig,
    CONSUL_HTTPS_ADDR: `127.0.0.1:${CONSUL_PORTS.https}`,
    ...(input.privateAddress ? { CONSUL_RPC_ADDR: `${input.privateAddress}:${CONSUL_PORTS.serverRpc}` } : {}),
    CONSUL_CA_FILE: NODE_PATHS.caFile,
    CONSUL_CERT_FILE: NODE_PATHS.certFile,
    ...nodeUnits(input),
    ACLS_OFF_CONFIRMED: input.aclsOffConfirmed ? "yes" : "no",
    ...(input.credentialPlaceholders?.length
      ? { CREDENTIAL_PLACEHOLDERS: input.credentialPlaceholders.join(",") }
      : {}),
    WAIT_FOR_LEADER: input.waitForLeader ? "yes" : "no",
    ...(gateway
      ? {
          ENVOY_ADMIN_ADDR: ENVOY_ADMIN_ADDRESS,
          GATEWAY_ENVIRONMENT_FILE: NODE_PATHS.gatewayEnvironment,
          FIREWALL_PACKAGE,
          FIREWALL_PROGRAM: NFT_PROGRAM,
          FIREWALL_UNIT: ENVOY_ADMIN_FIREWALL_UNIT,
        }
      : {}),
  });
}
