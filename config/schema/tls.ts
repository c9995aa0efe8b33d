import { z } from "zod";
import { strictObject } from "./primitives";

const days = (what: string, min: number, max: number) =>
  z
    .number({ error: `must be a whole number of days (${what})` })
    .int({ error: "must be a whole number of days" })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

/** `tls`: how long the federation's certificates live and when they are renewed. */
export const tlsSchema = strictObject({
  certificateValidityDays: days("how long an agent certificate is valid", 2, 3650)
    .default(365)
    .describe("How long every agent certificate (servers and gateways) is valid."),
  renewBeforeDays: days("how long before its end a certificate is renewed", 1, 3649)
    .default(30)
    .describe(
      "A certificate this close to its end is issued again at the next deploy and reloaded by its agent, one node at a time.",
    ),
  caValidityDays: days("how long the CA is valid", 30, 36500)
    .default(3650)
    .describe(
      "How long the federation CA's certificate is valid; it is issued again, with the same key, like the others.",
    ),
})
  .superRefine((tls, ctx) => {
    if (tls.renewBeforeDays >= tls.certificateValidityDays) {
      ctx.addIssue({
        code: "custom",
        path: ["renewBeforeDays"],
        message: `must be shorter than certificateValidityDays (${tls.certificateValidityDays}), or every deploy issues every certificate again`,
      });
    }
    if (tls.certificateValidityDays > tls.caValidityDays) {
      ctx.addIssue({
        code: "custom",
        path: ["certificateValidityDays"],
        message: `must not exceed caValidityDays (${tls.caValidityDays}): no certificate outlives the CA that signed it`,
      });
    }
  })
  .prefault({})
  .describe("Certificate lifetimes and renewal.");
