import "cdktf/lib/testing/adapters/jest";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Testing } from "cdktf";
import { CertificateAuthority } from "../../../constructs/tls/certificate-authority";
import { TEST_CA_VALIDITY, testStack } from "../../support/fixtures";

describe("CertificateAuthority", () => {
  it("is a self-signed ECDSA CA that can sign certificates", () => {
    const scope = testStack();
    new CertificateAuthority(scope, "ca", { validity: TEST_CA_VALIDITY, commonName: "Consul Agent CA" });
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(PrivateKey, { algorithm: "ECDSA", ecdsa_curve: "P256" });
    expect(json).toHaveResourceWithProperties(SelfSignedCert, {
      is_ca_certificate: true,
      allowed_uses: ["cert_signing", "crl_signing", "digital_signature"],
      validity_period_hours: 87600,
      // Issued again, with the same key, in the same window as the agents' certificates.
      early_renewal_hours: 720,
    });
  });
});
