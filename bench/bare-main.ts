/**
 * A bare cdktf app as a whole process: the stacks, providers and resource counts that `SHAPES_FILE` lists,
 * from plain resources that reference nothing, synthesized into CDKTF_OUTDIR with the App options the
 * federation uses. Bundled like the federation's app, so that both start alike.
 */
import { readFileSync } from "node:fs";
import { App } from "cdktf";
import { buildBareApp } from "./bare-app";
import type { StackShape } from "./stack-shape";

const shapes = JSON.parse(readFileSync(process.env.SHAPES_FILE as string, "utf8")) as StackShape[];
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out", skipValidation: true, stackTraces: false });
buildBareApp(app, shapes);
app.synth();
