import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Construct } from "constructs";

/** A certificate and its key, as a node receives them. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly privateKeyPem: string;
}

/** The signing material a certificate needs from its CA; satisfied by CertificateAuthority. */
export interface CertificateSigner {
  readonly certPem: string;
  readonly privateKeyPem: string;
}

/** Ten years: the CA signs every agent certificate of the federation. */
const CA_VALIDITY_HOURS = 87600;

/**
 * A self-signed certificate authority (ECDSA P-256). The private key lives in Terraform state, which
 * the TLS provider marks sensitive: protect the state like the key itself.
 */
export class CertificateAuthority extends Construct implements CertificateSigner {
  readonly certPem: string;
  readonly privateKeyPem: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const key = new PrivateKey(this, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new SelfSignedCert(this, "cert", {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ commonName: "Consul Agent CA" }],
    });
    this.certPem = cert.certPem;
    this.privateKeyPem = key.privateKeyPem;
  }
}
