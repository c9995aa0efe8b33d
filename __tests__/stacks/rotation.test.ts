import { exampleConfig, configProblems } from "../support/fixtures";
import { exampleStacks } from "../support/example";
import { resourcesOf, synthesize } from "../support/synth";

/** rotation.gossipKey as the stacks carry it: a new key, and the keyring step that puts it on running agents. */
describe("rotating the gossip key", () => {
  const keyOf = (stacks: Map<string, string>) =>
    Object.values(resourcesOf(stacks.get("prod1") as string, "random_bytes"))[0] as Record<string, unknown>;

  it("keeps the key of a federation that never rotated it: no keepers, which would make a new one", () => {
    expect(keyOf(exampleStacks())).toEqual({ length: 32 });
  });

  it("makes a new key for each rotation", () => {
    const { stacks } = synthesize(exampleConfig((input) => (input.rotation = { gossipKey: 2 })));
    expect(keyOf(stacks)).toEqual({ length: 32, keepers: { rotation: "2" } });
  });

  it("runs the keyring step on the primary's first server, with the key and the management token in files", () => {
    const deliveries = Object.entries(resourcesOf(exampleStacks().get("prod1-acl") as string, "terraform_data"));
    const [, rotation] = deliveries.find(([id]) => id.startsWith("gossip-key-rotation")) as [
      string,
      { provisioner: { file?: { destination: string; content: string } }[]; connection: { host: string } },
    ];
    expect(rotation.connection.host).toMatch(/prod1-server-1_vm_floating-ip/);
    const uploads = Object.fromEntries(
      rotation.provisioner.flatMap((p) => (p.file ? [[p.file.destination.split("/").pop(), p.file.content]] : [])),
    );
    expect(uploads["keyring.env"]).toContain("\nDATACENTERS=prod1,prod2,prod3\n");
    expect(uploads["gossip-key.json"]).toMatch(/^\{"Key":"\$\{.*gossip-key.*\}"\}$/);
    expect(uploads["management-token.header"]).toMatch(/^X-Consul-Token: \$\{.*initial-management-token/);
  });

  it("is refused below the mesh stage, where secondaries are not federated and the keyring cannot reach them", () => {
    expect(
      configProblems((input) => {
        input.rotation = { gossipKey: 1 };
        input.rollout = { stage: "acl" };
      }),
    ).toEqual([
      expect.stringMatching(/^rotation\.gossipKey: the keyring reaches secondaries only once they are federated/),
    ]);
    expect(configProblems((input) => (input.rotation = { gossipKey: 1 }))).toEqual([]);
  });
});
