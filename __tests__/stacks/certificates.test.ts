import { loadFederationConfig } from "../../config/load";
import { EXAMPLE_CONFIG_PATH, exampleConfig } from "../support/fixtures";
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

  it("signs every certificate beside the one CA: its private key is in the primary's state only", () => {
    expect(Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert"))).toHaveLength(1);
    expect(Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_locally_signed_cert"))).toHaveLength(15);
    for (const [name, json] of stacks) {
      if (name === "prod1") continue;
      expect(resourcesOf(json, "tls_locally_signed_cert")).toEqual({});
      expect(json).not.toMatch(/federation-secrets_ca_key/);
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

  it("follow tls, and a changed CA lifetime never replaces the CA", () => {
    const { stacks } = synthesize(
      exampleConfig(
        (input) => (input.tls = { certificateValidityDays: 90, renewBeforeDays: 20, caValidityDays: 1825 }),
      ),
    );
    for (const cert of certificates(stacks)) {
      expect(cert).toMatchObject({ validity_period_hours: 90 * 24, early_renewal_hours: 20 * 24 });
    }
    const [ca] = Object.values(resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert"));
    expect(ca).toMatchObject({
      validity_period_hours: 1825 * 24,
      lifecycle: { ignore_changes: ["validity_period_hours"] },
    });
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
