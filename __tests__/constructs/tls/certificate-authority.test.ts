import "cdktf/lib/testing/adapters/jest";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Testing } from "cdktf";
import { CertificateAuthority } from "../../../constructs/tls/certificate-authority";
import { testStack } from "../../support/fixtures";

describe("CertificateAuthority", () => {
  it("is a self-signed ECDSA CA that can sign certificates", () => {
    const scope = testStack();
    new CertificateAuthority(scope, "ca", { validityHours: 87600 });
    const json = Testing.synth(scope);
    expect(json).toHaveResourceWithProperties(PrivateKey, { algorithm: "ECDSA", ecdsa_curve: "P256" });
    expect(json).toHaveResourceWithProperties(SelfSignedCert, {
      is_ca_certificate: true,
      allowed_uses: ["cert_signing", "crl_signing", "digital_signature"],
      validity_period_hours: 87600,
      // A changed validity never replaces the CA (every node would distrust every other until all had the new one).
      lifecycle: { ignore_changes: ["validity_period_hours"] },
    });
  });
});
