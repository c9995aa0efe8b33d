import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: [".gen/", "cdktf.out/", "node_modules/", "coverage/"] },
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
  prettier,
);
