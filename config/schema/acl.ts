import { z } from "zod";
import {
  BUILT_IN_POLICIES,
  POLICY_VALUES,
  RESOURCE_RULE_KINDS,
  SCALAR_RULE_KINDS,
  UNSAFE_RULE_NAME,
} from "../../domain/acl-rules";
import { DNS_LABEL } from "../../domain/names";
import { rotationCounter, strictObject } from "./primitives";

/** `acl`: the operator's own policies and tokens, created in the primary next to the federation's. */

const policyValue = z.enum(POLICY_VALUES, { error: `must be one of ${POLICY_VALUES.join(", ")}` });
const ruleName = z.string().refine((name) => !UNSAFE_RULE_NAME.test(name), {
  error: "a rule name cannot hold quotes, backslashes, line breaks or ${ / %{ sequences",
});
const serviceRule = strictObject({ policy: policyValue, intentions: policyValue.optional() });
const resourceRule = strictObject({ policy: policyValue });

/** ACL rules written as YAML: the same kinds and fields as Consul's HCL rules. */
const aclRulesSchema = strictObject({
  ...Object.fromEntries(SCALAR_RULE_KINDS.map((kind) => [kind, policyValue.optional()])),
  ...Object.fromEntries(
    RESOURCE_RULE_KINDS.map((kind) => [
      kind,
      z.record(ruleName, kind === "service" || kind === "service_prefix" ? serviceRule : resourceRule).optional(),
    ]),
  ),
} as Record<string, z.ZodOptional<z.ZodType>>);

const ACL_NAME = /^[A-Za-z0-9_-]{1,128}$/;

const aclPolicySchema = strictObject({
  name: z.string().regex(ACL_NAME, { error: "must be letters, digits, '-' and '_' (e.g. nomad-server)" }),
  description: z.string().optional(),
  rules: aclRulesSchema.optional().describe("Rules as YAML (kinds and fields as in Consul's HCL rules)."),
  rulesFile: z.string().min(1).optional().describe("An HCL rules file, relative to the configuration file."),
  datacenters: z.array(z.string()).optional().describe("Datacenters where the policy is valid (default: all)."),
});

const aclTokenSchema = strictObject({
  description: z.string().min(1, { error: "must say what the token is for" }),
  policies: z
    .array(z.string())
    .default([])
    .describe(
      `Policy names: your own or ${[BUILT_IN_POLICIES.meshGateway, BUILT_IN_POLICIES.replication, BUILT_IN_POLICIES.dns].join(", ")}.`,
    ),
  nodeIdentities: z
    .array(
      strictObject({
        nodeName: z.string().regex(DNS_LABEL, { error: "must be a Consul node name such as nomad-server-1" }),
        datacenter: z.string(),
      }),
    )
    .default([]),
  serviceIdentities: z
    .array(
      strictObject({
        serviceName: z.string().regex(DNS_LABEL, { error: "must be a service name such as nomad" }),
        datacenters: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  local: z.boolean().default(false).describe("A token of one datacenter only (not replicated)."),
  rotation: rotationCounter("rotations").describe(
    "Raise by one to make a new generation of this token (a new secret) at the next deploy, beside the previous one, which keeps working until you retire it (retireBelow). Raise it by one per deploy.",
  ),
  retireBelow: rotationCounter("generations").describe(
    "Generations of this token below this number are deleted at the next deploy: set it to `rotation` once every consumer holds the newest secret.",
  ),
});

export const aclSchema = strictObject({
  policies: z.array(aclPolicySchema).default([]).describe("Your own ACL policies, created in the primary."),
  tokens: z.array(aclTokenSchema).default([]).describe("Your own ACL tokens; their secrets are never outputs."),
});
