import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

/**
 * The layers, lowest first: a folder may import only the folders below it (the test
 * in tests/lint/layers.test.ts proves each rule fires). Tests sit on top and may import any layer,
 * the scripts' libraries included (scripts/lib, scripts/ci: tested code), but not an entry point
 * (scripts/*.ts, which run on import).
 */
const LAYERS = ["providers", "components", "config", "platform", "verify", "adoption", "scripts"];

/**
 * A relative import of the top-level `folder` from inside another folder ("../config",
 * "../../components/flux"). Only `../` climbs out of a folder: "./adoption" in platform/ is a sibling file.
 */
const relativeTo = (folder) => `^(\\.\\./)+${folder}(/|$)`;
/** The same from a file at the root (index.ts): "./verify". */
const fromRoot = (folder) => `^\\./${folder}(/|$)`;

function layerRule(layer) {
  const above = LAYERS.slice(LAYERS.indexOf(layer) + 1);
  return {
    files: [`${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: above.map((folder) => ({
            regex: relativeTo(folder),
            message: `${layer}/ sits below ${folder}/ in the layers (${LAYERS.join(" < ")}): move the shared code down instead.`,
          })),
        },
      ],
    },
  };
}

export const layerRules = [
  ...LAYERS.slice(0, -1).map(layerRule),
  {
    files: ["index.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: fromRoot("(verify|adoption|scripts)"), message: "the program does not import verify/, adoption/ or scripts/." }] },
      ],
    },
  },
  {
    files: ["tests/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: `^(\\.{1,2}/)+scripts/[^/]+$`,
              message: "a script's entry point runs on import: import from its library (scripts/lib/, scripts/ci/) instead.",
            },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ["node_modules/", "out/", "*.js", "*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  ...layerRules,
  {
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
  },
);
