import { z } from "zod";
import { parseIpv4Cidr } from "../../domain/ipv4";
import { closestMatch } from "../did-you-mean";

/** Building blocks shared by the sections of the configuration schema. */

export const SEMVER = /^\d+\.\d+\.\d+$/;
export const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const ENVOY_VERSION = /^\d+\.\d+(\.\d+)?$/;

/**
 * An object that rejects unknown keys, naming the allowed ones and the closest match. `retired` keys were
 * settings once: they are refused with the reason they went away, so that an old configuration is told
 * exactly what to remove.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, retired: Readonly<Record<string, string>> = {}) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      const keys = issue.keys;
      const gone = keys.filter((key) => Object.hasOwn(retired, key));
      if (gone.length > 0) {
        return gone.map((key) => `"${key}" is no longer a setting: ${retired[key]} (remove it)`).join("; ");
      }
      const hints = keys.map((key) => {
        const closest = closestMatch(key, allowed);
        return closest ? `"${key}" (did you mean "${closest}"?)` : `"${key}"`;
      });
      return `unknown key ${hints.join(", ")} (allowed keys: ${allowed.join(", ")})`;
    },
  });
}

export const cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseIpv4Cidr(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

/**
 * Text that goes where Terraform takes no template (backend settings) or where no real value needs one
 * (URLs): `${` and `%{` are refused rather than escaped.
 */
export const withoutTemplates = <T extends z.ZodType<string>>(schema: T) =>
  schema.refine((value) => !/[$%]\{/.test(value), {
    error: "cannot hold ${ or %{ (Terraform would read them as a template)",
  });

/** An `https://` URL that holds no template sequence. */
export const httpsUrl = (error: string) => withoutTemplates(z.url({ protocol: /^https$/, error }));

export const nonEmpty = (what: string) => z.string().min(1, { error: `must not be empty (give the ${what})` });

export const version = (what: string, example: string) =>
  z.string().regex(SEMVER, { error: `must be a full ${what} release version such as ${example}` });

export const countOf = (what: string, max: number) =>
  z
    .number({ error: (issue) => `must be a whole number of ${what}, got ${JSON.stringify(issue.input)}` })
    .int({ error: `must be a whole number of ${what}` })
    .max(max, { error: `must be at most ${max}` });

/** A counter a user raises to rotate something (0, the first, by default): a whole number of `what`. */
export const rotationCounter = (what: string) =>
  countOf(what, 1_000_000).min(0, { error: "must be 0 or more" }).default(0);

/** A value read defensively by checks that run even when the shape is wrong. */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
