import { Token } from "cdktf";

/**
 * Renders a systemd EnvironmentFile (also sourced by the apply script). Values are restricted to a
 * quoting-free alphabet so that systemd and the shell read them identically; Terraform references
 * (resolved at apply time to addresses or identifiers) are accepted as they are.
 */
export function renderEnvironmentFile(variables: Readonly<Record<string, string | number>>): string {
  const lines = Object.entries(variables).map(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name))
      throw new Error(`environment variable name "${name}" must be UPPER_SNAKE_CASE`);
    const text = String(value);
    if (!Token.isUnresolved(text) && !/^[A-Za-z0-9_.:/@+=,-]*$/.test(text)) {
      throw new Error(
        `environment variable ${name}: "${text}" holds characters that need quoting (use [A-Za-z0-9_.:/@+=,-])`,
      );
    }
    return `${name}=${text}`;
  });
  return `${lines.join("\n")}\n`;
}
