import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFederationConfig } from "../../config/load";
import { itWithTool } from "../support/validators";
import { EXAMPLE_CONFIG_PATH, exampleConfig } from "../support/fixtures";
import { exampleStacks } from "../support/example";
import { resourcesOf, synthesize } from "../support/synth";

describe("certificates of the example federation", () => {
  const { stacks, federation } = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));

  it.each(["prod1", "prod2", "prod3"])("every server of %s has the complete SAN list", (dc) => {
    // Every certificate is issued beside the CA, in the primary's stack.
    const json = stacks.get("prod1") as string;
    const requests = Object.values(resourcesOf(json, "tls_cert_request")).filter(
      (r) => (r.subject as { common_name: string }[])[0].common_name === `server.${dc}.consul`,
    );
    const servers =
      [federation.primary, ...federation.secondaries].find((s) => s.datacenter.name === dc)?.servers ?? [];
    expect(requests).toHaveLength(servers.length);
    servers.forEach((server, index) => {
      const node = `${dc}-server-${index + 1}`;
      const request = requests.find((r) => (r.dns_names as string[]).includes(node)) as Record<string, unknown>;
      expect(request.dns_names).toEqual(
        expect.arrayContaining([
          `server.${dc}.consul`,
          `${node}.server.${dc}.consul`,
          "consul.service.consul",
          "localhost",
        ]),
      );
      const ips = request.ip_addresses as string[];
      expect(ips[0]).toBe("127.0.0.1");
      expect(ips[1]).toBe(server.vm.privateIp);
      // The primary's servers are reached at their floating IP by the ACL stack: it is theirs too.
      if (dc === "prod1") expect(ips[2]).toMatch(/^\$\{openstack_networking_floatingip_v2\.[^}]+\.address\}$/);
      else expect(ips).toHaveLength(2);
    });
  });

  it("gives every gateway a client certificate for its agent and its local listeners", () => {
    const clients = [...stacks.values()].flatMap((json) =>
      Object.values(resourcesOf(json, "tls_cert_request")).filter((r) =>
        (r.subject as { common_name: string }[])[0].common_name.startsWith("client."),
      ),
    );
    expect(clients).toHaveLength(6);
    expect(clients[0]).toMatchObject({
      dns_names: ["client.prod1.consul", "prod1-gateway-1", "localhost"],
      ip_addresses: ["127.0.0.1", "10.10.0.30"],
    });
  });

  it("signs every certificate beside the CAs: their private keys are in the primary's state only", () => {
    // The current CA and the next one, which every node trusts ahead of a rotation (see rotation.test.ts).
    expect(Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert"))).toHaveLength(2);
    expect(Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_locally_signed_cert"))).toHaveLength(15);
    for (const [name, json] of stacks) {
      if (name === "prod1") continue;
      expect(resourcesOf(json, "tls_locally_signed_cert")).toEqual({});
      expect(json).not.toMatch(/federation-secrets_ca(-rotation-\d+)?_key/);
    }
  });
});

describe("certificate lifetimes and renewal", () => {
  const certificates = (stacks: Map<string, string>) =>
    Object.values(resourcesOf(stacks.get("prod1") as string, "tls_locally_signed_cert"));

  it("issue every agent certificate for a year, renewed in its last 30 days, by default", () => {
    const { stacks } = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));
    const all = certificates(stacks);
    expect(all).toHaveLength(15);
    for (const cert of all) expect(cert).toMatchObject({ validity_period_hours: 8760, early_renewal_hours: 720 });
  });

  it("follow tls, the CA's certificate too, which keeps its key", () => {
    const { stacks } = synthesize(
      exampleConfig(
        (input) => (input.tls = { certificateValidityDays: 90, renewBeforeDays: 20, caValidityDays: 1825 }),
      ),
    );
    for (const cert of certificates(stacks)) {
      expect(cert).toMatchObject({ validity_period_hours: 90 * 24, early_renewal_hours: 20 * 24 });
    }
    const cas = resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert");
    const ca = Object.entries(cas).find(([id]) => id.startsWith("federation-secrets_ca_cert"))?.[1] as Record<
      string,
      unknown
    >;
    for (const each of Object.values(cas)) {
      expect(each).toMatchObject({ validity_period_hours: 1825 * 24, early_renewal_hours: 20 * 24 });
      expect(each.lifecycle).toBeUndefined();
    }
    // Its key is a resource of its own, which no lifetime changes: a re-issued CA certificate verifies the same.
    const keys = Object.entries(resourcesOf(stacks.get("prod1") as string, "tls_private_key"));
    expect(ca.private_key_pem).toBe(
      `\${tls_private_key.${keys.find(([id]) => id.startsWith("federation-secrets_ca_key"))?.[0]}.private_key_pem}`,
    );
  });

  it("list when the CA and every node's certificate end, as an output that holds no secret", () => {
    const { stacks } = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));
    const output = JSON.parse(stacks.get("prod1") as string).output["certificate-expiry"];
    expect(output.sensitive).toBeUndefined();
    expect(Object.keys(output.value).sort()).toEqual(
      [
        "ca",
        ...["prod1", "prod2", "prod3"].flatMap((dc) => [1, 2, 3].map((n) => `${dc}-server-${n}`)),
        ...["prod1", "prod2", "prod3"].flatMap((dc) => [1, 2].map((n) => `${dc}-gateway-${n}`)),
      ].sort(),
    );
    for (const value of Object.values(output.value)) {
      expect(value).toMatch(/^\$\{tls_(self_signed|locally_signed)_cert\.[\w-]+\.validity_end_time\}$/);
    }
  });
});

describe("the trust bundle as an output", () => {
  it("gives clients outside the federation every CA the nodes trust, as public certificates only", () => {
    const output = JSON.parse(exampleStacks().get("prod1") as string).output["ca-trust-bundle"];
    expect(output.sensitive).toBeUndefined();
    expect(output.value).toMatch(
      /^\$\{tls_self_signed_cert\.federation-secrets_ca_cert_\w+\.cert_pem\}\$\{tls_self_signed_cert\.federation-secrets_ca-rotation-1_cert_\w+\.cert_pem\}$/,
    );
  });
});

describe("a CA certificate issued again with the same key", () => {
  /**
   * What a renewal of the CA does (the tls provider re-signs its certificate with the key it keeps), with OpenSSL:
   * an agent certificate signed under the old CA certificate must verify under the new one and the reverse, or a
   * rolling renewal would split the federation.
   */
  itWithTool("openssl", "verifies agent certificates signed under either, both ways", () => {
    const dir = mkdtempSync(join(tmpdir(), "ca-renewal-"));
    const openssl = (...args: string[]) => {
      const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
      if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
      return result.stdout;
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca-old.pem",
      "-days",
      "30",
      "-subj",
      "/CN=Consul Agent CA",
    );
    openssl("req", "-x509", "-key", "ca.key", "-out", "ca-new.pem", "-days", "3650", "-subj", "/CN=Consul Agent CA");
    for (const [name, ca] of [
      ["old-leaf", "ca-old.pem"],
      ["new-leaf", "ca-new.pem"],
    ]) {
      openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", "/CN=server.prod1.consul");
      openssl(
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        ca,
        "-CAkey",
        "ca.key",
        "-out",
        `${name}.pem`,
        "-days",
        "30",
      );
    }
    for (const [ca, leaf] of [
      ["ca-new.pem", "old-leaf.pem"],
      ["ca-old.pem", "new-leaf.pem"],
    ]) {
      expect(openssl("verify", "-CAfile", ca, leaf).trim()).toBe(`${leaf}: OK`);
    }
  });
});
