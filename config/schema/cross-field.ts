import type { core } from "zod";
import { BUILT_IN_POLICIES } from "../../domain/acl-rules";
import { snapshotPolicyName } from "../../domain/backups";
import { consulReleaseProblem, envoyCompatibilityProblem } from "../../domain/compatibility";
import { cidrsOverlap, Ipv4Cidr, parseIpv4Cidr } from "../../domain/ipv4";
import { ADDRESS_PLAN } from "../../domain/layout";
import { DNS_LABEL, gatewayNodeName, serverNodeName, stackNames } from "../../domain/names";
import { serverNodeDnsName } from "../../domain/sans";
import { asRecord, ENVOY_VERSION, SEMVER } from "./primitives";

/**
 * Checks that span several fields. They run even when other fields are invalid, so that one run reports
 * every problem; hence the defensive reads of values that may not match the schema.
 */

type Ctx = core.$RefinementCtx<unknown>;
type Document = Record<string, unknown>;

function problem(ctx: Ctx, path: (string | number)[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

const datacentersOf = (config: Document) => (Array.isArray(config.datacenters) ? config.datacenters.map(asRecord) : []);

export function crossFieldChecks(raw: unknown, ctx: Ctx): void {
  const config = asRecord(raw);
  checkPrimary(config, ctx);
  checkDatacenterNames(config, ctx);
  checkDerivedNames(config, ctx);
  checkReplaceableNodes(config, ctx);
  checkDecommissions(config, ctx);
  checkDomains(config, ctx);
  checkNetworks(config, ctx);
  checkAclReferences(config, ctx);
  checkState(config, ctx);
  checkVersions(config, ctx);
}

/** Exactly one datacenter is the primary. */
function checkPrimary(config: Document, ctx: Ctx): void {
  const datacenters = datacentersOf(config);
  const primaries = datacenters.flatMap((dc, index) => (dc.primary === true ? [index] : []));
  if (datacenters.length > 0 && primaries.length === 0) {
    problem(ctx, ["datacenters"], "no datacenter is the primary (set primary: true on exactly one)");
  }
  for (const index of primaries.slice(1)) {
    problem(
      ctx,
      ["datacenters", index, "primary"],
      `a second primary (datacenters[${primaries[0]}] is already the primary; set primary: false here)`,
    );
  }
}

function checkDatacenterNames(config: Document, ctx: Ctx): void {
  const firstIndexByName = new Map<unknown, number>();
  datacentersOf(config).forEach((dc, index) => {
    if (typeof dc.name !== "string") return;
    const first = firstIndexByName.get(dc.name);
    if (first === undefined) {
      firstIndexByName.set(dc.name, index);
    } else {
      problem(
        ctx,
        ["datacenters", index, "name"],
        `duplicate datacenter name "${dc.name}" (already used by datacenters[${first}]; give each datacenter its own name)`,
      );
    }
  });
}

/**
 * Every name derived from a datacenter's name stays valid: its stacks collide with none of the primary's,
 * its node names are DNS labels, and the names servers are dialed by fit DNS.
 */
function checkDerivedNames(config: Document, ctx: Ctx): void {
  const datacenters = datacentersOf(config);
  const primary = datacenters.find((dc) => dc.primary === true)?.name;
  const consul = asRecord(config.consul);
  const domain = typeof consul.domain === "string" ? consul.domain : "consul";
  datacenters.forEach((dc, index) => {
    if (typeof dc.name !== "string" || !DNS_LABEL.test(dc.name)) return;
    const path = ["datacenters", index, "name"];
    if (typeof primary === "string" && dc.name !== primary) {
      const names = stackNames(primary);
      for (const [taken, what] of [
        [names.primaryAcl, "ACL"],
        [names.primaryGateways, "gateways"],
        [names.primaryKeyring, "keyring"],
      ]) {
        if (dc.name === taken) {
          problem(
            ctx,
            path,
            `"${dc.name}" is the name of the primary's ${what} stack (choose another datacenter name)`,
          );
        }
      }
    }
    const count = (kind: "servers" | "gateways") => {
      const value = asRecord(dc[kind]).count;
      return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : 1;
    };
    // The longest node name first: its bound is the one the datacenter's name must keep.
    const nodes = [serverNodeName(dc.name, count("servers") - 1), gatewayNodeName(dc.name, count("gateways") - 1)].sort(
      (x, y) => y.length - x.length,
    );
    for (const node of nodes) {
      if (!DNS_LABEL.test(node)) {
        problem(
          ctx,
          path,
          `is too long: its node ${node} would have ${node.length} characters, more than a DNS name part may (63; use a datacenter name of at most ${63 - (node.length - dc.name.length)})`,
        );
        return;
      }
      const dialed = serverNodeDnsName({ nodeName: node, datacenter: dc.name, domain });
      if (dialed.length > 253) {
        problem(
          ctx,
          path,
          `is too long: servers would be dialed as ${dialed}, more than the 253 characters of a DNS name`,
        );
        return;
      }
    }
  });
}

/** The nodes a datacenter lets be replaced exist, and quorum survives: one server at a time. */
function checkReplaceableNodes(config: Document, ctx: Ctx): void {
  datacentersOf(config).forEach((dc, index) => {
    if (typeof dc.name !== "string" || !Array.isArray(dc.replaceNodes)) return;
    const count = (kind: "servers" | "gateways") => {
      const value = asRecord(dc[kind]).count;
      // Counts the schema refuses (too many) name no nodes.
      const max = kind === "servers" ? ADDRESS_PLAN.maxServers : ADDRESS_PLAN.maxGateways;
      return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= max ? value : 0;
    };
    const servers = Array.from({ length: count("servers") }, (_, i) => serverNodeName(dc.name as string, i));
    const gateways = Array.from({ length: count("gateways") }, (_, i) => gatewayNodeName(dc.name as string, i));
    dc.replaceNodes.forEach((node, i) => {
      if (![...servers, ...gateways].includes(node as string)) {
        problem(
          ctx,
          ["datacenters", index, "replaceNodes", i],
          `"${String(node)}" is not a node of ${dc.name} (use one of ${[...servers, ...gateways].join(", ")})`,
        );
      }
    });
    if (dc.replaceNodes.filter((node) => servers.includes(node as string)).length > 1) {
      problem(
        ctx,
        ["datacenters", index, "replaceNodes"],
        "lists more than one server (replace one server at a time, so that Raft keeps its quorum)",
      );
    }
  });
}

/**
 * A datacenter may be decommissioned only where nothing is lost that cannot be had again: never the primary
 * (it holds the CA, the ACL system and every token, and Consul cannot hand the primary role to another
 * datacenter: hashicorp/consul#7817), and only with backups on, whose container outlives the datacenter with
 * its snapshots (its servers' Raft data volumes are destroyed with them).
 */
function checkDecommissions(config: Document, ctx: Ctx): void {
  const backupsOn = asRecord(config.backups).enabled !== false;
  datacentersOf(config).forEach((dc, index) => {
    if (dc.decommission !== true) return;
    const path = ["datacenters", index, "decommission"];
    if (dc.primary === true) {
      problem(
        ctx,
        path,
        "the primary cannot be decommissioned: it holds the federation's CA, ACL system and every token, and Consul cannot make another datacenter the primary (remove decommission; decommission the secondaries instead, or destroy every stack to retire the whole federation)",
      );
      return;
    }
    if (!backupsOn) {
      problem(
        ctx,
        path,
        `would destroy the servers of ${String(dc.name)} and their Raft data (KV, sessions, prepared queries, local tokens) with no snapshot kept, because backups.enabled is false (turn backups on and deploy, check that "sudo consul-snapshot list" on a server of ${String(dc.name)} shows a snapshot taken after the datacenter was drained, then decommission it)`,
      );
    }
    if (Array.isArray(dc.replaceNodes) && dc.replaceNodes.length > 0) {
      problem(
        ctx,
        ["datacenters", index, "replaceNodes"],
        "names nodes of a datacenter being decommissioned, whose every node goes (empty the list)",
      );
    }
  });
}

/** `alt_domain` is another domain than `domain`, not the same one again. */
function checkDomains(config: Document, ctx: Ctx): void {
  const consul = asRecord(config.consul);
  const domain = typeof consul.domain === "string" ? consul.domain : "consul";
  if (typeof consul.altDomain === "string" && consul.altDomain === domain) {
    problem(ctx, ["consul", "altDomain"], `is the same as consul.domain (give another domain, or leave altDomain out)`);
  }
}

/** Each datacenter's network fits the address plan and overlaps no other. */
function checkNetworks(config: Document, ctx: Ctx): void {
  const networks: { index: number; cidr: Ipv4Cidr; text: string }[] = [];
  datacentersOf(config).forEach((dc, index) => {
    const text = asRecord(asRecord(dc.openstack).network).cidr;
    if (typeof text !== "string") return;
    const parsed = parseIpv4Cidr(text);
    if (!parsed.ok) return;
    const path = ["datacenters", index, "openstack", "network", "cidr"];
    const { prefixLength } = parsed.cidr;
    if (prefixLength < ADDRESS_PLAN.shortestPrefix || prefixLength > ADDRESS_PLAN.longestPrefix) {
      problem(
        ctx,
        path,
        `a /${prefixLength} network does not fit the address plan (use a /${ADDRESS_PLAN.shortestPrefix} to /${ADDRESS_PLAN.longestPrefix} network)`,
      );
    }
    for (const other of networks) {
      if (cidrsOverlap(other.cidr, parsed.cidr)) {
        problem(
          ctx,
          path,
          `${text} overlaps ${other.text} of datacenters[${other.index}] (give each datacenter its own range)`,
        );
      }
    }
    networks.push({ index, cidr: parsed.cidr, text });
  });
}

/** Policies and tokens name datacenters and policies that exist; tokens grant something. */
function checkAclReferences(config: Document, ctx: Ctx): void {
  const datacenterNames = new Set<unknown>(
    datacentersOf(config)
      .map((dc) => dc.name)
      .filter((name) => typeof name === "string"),
  );
  const unknownDatacenter = (path: (string | number)[], dc: unknown, hint = "") => {
    if (!datacenterNames.has(dc)) problem(ctx, path, `"${String(dc)}" is not a datacenter of this federation${hint}`);
  };
  const acl = asRecord(config.acl);
  const policies = Array.isArray(acl.policies) ? acl.policies.map(asRecord) : [];
  const policyNames = new Set<unknown>([
    ...Object.values(BUILT_IN_POLICIES),
    // Made with backups; reserved whether backups are on or not, so that turning them on never collides.
    ...[...datacenterNames].map((dc) => snapshotPolicyName(String(dc))),
  ]);
  policies.forEach((policy, index) => {
    const path = ["acl", "policies", index];
    if (policyNames.has(policy.name)) {
      problem(
        ctx,
        [...path, "name"],
        `policy "${String(policy.name)}" is defined twice or is built in (choose another name)`,
      );
    }
    policyNames.add(policy.name);
    if ((policy.rules === undefined) === (policy.rulesFile === undefined)) {
      problem(ctx, path, "give the rules either as rules (YAML) or as rulesFile (HCL), exactly one");
    }
    if (Array.isArray(policy.datacenters)) {
      policy.datacenters.forEach((dc, i) =>
        unknownDatacenter([...path, "datacenters", i], dc, ` (use one of ${[...datacenterNames].join(", ")})`),
      );
    }
  });
  const tokens = Array.isArray(acl.tokens) ? acl.tokens.map(asRecord) : [];
  // A token's description is how the last stack finds its first generation once it rotates.
  const described = new Map<unknown, number>();
  tokens.forEach((token, index) => {
    const path = ["acl", "tokens", index];
    const twin = described.get(token.description);
    if (twin !== undefined && typeof token.description === "string") {
      problem(
        ctx,
        [...path, "description"],
        `"${token.description}" is also the description of acl.tokens[${twin}] (give each token its own description: a rotation finds a token's earlier generations by it)`,
      );
    } else {
      described.set(token.description, index);
    }
    if (Array.isArray(token.policies)) {
      token.policies.forEach((name, i) => {
        if (!policyNames.has(name))
          problem(
            ctx,
            [...path, "policies", i],
            `no policy "${String(name)}" (define it under acl.policies or use one of ${[...policyNames].join(", ")})`,
          );
      });
    }
    const identities = Array.isArray(token.nodeIdentities) ? token.nodeIdentities.map(asRecord) : [];
    identities.forEach((identity, i) =>
      unknownDatacenter([...path, "nodeIdentities", i, "datacenter"], identity.datacenter),
    );
    const services = Array.isArray(token.serviceIdentities) ? token.serviceIdentities.map(asRecord) : [];
    services.forEach((service, i) => {
      (Array.isArray(service.datacenters) ? service.datacenters : []).forEach((dc, k) =>
        unknownDatacenter([...path, "serviceIdentities", i, "datacenters", k], dc),
      );
    });
    const granted = (Array.isArray(token.policies) ? token.policies.length : 0) + identities.length + services.length;
    if (granted === 0) problem(ctx, path, "grants nothing (give policies, nodeIdentities or serviceIdentities)");
    const rotation = typeof token.rotation === "number" ? token.rotation : 0;
    if (typeof token.retireBelow === "number" && token.retireBelow > rotation) {
      problem(
        ctx,
        [...path, "retireBelow"],
        `would delete the current generation (${rotation}) too (at most rotation, ${rotation}; raise rotation first)`,
      );
    }
  });
}

function checkState(config: Document, ctx: Ctx): void {
  const state = asRecord(config.state);
  if (state.backend === "s3" && state.s3 === undefined) {
    problem(ctx, ["state", "s3"], "is missing (give bucket and endpoint for backend s3)");
  }
  const s3 = asRecord(state.s3);
  const kms = s3.encryption === "sse-kms";
  if (kms !== (s3.kmsKeyId !== undefined)) {
    problem(
      ctx,
      ["state", "s3", kms ? "encryption" : "kmsKeyId"],
      kms
        ? "sse-kms needs state.s3.kmsKeyId (give the key's ID or ARN)"
        : "is only used with encryption sse-kms (remove it or set encryption: sse-kms)",
    );
  }
}

/** The Envoy release is one that the Consul release supports. */
function checkVersions(config: Document, ctx: Ctx): void {
  const consulVersion = asRecord(config.consul).version;
  const envoyVersion = asRecord(config.envoy).version;
  if (typeof consulVersion === "string" && SEMVER.test(consulVersion)) {
    const release = consulReleaseProblem(consulVersion);
    if (release) problem(ctx, ["consul", "version"], release);
  }
  if (
    typeof consulVersion === "string" &&
    SEMVER.test(consulVersion) &&
    typeof envoyVersion === "string" &&
    ENVOY_VERSION.test(envoyVersion)
  ) {
    const found = envoyCompatibilityProblem(consulVersion, envoyVersion);
    if (found) problem(ctx, ["envoy", "version"], found);
  }
}
