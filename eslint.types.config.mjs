// `npm run lint:types` (part of `npm run lint`, .ci/run and the workflows): eslint.config.mjs plus the
// type-aware rules. They are kept out of `npm test`: building the TypeScript program for them takes
// eslint from ~4 s to ~11 s on 2 cores.
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";
import base from "./eslint.config.mjs";

export default tseslint.config(...base, {
  // Type-aware rules where they pay: a Pulumi Output in a template string renders as a warning text
  // instead of its value, and a promise nobody awaits fails (or finishes) after the run has moved on.
  // Every file: the type information costs the same whatever is linted (building the program, mostly
  // @pulumi/aws's types), and in tests a promise nobody awaits is an assertion that never runs.
  files: ["**/*.ts"],
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  plugins: { "@pulumi": pulumi },
  rules: {
    "@pulumi/no-output-in-template-literal": "error",
    "@pulumi/no-output-instance-in-template-literal": "error",
    "@typescript-eslint/no-floating-promises": "error",
  },
});
