import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderFederationJsonSchema } from "../config/json-schema";

writeFileSync(join(__dirname, "..", "federation.schema.json"), renderFederationJsonSchema());
