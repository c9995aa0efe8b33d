import { z } from "zod";
import { httpsUrl, strictObject } from "./primitives";

/** `packages`: the apt repositories Consul and Envoy come from. */

const FINGERPRINT = /^[0-9A-F]{40}$/;

const repositorySchema = (name: string, url: string, keyUrl: string, fingerprint: string, suite?: string) =>
  strictObject(
    {
      url: httpsUrl("must be an https:// URL").default(url).describe(`Base URL of ${name}'s apt repository.`),
      suite: z
        .string()
        .regex(/^[a-z0-9$][A-Za-z0-9_$-]*$/, { error: "must be an apt suite such as jammy (or $RELEASE)" })
        .default(suite ?? "$RELEASE")
        .describe("apt suite; $RELEASE is the image's codename."),
      keyUrl: httpsUrl("must be an https:// URL")
        .default(keyUrl)
        .describe(`Where every node downloads ${name}'s signing key from, on every apply (HTTPS).`),
      keyFingerprint: z
        .string()
        .regex(FINGERPRINT, { error: "must be a 40-digit uppercase hexadecimal OpenPGP fingerprint" })
        .default(fingerprint)
        .describe(
          `Fingerprint of ${name}'s signing key; a downloaded key with another one is refused (verify it with gpg --show-keys).`,
        ),
    },
    {
      keyserver:
        "nodes download the signing key over HTTPS from keyUrl and check it against keyFingerprint on every apply",
    },
  );

// Fingerprints: HashiCorp's signing key since its September 2026 rotation, and Envoy's apt key. Both
// are configurable because a rotation must not need a release of this project.
export const packagesSchema = strictObject({
  hashicorp: repositorySchema(
    "HashiCorp",
    "https://apt.releases.hashicorp.com",
    "https://apt.releases.hashicorp.com/gpg",
    "D55C0D1AC78A8D8126CB631CFC9CA96ACA026560",
  ).prefault({}),
  envoy: repositorySchema(
    "Envoy",
    "https://apt.envoyproxy.io",
    "https://apt.envoyproxy.io/signing.key",
    "0AFCE836BA4D1D35763C8523D8CDC3750181F31F",
    "jammy",
  )
    .prefault({})
    .describe("Envoy's repository publishes few suites (jammy, bookworm); its static builds run on newer releases."),
});
