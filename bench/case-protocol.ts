import type { StackShape } from "./stack-shape";

/** Marks the child's result line, so that anything else a library prints on stdout is ignored. */
export const RESULT_PREFIX = "SYNTH_BENCH_RESULT ";

export type CaseKind = "ours" | "bare";

export interface CaseResult {
  readonly kind: CaseKind;
  readonly datacenters: number;
  /** Configuration through reviewable files, without process start-up and module loading. */
  readonly timeMs: number;
  readonly phasesMs: Record<string, number>;
  /** Part of `timeMs` spent in cdktf's `terraform version` checks (one spawn per `terraform_data`). */
  readonly terraformVersionChecksMs: number;
  readonly maxRssMiB: number;
  readonly stacks: readonly StackShape[];
}
