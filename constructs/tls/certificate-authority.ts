import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Construct } from "constructs";
import { PropsValidator } from "../validation";

export interface CertificateAuthorityProps {
  /** Subject common name of the CA certificate. @default "Consul Agent CA" */
  readonly commonName?: string;
  /** Subject organization. @default none */
  readonly organization?: string;
  /** Lifetime of the CA certificate in hours. @default 87600 (10 years) */
  readonly validityHours?: number;
}

/** The signing material a certificate needs from its CA; satisfied by CertificateAuthority. */
export interface CertificateSigner {
  readonly certPem: string;
  readonly privateKeyPem: string;
}

/**
 * A self-signed certificate authority (ECDSA P-256). The private key lives in Terraform state, which
 * the TLS provider marks sensitive: protect the state like the key itself.
 */
export class CertificateAuthority extends Construct implements CertificateSigner {
  readonly certPem: string;
  readonly privateKeyPem: string;

  constructor(scope: Construct, id: string, props: CertificateAuthorityProps = {}) {
    super(scope, id);
    const validityHours = props.validityHours ?? 87600;
    new PropsValidator(this)
      .check(
        Number.isInteger(validityHours) && validityHours >= 24 * 365,
        "validityHours",
        `${validityHours} is too short for a CA that signs every server (use at least 8760, one year)`,
      )
      .throwIfInvalid();

    const key = new PrivateKey(this, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new SelfSignedCert(this, "cert", {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: validityHours,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ commonName: props.commonName ?? "Consul Agent CA", organization: props.organization }],
    });
    this.certPem = cert.certPem;
    this.privateKeyPem = key.privateKeyPem;
  }
}
