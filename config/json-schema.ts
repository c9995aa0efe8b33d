import { z } from "zod";
import { federationSchema } from "./schema";

/** The JSON Schema of the configuration file (for editor completion), derived from the zod schema. */
export function federationJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(federationSchema, { io: "input", unrepresentable: "any" }),
    title: "Consul federation on OpenStack",
  };
}

export function renderFederationJsonSchema(): string {
  return `${JSON.stringify(federationJsonSchema(), null, 2)}\n`;
}
