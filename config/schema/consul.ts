import { z } from "zod";
import { DNS_LABEL, DNS_NAME } from "../../domain/names";
import { ENVOY_VERSION, IPV4, strictObject, version } from "./primitives";

/** `consul` and `envoy`: what runs on the nodes and how the agents behave. */

export const consulSchema = strictObject({
  version: version("Consul", "1.22.4").describe("Consul release installed on every node, e.g. 1.22.4."),
  domain: z
    .string()
    .regex(DNS_LABEL, { error: "must be a single DNS label such as consul" })
    .default("consul")
    .describe("Consul's DNS domain (default consul)."),
  altDomain: z
    .string()
    .regex(DNS_NAME, { error: "must be a DNS name such as consul.example.org" })
    .optional()
    .describe("Alternative DNS domain Consul also answers for (alt_domain); forwarded on every node too."),
  dns: strictObject({
    recursors: z
      .array(z.string().regex(IPV4, { error: "must be an IPv4 address such as 192.0.2.53" }))
      .default([])
      .describe("Upstream resolvers for names outside the Consul domain (recursors)."),
    enableTruncate: z
      .boolean()
      .default(true)
      .describe("dns_config.enable_truncate: set the truncated bit on large answers."),
    udpAnswerLimit: z.number().int().min(1).max(64).default(3).describe("dns_config.udp_answer_limit."),
  })
    .prefault({})
    .describe("Consul DNS settings; every node forwards the Consul domain to its local agent."),
  agent: strictObject({
    logLevel: z
      .enum(["TRACE", "DEBUG", "INFO", "WARN", "ERR"], { error: "must be one of TRACE, DEBUG, INFO, WARN, ERR" })
      .default("INFO"),
    raftMultiplier: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(1)
      .describe("performance.raft_multiplier (1 = production timing)."),
    aclDownPolicy: z
      .enum(["allow", "deny", "extend-cache", "async-cache"], {
        error: "must be one of allow, deny, extend-cache, async-cache",
      })
      .default("extend-cache")
      .describe("acl.down_policy when the primary cannot be reached."),
    aclTokenPersistence: z
      .boolean()
      .refine((value) => value, {
        error: "must stay true: the primary's servers receive their agent token through the API, once",
      })
      .default(true)
      .describe("acl.enable_token_persistence (tokens set through the API survive restarts); must be true."),
    ui: z.boolean().default(true).describe("ui_config.enabled on servers."),
    prometheusRetentionTime: z
      .string()
      .regex(/^\d+(s|m|h)$/, { error: "must be a duration such as 60s" })
      .default("60s")
      .describe("telemetry.prometheus_retention_time (enables /v1/agent/metrics?format=prometheus)."),
    disableHostname: z.boolean().default(true).describe("telemetry.disable_hostname."),
    leaveOnTerminate: z.boolean().default(true).describe("leave_on_terminate on client agents (gateways)."),
  })
    .prefault({})
    .describe("Production agent settings."),
  proxyDefaults: strictObject({
    protocol: z
      .enum(["tcp", "http", "http2", "grpc"], { error: "must be one of tcp, http, http2, grpc" })
      .default("http")
      .describe("Default protocol of services (proxy-defaults config.protocol)."),
    envoyPrometheusBindAddr: z
      .string()
      .regex(/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/, { error: "must be <ip>:<port> such as 0.0.0.0:9102" })
      .default("0.0.0.0:9102")
      .describe("Where Envoy serves Prometheus metrics (proxy-defaults config.envoy_prometheus_bind_addr)."),
  })
    .prefault({})
    .describe("The global proxy-defaults entry; mesh gateway mode is always local."),
});

export const envoySchema = strictObject({
  logLevel: z
    .enum(["trace", "debug", "info", "warning", "error", "critical", "off"], {
      error: "must be one of trace, debug, info, warning, error, critical, off",
    })
    .default("info")
    .describe("Envoy's --log-level on the mesh gateways (debug logs every connection: use it to troubleshoot only)."),
  version: z
    .string({ error: 'must be quoted text such as "1.35" (YAML reads an unquoted 1.35 as a number)' })
    .regex(ENVOY_VERSION, { error: "must be an Envoy release line such as 1.35 (or an exact release such as 1.35.6)" })
    .describe(
      "Envoy release line (1.35) or exact release (1.35.6) of the mesh gateways; must be supported by the Consul release.",
    ),
});
