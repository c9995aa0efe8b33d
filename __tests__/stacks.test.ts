import { loadFederationConfig } from "../config/load";
import { EXAMPLE_CONFIG_PATH } from "./support/fixtures";
import { synthFederation } from "./support/synth";

const example = synthFederation(loadFederationConfig(EXAMPLE_CONFIG_PATH));

describe("the example federation", () => {
  it("has one stack per datacenter, named after it", () => {
    expect([...example.keys()]).toEqual(["prod1", "prod2", "prod3"]);
  });

  it.each(["prod1", "prod2", "prod3"])("stack %s matches its snapshot", (name) => {
    expect(JSON.parse(example.get(name) as string)).toMatchSnapshot();
  });

  it("configures OpenStack per datacenter from the clouds.yaml cloud, never from credentials", () => {
    const regions = [...example.values()].map((json) => JSON.parse(json).provider.openstack[0]);
    expect(regions).toEqual([
      { cloud: "federation", region: "RegionOne" },
      { cloud: "federation", region: "RegionTwo" },
      { cloud: "federation", region: "RegionThree" },
    ]);
  });

  it("pins the OpenStack provider the bindings were generated from", () => {
    const json = JSON.parse(example.get("prod1") as string);
    expect(json.terraform.required_providers.openstack).toEqual({
      source: "terraform-provider-openstack/openstack",
      version: "3.4.0",
    });
  });

  it.each(["prod1", "prod2", "prod3"])("%s has 3 servers in an anti-affinity group and 2 gateways", (name) => {
    const json = JSON.parse(example.get(name) as string);
    const groups = Object.values(json.resource.openstack_compute_servergroup_v2) as { policies: string[] }[];
    expect(groups).toEqual([expect.objectContaining({ policies: ["anti-affinity"] })]);
    const instances = Object.values(json.resource.openstack_compute_instance_v2) as {
      name: string;
      scheduler_hints?: unknown[];
    }[];
    expect(instances.map((i) => i.name).sort()).toEqual([
      `${name}-gateway-1`,
      `${name}-gateway-2`,
      `${name}-server-1`,
      `${name}-server-2`,
      `${name}-server-3`,
    ]);
    expect(instances.filter((i) => i.scheduler_hints).map((i) => i.name)).toEqual(
      [1, 2, 3].map((n) => `${name}-server-${n}`),
    );
    expect(Object.keys(json.resource.openstack_blockstorage_volume_v3)).toHaveLength(3);
    expect(Object.keys(json.resource.openstack_networking_floatingip_v2)).toHaveLength(5);
  });

  it("depends on the primary only through sensitive cross-stack outputs", () => {
    const primary = JSON.parse(example.get("prod1") as string);
    const outputs = Object.entries(primary.output as Record<string, { sensitive?: boolean }>);
    const crossStack = outputs.filter(([name]) => name.startsWith("cross-stack-output-"));
    expect(crossStack.length).toBeGreaterThan(0);
    expect(crossStack.every(([, output]) => output.sensitive === true)).toBe(true);
  });

  it("keeps state outside the synth output with a relative path", () => {
    const json = JSON.parse(example.get("prod2") as string);
    expect(json.terraform.backend.local.path).toBe("../../../terraform.prod2.tfstate");
  });
});
