import { z } from "zod";
import { DNS_LABEL, DNS_NAME } from "../../domain/names";
import { ADMIN_AND_SERVER_PORTS, ENVOY_ADMIN_ADDRESS, MESH_GATEWAY_PORT, portOf } from "../../domain/ports";
import { ENVOY_VERSION, IPV4, strictObject, version } from "./primitives";

const IPV4_PORT = new RegExp(`^${IPV4.source.slice(1, -1)}:\\d{1,5}$`);
/** Ports a node already listens on: the metrics listener cannot take one of them. */
const RESERVED_PORTS = [...ADMIN_AND_SERVER_PORTS, MESH_GATEWAY_PORT, portOf(ENVOY_ADMIN_ADDRESS)];

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
  dns: strictObject(
    {
      recursors: z
        .array(z.string().regex(IPV4, { error: "must be an IPv4 address such as 192.0.2.53" }))
        .default([])
        .describe("Upstream resolvers for names outside the Consul domain (recursors)."),
      enableTruncate: z
        .boolean()
        .default(true)
        .describe("dns_config.enable_truncate: set the truncated bit on large answers."),
      aRecordLimit: z
        .number()
        .int()
        .min(1)
        .max(64)
        .default(3)
        .describe("dns_config.a_record_limit: the most A/AAAA records in an answer."),
    },
    {
      udpAnswerLimit:
        "Consul deprecated dns_config.udp_answer_limit in 1.0.7 for a_record_limit, now consul.dns.aRecordLimit",
    },
  )
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
      .regex(IPV4_PORT, { error: "must be <ip>:<port> such as 0.0.0.0:9102" })
      .superRefine((value, ctx) => {
        const port = portOf(value);
        if (port < 1 || port > 65535) ctx.addIssue({ code: "custom", message: `port ${port} is not 1 to 65535` });
        else if (RESERVED_PORTS.includes(port))
          ctx.addIssue({ code: "custom", message: `port ${port} is taken by Consul, Envoy or SSH (use 9102)` });
      })
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
