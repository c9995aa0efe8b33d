import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DefaultTokenResolver, StringConcat, TerraformStack, Token, Tokenization } from "cdktf";
import type { IConstruct } from "constructs";
import { ReviewableFiles } from "../constructs/review/reviewable-files";

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** Every reviewable file of the app as relative path -> content, Terraform references as `${...}`. */
export function collectReviewableFiles(root: IConstruct): Map<string, string> {
  const files = new Map<string, string>();
  for (const construct of root.node.findAll().filter(ReviewableFiles.isReviewableFiles)) {
    const stack = TerraformStack.of(construct);
    for (const [name, content] of Object.entries(construct.files)) {
      const path = `${construct.folder}/${name}`;
      if (files.has(path)) throw new Error(`${construct.node.path}: ${path} is written twice`);
      const resolved = Token.isUnresolved(content)
        ? Tokenization.resolve(content, { scope: stack, resolver: RESOLVER })
        : content;
      files.set(path, String(resolved));
    }
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Writes the reviewable files below `outdir` after `app.synth()` (so cross-stack references are
 * resolved). Each top-level folder is assembled aside and swapped in whole: a reviewer never sees a
 * mix of two syntheses.
 */
export function writeReviewableFiles(root: IConstruct, outdir: string): string[] {
  const files = collectReviewableFiles(root);
  mkdirSync(outdir, { recursive: true });
  const staging = mkdtempSync(join(outdir, ".reviewable-"));
  try {
    for (const [path, content] of files) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    const topFolders = [...new Set([...files.keys()].map((path) => path.split("/")[0]))];
    for (const folder of topFolders) {
      rmSync(join(outdir, folder), { recursive: true, force: true });
      renameSync(join(staging, folder), join(outdir, folder));
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return [...files.keys()];
}
