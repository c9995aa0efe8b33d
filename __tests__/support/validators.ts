import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, relative, resolve } from "node:path";

/** Debian package that provides each tool, for the message that tells CI what to install. */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  "cloud-init": "cloud-init",
  shellcheck: "shellcheck",
  "systemd-analyze": "systemd",
  gpg: "gpg",
  openssl: "openssl",
  nft: "nftables",
};

/**
 * True when `name` is an executable on PATH. When it is missing, CI must not quietly skip the checks
 * that depend on it, so there this throws; elsewhere the caller skips with a visible message.
 */
export function requireTool(name: string): boolean {
  if (findOnPath(name) !== undefined) return true;
  if (process.env.CI === "true") {
    const pkg = DEBIAN_PACKAGES[name];
    const hint = pkg === undefined ? "install the Debian package that provides it" : `apt-get install ${pkg}`;
    throw new Error(`${name} is not on PATH but CI=true requires it: ${hint}`);
  }
  return false;
}

function findOnPath(name: string): string | undefined {
  for (const directory of (process.env.PATH ?? "").split(delimiter)) {
    if (directory === "") continue;
    const candidate = join(directory, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function withTempDir<T>(use: (directory: string) => T): T {
  const directory = mkdtempSync(join(tmpdir(), "validators-"));
  try {
    return use(directory);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function run(command: string, args: readonly string[], cwd?: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    // Plain output: no colours or pager, untranslated messages.
    env: { ...process.env, LC_ALL: "C.UTF-8", SYSTEMD_COLORS: "0", SYSTEMD_PAGER: "", NO_COLOR: "1" },
  });
  if (result.error !== undefined) throw new Error(`${command} could not run: ${result.error.message}`);
  return result;
}

function outputLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "");
}

/** One run of a command: its exit status and what it printed. */
interface CommandOutput {
  readonly status: number | null;
  readonly signal?: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A failure that printed nothing recognisable must still count as a finding, never as a pass. */
function unexplainedFailure(command: string, result: CommandOutput): string {
  const output = `${result.stdout}${result.stderr}`.trim();
  return `${command} exited with ${result.status ?? result.signal}${output === "" ? "" : `: ${output}`}`;
}

const SCHEMA_LINE = /^Cloud config schema (errors|deprecations): ?(.*)$/;
// cloud-init joins all problems of one kind into one line: "path: message, path: message".
const PROBLEM_SEPARATOR = /, (?=[\w.-]+: )/;

/**
 * `cloud-init schema --config-file FILE` for each file, in one Python process: cloud-init's own entry point (the
 * function /usr/bin/cloud-init calls) is called once per file, its output and exit status captured as the command
 * would print them. One start-up and one import of cloud-init (about 0.3 s) serve every file instead of one each.
 */
const CLOUD_INIT_SCHEMA_BATCH = `
import contextlib, io, json, sys
from importlib.metadata import distribution
main = next(e for e in distribution("cloud-init").entry_points
            if e.group == "console_scripts" and e.name == "cloud-init").load()
results = []
for path in sys.argv[1:]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["cloud-init", "schema", "--config-file", path])
        except SystemExit as exit:
            status = exit.code
    status = 0 if status is None else status if isinstance(status, int) else 1
    results.append({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()})
json.dump(results, sys.stdout)
`;

/** The interpreter of the cloud-init on PATH, from its #! line: its library is not on every python3's path. */
function cloudInitInterpreter(): string[] {
  const path = findOnPath("cloud-init");
  if (path === undefined) throw new Error("cloud-init is not on PATH");
  const shebang = /^#!\s*(.+)$/m.exec(readFileSync(path, "utf8").split("\n", 1)[0]);
  if (shebang === null) throw new Error(`${path} has no #! line naming its interpreter`);
  return shebang[1].trim().split(/\s+/);
}

/**
 * Problems `cloud-init schema` finds in each cloud-config document: schema errors and deprecations alike,
 * since a deprecated key is one that a newer cloud-init on the VM may drop. An empty array means valid.
 *
 * cloud-init 22.4 allows unknown top-level keys (its schema has no `additionalProperties: false`), so a
 * misspelt module key is NOT reported here; the typed `CloudConfig` model is what catches those.
 */
export function validateCloudConfigs(texts: readonly string[]): string[][] {
  if (texts.length === 0) return [];
  return withTempDir((directory) => {
    const files = texts.map((text, index) => {
      const file = join(directory, `${index}`, "user-data.yaml");
      mkdirSync(dirname(file));
      writeFileSync(file, text);
      return file;
    });
    const [interpreter, ...interpreterArgs] = cloudInitInterpreter();
    const batch = run(interpreter, [...interpreterArgs, "-c", CLOUD_INIT_SCHEMA_BATCH, ...files]);
    if (batch.status !== 0) throw new Error(unexplainedFailure("cloud-init schema", batch));
    const results = JSON.parse(batch.stdout) as CommandOutput[];
    if (results.length !== files.length) throw new Error(unexplainedFailure("cloud-init schema", batch));
    return results.map((result, index) => schemaProblems(result, files[index]));
  });
}

/** Problems `cloud-init schema` finds in one cloud-config document (see validateCloudConfigs). */
export function validateCloudConfig(text: string): string[] {
  return validateCloudConfigs([text])[0];
}

/** What one `cloud-init schema --config-file FILE` printed, as problems. */
function schemaProblems(result: CommandOutput, file: string): string[] {
  const problems = new Set<string>();
  // Deprecations go to stdout; on failure stderr repeats them after the errors, hence the Set.
  const output = `${result.stdout}\n${result.stderr}`.split(file).join("user-data");
  for (const line of outputLines(output)) {
    if (line === "Error:" || line.startsWith("Valid cloud-config:")) continue;
    const match = SCHEMA_LINE.exec(line);
    if (match === null) {
      problems.add(line);
      continue;
    }
    for (const problem of match[2].split(PROBLEM_SEPARATOR)) {
      if (problem.trim() !== "") problems.add(`${match[1] === "errors" ? "error" : "deprecated"}: ${problem.trim()}`);
    }
  }
  if (result.status !== 0 && problems.size === 0) problems.add(unexplainedFailure("cloud-init schema", result));
  if (result.status === 0 && !result.stdout.includes("Valid cloud-config")) {
    problems.add(unexplainedFailure("cloud-init schema", result));
  }
  return [...problems];
}

export interface SystemdVerifyOptions {
  /**
   * Absolute paths of executables that exist only on the VM; each becomes a stub in the verification
   * root. Defaults to the binaries the bootstrap installs.
   */
  readonly vmExecutables?: readonly string[];
}

const DEFAULT_VM_EXECUTABLES = [
  "/usr/bin/consul",
  "/usr/bin/envoy",
  "/usr/sbin/nft",
  "/usr/local/sbin/consul-snapshot",
];

const MISSING_COMMAND = /^\S+: Command (\/\S+) is not executable: No such file or directory$/;

/**
 * Problems `systemd-analyze verify` finds in unit files: unknown sections and keys, values it cannot
 * parse, missing executables. An empty array means valid. Keys of `units` are file names
 * (`consul.service`); a drop-in is written by its path (`consul.service.d/10-limits.conf`) and checked
 * together with its unit.
 *
 * How this works without touching the real /usr and /etc (found by experiment, systemd 252):
 * - `verify --root=DIR` resolves both the unit search path and the `Exec*=` binaries inside DIR, so the
 *   units go to DIR/etc/systemd/system and stubs for the VM-only binaries to DIR/usr/bin.
 * - With a bare root, every unit with default dependencies fails ("Unit sysinit.target not found"), so
 *   this machine's /usr/lib/systemd/system (about 1 MB) is copied into DIR; symlinks cannot stand in for
 *   the copy, because under --root they are resolved inside DIR too.
 * - DIR gets the merged-/usr symlinks (/bin, /sbin, /lib) of Debian 12 and Ubuntu.
 * - Commands such as /bin/kill that are missing from DIR but executable on this machine are part of the
 *   base system of the VM as well: a second pass stubs them. Anything else stays a finding.
 * - verify exits 0 after "Unknown key" and "Failed to parse" warnings, so every line it prints is a
 *   finding, not just a non-zero exit. `--recursive-errors=no` keeps the copied system units out of the
 *   report, and `--man=no` skips the Documentation= lookups that need man pages installed.
 * - verify does not open EnvironmentFile= or check User=, so those need no stand-ins on this machine.
 */
export function validateSystemdUnits(
  units: Readonly<Record<string, string>>,
  options: SystemdVerifyOptions = {},
): string[] {
  const names = Object.keys(units);
  const unitNames = names.filter((name) => !name.includes("/"));
  if (unitNames.length === 0) throw new Error("validateSystemdUnits: no unit files given (only drop-ins?)");
  return withTempDir((root) => {
    const unitDirectory = join(root, "etc", "systemd", "system");
    mkdirSync(join(root, "usr", "bin"), { recursive: true });
    mkdirSync(join(root, "usr", "sbin"), { recursive: true });
    mkdirSync(join(root, "usr", "lib", "systemd"), { recursive: true });
    for (const link of ["bin", "sbin", "lib"]) symlinkSync(join("usr", link), join(root, link));
    cpSync("/usr/lib/systemd/system", join(root, "usr", "lib", "systemd", "system"), {
      recursive: true,
      // Alias links keep their targets as written; --root then resolves them inside the copy.
      verbatimSymlinks: true,
    });
    for (const name of names) {
      const file = resolve(unitDirectory, name);
      if (relative(unitDirectory, file).startsWith("..")) {
        throw new Error(`validateSystemdUnits: bad file name ${name}`);
      }
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, units[name]);
    }
    for (const executable of options.vmExecutables ?? DEFAULT_VM_EXECUTABLES) addStub(root, executable);

    const verify = (): { findings: string[]; result: SpawnSyncReturns<string> } => {
      const result = run("systemd-analyze", [
        "verify",
        "--man=no",
        "--recursive-errors=no",
        `--root=${root}`,
        ...unitNames,
      ]);
      const findings = outputLines(`${result.stdout}\n${result.stderr}`).map((line) =>
        line.split(`${unitDirectory}/`).join("").split(root).join(""),
      );
      return { findings, result };
    };

    let { findings, result } = verify();
    const hostCommands = findings
      .map((line) => MISSING_COMMAND.exec(line)?.[1])
      .filter((path): path is string => path !== undefined && isExecutable(path));
    if (hostCommands.length > 0) {
      for (const command of hostCommands) addStub(root, command);
      ({ findings, result } = verify());
    }
    if (result.status !== 0 && findings.length === 0) {
      findings.push(unexplainedFailure("systemd-analyze verify", result));
    }
    return findings;
  });
}

/**
 * The overall exposure `systemd-analyze security` gives each unit (0 is fully sandboxed, 10 not at all),
 * judged offline from the unit files alone (systemd 250+). Keys of `units` are file names.
 */
export function systemdExposure(units: Readonly<Record<string, string>>): Record<string, number> {
  return withTempDir((dir) => {
    const exposure: Record<string, number> = {};
    for (const [name, content] of Object.entries(units)) {
      writeFileSync(join(dir, name), content);
      const result = run("systemd-analyze", ["security", "--offline=true", "--no-pager", name], dir);
      const overall = /Overall exposure level for \S+: (\d+\.\d+)/.exec(`${result.stdout}${result.stderr}`);
      if (overall === null) throw new Error(unexplainedFailure("systemd-analyze security", result));
      exposure[name] = Number(overall[1]);
    }
    return exposure;
  });
}

function addStub(root: string, executable: string): void {
  if (!executable.startsWith("/")) throw new Error(`validateSystemdUnits: stub path must be absolute: ${executable}`);
  const stub = join(root, executable);
  mkdirSync(dirname(stub), { recursive: true });
  writeFileSync(stub, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
}

/**
 * ShellCheck findings for each script, one per line in gcc format (`script:line:column: severity: message
 * [SCxxxx]`). An empty array means clean. One shellcheck process checks them all (it checks each file on its
 * own); each script is its own file named `script`, in a folder of its own.
 */
export function shellchecks(scripts: readonly string[], shell: "bash" | "sh" = "bash"): string[][] {
  if (scripts.length === 0) return [];
  return withTempDir((directory) => {
    const files = scripts.map((script, index) => {
      mkdirSync(join(directory, `${index}`));
      writeFileSync(join(directory, `${index}`, "script"), script);
      return `${index}/script`;
    });
    // --norc: a .shellcheckrc in a parent of the temp directory must not change the verdict.
    const result = run("shellcheck", ["--norc", `--shell=${shell}`, "--format=gcc", ...files], directory);
    const lines = outputLines(`${result.stdout}\n${result.stderr}`);
    const findings = files.map((file) =>
      lines.filter((line) => line.startsWith(`${file}:`)).map((line) => line.slice(file.length - "script".length)),
    );
    const unattributed = lines.filter((line) => !files.some((file) => line.startsWith(`${file}:`)));
    // Exit status 1 means "found problems"; anything else non-zero is ShellCheck itself failing, and output
    // that names no script is a problem of them all.
    for (const found of findings) {
      found.push(...unattributed);
      if (result.status !== 0 && result.status !== 1) found.push(unexplainedFailure("shellcheck", result));
    }
    if (result.status !== 0 && findings.every((found) => found.length === 0)) {
      for (const found of findings) found.push(unexplainedFailure("shellcheck", result));
    }
    return findings;
  });
}

/** ShellCheck findings for one script (see shellchecks). */
export function shellcheck(script: string, shell: "bash" | "sh" = "bash"): string[] {
  return shellchecks([script], shell)[0];
}

/**
 * `it` when the tool is installed; otherwise a skipped test whose name and a warning say why, so a
 * missing validator never turns into a silent pass. In CI `requireTool` throws instead, inside the test.
 */
export function itWithTool(tool: string, name: string, test: () => void): void {
  let available: boolean;
  try {
    available = requireTool(tool);
  } catch (error) {
    it(name, () => {
      throw error;
    });
    return;
  }
  if (available) {
    it(name, test);
  } else {
    const reason = `${tool} is not on PATH`;
    console.warn(`skipping "${name}": ${reason}`);
    it.skip(`${name} [skipped: ${reason}]`, test);
  }
}
