import { Bytes } from "@cdktf/provider-random/lib/bytes";
import { Uuid } from "@cdktf/provider-random/lib/uuid";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { CertificateAuthority, CertificateValidity } from "../tls/certificate-authority";

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

  constructor(scope: Construct, id: string, props: { readonly caValidity: CertificateValidity }) {
    super(scope, id);
    this.ca = new CertificateAuthority(this, "ca", { validity: props.caValidity });
    this.gossipKey = new Bytes(this, "gossip-key", { length: 32 }).base64;
    this.initialManagementToken = Fn.sensitive(new Uuid(this, "initial-management-token").result);
  }
}
