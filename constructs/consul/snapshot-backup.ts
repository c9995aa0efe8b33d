import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  BACKUP_CREDENTIALS,
  BACKUP_PATHS,
  BACKUP_SERVICE_UNIT,
  BACKUP_TIMER_UNIT,
  SNAPSHOT_CHECK,
} from "../../domain/backups";
import { CONSUL_UNIT, NODE_PATHS } from "../../domain/node-paths";
import { CONSUL_PORTS } from "../../domain/ports";
import { renderEnvironmentFile } from "../bootstrap/environment-file";
import { renderSystemdUnit, SystemdUnit } from "../bootstrap/systemd-unit";
import type { DeliveredFile } from "../compute/ssh-file-delivery";
import type { ConsulServiceDefinition } from "./agent-config";
import { nodeFile } from "./node-files";
import { SERVICE_SANDBOX } from "./system-files";

const SCRIPT_SOURCE = readFileSync(join(__dirname, "files", "consul-snapshot.sh"), "utf8");

/** Scheduled snapshots of a server's datacenter (see domain/backups.ts). */
export interface SnapshotBackupProps {
  /** When the timer runs: a systemd calendar expression (OnCalendar=). */
  readonly schedule: string;
  /** The freshness check turns critical once the newest snapshot is older than this. */
  readonly staleAfterSeconds: number;
  /** The freshness check turns critical when no run has reported for this long. */
  readonly checkTtlSeconds: number;
  /** How many snapshots the container keeps. */
  readonly retain: number;
  /** The container of the datacenter's snapshots. */
  readonly container: string;
  /** How to log in to the object storage (sensitive JSON: Keystone's request, the catalog, the region). */
  readonly objectStoreLogin: string;
  /** An ASCII-armored OpenPGP public key: snapshots are encrypted to it before they leave the server. */
  readonly encryptionKey?: string;
  /** ACLs are on: the unit loads the snapshot token and does not start without it. */
  readonly aclsEnabled: boolean;
  /**
   * The snapshot token (sensitive) when this node's settings carry it; absent when ACLs are off or another
   * delivery installs it (the primary's servers, whose token the ACL stack makes after them).
   */
  readonly snapshotToken?: string;
}

/**
 * The token file when the unit loads it (ACLs on) but another delivery installs it: an empty placeholder until
 * then, since systemd does not start a unit whose credential file is missing.
 */
export function snapshotTokenPlaceholder(props: SnapshotBackupProps): string[] {
  return props.aclsEnabled && props.snapshotToken === undefined ? [BACKUP_PATHS.snapshotToken] : [];
}

/** The token file the backup unit loads, for a delivery that installs it. */
export function snapshotTokenFile(secret: string): DeliveredFile {
  return nodeFile.installed("snapshot.token", BACKUP_PATHS.snapshotToken, secret, { mode: "0600" });
}

/**
 * The backup's unit: runs as a transient user that holds nothing of the node (DynamicUser) and gets the two
 * root-only credentials from systemd (LoadCredential, systemd 247 and later), in the agents' sandbox.
 */
export function snapshotServiceUnit(aclsEnabled: boolean): SystemdUnit {
  return {
    Unit: {
      Description: "Consul snapshot to object storage, managed by consul-federation-openstack",
      Documentation: "https://developer.hashicorp.com/consul/commands/snapshot/save",
      Wants: "network-online.target",
      After: ["network-online.target", CONSUL_UNIT],
    },
    Service: {
      Type: "oneshot",
      DynamicUser: true,
      ExecStart: `${BACKUP_PATHS.program} backup`,
      LoadCredential: [
        `${BACKUP_CREDENTIALS.objectStoreLogin}:${BACKUP_PATHS.objectStoreLogin}`,
        ...(aclsEnabled ? [`${BACKUP_CREDENTIALS.snapshotToken}:${BACKUP_PATHS.snapshotToken}`] : []),
      ],
      // A snapshot of a large datacenter takes a while to save and upload; a hung run must not last forever.
      TimeoutStartSec: "30min",
      ...SERVICE_SANDBOX,
      // The snapshot (every secret of the datacenter) is readable by this run alone.
      UMask: "0077",
    },
  };
}

