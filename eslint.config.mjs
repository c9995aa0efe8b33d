import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

/**
 * The layers, lowest first. A file may import only from its own layer and the layers its entry allows;
 * `npm test` fails on a back-edge (a test proves the rule fires).
 *   domain/      pure facts: no cdktf, constructs, zod or YAML, nothing of the project above it
 *   config/      YAML -> validated model: the domain only
 *   constructs/  reusable building blocks: the domain and the generated bindings, never config/
 *   checks/      the federation checks: constructs and the domain
 *   stacks/      composition: everything below
 */
const layer = (name) => `^(\\.\\./)+${name}(/|$)`;
const forbid = (message, ...patterns) => [
  "error",
  { patterns: patterns.map((pattern) => ({ regex: pattern, message })) },
];
export const LAYER_RULES = [
  {
    files: ["domain/**/*.ts"],
    rules: {
      "no-restricted-imports": forbid(
        "domain/ holds pure facts: it imports nothing of the project above it and no framework",
        layer("(config|constructs|checks|stacks|scripts|bench|\\.gen)"),
        "^(cdktf|constructs|zod|yaml|@cdktf/.*)(/.*)?$",
      ),
    },
  },
  {
    files: ["config/**/*.ts"],
    rules: {
      "no-restricted-imports": forbid(
        "config/ builds the validated model on the domain alone",
        layer("(constructs|checks|stacks|scripts|bench|\\.gen)"),
        "^(cdktf|constructs|@cdktf/.*)(/.*)?$",
      ),
    },
  },
  {
    files: ["constructs/**/*.ts"],
    rules: {
      "no-restricted-imports": forbid(
        "constructs/ are reusable: they know the domain, never the configuration, the checks or the stacks",
        layer("(config|checks|stacks|scripts|bench)"),
      ),
    },
  },
  {
    files: ["checks/**/*.ts"],
    rules: {
      "no-restricted-imports": forbid(
        "checks/ judge what constructs emit, with the domain's facts; they never read the configuration or the stacks",
        layer("(config|stacks|scripts|bench)"),
      ),
    },
  },
];

export default tseslint.config(
  { ignores: [".gen/", ".build/", "cdktf.out/", "node_modules/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.mjs", "**/*.cjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", module: "readonly", require: "readonly" } },
  },
  {
    rules: {
      // Constructs are instantiated for their side effect of joining the construct tree.
      "no-new": "off",
    },
  },
  ...LAYER_RULES,
  prettier,
);
