/**
 * Envoy releases that each Consul minor release supports, from the compatibility matrix in Consul's
 * documentation ("Envoy proxy configuration" / supported versions). A pair outside this table is
 * rejected at load time: a mismatched Envoy fails only when the gateway starts, on every node at once.
 */
export const SUPPORTED_ENVOY_BY_CONSUL_MINOR: Readonly<Record<string, readonly string[]>> = {
  "1.20": ["1.33", "1.32", "1.31", "1.30"],
  "1.21": ["1.34", "1.33", "1.32", "1.31"],
  "1.22": ["1.35", "1.34", "1.33", "1.32"],
};

export function minorOf(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/** A problem of the Consul release itself (one this project does not know), or undefined. */
export function consulReleaseProblem(consulVersion: string): string | undefined {
  const consulMinor = minorOf(consulVersion);
  if (SUPPORTED_ENVOY_BY_CONSUL_MINOR[consulMinor]) return undefined;
  const known = Object.keys(SUPPORTED_ENVOY_BY_CONSUL_MINOR).join(", ");
  return `Consul ${consulMinor} is not a supported release (use one of ${known})`;
}

/** Returns undefined when the pair is supported (or the Consul release is unknown), otherwise the problem. */
export function envoyCompatibilityProblem(consulVersion: string, envoyVersion: string): string | undefined {
  const supported = SUPPORTED_ENVOY_BY_CONSUL_MINOR[minorOf(consulVersion)];
  if (!supported) return undefined;
  if (!supported.includes(minorOf(envoyVersion))) {
    return `Envoy ${envoyVersion} is not supported by Consul ${consulVersion} (use Envoy ${supported.map((v) => `${v}.x`).join(", ")})`;
  }
  return undefined;
}
