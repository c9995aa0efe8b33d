import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FederationConfig } from "../config/schema";
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
