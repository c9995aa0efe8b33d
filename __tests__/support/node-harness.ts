import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Runs a node script (node-apply.sh, set-agent-token.sh, ...) the way Terraform's provisioner runs it on a
 * VM, but in a scratch root (NODE_ROOT) and against stub commands: each stub records its call and answers
 * as the test tells it to, so a test can make any step fail and read back what ran, in which order.
 */

/** How a stubbed command answers: by default it succeeds silently. */
export interface StubBehaviour {
  /** Exit status. @default 0 */
  readonly exit?: number;
  /** What it prints on stdout. */
  readonly stdout?: string;
  /** What it writes to the file named after `-o` (curl's download, gpg's output). */
  readonly body?: string;
  /** What it writes to the file named after `-D` (curl's response headers). */
  readonly headers?: string;
  /** What it writes to the file its last argument names (`consul snapshot save FILE`). */
  readonly createsLast?: string;
  /** Keeps a copy of the file named after this flag (curl's `-T` upload) as `uploaded` in the harness folder. */
  readonly keepsFileAfter?: string;
  /** Runs the real command instead (found on PATH when the stub is written): `openssl verify` on real certificates. */
  readonly realCommand?: boolean;
  /** Answers by argument: the first entry whose `match` occurs in the joined arguments wins. */
  readonly when?: readonly (Omit<StubBehaviour, "when"> & { readonly match: string })[];
}

export interface NodeRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every stubbed call, `command arg arg ...`, in order. */
  readonly calls: string[];
  /** The scratch root the script treated as `/`. */
  readonly root: string;
  /** Whether the staging folder is gone. */
  readonly stagingRemoved: boolean;
  /** The harness folder (stubs may leave files there, such as `uploaded`). */
  readonly harness: string;
}

