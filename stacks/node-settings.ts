import type { FederationConfig } from "../config/schema";
import { calendarPeriod } from "../domain/calendar";
import { freshnessTtlSeconds, staleAfterSeconds } from "../domain/backups";
import type { StageSettings } from "../domain/stages";
import type { AgentSettings, ConsulAclSettings, ConsulAclTokens } from "../constructs/consul/agent-config";
import type { AptRepository, ConsulNodePackages } from "../constructs/consul/system-files";
import type { CertificateValidity } from "../constructs/tls/certificate-authority";

/** What the configuration says every node runs: agent settings, packages, the agents' `acl` block. */

export function agentSettings(federation: FederationConfig): AgentSettings {
  const { agent, dns, altDomain } = federation.consul;
  return {
    logLevel: agent.logLevel,
    raftMultiplier: agent.raftMultiplier,
    ui: agent.ui,
    prometheusRetentionTime: agent.prometheusRetentionTime,
    disableHostname: agent.disableHostname,
    leaveOnTerminate: agent.leaveOnTerminate,
    altDomain,
    recursors: dns.recursors,
    enableTruncate: dns.enableTruncate,
    aRecordLimit: dns.aRecordLimit,
  };
}

type RepositoryConfig = FederationConfig["packages"]["hashicorp"];

/** `$RELEASE` (the configuration's default, as cloud-init spells it) is the image's release codename. */
function aptRepository(repository: RepositoryConfig): AptRepository {
  return {
    url: repository.url,
    ...(repository.suite === "$RELEASE" ? {} : { suite: repository.suite }),
    keyUrl: repository.keyUrl,
    keyFingerprint: repository.keyFingerprint,
  };
}

/** Debian packages and repositories from the federation's versions and repository settings. */
export function nodePackages(federation: FederationConfig): ConsulNodePackages {
  const { hashicorp, envoy } = federation.packages;
  const [major, minor, patch] = federation.envoy.version.split(".");
  return {
    consulVersion: `${federation.consul.version}-1`,
    envoy: { name: `envoy-${major}.${minor}`, version: patch === undefined ? undefined : federation.envoy.version },
    repositories: { hashicorp: aptRepository(hashicorp), envoy: aptRepository(envoy) },
  };
}

/** The agent's `acl` block at a stage, with the tokens it starts with; none before ACLs are on. */
export function aclSettings(
  federation: FederationConfig,
  stage: StageSettings,
  tokens: ConsulAclTokens,
  enableTokenReplication: boolean,
): ConsulAclSettings | undefined {
  if (!stage.acl) return undefined;
  return {
    enabled: true,
    default_policy: stage.defaultPolicy,
    down_policy: federation.consul.agent.aclDownPolicy,
    enable_token_persistence: federation.consul.agent.aclTokenPersistence,
    ...(enableTokenReplication ? { enable_token_replication: true } : {}),
    ...(Object.keys(tokens).length > 0 ? { tokens } : {}),
  };
}

/** How long agent certificates live and when they are issued again, from `tls`. */
export function certificateValidity(federation: FederationConfig): CertificateValidity {
  return { hours: federation.tls.certificateValidityDays * 24, renewBeforeHours: federation.tls.renewBeforeDays * 24 };
}

/** How long the CA's certificate lives; it is issued again (the same key) in the same window as the others. */
export function caCertificateValidity(federation: FederationConfig): CertificateValidity {
  return { hours: federation.tls.caValidityDays * 24, renewBeforeHours: federation.tls.renewBeforeDays * 24 };
}

/** When snapshots run, how many the container keeps, when the newest counts as stale, whom they are encrypted to. */
export function backupSchedule(federation: FederationConfig): {
  schedule: string;
  retain: number;
  staleAfterSeconds: number;
  checkTtlSeconds: number;
  encryptionKey?: string;
} {
  const { schedule, retain, encryptionKey } = federation.backups;
  const period = calendarPeriod(schedule);
  // The schema refused every schedule without a period.
  if (!period.ok) throw new Error(`backups.schedule: ${period.problem}`);
  return {
    schedule,
    retain,
    staleAfterSeconds: staleAfterSeconds(period.seconds),
    checkTtlSeconds: freshnessTtlSeconds(period.seconds),
    encryptionKey,
  };
}