export function snapshotTimerUnit(schedule: string): SystemdUnit {
  return {
    Unit: {
      Description: "Scheduled Consul snapshots, managed by consul-federation-openstack",
    },
    Timer: {
      OnCalendar: schedule,
      // A run missed while the node was down runs when it is back.
      Persistent: true,
    },
    Install: { WantedBy: "timers.target" },
  };
}

/** The service every server registers for the freshness check, with its TTL check. */
export function snapshotCheckService(datacenter: string, props: SnapshotBackupProps): ConsulServiceDefinition {
  return {
    id: SNAPSHOT_CHECK.service,
    name: SNAPSHOT_CHECK.service,
    checks: [
      {
        id: SNAPSHOT_CHECK.checkId,
        name: `Newest snapshot of ${datacenter} younger than ${props.staleAfterSeconds}s`,
        notes: `${BACKUP_TIMER_UNIT} reports on every run: critical when the newest snapshot in the container is older than ${props.staleAfterSeconds}s, or when no run has reported for ${props.checkTtlSeconds}s`,
        ttl: `${props.checkTtlSeconds}s`,
      },
    ],
  };
}

/** The files a server needs for scheduled snapshots. */
export function snapshotBackupFiles(
  props: SnapshotBackupProps,
  node: { datacenter: string; privateAddress: string },
): DeliveredFile[] {
  const restartsTimer = { restarts: [BACKUP_TIMER_UNIT] };
  return [
    nodeFile.installed("consul-snapshot", BACKUP_PATHS.program, SCRIPT_SOURCE, { mode: "0755" }),
    nodeFile.installed(
      "backup.env",
      BACKUP_PATHS.environment,
      renderEnvironmentFile({
        DATACENTER: node.datacenter,
        CONTAINER: props.container,
        RETAIN: props.retain,
        STALE_AFTER_SECONDS: props.staleAfterSeconds,
        CHECK_ID: SNAPSHOT_CHECK.checkId,
        CONSUL_HTTPS_ADDR: `127.0.0.1:${CONSUL_PORTS.https}`,
        CONSUL_CA_FILE: NODE_PATHS.caFile,
        // Only the leader's run takes a snapshot: it finds itself by its Raft address.
        CONSUL_RPC_ADDR: `${node.privateAddress}:${CONSUL_PORTS.serverRpc}`,
        OBJECT_STORE_LOGIN_FILE: BACKUP_PATHS.objectStoreLogin,
        SNAPSHOT_TOKEN_FILE: BACKUP_PATHS.snapshotToken,
        // With ACLs on, a run without the snapshot token stops at once and says where it comes from.
        ACLS_ENABLED: props.aclsEnabled ? "yes" : "no",
        ...(props.encryptionKey ? { ENCRYPT_TO: BACKUP_PATHS.encryptionKey } : {}),
      }),
    ),
    // Named without .json: what reviewers see is the Terraform expression that renders the JSON.
    nodeFile.installed("object-store-login", BACKUP_PATHS.objectStoreLogin, props.objectStoreLogin, {
      mode: "0600",
    }),
    ...(props.snapshotToken ? [snapshotTokenFile(props.snapshotToken)] : []),
    ...(props.encryptionKey
      ? [nodeFile.installed("encryption-key.asc", BACKUP_PATHS.encryptionKey, props.encryptionKey)]
      : []),
    nodeFile.installed(
      BACKUP_SERVICE_UNIT,
      `/etc/systemd/system/${BACKUP_SERVICE_UNIT}`,
      renderSystemdUnit(snapshotServiceUnit(props.aclsEnabled)),
    ),
    nodeFile.installed(
      BACKUP_TIMER_UNIT,
      `/etc/systemd/system/${BACKUP_TIMER_UNIT}`,
      renderSystemdUnit(snapshotTimerUnit(props.schedule)),
      restartsTimer,
    ),
  ];
}
