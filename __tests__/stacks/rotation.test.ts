import { exampleConfig } from "../support/fixtures";
import { exampleFiles, exampleStacks } from "../support/example";
import { resourcesOf, synthesize } from "../support/synth";
import { collectReviewableFiles } from "../../stacks/reviewable-output";

/** rotation.gossipKey as the stacks carry it: a new key, and the keyring step that puts it on running agents. */
describe("rotating the gossip key", () => {
  const encryptOf = (files: Map<string, string>, node = "nodes/prod1/prod1-server-1") =>
    JSON.parse(files.get(`${node}/consul.json`) as string).encrypt as string;

  it("keeps the first key while the counter is 0: a federation made earlier keeps its key", () => {
    expect(encryptOf(exampleFiles())).toMatch(/^\$\{.*random_bytes\.federation-secrets_gossip-key_\w+\.base64.*\}$/);
    // The seed of later keys exists from the start, so that raising the counter replaces nothing.
    const bytes = resourcesOf(exampleStacks().get("prod1") as string, "random_bytes");
    expect(Object.values(bytes)).toEqual([{ length: 32 }, { length: 32 }]);
  });

  it("derives each rotation's key from the seed and the counter: the same counter gives back the same key", () => {
    const { app, stacks } = synthesize(exampleConfig((input) => (input.rotation = { gossipKey: 2 })));
    const local = encryptOf(collectReviewableFiles(app)).match(/^\$\{local\.([\w-]+)\}$/)?.[1] as string;
    expect(JSON.parse(stacks.get("prod1") as string).locals[local]).toMatch(
      /^\$\{sensitive\(base64sha256\(join\(":", \[random_bytes\.federation-secrets_gossip-key-seed_\w+\.base64, "2"\]\)\)\)\}$/,
    );
  });

  it("runs last, from the primary's first server, with the key, the token and every datacenter's agents in files", () => {
    const deliveries = Object.entries(resourcesOf(exampleStacks().get("prod1-keyring") as string, "terraform_data"));
    expect(deliveries).toHaveLength(1);
    const [[, rotation]] = deliveries as [
      string,
      { provisioner: { file?: { destination: string; content: string } }[]; connection: { host: string } },
    ][];
    expect(rotation.connection.host).toMatch(/prod1-server-1_vm_floating-ip/);
    const uploads = Object.fromEntries(
      rotation.provisioner.flatMap((p) => (p.file ? [[p.file.destination.split("/").pop(), p.file.content]] : [])),
    );
    // Each datacenter's LAN pool counts its 3 servers and 2 gateways; the WAN pool the 9 servers.
    expect(uploads["keyring.env"]).toContain("\nLAN_MEMBERS=prod1:5,prod2:5,prod3:5\nWAN_MEMBERS=9\n");
    expect(uploads["gossip-key.json"]).toMatch(/^\{"Key":"\$\{.*gossip-key.*\}"\}$/);
    expect(uploads["management-token.header"]).toMatch(/^X-Consul-Token: \$\{.*initial-management-token/);
  });
});
