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

  it("keeps state outside the synth output with a relative path", () => {
    const json = JSON.parse(example.get("prod2") as string);
    expect(json.terraform.backend.local.path).toBe("../../../terraform.prod2.tfstate");
  });
});
