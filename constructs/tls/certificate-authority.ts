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

/** How long a certificate lives and how close to its end it is issued again. */
export interface CertificateValidity {
  readonly hours: number;
  /** The tls provider plans a new certificate once it is this close to its end (early_renewal_hours). */
  readonly renewBeforeHours: number;
}

export interface CertificateAuthorityProps {
  /**
   * How long the CA's certificate lives and how close to its end the next plan issues it again. Its key never
   * changes (a resource of its own): a re-issued CA certificate has the same key and subject, so certificates
   * signed under either verify under both, and nodes trust each other throughout a rolling renewal.
   */
  readonly validity: CertificateValidity;
  /** The subject's common name: distinct per CA, so that chains are built to the right one. */
  readonly commonName: string;
}

/**
 * A self-signed certificate authority (ECDSA P-256). The private key lives in Terraform state, which
 * the TLS provider marks sensitive: protect the state like the key itself.
 */
export class CertificateAuthority extends Construct implements CertificateSigner {
  readonly certPem: string;
  readonly privateKeyPem: string;

  /** When the CA's certificate ends (RFC 3339). */
  readonly validityEndTime: string;

  constructor(scope: Construct, id: string, props: CertificateAuthorityProps) {
    super(scope, id);
    const key = new PrivateKey(this, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new SelfSignedCert(this, "cert", {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: props.validity.hours,
      earlyRenewalHours: props.validity.renewBeforeHours,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
      subject: [{ commonName: props.commonName }],
    });
    this.certPem = cert.certPem;
    this.privateKeyPem = key.privateKeyPem;
    this.validityEndTime = cert.validityEndTime;
  }
}
