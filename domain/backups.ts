/**
 * Scheduled Raft snapshots: what every datacenter's servers back up, where to, under which names, and
 * what the freshness check says. The schedule is a systemd calendar expression; its period (the longest
 * wait between two runs) decides when the newest snapshot counts as stale.
 */
import type { AclRules } from "./acl-rules";

export const BACKUP_SERVICE_UNIT = "consul-snapshot.service";
export const BACKUP_TIMER_UNIT = "consul-snapshot.timer";

/** Where the backup's settings, credentials and programs live on a server. */
export const BACKUP_PATHS = {
  /** Root-only: the settings (not secret) and the credentials the unit hands its transient user. */
  directory: "/etc/consul-backup",
  environment: "/etc/consul-backup/backup.env",
  /** How to log in to the object storage with the container's application credential (secret). */
  objectStoreLogin: "/etc/consul-backup/object-store-login.json",
  /** The OpenPGP public key snapshots are encrypted to, when one is configured (not secret). */
  encryptionKey: "/etc/consul-backup/encryption-key.asc",
  /** The snapshot token (secret); absent while ACLs are off. */
  snapshotToken: "/etc/consul-backup/snapshot.token",
  /** `consul-snapshot backup|list|restore`: the timer's run and the operator's restore. */
  program: "/usr/local/sbin/consul-snapshot",
} as const;

/** The names the unit's credentials have inside `$CREDENTIALS_DIRECTORY`. */
export const BACKUP_CREDENTIALS = {
  objectStoreLogin: "object-store-login",
  snapshotToken: "snapshot-token",
} as const;

/**
 * The service every server registers with the freshness check: a TTL check that the backup run passes
 * while the newest snapshot in the container is younger than two periods, fails when it is older, and that
 * expires to critical by itself when no run reports at all.
 */
export const SNAPSHOT_CHECK = {
  service: "consul-snapshot",
  checkId: "consul-snapshot-age",
} as const;

/** How many periods old the newest snapshot may be before the freshness check turns critical. */
export const STALE_AFTER_PERIODS = 2;
/**
 * Added to the two periods: a timer elapses up to a minute late (systemd's default AccuracySec) and a run takes
 * a while, so a newest snapshot of exactly two periods must not make the check flap.
 */
export const STALE_SLACK_SECONDS = 300;

/** When the newest snapshot of a schedule with this period counts as stale. */
export function staleAfterSeconds(periodSeconds: number): number {
  return STALE_AFTER_PERIODS * periodSeconds + STALE_SLACK_SECONDS;
}

/**
 * The freshness check's TTL: every run reports, so one period (and the slack) without a report turns it critical.
 * A TTL as long as the stale bound would let a pass reported just before the bound hold for two more periods.
 */
export function freshnessTtlSeconds(periodSeconds: number): number {
  return periodSeconds + STALE_SLACK_SECONDS;
}

/** Snapshots closer together than this would load the leader for little gain. */
export const MINIMUM_BACKUP_PERIOD_SECONDS = 300;

/** The object storage container of a datacenter's snapshots (one per datacenter, made by its stack). */
export function snapshotContainer(datacenter: string): string {
  return `consul-snapshots-${datacenter}`;
}

/**
 * A datacenter's snapshot policy, valid in that datacenter alone: its token cannot snapshot or restore another
 * datacenter (`-datacenter=`), although the policy's `acl = "write"` is global in effect, like replication's.
 */
export function snapshotPolicyName(datacenter: string): string {
  return `consul-snapshots-${datacenter}`;
}

/**
 * What `consul snapshot save` needs: Consul allows snapshots to tokens with `acl = "write"` (the snapshot
 * holds every token, so reading one is as strong as managing ACLs: agent/consul/snapshot_endpoint.go,
 * acl/policy_authorizer.go Snapshot), plus the right to report on its own service's check.
 */
export function snapshotRules(): AclRules {
  return {
    acl: "write",
    service: { [SNAPSHOT_CHECK.service]: { policy: "write" } },
  };
}
