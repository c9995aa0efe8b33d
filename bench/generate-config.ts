import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateFederationConfig } from "../config/load";
import type { FederationConfig, FederationConfigInput } from "../config/schema";

export const REPO_ROOT = join(__dirname, "..");
const EXAMPLE_CONFIG_PATH = join(REPO_ROOT, "federation.yaml");

type DatacenterInput = FederationConfigInput["datacenters"][number];

/**
 * A federation of `count` datacenters cloned from the bundled example's primary entry, so the
 * benchmark grows with the example instead of drifting from it. Datacenter i gets 10.i.0.0/24: inside
 * the /16-/25 rule and disjoint from every other one for any count up to 255.
 */
export function generateFederationInput(count: number): FederationConfigInput {
  if (!Number.isInteger(count) || count < 1 || count > 255) {
    throw new Error(`datacenter count must be a whole number from 1 to 255, got ${count}`);
  }
  const example = parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8")) as FederationConfigInput;
  const template = example.datacenters.find((datacenter) => datacenter.primary) ?? example.datacenters[0];
  const datacenters = Array.from({ length: count }, (_, index): DatacenterInput => {
    const clone = structuredClone(template);
    return {
      ...clone,
      name: `dc${index + 1}`,
      primary: index === 0,
      openstack: {
        ...clone.openstack,
        region: `Region${index + 1}`,
        network: { ...clone.openstack.network, cidr: `10.${index + 1}.0.0/24` },
      },
    };
  });
  return { ...example, datacenters };
}

export function generateFederationConfig(count: number): FederationConfig {
  return validateFederationConfig(generateFederationInput(count), `<generated ${count}-datacenter federation>`);
}
