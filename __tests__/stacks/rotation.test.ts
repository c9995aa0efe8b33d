import { exampleConfig } from "../support/fixtures";
import { exampleFiles, exampleStacks } from "../support/example";
import { resourcesOf, synthesize } from "../support/synth";
import { collectReviewableFiles } from "../../stacks/reviewable-output";
import { RetiredGenerations, retiredGenerations } from "../../domain/token-rotation";

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
    // Each node by name: a count cannot tell a node that is down from another agent in its place.
    expect(uploads["keyring.env"]).toMatch(
      /\nFEDERATION_NODES=prod1\/prod1-server-1,prod1\/prod1-server-2,.*,prod3\/prod3-gateway-2\n/,
    );
    expect(uploads["gossip-key.json"]).toMatch(/^\{"Key":"\$\{.*gossip-key.*\}"\}$/);
    expect(uploads["management-token.header"]).toMatch(/^X-Consul-Token: \$\{.*initial-management-token/);
  });
});

/** rotation.tokens and acl.tokens[].rotation as the stacks carry them (domain/token-rotation.ts). */
describe("rotating tokens", () => {
  type Token = {
    description: string;
    accessor_id?: string;
    lifecycle?: { prevent_destroy?: boolean };
  };
  const aclStack = (stacks: Map<string, string>) => JSON.parse(stacks.get("prod1-acl") as string);
  const tokens = (stacks: Map<string, string>) =>
    resourcesOf(stacks.get("prod1-acl") as string, "consul_acl_token") as Record<string, Token>;
  const uploadsOf = (stacks: Map<string, string>, id: string) => {
    const delivery = resourcesOf(stacks.get("prod1-keyring") as string, "terraform_data")[id] as {
      provisioner: { file?: { destination: string; content: string } }[];
    };
    return Object.fromEntries(
      delivery.provisioner.flatMap((p) => (p.file ? [[p.file.destination.split("/").pop(), p.file.content]] : [])),
    );
  };
  const rotated = synthesize(exampleConfig((input) => (input.rotation = { tokens: 1 }))).stacks;
  const example = exampleStacks();

  it("keeps every token where it is while the counters are 0, and forgets (never destroys) the other slot", () => {
    const ids = Object.keys(tokens(example));
    expect(ids.some((id) => id.includes("-rotated"))).toBe(false);
    expect(Object.values(tokens(example)).some((token) => token.accessor_id || token.lifecycle)).toBe(false);
    const removed = aclStack(example).removed as { from: string; lifecycle: { destroy: boolean } }[];
    expect(removed).toHaveLength(ids.length);
    expect(removed.every((block) => /^consul_acl_token\.acls_[\w-]+-rotated_[0-9A-F]{8}$/.test(block.from))).toBe(true);
    expect(removed.every((block) => block.lifecycle.destroy === false)).toBe(true);
    expect(aclStack(example).terraform.required_version).toBe(">= 1.7");
    // Nothing to retire.
    expect(Object.keys(resourcesOf(example.get("prod1-keyring") as string, "terraform_data"))).toHaveLength(1);
  });

  it("makes every federation token anew in the other slot, with its own accessor ID, protected against a jump", () => {
    const before = tokens(example);
    const after = tokens(rotated);
    expect(Object.keys(after)).toHaveLength(Object.keys(before).length);
    const federationTokens = Object.entries(after).filter(([id]) => !/acls_token-\d/.test(id));
    expect(federationTokens.length).toBeGreaterThan(20);
    for (const [id, token] of federationTokens) {
      expect(id).toMatch(/-rotated_[0-9A-F]{8}$/);
      expect(token.description).toMatch(/ \(rotation 1\)$/);
      expect(token.accessor_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(token.lifecycle).toEqual({ prevent_destroy: true });
    }
    expect(new Set(federationTokens.map(([, token]) => token.accessor_id)).size).toBe(federationTokens.length);
    // The operator's own tokens rotate with their own counter only.
    const own = Object.entries(after).filter(([id]) => /acls_token-\d/.test(id));
    expect(own.map(([id, token]) => [id.replace(/_[0-9A-F]{8}$/, ""), token.description])).toEqual([
      ["acls_token-1", "Nomad servers"],
      ["acls_token-2", "Nomad clients"],
    ]);
    // The first generation is forgotten: Terraform keeps it in Consul until the last stack deletes it.
    const removed = (aclStack(rotated).removed as { from: string }[]).map((block) => block.from);
    const firstGeneration = Object.keys(before).filter((id) => !/acls_token-\d/.test(id));
    expect(removed).toEqual(expect.arrayContaining(firstGeneration.map((id) => `consul_acl_token.${id}`)));
  });

  it("delivers the new secrets to the nodes: every secret reading follows the token to its new slot", () => {
    const secrets = aclStack(rotated).data.consul_acl_token_secret_id as Record<string, { accessor_id: string }>;
    const readings = Object.values(secrets).map((secret) => secret.accessor_id);
    expect(readings.length).toBeGreaterThan(20);
    expect(readings.every((reading) => /-rotated_[0-9A-F]{8}\.accessor_id\}$/.test(reading))).toBe(true);
    // The readings, and so the outputs that carry the secrets to the other stacks, keep their names: a secondary
    // planned before the ACL stack applies the rotation still finds every output it reads.
    expect(Object.keys(secrets).sort()).toEqual(
      Object.keys(aclStack(example).data.consul_acl_token_secret_id as object).sort(),
    );
    const outputs = (stacks: Map<string, string>) => Object.keys(aclStack(stacks).output).sort();
    expect(outputs(rotated)).toEqual(outputs(example));
  });

  it("retires the first generation last, from the primary's first server, never a current token", () => {
    const deliveries = Object.keys(resourcesOf(rotated.get("prod1-keyring") as string, "terraform_data"));
    const retirement = deliveries.find((id) => id.startsWith("token-retirement")) as string;
    expect(retirement).toBeDefined();
    const uploads = uploadsOf(rotated, retirement);
    const retired = JSON.parse(uploads["retired.json"]) as RetiredGenerations[];
    expect(retired).toContainEqual(
      retiredGenerations("prod1", "prod2-server-1-agent-token", "Agent token of prod2-server-1 (prod2)", 1, 1),
    );
    expect(retired).toContainEqual(
      retiredGenerations("prod1", "prod3-replication-token", "ACL replication into prod3", 1, 1),
    );
    expect(retired.some((token) => token.description.startsWith("Nomad"))).toBe(false);
    // What it must never delete is known at synthesis: each current generation's accessor ID, as the ACL stack sets it.
    const accessors = Object.values(tokens(rotated)).map((token) => token.accessor_id);
    expect(retired.every((token) => accessors.includes(token.currentAccessorId))).toBe(true);
    expect(uploads["current-accessors.json"]).toBeUndefined();
    expect(uploads["management-token.header"]).toMatch(/^X-Consul-Token: \$\{.*initial-management-token/);
  });

  it("rotates one of the operator's tokens alone with its own counter, escaping its description", () => {
    const { stacks } = synthesize(
      exampleConfig((input) => {
        const acl = input.acl as { tokens: { description: string; rotation?: number }[] };
        acl.tokens[0].description = "Nomad ${servers}";
        acl.tokens[0].rotation = 3;
      }),
    );
    const changed = Object.entries(tokens(stacks)).filter(([id]) => id.includes("-rotated"));
    expect(changed.map(([id, token]) => [id.replace(/_[0-9A-F]{8}$/, ""), token.description])).toEqual([
      ["acls_token-1-rotated", "Nomad $${servers} (rotation 3)"],
    ]);
    const retirement = Object.keys(resourcesOf(stacks.get("prod1-keyring") as string, "terraform_data")).find((id) =>
      id.startsWith("token-retirement"),
    ) as string;
    // The file carries the description as configured (Terraform reads `$${` back as `${`); the previous generations
    // stay until retireBelow says otherwise.
    expect(JSON.parse(uploadsOf(stacks, retirement)["retired.json"].replaceAll("$${", "${"))).toEqual([
      retiredGenerations("prod1", "token-1", "Nomad ${servers}", 3, 0),
    ]);
  });
});

/** rotation.ca as the stacks carry it (constructs/consul/federation-secrets.ts). */
describe("rotating the CA", () => {
  type Cert = { subject: { common_name: string }[]; private_key_pem: string };
  const cas = (stacks: Map<string, string>) =>
    resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert") as Record<string, Cert>;
  const caPemOf = (files: Map<string, string>, node: string) => files.get(`${node}/ca.pem`) as string;
  const signersOf = (stacks: Map<string, string>) =>
    Object.values(resourcesOf(stacks.get("prod1") as string, "tls_locally_signed_cert")).map(
      (cert) => (cert as { ca_cert_pem: string }).ca_cert_pem,
    );

  it("trusts the next CA from the start, so that its first rotation finds it trusted everywhere", () => {
    const stacks = exampleStacks();
    expect(
      Object.entries(cas(stacks))
        .map(([id, cert]) => [id.replace(/_[0-9A-F]{8}$/, ""), cert.subject[0].common_name])
        .sort(([a], [b]) => a.localeCompare(b)),
    ).toEqual([
      ["federation-secrets_ca_cert", "Consul Agent CA"],
      ["federation-secrets_ca-rotation-1_cert", "Consul Agent CA (rotation 1)"],
    ]);
    // Every node, in every datacenter, trusts both; the first CA signs every certificate.
    const files = exampleFiles();
    for (const node of ["nodes/prod1/prod1-server-1", "nodes/prod1/prod1-gateway-1", "nodes/prod3/prod3-server-2"]) {
      expect(caPemOf(files, node).match(/\$\{[^}]+\}/g)).toHaveLength(2);
    }
    expect(new Set(signersOf(stacks))).toEqual(
      new Set([expect.stringMatching(/tls_self_signed_cert\.federation-secrets_ca_cert_/)]),
    );
  });

  it("signs with the next CA when raised, trusting the previous, the current and the one after", () => {
    const { app, stacks } = synthesize(exampleConfig((input) => (input.rotation = { ca: 1 })));
    expect(
      Object.values(cas(stacks))
        .map((cert) => cert.subject[0].common_name)
        .sort(),
    ).toEqual(["Consul Agent CA", "Consul Agent CA (rotation 1)", "Consul Agent CA (rotation 2)"]);
    const signers = new Set(signersOf(stacks));
    expect([...signers]).toEqual([
      expect.stringMatching(/tls_self_signed_cert\.federation-secrets_ca-rotation-1_cert_/),
    ]);
    const files = collectReviewableFiles(app);
    expect(caPemOf(files, "nodes/prod2/prod2-server-1").match(/\$\{[^}]+\}/g)).toHaveLength(3);
    // The ACL stack's provider trusts the same three.
    const provider = JSON.parse(stacks.get("prod1-acl") as string).provider.consul[0].ca_pem as string;
    expect(provider.match(/\$\{[^}]+\}/g)).toHaveLength(3);
  });

  it("drops the oldest CA, key and all, at the rotation after", () => {
    const { stacks } = synthesize(exampleConfig((input) => (input.rotation = { ca: 2 })));
    expect(Object.keys(cas(stacks)).map((id) => id.replace(/_[0-9A-F]{8}$/, ""))).toEqual([
      "federation-secrets_ca-rotation-1_cert",
      "federation-secrets_ca-rotation-2_cert",
      "federation-secrets_ca-rotation-3_cert",
    ]);
    const keys = Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_private_key"));
    expect(keys.filter((id) => id.startsWith("federation-secrets_ca_key"))).toEqual([]);
  });
});
