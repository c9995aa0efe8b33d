import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** What the bare app must reproduce of one synthesized stack. */
export interface StackShape {
  readonly name: string;
  readonly providers: readonly string[];
  readonly resources: number;
  readonly data: number;
  /**
   * `terraform_data` resources among `resources`. cdktf validates each one by running `terraform version`
   * in a shell (tens of milliseconds apiece), so the bare app must have as many, or the ratio would
   * measure process spawns instead of our code.
   */
  readonly terraformData: number;
}

type BlockMap = Record<string, Record<string, unknown>> | undefined;

function countEntries(blocks: BlockMap): number {
  return Object.values(blocks ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
}

/** Reads the shapes back from `cdk.tf.json`, so that the count is what Terraform would see. */
export function readStackShapes(outdir: string): StackShape[] {
  const stacksDir = join(outdir, "stacks");
  return readdirSync(stacksDir)
    .sort()
    .map((name) => {
      const json = JSON.parse(readFileSync(join(stacksDir, name, "cdk.tf.json"), "utf8")) as {
        provider?: Record<string, unknown>;
        resource?: BlockMap;
        data?: BlockMap;
      };
      return {
        name,
        providers: Object.keys(json.provider ?? {}).sort(),
        resources: countEntries(json.resource),
        data: countEntries(json.data),
        terraformData: Object.keys(json.resource?.terraform_data ?? {}).length,
      };
    });
}

export function totalEntries(shapes: readonly StackShape[]): number {
  return shapes.reduce((sum, shape) => sum + shape.resources + shape.data, 0);
}
