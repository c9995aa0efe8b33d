import { z } from "zod";
import { ADDRESS_PLAN, serverCountProblem } from "../../domain/layout";
import { DNS_LABEL } from "../../domain/names";
import { cidr, countOf, nonEmpty, strictObject } from "./primitives";

/** `openstack` and `datacenters`: where each datacenter runs and how large it is. */

export const openstackDefaultsSchema = strictObject({
  cloud: z
    .string()
    .min(1)
    .optional()
    .describe("Cloud name in clouds.yaml; when absent the provider reads the standard OS_* environment variables."),
});

const networkSchema = strictObject({
  cidr: cidr.describe(
    "IPv4 CIDR of the datacenter's private subnet (/16 to /25). Fixed addresses are derived from it.",
  ),
  existing: strictObject({
    network: nonEmpty("existing network's name").describe("Name of an existing network to attach to."),
    subnet: nonEmpty("existing subnet's name").describe("Name of the existing subnet whose CIDR is `cidr`."),
  })
    .optional()
    .describe("Attach to an existing network instead of creating network, subnet and router."),
});

const datacenterOpenstackSchema = strictObject(
  {
    cloud: z.string().min(1).optional().describe("Overrides openstack.cloud for this datacenter."),
    region: nonEmpty("OpenStack region, e.g. RegionOne").describe("OpenStack region of this datacenter."),
    availabilityZone: z.string().min(1).optional().describe("Compute and volume availability zone."),
    image: nonEmpty("image name, e.g. ubuntu-24.04").describe("Glance image name (an Ubuntu or Debian cloud image)."),
    flavors: strictObject({
      server: nonEmpty("flavor name").describe("Flavor of the Consul server VMs."),
      gateway: nonEmpty("flavor name").describe("Flavor of the mesh-gateway VMs."),
    }),
    externalNetwork: nonEmpty("external network's name").describe("External network the router is attached to."),
    floatingIpPool: z.string().min(1).optional().describe("Floating-IP pool (default: the external network)."),
    network: networkSchema,
    volumeType: z.string().min(1).optional().describe("Cinder volume type of the Consul data volumes."),
    identityRegion: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Region in whose catalog Keystone is registered, when it is not the datacenter's (a cloud with one Keystone for all regions); used by the backups' credential.",
      ),
  },
  {
    interface:
      "every node's private address is fixed by the address plan and rendered as is, whatever the guest names its interface",
  },
);

export const datacenterSchema = strictObject({
  name: z
    .string()
    .regex(DNS_LABEL, {
      error: "is not a valid Consul datacenter name (use lowercase letters, digits and '-', e.g. prod1)",
    })
    .describe("Consul datacenter name; also names its stacks and nodes."),
  primary: z.boolean().default(false).describe("Exactly one datacenter is the primary."),
  servers: strictObject({
    count: countOf("servers", ADDRESS_PLAN.maxServers)
      .superRefine((count, ctx) => {
        const problem = serverCountProblem(count);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe("Number of Consul servers (odd: 1, 3, 5, ...)."),
    volumeSize: z.number().int().min(1).default(10).describe("Size in GB of each server's Consul data volume."),
  }),
  gateways: strictObject({
    count: countOf("gateways", ADDRESS_PLAN.maxGateways)
      .refine((n) => n > 0, {
        error: "must be at least 1 (a datacenter federates only through its mesh gateways; use 2)",
      })
      .describe("Number of mesh gateways (2 or more for redundancy)."),
  }),
  openstack: datacenterOpenstackSchema,
  replaceNodes: z
    .array(z.string())
    .default([])
    .describe(
      "Nodes of this datacenter whose VM may be replaced (destroyed and created again); every other VM refuses any plan that would destroy it. At most one server at a time.",
    ),
  decommission: z
    .boolean()
    .default(false)
    .describe(
      "Remove this secondary from the federation at the next deploy: its VMs, volumes, floating IPs and network are destroyed, its servers pruned from the WAN pool and its ACL objects deleted; its snapshot container is kept. Remove the entry only after that deploy (README: Removing a datacenter).",
    ),
});