export interface NodeRunInput {
  /** The script's text. */
  readonly script: string;
  /** Name of the script in the staging folder. */
  readonly scriptName: string;
  /** Files of the staging folder besides the script (node.env, manifest.tsv, ...). */
  readonly staged: Readonly<Record<string, string>>;
  /** Files that already exist on the node, by absolute path. */
  readonly existing?: Readonly<Record<string, string>>;
  /** Mode, owner and group (`640 root consul`) of existing files, by absolute path. */
  readonly existingPermissions?: Readonly<Record<string, string>>;
  /** Stubs by command name; every command named here shadows the real one. */
  readonly stubs: Readonly<Record<string, StubBehaviour>>;
  /** The script's arguments. @default the staging folder, as Terraform's provisioner passes it */
  readonly args?: readonly string[];
  /** Commands of NODE_COMMANDS that run for real (gpg, to encrypt with a real key). */
  readonly realCommands?: readonly string[];
  /** Stubs written as bash scripts, for answers that depend on earlier calls ($HARNESS_DIR holds state). */
  readonly scriptedStubs?: Readonly<Record<string, string>>;
  /** More environment for the script and its stubs (a scripted stub's scenario). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Commands a node script calls that must never run for real here; each gets a recording stub. */
export const NODE_COMMANDS = [
  "apt-get",
  "apt-mark",
  "blkid",
  "chown",
  "cloud-init",
  "consul",
  "curl",
  "dpkg-query",
  "getent",
  "gpg",
  "groupadd",
  "id",
  "mkfs.ext4",
  "mount",
  "mountpoint",
  "openssl",
  "sleep",
  "systemctl",
  "useradd",
] as const;

/** The command's absolute path on this machine's PATH (before the stubs shadow it). */
function realCommandPath(name: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
  if (!found.startsWith("/")) throw new Error(`${name} is not on PATH: a stub cannot run it for real`);
  return found;
}

/** A stub in bash: records its call, then answers as `behaviour` says (first matching `when`, else default). */
function stub(name: string, behaviour: StubBehaviour): string {
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  const answer = (b: Omit<StubBehaviour, "when">) =>
    [
      b.body === undefined
        ? ""
        : `for ((i = 1; i < $#; i++)); do if [[ "\${!i}" == -o ]]; then j=$((i + 1)); printf '%s' ${quote(b.body)} >"\${!j}"; fi; done`,
      b.headers === undefined
        ? ""
        : `for ((i = 1; i < $#; i++)); do if [[ "\${!i}" == -D ]]; then j=$((i + 1)); printf '%s' ${quote(b.headers)} >"\${!j}"; fi; done`,
      b.createsLast === undefined ? "" : `printf '%s' ${quote(b.createsLast)} >"\${!#}"`,
      b.keepsFileAfter === undefined
        ? ""
        : `for ((i = 1; i < $#; i++)); do if [[ "\${!i}" == ${quote(b.keepsFileAfter)} ]]; then j=$((i + 1)); cp "\${!j}" "$HARNESS_DIR/uploaded"; fi; done`,
      b.stdout === undefined ? "" : `printf '%s' ${quote(b.stdout)}`,
      b.realCommand ? `exec ${quote(realCommandPath(name))} "$@"` : `exit ${b.exit ?? 0}`,
    ]
      .filter(Boolean)
      .join("\n    ");
  const cases = (behaviour.when ?? []).map((w) => `  *${quote(w.match)}*)\n    ${answer(w)}\n    ;;`);
  return [
    "#!/bin/bash",
    `printf '%s\\n' "${name} $*" >>"$HARNESS_DIR/calls"`,
    'case "$*" in',
    ...cases,
    "  *)",
    `    ${answer(behaviour)}`,
    "    ;;",
    "esac",
    "",
  ].join("\n");
}

// Writes the file with the mode it asks for but the owner it can (the test machine has no consul user),
// and keeps the asked-for owner and mode where the stubbed stat reads them back.
const INSTALL = `#!/bin/bash
printf '%s\\n' "install $*" >>"$HARNESS_DIR/calls"
args=() mode= owner=root group=root
while (($#)); do
  case "$1" in
    -o) owner=$2; shift 2 ;;
    -g) group=$2; shift 2 ;;
    -m) mode=$2; args+=(-m "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
/usr/bin/install "\${args[@]}" || exit $?
target=\${args[-1]}
[[ -d "$target" ]] || printf '%s %s %s %s\\n' "$target" "\${mode#0}" "$owner" "$group" >>"$HARNESS_DIR/perms"
`;

const STAT = `#!/bin/bash
if [[ "$1" == -c && "$2" == "%a %U %G" ]]; then
  line=$(grep -F "$3 " "$HARNESS_DIR/perms" 2>/dev/null | tail -n 1)
  if [[ -n "$line" ]]; then printf '%s\\n' "\${line#"$3 "}"; exit 0; fi
fi
if [[ "$1" == -c && "$2" == "%u" ]]; then printf '%s\\n' "\${HARNESS_OWNER_UID:-8300}"; exit 0; fi
exec /usr/bin/stat "$@"
`;

export function runNodeScript(input: NodeRunInput): NodeRun {
  const harness = mkdtempSync(join(tmpdir(), "node-harness-"));
  const root = join(harness, "root");
  const bin = join(harness, "bin");
  const staging = join(harness, "staging");
  mkdirSync(bin, { recursive: true });
  mkdirSync(staging, { recursive: true });
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc", "fstab"), "");
  writeFileSync(join(root, "etc", "os-release"), 'NAME="Ubuntu"\nVERSION_CODENAME=noble\n');
  for (const [path, content] of Object.entries(input.existing ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const command of new Set([...NODE_COMMANDS, ...Object.keys(input.stubs)])) {
    if (input.realCommands?.includes(command)) continue;
    writeFileSync(join(bin, command), stub(command, input.stubs[command] ?? {}), { mode: 0o755 });
  }
  for (const [command, script] of Object.entries(input.scriptedStubs ?? {})) {
    writeFileSync(join(bin, command), script, { mode: 0o755 });
  }
  writeFileSync(join(bin, "install"), INSTALL, { mode: 0o755 });
  writeFileSync(join(bin, "stat"), STAT, { mode: 0o755 });
  writeFileSync(join(harness, "calls"), "");
  writeFileSync(
    join(harness, "perms"),
    Object.entries(input.existingPermissions ?? {})
      .map(([path, permissions]) => `${join(root, path)} ${permissions}\n`)
      .join(""),
  );
  for (const [name, content] of Object.entries(input.staged)) writeFileSync(join(staging, name), content);
  writeFileSync(join(staging, input.scriptName), input.script);
  chmodSync(join(staging, input.scriptName), 0o700);
  const result = spawnSync("bash", [join(staging, input.scriptName), ...(input.args ?? [staging])], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      NODE_ROOT: root,
      // Waits poll a stubbed, instant sleep: a few rounds show that a check keeps failing.
      NODE_WAIT_LIMIT: "15",
      HARNESS_DIR: harness,
      HOME: harness,
      LC_ALL: "C.UTF-8",
      ...input.env,
    },
  });
  const calls = readFileSync(join(harness, "calls"), "utf8").split("\n").filter(Boolean);
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: calls.map((call) => call.split(root).join("")),
    root,
    stagingRemoved: !existsSync(staging),
    harness,
  };
}
