import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { FederationConfig } from "../config/schema";
import { terraformTokenGenerationOf } from "../domain/terraform-token";
import { localStatePath } from "./stack-setup";

/** Read and write for the owner only: state holds every token, the gossip key and the CA's private key. */
export const STATE_FILE_MODE = 0o600;

/**
 * Terraform's local backend creates its state file with mode 0666 less the umask and its `.backup` with
 * os.Create (the same), so both are usually world-readable; a file that already exists keeps its mode
 * (internal/states/statemgr/filesystem.go: createStateFiles opens with O_CREATE 0666, writeState truncates
 * and rewrites). So before Terraform runs, each stack's state file and backup exist with mode 0600: created
 * empty where missing (Terraform reads an empty file as no state) and tightened where present.
 */
export function protectLocalState(federation: FederationConfig, outdir: string, stackNames: readonly string[]): void {
  if (federation.state.backend !== "local") return;
  for (const stack of stackNames) {
    // localStatePath is relative to the stack's working directory, <outdir>/stacks/<stack>.
    const statePath = resolve(join(outdir, "stacks", stack), localStatePath(stack));
    for (const path of [statePath, `${statePath}.backup`]) {
      if (existsSync(path)) chmodSync(path, STATE_FILE_MODE);
      else writeFileSync(path, "", { mode: STATE_FILE_MODE, flag: "wx" });
    }
  }
}

/** What a local state file lists of its resources; none for a file that is missing, empty or not state. */
interface StateResource {
  readonly mode?: unknown;
  readonly type?: unknown;
  readonly name?: unknown;
  readonly instances?: unknown;
}
function stateResources(path: string): StateResource[] {
  try {
    const text = readFileSync(path, "utf8");
    const resources = text.trim() === "" ? [] : (JSON.parse(text) as { resources?: unknown }).resources;
    return Array.isArray(resources) ? (resources as StateResource[]) : [];
  } catch {
    return [];
  }
}

/**
 * A local state file of a stack the app no longer makes that still holds resources: a datacenter whose entry was
 * deleted without being decommissioned first (cdktf never destroys a stack that left the app, so its VMs would run
 * on, orphaned, while the ACL stack deletes their tokens). One problem per such file, to refuse the synthesis before
 * anything is written. State in a bucket cannot be read at synthesis: there the README's recovery applies.
 */
export function orphanedLocalStateProblems(
  federation: FederationConfig,
  outdir: string,
  stackNames: readonly string[],
): string[] {
  if (federation.state.backend !== "local") return [];
  // Where localStatePath puts every stack's state (relative to <outdir>/stacks/<stack>).
  const folder = dirname(resolve(join(outdir, "stacks", "any"), localStatePath("any")));
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((file) => ({ file, stack: /^terraform\.(.+)\.tfstate$/.exec(file)?.[1] }))
    .filter((state): state is { file: string; stack: string } => !!state.stack && !stackNames.includes(state.stack))
    .flatMap(({ file, stack }) => {
      const resources = stateResources(join(folder, file));
      const managed = resources.filter((resource) => resource.mode === "managed").length;
      if (managed === 0) return [];
      return [
        `datacenters: ${basename(file)} still holds ${managed} resources of the stack ${stack}, which this configuration no longer makes, so they would run on, orphaned (put the datacenter's entry back as it was with decommission: true and deploy, then delete the entry; README "Removing a datacenter")`,
      ];
    });
}

/**
 * `rotation.terraformToken` below a generation the primary's local state holds: the synthesis would drop that
 * generation's secret, which Terraform would then destroy (`prevent_destroy` holds only for blocks still in the
 * configuration), while Consul uses it and no longer knows the generation configured (domain/terraform-token.ts).
 * State in a bucket cannot be read at synthesis: there the plan of the primary's stack shows the destroy.
 */
export function lowerTerraformTokenProblems(federation: FederationConfig, outdir: string, primary: string): string[] {
  if (federation.state.backend !== "local") return [];
  const path = resolve(join(outdir, "stacks", primary), localStatePath(primary));
  const made = stateResources(path)
    .filter((resource) => resource.type === "random_uuid")
    .filter((resource) => Array.isArray(resource.instances) && resource.instances.length > 0)
    .map((resource) => terraformTokenGenerationOf(String(resource.name)))
    .filter((generation): generation is number => generation !== undefined);
  const highest = Math.max(0, ...made);
  const configured = federation.rotation.terraformToken;
  if (configured >= highest) return [];
  return [
    `rotation.terraformToken: ${configured} is below generation ${highest}, whose secret ${basename(path)} holds and Consul uses (set it to ${highest} or above: a generation once made is never given back; README "Rotating Terraform's token")`,
  ];
}
