import { Lazy } from "cdktf";
import { createRequire } from "node:module";
import { stopRecordingTokenStackTraces } from "../../stacks/token-stack-traces";

describe("token stack traces", () => {
  it("are no longer recorded once turned off, through the module cdktf's tokens call", () => {
    stopRecordingTokenStackTraces();
    const module = createRequire(__filename)("cdktf/lib/tokens/private/stack-trace") as {
      captureStackTrace: () => string[];
    };
    expect(module.captureStackTrace()).toEqual([]);
    const lazy = Lazy.anyValue({ produce: () => "x" }) as unknown as { creationStack: string[] };
    expect(lazy.creationStack).toEqual([]);
  });
});
