import { Bytes } from "@cdktf/provider-random/lib/bytes";
import { Uuid } from "@cdktf/provider-random/lib/uuid";
import { Fn, TerraformLocal } from "cdktf";
import { Construct } from "constructs";
import { terraformTokenResourceId } from "../../domain/terraform-token";
import { CertificateAuthority, CertificateValidity } from "../tls/certificate-authority";
import type { ManagementTokenGeneration } from "./management-token";

export interface FederationSecretsProps {
  /** How long the CA's certificate lives and when it is issued again. */
  readonly caValidity: CertificateValidity;
  /** Raised to make a new gossip key (rotated into the running agents through the keyring); 0 keeps the first. */
  readonly gossipKeyRotation: number;
  /** The generation of the CA that signs the agents' certificates (`rotation.ca`); 0 is the first CA. */
  readonly caRotation: number;
  /**
   * The generation of Terraform's management token; 0 is the initial management token. From 1 on, each
   * generation has a random secret of its own (see domain/terraform-token.ts).
   */
  readonly terraformTokenRotation: number;
}

/** The common name of a CA generation's certificate: the first keeps the name it always had. */
const caCommonName = (generation: number) =>
  generation === 0 ? "Consul Agent CA" : `Consul Agent CA (rotation ${generation})`;

/**
 * What every datacenter of a federation shares: the CA that signs all agent certificates, the CAs every agent
 * trusts, and the gossip encryption key. Made once (in the primary's stack) and referenced by every other stack.
 *
 * CA rotation: with `rotation.ca` at N, generation N signs every certificate, and every node trusts N, the next
 * generation N + 1 (made ahead, so that it is trusted everywhere before it signs anything) and the previous one
 * N - 1 (still presented by the nodes a rotation has not reached yet). Raising N by one therefore never leaves
 * a node distrusting a peer: a node already moved presents a certificate of N + 1, which the others trust from
 * before; the others present one of N, which the moved node still trusts. The rotation after drops N - 1 (its
 * key is destroyed). Each generation's key is a resource of its own, named after the generation.
 */
export class FederationSecrets extends Construct {
  /** The CA of the current generation: it signs every agent certificate. */
  readonly ca: CertificateAuthority;
  /** The certificates of every CA the agents trust, previous, current and next, as one PEM bundle. */
  readonly caTrustBundle: string;
  /** Base64 of 32 random bytes, as `consul keygen` makes; sensitive in Terraform. */
  readonly gossipKey: string;
  /**
   * The primary's `acl.tokens.initial_management`: bootstraps the ACL system without a manual
   * `consul acl bootstrap`; Terraform manages every ACL object with it while `rotation.terraformToken` is 0. Sensitive.
   */
  readonly initialManagementToken: string;
  /** The management token Terraform and the federation's scripts use: the current generation's secret. Sensitive. */
  readonly terraformToken: string;
  /** Every generation from the current one down to 1 (none at 0), newest first: what the servers may try. */
  readonly terraformTokenGenerations: readonly ManagementTokenGeneration[];

  constructor(scope: Construct, id: string, props: FederationSecretsProps) {
    super(scope, id);
    const current = props.caRotation;
    const trusted = (current === 0 ? [0, 1] : [current - 1, current, current + 1]).map((generation) => ({
      generation,
      ca: new CertificateAuthority(this, generation === 0 ? "ca" : `ca-rotation-${generation}`, {
        validity: props.caValidity,
        commonName: caCommonName(generation),
      }),
    }));
    this.ca = trusted.find(({ generation }) => generation === current)?.ca as CertificateAuthority;
    // Each certificate PEM ends with a newline: concatenated, they are one bundle. Consul reads every certificate of
    // its ca_file into the pool it verifies peers with (tlsutil/config.go in hashicorp/consul: LoadCAs, then
    // x509.CertPool.AppendCertsFromPEM, which parses a series of PEM certificates).
    this.caTrustBundle = trusted.map(({ ca }) => ca.certPem).join("");
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
    const tokenGeneration = props.terraformTokenRotation;
    if (tokenGeneration === 0) {
      this.terraformToken = this.initialManagementToken;
      this.terraformTokenGenerations = [];
      return;
    }
    // A random secret of its own for each generation, made once and kept: whoever read the state before a
    // rotation cannot tell the next one, and every older one stays at hand to make the current one with (after
    // a restore, say). Protected, so that nothing replaces a generation Consul holds.
    this.terraformTokenGenerations = Array.from({ length: tokenGeneration }, (_, index) => tokenGeneration - index).map(
      (generation) => ({
        generation,
        secret: Fn.sensitive(
          new Uuid(this, terraformTokenResourceId(generation), { lifecycle: { preventDestroy: true } }).result,
        ),
      }),
    );
    // A local, so that the output carrying it to other stacks keeps its name from one generation to the next.
    this.terraformToken = new TerraformLocal(
      this,
      "terraform-token",
      this.terraformTokenGenerations[0].secret,
    ).asString;
  }
}
