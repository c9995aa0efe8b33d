import { exampleStacks } from "./../support/example";
import { exampleConfig } from "../support/fixtures";
import { expectGolden, goldenPartsOfStack, obsoleteGoldenFiles } from "../support/golden";
import { synthFederation } from "../support/synth";

const example = exampleStacks();
const STACKS = ["prod1", "prod1-acl", "prod1-gateways", "prod1-keyring", "prod2", "prod3"];
const stack = (name: string) => JSON.parse(example.get(name) as string);

describe("the example federation", () => {
  it("has a stack per datacenter, named after it, and the primary's ACL, gateway and keyring layers", () => {
    expect([...example.keys()]).toEqual(STACKS);
  });

  // One golden file per stack and resource kind: __tests__/__golden__/example/<stack>/<block>.<type>.json.
  const golden = new Map(STACKS.flatMap((name) => [...goldenPartsOfStack(name, example.get(name) as string)]));

  it.each([...golden.keys()])("%s is as reviewed", (path) => {
    expectGolden(path, golden.get(path) as string);
  });

  it("has no golden file the example no longer produces", () => {
    expect(obsoleteGoldenFiles("example", new Set(golden.keys()))).toEqual([]);
  });

  it("configures OpenStack per datacenter from the clouds.yaml cloud, never from credentials", () => {
    expect(STACKS.map((name) => stack(name).provider.openstack[0])).toEqual([
      { cloud: "federation", region: "RegionOne" },
      { cloud: "federation", region: "RegionOne" },
      { cloud: "federation", region: "RegionOne" },
      { cloud: "federation", region: "RegionOne" },
      { cloud: "federation", region: "RegionTwo" },
      { cloud: "federation", region: "RegionThree" },
    ]);
  });

  it("pins the OpenStack provider the bindings were generated from", () => {
    expect(stack("prod1").terraform.required_providers.openstack).toEqual({
      source: "terraform-provider-openstack/openstack",
      version: "3.4.0",
    });
  });

  it.each([
    ["prod1", "prod1", 3, 0],
    ["prod1-gateways", "prod1", 0, 2],
    ["prod2", "prod2", 3, 2],
    ["prod3", "prod3", 3, 2],
  ])("%s has %s's servers (%i, anti-affinity) and gateways (%i)", (name, dc, servers, gateways) => {
    const json = stack(name);
    const instances = Object.values(json.resource.openstack_compute_instance_v2) as {
      name: string;
      scheduler_hints?: { group: string }[];
    }[];
    expect(instances.map((i) => i.name).sort()).toEqual([
      ...Array.from({ length: gateways }, (_, i) => `${dc}-gateway-${i + 1}`),
      ...Array.from({ length: servers }, (_, i) => `${dc}-server-${i + 1}`),
    ]);
    const hinted = instances.filter((i) => i.scheduler_hints).map((i) => i.name);
    expect(hinted).toEqual(Array.from({ length: servers }, (_, i) => `${dc}-server-${i + 1}`));
    if (servers > 0) {
      const groups = Object.values(json.resource.openstack_compute_servergroup_v2) as { policies: string[] }[];
      expect(groups).toEqual([expect.objectContaining({ policies: ["anti-affinity"] })]);
      expect(Object.keys(json.resource.openstack_blockstorage_volume_v3)).toHaveLength(servers);
    }
    expect(Object.keys(json.resource.openstack_networking_floatingip_v2)).toHaveLength(servers + gateways);
  });

  it("marks every output that crosses stacks sensitive", () => {
    const crossStack = STACKS.flatMap((name) =>
      Object.entries((stack(name).output ?? {}) as Record<string, { sensitive?: boolean }>).filter(([id]) =>
        id.startsWith("cross-stack-output-"),
      ),
    );
    expect(crossStack.length).toBeGreaterThan(10);
    expect(crossStack.filter(([, output]) => output.sensitive !== true)).toEqual([]);
  });

  it("keeps state outside the synth output with a relative path", () => {
    expect(stack("prod2").terraform.backend.local.path).toBe("../../../terraform.prod2.tfstate");
    expect(stack("prod2").terraform.required_version).toBe(">= 1.5");
  });

  it("keeps state in an S3-compatible bucket, locked, when the configuration says so", () => {
    const s3 = synthFederation(
      exampleConfig((c) => {
        c.state = { backend: "s3", s3: { bucket: "fed-state", endpoint: "https://object.example.org" } };
      }),
    );
    const prod2 = JSON.parse(s3.get("prod2") as string);
    expect(prod2.terraform.backend.s3).toEqual(
      expect.objectContaining({
        bucket: "fed-state",
        key: "consul-federation/prod2.tfstate",
        endpoints: { s3: "https://object.example.org" },
        use_path_style: true,
        use_lockfile: true,
        skip_s3_checksum: true,
        encrypt: true,
      }),
    );
    expect(prod2.terraform.backend.s3.kms_key_id).toBeUndefined();
    expect(prod2.terraform.required_version).toBe(">= 1.10");
    const remote = Object.values(prod2.data.terraform_remote_state) as { backend: string; config: { key: string } }[];
    expect(remote.map((r) => [r.backend, r.config.key]).sort()).toEqual([
      ["s3", "consul-federation/prod1-acl.tfstate"],
      ["s3", "consul-federation/prod1-gateways.tfstate"],
      ["s3", "consul-federation/prod1.tfstate"],
    ]);
  });

  it.each([
    ["sse-kms", { encrypt: true, kms_key_id: "alias/consul-state" }],
    ["sse-c", { encrypt: true }],
    ["none", { encrypt: false }],
  ] as const)("encrypts state at rest as asked (%s), for the readers of the state too", (encryption, expected) => {
    const synthesized = synthFederation(
      exampleConfig((c) => {
        c.state = {
          backend: "s3",
          s3: {
            bucket: "fed-state",
            encryption,
            ...(encryption === "sse-kms" ? { kmsKeyId: "alias/consul-state" } : {}),
          },
        };
      }),
    );
    const prod2 = JSON.parse(synthesized.get("prod2") as string);
    const pick = (config: Record<string, unknown>) => ({
      encrypt: config.encrypt,
      ...(config.kms_key_id === undefined ? {} : { kms_key_id: config.kms_key_id }),
    });
    expect(pick(prod2.terraform.backend.s3)).toEqual(expected);
    const readers = Object.values(prod2.data.terraform_remote_state) as { config: Record<string, unknown> }[];
    expect(readers.map((reader) => pick(reader.config))).toEqual(readers.map(() => expected));
  });
});

describe("values read from another stack", () => {
  it("are all marked sensitive where they are read (terraform_remote_state drops the mark, hashicorp/terraform#29544)", () => {
    const readings = [...example.values()].flatMap((json) => [
      ...json.matchAll(/(sensitive\()?data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]+/g),
    ]);
    expect(readings.length).toBeGreaterThan(40);
    expect(readings.filter((reading) => reading[1] === undefined).map((reading) => reading[0])).toEqual([]);
  });
});
