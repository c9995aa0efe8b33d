import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { DNS_LABEL, DNS_NAME } from "../../domain/names";
import {
  AgentIdentity,
  clientCertificateSans,
  clientCommonName,
  serverCertificateSans,
  serverCommonName,
  SubjectAlternativeNames,
} from "../../domain/sans";
import { PropsValidator } from "../validation";
import type { CertificateSigner, CertificateValidity } from "./certificate-authority";

interface AgentCertificateProps extends AgentIdentity {
  /** The CA that signs the certificate. */
  readonly ca: CertificateSigner;
  /**
   * How long it lives; in its last `renewBeforeHours` the next plan issues a new certificate (the same key),
   * which reaches the node like any changed file, never as a new VM.
   */
  readonly validity: CertificateValidity;
}

export interface ServerCertificateProps extends AgentCertificateProps {
  /** The server's private address and floating IP (tokens allowed). */
  readonly ipAddresses: readonly string[];
}

export interface ClientCertificateProps extends AgentCertificateProps {
  /** The node's private address (token allowed). */
  readonly privateIp: string;
}

/** Checks every agent certificate shares; the caller adds its own and finishes with throwIfInvalid(). */
function identityValidator(scope: Construct, props: AgentIdentity, nodeNameExample: string): PropsValidator {
  return new PropsValidator(scope)
    .check(
      DNS_LABEL.test(props.nodeName),
      "nodeName",
      `"${props.nodeName}" must be a short name without dots (e.g. ${nodeNameExample})`,
    )
    .check(
      DNS_LABEL.test(props.datacenter),
      "datacenter",
      `"${props.datacenter}" is not a valid datacenter name (e.g. prod1)`,
    )
    .check(DNS_NAME.test(props.domain), "domain", `"${props.domain}" is not a DNS name (e.g. consul)`);
}

function signedCertificate(
  scope: Construct,
  props: AgentCertificateProps,
  commonName: string,
  sans: SubjectAlternativeNames,
): { request: CertRequest; certPem: string; privateKeyPem: string; validityEndTime: string } {
  const key = new PrivateKey(scope, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const request = new CertRequest(scope, "request", {
    privateKeyPem: key.privateKeyPem,
    subject: [{ commonName }],
    dnsNames: sans.dnsNames,
    ipAddresses: sans.ipAddresses,
  });
  const cert = new LocallySignedCert(scope, "cert", {
    certRequestPem: request.certRequestPem,
    caCertPem: props.ca.certPem,
    caPrivateKeyPem: props.ca.privateKeyPem,
    validityPeriodHours: props.validity.hours,
    earlyRenewalHours: props.validity.renewBeforeHours,
    allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
  });
  return { request, certPem: cert.certPem, privateKeyPem: key.privateKeyPem, validityEndTime: cert.validityEndTime };
}

/**
 * A Consul client agent's certificate from the federation CA (`client.<dc>.<domain>`): it authenticates
 * the agent to its servers (verify_incoming) and serves its local HTTPS and gRPC listeners, which Envoy
 * verifies with the same CA.
 */
export class ClientCertificate extends Construct {
  readonly certPem: string;
  readonly privateKeyPem: string;
  /** When the certificate ends (RFC 3339). */
  readonly validityEndTime: string;
  readonly sans: SubjectAlternativeNames;

  constructor(scope: Construct, id: string, props: ClientCertificateProps) {
    super(scope, id);
    identityValidator(this, props, "prod1-gateway-1").throwIfInvalid();
    this.sans = clientCertificateSans(props, props.privateIp);
    const issued = signedCertificate(this, props, clientCommonName(props), this.sans);
    this.certPem = issued.certPem;
    this.privateKeyPem = issued.privateKeyPem;
    this.validityEndTime = issued.validityEndTime;
  }
}

/** A Consul server's key and certificate, signed by the federation CA, with the complete SAN list. */
export class ServerCertificate extends Construct {
  readonly certPem: string;
  readonly privateKeyPem: string;
  /** When the certificate ends (RFC 3339). */
  readonly validityEndTime: string;
  readonly sans: SubjectAlternativeNames;
  /** Whose certificate it is. */
  readonly identity: AgentIdentity;
  /** The request whose SANs the certificate carries, as emitted (judged by the federation checks). */
  readonly request: CertRequest;

  constructor(scope: Construct, id: string, props: ServerCertificateProps) {
    super(scope, id);
    identityValidator(this, props, "prod1-server-1")
      .check(props.ipAddresses.length > 0, "ipAddresses", "must list the private address (and the floating IP)")
      .check(
        props.ipAddresses.every((ip) => Token.isUnresolved(ip) || /^\d+\.\d+\.\d+\.\d+$/.test(ip)),
        "ipAddresses",
        "must be IPv4 addresses or Terraform references to them",
      )
      .throwIfInvalid();
    this.identity = { nodeName: props.nodeName, datacenter: props.datacenter, domain: props.domain };
    this.sans = serverCertificateSans(props, props.ipAddresses);
    const issued = signedCertificate(this, props, serverCommonName(props), this.sans);
    this.request = issued.request;
    this.certPem = issued.certPem;
    this.privateKeyPem = issued.privateKeyPem;
    this.validityEndTime = issued.validityEndTime;
  }
}
