import js from "@eslint/js";
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

/**
 * `eslint .` (in `npm test`): the rules that need no type information, ~4 s. The type-aware rules are in
 * eslint.types.config.mjs (`npm run lint:types`, ~11 s: building the TypeScript program costs the rest).
 */
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
);
