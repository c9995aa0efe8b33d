import { Testing } from "cdktf";
import { stopRecordingTokenStackTraces } from "../stacks/token-stack-traces";

Testing.setupJest();
// As the app does: synthesis without a stack trace for every token (see stacks/token-stack-traces.ts).
stopRecordingTokenStackTraces();
