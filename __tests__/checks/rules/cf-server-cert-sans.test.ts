import { rule } from "../../../checks/rules/cf-server-cert-sans";
import { ServerCertificate } from "../../../constructs/tls/agent-certificates";
import { CertificateAuthority } from "../../../constructs/tls/certificate-authority";
import { findings } from "../../support/checks";
import { TEST_CA_VALIDITY, TEST_VALIDITY, testStack } from "../../support/fixtures";

describe("CF-SERVER-CERT-SANS", () => {
  const certificate = () => {
    const stack = testStack("s");
    const ca = new CertificateAuthority(stack, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
    const cert = new ServerCertificate(stack, "cert", {
      ca,
      validity: TEST_VALIDITY,
      nodeName: "dc1-server-1",
      datacenter: "dc1",
      domain: "consul",
      ipAddresses: ["10.0.0.1"],
    });
    return { stack, cert };
  };

  it("is quiet on a request with the complete SAN list", () => {
    const { stack } = certificate();
    expect(findings(stack, "enforced", [rule])).toEqual([]);
  });

  it("fires when the emitted request lacks <node>.server.<dc>.<domain> and 127.0.0.1", () => {
    const { stack, cert } = certificate();
    cert.request.dnsNames = ["server.dc1.consul", "localhost"];
    cert.request.ipAddresses = ["10.0.0.1"];
    expect(findings(stack, "enforced", [rule])).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringMatching(/CF-SERVER-CERT-SANS.*dc1-server-1\.server\.dc1\.consul, 127\.0\.0\.1/),
      }),
    ]);
  });
});
