import { Bytes } from "@cdktf/provider-random/lib/bytes";
import { Uuid } from "@cdktf/provider-random/lib/uuid";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { CertificateAuthority, CertificateValidity } from "../tls/certificate-authority";

export interface FederationSecretsProps {
  /** How long the CA's certificate lives and when it is issued again. */
  readonly caValidity: CertificateValidity;
  /** Raised to make a new gossip key (rotated into the running agents through the keyring). */
  readonly gossipKeyRotation: number;
}

/**
 * What every datacenter of a federation shares: the CA that signs all server certificates and the
 * gossip encryption key. Made once (in the primary's stack) and referenced by every other stack.
 */
export class FederationSecrets extends Construct {
  readonly ca: CertificateAuthority;
  /** Base64 of 32 random bytes, as `consul keygen` makes; sensitive in Terraform. */
  readonly gossipKey: string;
  /**
   * The primary's `acl.tokens.initial_management`: bootstraps the ACL system without a manual
   * `consul acl bootstrap`, and is the token Terraform manages every ACL object with. Sensitive.
   */
  readonly initialManagementToken: string;

  constructor(scope: Construct, id: string, props: FederationSecretsProps) {
    super(scope, id);
    this.ca = new CertificateAuthority(this, "ca", { validity: props.caValidity });
    this.gossipKey = new Bytes(this, "gossip-key", {
      length: 32,
      // A new key for each rotation; none before the first, so that a federation made earlier keeps its key.
      keepers: props.gossipKeyRotation > 0 ? { rotation: String(props.gossipKeyRotation) } : undefined,
    }).base64;
    this.initialManagementToken = Fn.sensitive(new Uuid(this, "initial-management-token").result);
  }
}
