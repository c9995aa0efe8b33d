import "cdktf/lib/testing/adapters/jest";
import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Testing, TerraformStack } from "cdktf";
import { CertificateAuthority } from "../../constructs/tls/certificate-authority";
import { ServerCertificate, serverCertificateSans } from "../../constructs/tls/server-certificate";
import { loadFederationConfig } from "../../config/load";
import { EXAMPLE_CONFIG_PATH } from "../support/fixtures";
import { resourcesOf, synthesize } from "../support/synth";

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), "test");
}

describe("CertificateAuthority", () => {
  it("is a self-signed ECDSA CA that can sign certificates", () => {
    const scope = stack();
    new CertificateAuthority(scope, "ca");
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(PrivateKey, { algorithm: "ECDSA", ecdsa_curve: "P256" });
    expect(json).toHaveResourceWithProperties(SelfSignedCert, {
      is_ca_certificate: true,
      allowed_uses: ["cert_signing", "crl_signing", "digital_signature"],
      validity_period_hours: 87600,
    });
  });

  it("rejects a lifetime too short for a CA, naming the construct path", () => {
    expect(() => new CertificateAuthority(stack(), "ca", { validityHours: 48 })).toThrow(
      /^test\/ca: validityHours: 48 is too short .*\(use at least 8760/,
    );
  });
});

describe("ServerCertificate", () => {
  it("requests every SAN that verify_server_hostname and WAN federation need", () => {
    const scope = stack();
    const ca = new CertificateAuthority(scope, "ca");
    new ServerCertificate(scope, "cert", {
      ca,
      nodeName: "dc1-server-1",
      datacenter: "dc1",
      domain: "example",
      ipAddresses: ["10.0.0.10", "198.51.100.7"],
    });
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(CertRequest, {
      dns_names: [
        "server.dc1.example",
        "dc1-server-1.server.dc1.example",
        "consul.service.example",
        "consul",
        "consul.local",
        "localhost",
        "dc1-server-1",
      ],
      ip_addresses: ["127.0.0.1", "10.0.0.10", "198.51.100.7"],
      subject: [{ common_name: "server.dc1.example" }],
    });
    expect(json).toHaveResourceWithProperties(LocallySignedCert, {
      allowed_uses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
      early_renewal_hours: 720,
    });
  });

  it("rejects a dotted node name and a missing address, listing both", () => {
    const scope = stack();
    const ca = new CertificateAuthority(scope, "ca");
    expect(
      () =>
        new ServerCertificate(scope, "cert", { ca, nodeName: "host.novalocal", datacenter: "dc1", ipAddresses: [] }),
    ).toThrow(
      /^test\/cert: nodeName: "host\.novalocal" must be a short name without dots[\s\S]*test\/cert: ipAddresses: must list/,
    );
  });

  it("derives the SAN list from its inputs alone", () => {
    const sans = serverCertificateSans({
      nodeName: "a-server-3",
      datacenter: "a",
      domain: "consul",
      ipAddresses: ["10.1.0.12"],
    });
    expect(sans.dnsNames).toContain("a-server-3.server.a.consul");
    expect(sans.ipAddresses).toEqual(["127.0.0.1", "10.1.0.12"]);
  });
});

describe("certificates of the example federation", () => {
  const { stacks, federation } = synthesize(loadFederationConfig(EXAMPLE_CONFIG_PATH));

  it.each(["prod1", "prod2", "prod3"])("every server of %s has the complete SAN list, floating IP included", (dc) => {
    const json = stacks.get(dc) as string;
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
      expect(ips[2]).toMatch(/^\$\{openstack_networking_floatingip_v2\.[^}]+\.address\}$/);
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

  it("signs every datacenter's certificates with the one CA of the primary", () => {
    expect(Object.keys(resourcesOf(stacks.get("prod1") as string, "tls_self_signed_cert"))).toHaveLength(1);
    for (const dc of ["prod2", "prod3"]) {
      const json = stacks.get(dc) as string;
      expect(resourcesOf(json, "tls_self_signed_cert")).toEqual({});
      for (const cert of Object.values(resourcesOf(json, "tls_locally_signed_cert"))) {
        expect(cert.ca_private_key_pem).toMatch(
          /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod1\./,
        );
      }
    }
  });
});
