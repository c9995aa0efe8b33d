import { Construct } from "constructs";
import { ClientCertificate, ServerCertificate } from "../constructs/tls/agent-certificates";
import type {
  CertificateSigner,
  CertificateValidity,
  IssuedCertificate,
} from "../constructs/tls/certificate-authority";
import type { PlannedNode } from "../domain/layout";

export interface FederationPkiProps {
  readonly ca: CertificateSigner;
  readonly domain: string;
  /** The nodes whose certificates are issued here: every node outside the CA's own stack. */
  readonly nodes: readonly PlannedNode[];
  /** How long every certificate lives and when it is issued again. */
  readonly validity: CertificateValidity;
}

/**
 * The certificates of every node that lives in another stack than the CA, issued beside the CA: the CA's
 * private key stays in the state of this one stack, and the other stacks receive only their own nodes'
 * certificates and keys. Their SANs hold the private address, which the address plan fixes (a floating IP,
 * known only in the node's own stack, is not one of them).
 */
export class FederationPki extends Construct {
  private readonly certificates = new Map<string, ServerCertificate | ClientCertificate>();

  constructor(scope: Construct, id: string, props: FederationPkiProps) {
    super(scope, id);
    for (const node of props.nodes) {
      const identity = {
        ca: props.ca,
        validity: props.validity,
        nodeName: node.name,
        datacenter: node.datacenter,
        domain: props.domain,
      };
      this.certificates.set(
        node.name,
        node.role.kind === "server"
          ? new ServerCertificate(this, node.name, { ...identity, ipAddresses: [node.privateIp] })
          : new ClientCertificate(this, node.name, { ...identity, privateIp: node.privateIp }),
      );
    }
  }

  /** When each certificate issued here ends, by node name (RFC 3339; not secret). */
  validityEndTimes(): Record<string, string> {
    return Object.fromEntries([...this.certificates].map(([node, certificate]) => [node, certificate.validityEndTime]));
  }

  /** The certificate and key issued for `node` (Terraform references, the key sensitive). */
  certificateOf(node: PlannedNode): IssuedCertificate {
    const certificate = this.certificates.get(node.name);
    if (!certificate) throw new Error(`${this.node.path}: no certificate was issued for ${node.name}`);
    return certificate;
  }
}
