import { createRequire } from "node:module";

/** cdktf's module, as its own code sees it (an ES import would be a read-only view of it). */
const CDKTF_STACK_TRACE = "cdktf/lib/tokens/private/stack-trace";

/**
 * cdktf 0.21 records a complete stack trace (Error.captureStackTrace at unlimited depth) for every token it
 * creates (references, lazy values, functions: about 1,100 for the example), only to print where a token was
 * made if it ever fails to resolve; it has no switch for it, and it costs a fifth of a synthesis. This turns
 * that recording off for the process: a token that fails to resolve is still reported, without the place
 * it was made. The one place that reaches into cdktf's internals; its test fails if an upgrade moves them.
 */
export function stopRecordingTokenStackTraces(): void {
  const module = createRequire(__filename)(CDKTF_STACK_TRACE) as { captureStackTrace?: unknown };
  if (typeof module.captureStackTrace !== "function") {
    throw new Error(`${CDKTF_STACK_TRACE} no longer exports captureStackTrace: see stacks/token-stack-traces.ts`);
  }
  module.captureStackTrace = () => [];
}
