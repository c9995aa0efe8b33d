/**
 * How ACL tokens rotate: the facts that the ACL stack (which makes each generation) and the last stack (which
 * deletes the generations before it) must agree on.
 *
 * A rotation counter names a token's generation. Consul cannot change a token's secret in place, so a new
 * generation is a new token, made while the previous one still works and deleted only once every node holds
 * the new one: the ACL stack makes it at the start of a deploy, each datacenter's stack delivers it, and the
 * last stack deletes the older generations. The ACL stack therefore never destroys an older generation itself:
 * each token has two Terraform addresses, its slots, and a generation lives in the slot of its parity while the
 * other slot is forgotten (Terraform `removed` with `destroy = false`). Two slots hold two generations at most,
 * so a counter may move by one between deploys, which the ACL stack checks before it plans anything else.
 */
import { createHash } from "node:crypto";

/** The address suffix of the slot that holds odd generations; even ones keep the token's original address. */
export const ODD_GENERATION_SLOT = "-rotated";

/** The construct ID of a token's slot for a generation. */
export function tokenSlotId(baseId: string, generation: number): string {
  return generation % 2 === 0 ? baseId : `${baseId}${ODD_GENERATION_SLOT}`;
}

/** The construct ID of the slot a generation does not use (forgotten, never destroyed, by the ACL stack). */
export function otherTokenSlotId(baseId: string, generation: number): string {
  return tokenSlotId(baseId, generation + 1);
}

/** A token's description in a generation: the first keeps it as it is, later ones say which rotation made them. */
export function rotatedDescription(description: string, generation: number): string {
  return generation === 0 ? description : `${description} (rotation ${generation})`;
}

/**
 * The accessor ID of a token from its first rotation on: a name-based UUID (RFC 9562, version 5, SHA-1) of the
 * federation, the token and the generation. It is not secret (Consul shows accessor IDs to anyone with
 * `acl = "read"`); it makes a generation an identity of its own, so that a counter moved by two, which would put
 * a new generation into the slot of a live one, is a replacement the ACL stack refuses rather than an edit.
 * The first generation keeps the random accessor ID Consul gave it.
 */
export function rotatedAccessorId(federation: string, tokenKey: string, generation: number): string | undefined {
  if (generation === 0) return undefined;
  // The RFC's URL namespace; the name is a URN-like path no other federation or token shares.
  const namespace = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex");
  const hash = createHash("sha1")
    .update(namespace)
    .update(`consul-federation:${federation}/${tokenKey}/${generation}`)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * What the last stack deletes of a rotated token: every generation below `retireBelow` and every one above `current`
 * (left by a counter set back). A generation is found by its description (`description`, or `description` followed
 * by " (rotation K)"), which is how the first one, with Consul's random accessor ID, is found, and from the first
 * rotation on also by its accessor ID, so that a description changed meanwhile hides nothing. The current generation
 * is never deleted. The rule is applied by constructs/consul/files/retire-tokens.sh, the program that deletes them.
 */
export interface RetiredGenerations {
  /** The token's description in its first generation. */
  readonly description: string;
  /** The generation in use, never deleted. */
  readonly current: number;
  /** Generations below this one are deleted: `current` for the federation's tokens (delivered by the deploy). */
  readonly retireBelow: number;
  /** The current generation's accessor ID. */
  readonly currentAccessorId: string;
  /** Accessor IDs of the generations just below `retireBelow` and just above `current` (from the first rotation on). */
  readonly retiredAccessorIds: readonly string[];
}

/** How many generations on either side the accessor IDs cover: older ones were deleted by earlier deploys. */
const ACCESSOR_WINDOW = 3;

/** What the last stack must delete of the token `tokenKey` (see RetiredGenerations). */
export function retiredGenerations(
  federation: string,
  tokenKey: string,
  description: string,
  current: number,
  retireBelow: number,
): RetiredGenerations {
  const generations = [
    ...Array.from({ length: ACCESSOR_WINDOW }, (_, i) => retireBelow - 1 - i),
    ...Array.from({ length: ACCESSOR_WINDOW }, (_, i) => current + 1 + i),
  ].filter((generation) => generation >= 1 && generation !== current);
  return {
    description,
    current,
    retireBelow,
    currentAccessorId: rotatedAccessorId(federation, tokenKey, current) as string,
    retiredAccessorIds: generations.map((generation) => rotatedAccessorId(federation, tokenKey, generation) as string),
  };
}
