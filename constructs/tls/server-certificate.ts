import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { DNS_NAME, NODE_NAME, PropsValidator } from "../validation";
import type { CertificateSigner } from "./certificate-authority";

export interface ServerSanInput {
  readonly nodeName: string;
  readonly datacenter: string;
  readonly domain: string;
  /** Addresses the server is reached at: its private address and its floating IP (may be tokens). */
  readonly ipAddresses: readonly string[];
}

export interface SubjectAlternativeNames {
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
}

/**
 * The SANs a Consul server certificate needs. `server.<dc>.<domain>` satisfies
 * verify_server_hostname; `<node>.server.<dc>.<domain>` is how servers of other datacenters dial it
 * through mesh gateways (without it, WAN federation fails its TLS handshake).
 */
export function serverCertificateSans(input: ServerSanInput): SubjectAlternativeNames {
  const { nodeName, datacenter, domain } = input;
  return {
    dnsNames: [
      `server.${datacenter}.${domain}`,
      `${nodeName}.server.${datacenter}.${domain}`,
      `consul.service.${domain}`,
      "consul",
      "consul.local",
      "localhost",
      nodeName,
    ],
    ipAddresses: ["127.0.0.1", ...input.ipAddresses],
  };
}

export interface ServerCertificateProps {
  /** The CA that signs the certificate. */
  readonly ca: CertificateSigner;
  /** Consul node name of the server: short, lowercase, no dots. */
  readonly nodeName: string;
  /** Consul datacenter of the server. */
  readonly datacenter: string;
  /** Consul domain. @default "consul" */
  readonly domain?: string;
  /** The server's private address and floating IP (tokens allowed). */
  readonly ipAddresses: readonly string[];
  /** Lifetime in hours; the provider renews it (a new certificate, never a new VM) within earlyRenewalHours. @default 8760 */
  readonly validityHours?: number;
  /** @default 720 (30 days) */
  readonly earlyRenewalHours?: number;
}

export interface ClientCertificateProps {
  readonly ca: CertificateSigner;
  /** Consul node name of the client agent: short, lowercase, no dots. */
  readonly nodeName: string;
  readonly datacenter: string;
  /** @default "consul" */
  readonly domain?: string;
  /** The node's private address (token allowed). */
  readonly privateIp: string;
  /** @default 8760 */
  readonly validityHours?: number;
  /** @default 720 */
  readonly earlyRenewalHours?: number;
}

interface AgentCertificateInput {
  readonly nodeName: string;
  readonly datacenter: string;
  readonly domain?: string;
  readonly validityHours?: number;
  readonly earlyRenewalHours?: number;
}

/**
 * Defaults and checks that every agent certificate shares; returns the validator for the caller's own
 * checks, which it must finish with throwIfInvalid().
 */
function agentCertificateSettings(scope: Construct, props: AgentCertificateInput, nodeNameExample: string) {
  const domain = props.domain ?? "consul";
  const validityHours = props.validityHours ?? 8760;
  const earlyRenewalHours = props.earlyRenewalHours ?? 720;
  const validator = new PropsValidator(scope)
    .check(
      NODE_NAME.test(props.nodeName),
      "nodeName",
      `"${props.nodeName}" must be a short name without dots (e.g. ${nodeNameExample})`,
    )
    .check(
      NODE_NAME.test(props.datacenter),
      "datacenter",
      `"${props.datacenter}" is not a valid datacenter name (e.g. prod1)`,
    )
    .check(DNS_NAME.test(domain), "domain", `"${domain}" is not a DNS name (e.g. consul)`)
    .check(earlyRenewalHours < validityHours, "earlyRenewalHours", "must be shorter than validityHours");
  return { domain, validityHours, earlyRenewalHours, validator };
}

function signedCertificate(
  scope: Construct,
  ca: CertificateSigner,
  commonName: string,
  sans: SubjectAlternativeNames,
  validityHours: number,
  earlyRenewalHours: number,
): { request: CertRequest; certPem: string; privateKeyPem: string } {
  const key = new PrivateKey(scope, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
  const request = new CertRequest(scope, "request", {
    privateKeyPem: key.privateKeyPem,
    subject: [{ commonName }],
    dnsNames: sans.dnsNames,
    ipAddresses: sans.ipAddresses,
  });
  const cert = new LocallySignedCert(scope, "cert", {
    certRequestPem: request.certRequestPem,
    caCertPem: ca.certPem,
    caPrivateKeyPem: ca.privateKeyPem,
    validityPeriodHours: validityHours,
    earlyRenewalHours,
    allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
  });
  return { request, certPem: cert.certPem, privateKeyPem: key.privateKeyPem };
}

/**
 * A Consul client agent's certificate from the federation CA (`client.<dc>.<domain>`): it authenticates
 * the agent to its servers (verify_incoming) and serves its local HTTPS and gRPC listeners, which Envoy
 * verifies with the same CA.
 */
export class ClientCertificate extends Construct {
  readonly certPem: string;
  readonly privateKeyPem: string;
  readonly sans: SubjectAlternativeNames;

  constructor(scope: Construct, id: string, props: ClientCertificateProps) {
    super(scope, id);
    const { domain, validityHours, earlyRenewalHours, validator } = agentCertificateSettings(
      this,
      props,
      "prod1-gateway-1",
    );
    validator.throwIfInvalid();
    this.sans = {
      dnsNames: [`client.${props.datacenter}.${domain}`, props.nodeName, "localhost"],
      ipAddresses: ["127.0.0.1", props.privateIp],
    };
    const issued = signedCertificate(
      this,
      props.ca,
      `client.${props.datacenter}.${domain}`,
      this.sans,
      validityHours,
      earlyRenewalHours,
    );
    this.certPem = issued.certPem;
    this.privateKeyPem = issued.privateKeyPem;
  }
}

/** A Consul server's key and certificate, signed by the federation CA, with the complete SAN list. */
export class ServerCertificate extends Construct {
  readonly certPem: string;
  readonly privateKeyPem: string;
  readonly sans: SubjectAlternativeNames;
  /** The request whose SANs the certificate carries (checked at synth by the federation checks). */
  readonly request: CertRequest;
  readonly nodeName: string;
  readonly datacenter: string;
  readonly domain: string;

  constructor(scope: Construct, id: string, props: ServerCertificateProps) {
    super(scope, id);
    const { domain, validityHours, earlyRenewalHours, validator } = agentCertificateSettings(
      this,
      props,
      "prod1-server-1",
    );
    validator
      .check(props.ipAddresses.length > 0, "ipAddresses", "must list the private address (and the floating IP)")
      .check(
        props.ipAddresses.every((ip) => Token.isUnresolved(ip) || /^\d+\.\d+\.\d+\.\d+$/.test(ip)),
        "ipAddresses",
        "must be IPv4 addresses or Terraform references to them",
      )
      .throwIfInvalid();

    this.sans = serverCertificateSans({
      nodeName: props.nodeName,
      datacenter: props.datacenter,
      domain,
      ipAddresses: props.ipAddresses,
    });
    this.nodeName = props.nodeName;
    this.datacenter = props.datacenter;
    this.domain = domain;
    const issued = signedCertificate(
      this,
      props.ca,
      `server.${props.datacenter}.${domain}`,
      this.sans,
      validityHours,
      earlyRenewalHours,
    );
    this.request = issued.request;
    this.certPem = issued.certPem;
    this.privateKeyPem = issued.privateKeyPem;
  }
}
