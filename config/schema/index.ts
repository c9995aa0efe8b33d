import { z } from "zod";
import { accessSchema, sshSchema } from "./access";
import { aclSchema } from "./acl";
import { backupsSchema } from "./backups";
import { rotationSchema } from "./rotation";
import { tlsSchema } from "./tls";
import { consulSchema, envoySchema } from "./consul";
import { crossFieldChecks } from "./cross-field";
import { datacenterSchema, openstackDefaultsSchema } from "./datacenters";
import { packagesSchema } from "./packages";
import { strictObject } from "./primitives";
import { rolloutSchema, stateSchema } from "./state";

/**
 * The federation configuration: one YAML document describing every datacenter. This schema is the single
 * source of truth for validation, for the TypeScript model, for the published JSON Schema and for every
 * default a user sees. Each section lives in its own file beside this one.
 */
export const federationSchema = strictObject({
  consul: consulSchema,
  envoy: envoySchema,
  access: accessSchema,
  ssh: sshSchema,
  openstack: openstackDefaultsSchema.default({}),
  packages: packagesSchema.prefault({}).describe("apt repositories of Consul and Envoy."),
  acl: aclSchema.prefault({}).describe("Your own ACL policies and tokens."),
  state: stateSchema.prefault({}).describe("Terraform state of every stack (local by default; s3 for teams and CI)."),
  rollout: rolloutSchema.prefault({}),
  backups: backupsSchema,
  tls: tlsSchema,
  rotation: rotationSchema,
  datacenters: z.array(datacenterSchema).min(1, { error: "must list at least one datacenter" }),
}).superRefine(crossFieldChecks, { when: () => true });

/** The configuration as written (before defaults). */
export type FederationConfigInput = z.input<typeof federationSchema>;
/** The validated configuration with every default applied. */
export type FederationConfig = z.output<typeof federationSchema>;
export type DatacenterConfig = FederationConfig["datacenters"][number];
