import "cdktf/lib/testing/adapters/jest";
import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { Testing } from "cdktf";
import { ClientCertificate, ServerCertificate } from "../../../constructs/tls/agent-certificates";
import { CertificateAuthority } from "../../../constructs/tls/certificate-authority";
import { TEST_CA_VALIDITY, TEST_VALIDITY, testStack } from "../../support/fixtures";

describe("ServerCertificate", () => {
  it("requests every SAN that verify_server_hostname and WAN federation need", () => {
    const scope = testStack();
    const ca = new CertificateAuthority(scope, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
    new ServerCertificate(scope, "cert", {
      ca,
      validity: TEST_VALIDITY,
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
      validity_period_hours: 8760,
      early_renewal_hours: 720,
    });
  });

  it("rejects a dotted node name and a missing address, listing both", () => {
    const scope = testStack();
    const ca = new CertificateAuthority(scope, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
    expect(
      () =>
        new ServerCertificate(scope, "cert", {
          ca,
          validity: TEST_VALIDITY,
          nodeName: "host.novalocal",
          datacenter: "dc1",
          domain: "consul",
          ipAddresses: [],
        }),
    ).toThrow(
      /^test\/cert: nodeName: "host\.novalocal" must be a short name without dots[\s\S]*test\/cert: ipAddresses: must list/,
    );
  });
});

describe("ClientCertificate", () => {
  it("names the client agent of its datacenter, its node and its private address", () => {
    const scope = testStack();
    const ca = new CertificateAuthority(scope, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
    new ClientCertificate(scope, "cert", {
      ca,
      validity: TEST_VALIDITY,
      nodeName: "dc1-gateway-1",
      datacenter: "dc1",
      domain: "consul",
      privateIp: "10.1.0.30",
    });
    expect(Testing.synth(scope)).toHaveResourceWithProperties(CertRequest, {
      dns_names: ["client.dc1.consul", "dc1-gateway-1", "localhost"],
      ip_addresses: ["127.0.0.1", "10.1.0.30"],
      subject: [{ common_name: "client.dc1.consul" }],
    });
  });
});
