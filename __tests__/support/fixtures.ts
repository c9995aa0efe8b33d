import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { validateFederationConfig } from "../../config/load";
import type { FederationConfig, FederationConfigInput } from "../../config/schema";

export const REPO_ROOT = join(__dirname, "..", "..");
export const EXAMPLE_CONFIG_PATH = join(REPO_ROOT, "federation.yaml");

/** The bundled example as written (a fresh copy each call, safe to mutate). */
export function exampleInput(): FederationConfigInput {
  return parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8")) as FederationConfigInput;
}

/** The bundled example, validated, after `mutate` has edited the raw document. */
export function exampleConfig(mutate: (input: FederationConfigInput) => void = () => undefined): FederationConfig {
  const input = exampleInput();
  mutate(input);
  return validateFederationConfig(input, "federation.yaml", REPO_ROOT);
}
