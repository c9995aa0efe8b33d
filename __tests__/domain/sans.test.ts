import { requiredServerSans, serverCertificateSans } from "../../domain/sans";

describe("server certificate SANs", () => {
  const identity = { nodeName: "a-server-3", datacenter: "a", domain: "consul" };

  it("derive from the node's identity and addresses alone", () => {
    const sans = serverCertificateSans(identity, ["10.1.0.12"]);
    expect(sans.dnsNames).toContain("a-server-3.server.a.consul");
    expect(sans.ipAddresses).toEqual(["127.0.0.1", "10.1.0.12"]);
  });

  it("always include what verify_server_hostname and federation through gateways need", () => {
    const sans = serverCertificateSans(identity, []);
    const required = requiredServerSans(identity);
    expect(required.dnsNames).toEqual(["server.a.consul", "a-server-3.server.a.consul", "localhost"]);
    expect(sans.dnsNames).toEqual(expect.arrayContaining(required.dnsNames));
    expect(sans.ipAddresses).toEqual(expect.arrayContaining(required.ipAddresses));
  });
});
