/**
 * Serializer for systemd unit files (systemd.syntax(7)): typed sections in, unit file text out.
 *
 * Values are written verbatim after `Key=`. The serializer refuses what the INI dialect cannot carry
 * instead of escaping it, because systemd has no quoting at the line level: a newline or NUL would end
 * the line early, and a trailing backslash would splice the next line into this value. Specifiers (`%i`,
 * `%n`) and `$VAR` expansion in `Exec*=` lines are per-key semantics that stay the caller's choice
 * (write `%%` for a literal percent sign).
 */

export type UnitValue = string | number | boolean;
export type UnitSection = Readonly<Record<string, UnitValue | readonly UnitValue[]>>;

export interface SystemdUnit {
  readonly Unit: UnitSection;
  readonly Service?: UnitSection;
  readonly Install?: UnitSection;
  readonly Path?: UnitSection;
  readonly Timer?: UnitSection;
}

// [Install] last, the way systemd's own units and `systemctl edit --full` lay them out.
const SECTION_ORDER = ["Unit", "Service", "Path", "Timer", "Install"] as const;

const KEY_PATTERN = /^[A-Za-z0-9-]+$/;

export function renderSystemdUnit(unit: SystemdUnit): string {
  // Casts can smuggle in a section the type does not know; dropping it silently would lose settings.
  const unknown = Object.keys(unit).filter((name) => !(SECTION_ORDER as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`systemd unit: unknown section(s) ${unknown.map((name) => `[${name}]`).join(", ")}`);
  }
  const blocks: string[] = [];
  for (const name of SECTION_ORDER) {
    const section = unit[name];
    if (section === undefined) continue;
    blocks.push([`[${name}]`, ...renderSection(name, section)].join("\n"));
  }
  return `${blocks.join("\n\n")}\n`;
}

/**
 * Other files in systemd's INI dialect (e.g. a resolved.conf.d drop-in): any section names, rendered in
 * the order given, with the same refusal of what the dialect cannot carry.
 */
export function renderSystemdConfig(sections: Readonly<Record<string, UnitSection>>): string {
  const blocks = Object.entries(sections).map(([name, section]) => {
    if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(name))
      throw new Error(`systemd config: invalid section name ${JSON.stringify(name)}`);
    return [`[${name}]`, ...renderSection(name, section)].join("\n");
  });
  return `${blocks.join("\n\n")}\n`;
}

function renderSection(section: string, entries: UnitSection): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    if (!KEY_PATTERN.test(key)) {
      throw new Error(`systemd unit [${section}]: invalid key ${JSON.stringify(key)} (allowed: A-Z, a-z, 0-9, -)`);
    }
    // An empty array writes nothing, which keeps "no entries" distinct from the explicit reset `Key=`.
    const values: readonly UnitValue[] = isList(value) ? value : [value];
    values.forEach((item, index) => {
      const where = isList(value) ? `${key}[${index}]` : key;
      lines.push(`${key}=${renderValue(section, where, item)}`);
    });
  }
  return lines;
}

function isList(value: UnitValue | readonly UnitValue[]): value is readonly UnitValue[] {
  return Array.isArray(value);
}

function renderValue(section: string, where: string, value: UnitValue): string {
  const fail = (problem: string): never => {
    throw new Error(`systemd unit [${section}] ${where}: ${problem}`);
  };
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail(`${value} is not a finite number`);
    return String(value);
  }
  if (typeof value !== "string") fail(`unsupported value type ${typeof value}`);
  // systemd ends a line at \r as well as \n.
  if (/[\n\r]/.test(value)) fail("value contains a line break");
  if (value.includes("\0")) fail("value contains a NUL character");
  if (value.endsWith("\\")) fail("value ends with a backslash, which systemd reads as a line continuation");
  return value;
}
