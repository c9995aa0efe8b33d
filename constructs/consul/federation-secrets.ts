import { Bytes } from "@cdktf/provider-random/lib/bytes";
import { Uuid } from "@cdktf/provider-random/lib/uuid";
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { CertificateAuthority, CertificateValidity } from "../tls/certificate-authority";

export interface FederationSecretsProps {
  /** How long the CA's certificate lives and when it is issued again. */
  readonly caValidity: CertificateValidity;
  /** Raised to make a new gossip key (rotated into the running agents through the keyring); 0 keeps the first. */
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
    const firstKey = new Bytes(this, "gossip-key", { length: 32 }).base64;
    // Each rotation's key is derived from a seed that no node receives: 32 bytes, as Consul wants them, and the
    // same key again for the same counter, so that setting the counter back restores the key that had it.
    const seed = new Bytes(this, "gossip-key-seed", { length: 32 }).base64;
    // A local, so that files carry a plain reference (`local.…`) rather than an expression with string literals.
    this.gossipKey =
      props.gossipKeyRotation === 0
        ? firstKey
        : new TerraformLocal(
            this,
            "rotated-gossip-key",
            Fn.sensitive(Fn.base64sha256(Fn.join(":", [seed, String(props.gossipKeyRotation)]))),
          ).asString;
    this.initialManagementToken = Fn.sensitive(new Uuid(this, "initial-management-token").result);
  }
}
