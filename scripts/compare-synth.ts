/**
 * `npx tsx scripts/compare-synth.ts <git revision>`: synthesizes the bundled example at every rollout stage,
 * and a few variants of it, with this working tree and with the given revision (checked out in a temporary
 * git worktree), and fails on any byte of difference. A restructuring proves with it that what Terraform and
 * the nodes receive, resource addresses included, did not change.
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parse, stringify } from "yaml";

const REPO_ROOT = join(__dirname, "..");

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Variants of the example: every stage, and settings that take other code paths. */
const VARIANTS: Record<string, (config: Document) => void> = {
  cluster: (c) => (c.rollout = { stage: "cluster" }),
  acl: (c) => (c.rollout = { stage: "acl" }),
  mesh: (c) => (c.rollout = { stage: "mesh" }),
  enforced: (c) => (c.rollout = { stage: "enforced" }),
  "s3-existing-network-alt-domain": (c) => {
    c.state = { backend: "s3", s3: { bucket: "fed-state", endpoint: "https://object.example.org" } };
    c.datacenters[1].openstack.network.existing = { network: "shared", subnet: "shared-v4" };
    c.consul.altDomain = "consul.example.org";
    c.datacenters[2].gateways.count = 1;
    c.datacenters[2].openstack.availabilityZone = "nova";
    c.datacenters[2].openstack.volumeType = "ssd";
  },
};

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${result.stdout}${result.stderr}`);
  }
}

/**
 * The files below `dir`. cdktf records where each annotation was made (a stack trace with absolute paths)
 * in manifest.json: those traces name the checkout, not the output, so they are left out of the comparison.
 */
function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === "manifest.json") {
        const manifest = JSON.parse(readFileSync(path, "utf8"), (key, value) =>
          key === "stacktrace" ? undefined : value,
        );
        files.set(relative(dir, path), Buffer.from(JSON.stringify(manifest, null, 2)));
      } else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

function main(base: string | undefined): number {
  if (!base) {
    process.stderr.write("usage: npx tsx scripts/compare-synth.ts <git revision>\n");
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), "compare-synth-"));
  const baseTree = join(work, "base");
  try {
    run("git", ["worktree", "add", "--detach", baseTree, base], REPO_ROOT);
    symlinkSync(join(REPO_ROOT, "node_modules"), join(baseTree, "node_modules"));
    const example = readFileSync(join(REPO_ROOT, "federation.yaml"), "utf8");
    let differences = 0;
    for (const [name, mutate] of Object.entries(VARIANTS)) {
      const configDir = join(work, "config", name);
      mkdirSync(configDir, { recursive: true });
      cpSync(join(REPO_ROOT, "policies"), join(configDir, "policies"), { recursive: true });
      const config = parse(example) as Document;
      mutate(config);
      writeFileSync(join(configDir, "federation.yaml"), stringify(config));
      const outputs = { base: join(work, "out", name, "base"), head: join(work, "out", name, "head") };
      for (const [side, tree] of [
        ["base", baseTree],
        ["head", REPO_ROOT],
      ] as const) {
        run(process.execPath, ["--import", "tsx", "main.ts"], tree, {
          FEDERATION_CONFIG: join(configDir, "federation.yaml"),
          CDKTF_OUTDIR: outputs[side],
        });
      }
      const [before, after] = [filesUnder(outputs.base), filesUnder(outputs.head)];
      const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
      const changed = paths.filter(
        (path) => !before.get(path)?.equals(after.get(path) ?? Buffer.alloc(0)) || !after.has(path),
      );
      differences += changed.length;
      process.stdout.write(
        `${name}: ${paths.length} files, ${changed.length} differ${changed.length ? `: ${changed.slice(0, 20).join(", ")}` : ""}\n`,
      );
    }
    process.stdout.write(differences === 0 ? "identical\n" : `${differences} file(s) differ\n`);
    return differences === 0 ? 0 : 1;
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", baseTree], { cwd: REPO_ROOT });
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv[2]);
