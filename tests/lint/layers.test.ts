// `npm run lint` keeps the layers: each folder's rule refuses an import of a folder above it, through the
// project's own eslint.config.mjs (ESLint's Node API on in-memory text, at a real path of that folder).
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

/**
 * Lints each case's text as if it were the file at its path, with ESLint's Node API in a child process
 * (ESLint loads eslint.config.mjs with a dynamic import, which jest's module sandbox does not allow).
 * Returns, per case, the messages of no-restricted-imports, or throws on a parse failure.
 */
function layerProblems(cases: readonly { file: string; text: string }[]): string[][] {
  const script = `
    import { ESLint } from "eslint";
    const cases = JSON.parse(process.argv[1]);
    // eslint.config.mjs (no type information; eslint.types.config.mjs adds it), only the layer rule.
    const eslint = new ESLint({
      cwd: process.cwd(),
      ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
    });
    const out = [];
    for (const { file, text } of cases) {
      const [result] = await eslint.lintText(text, { filePath: file });
      const fatal = result.messages.filter((m) => m.fatal).map((m) => m.message);
      if (fatal.length > 0) throw new Error(file + ": " + fatal.join("; "));
      out.push(result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message));
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const absolute = cases.map(({ file, text }) => ({ file: join(root, file), text }));
  return JSON.parse(
    execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(absolute)], { cwd: root, encoding: "utf8" }),
  ) as string[][];
}

const importing = (importPath: string) => `import * as below from "${importPath}";\nexport const used = below;\n`;

const against: [file: string, importPath: string][] = [
  ["providers/connection.ts", "../components/conventions"],
  ["providers/connection.ts", "../config"],
  ["providers/connection.ts", "../platform"],
  ["providers/connection.ts", "../verify/checks"],
  ["providers/connection.ts", "../scripts/lib/golden"],
  ["components/objectStorage/policies.ts", "../../config/keys"],
  ["components/objectStorage/policies.ts", "../../platform/prerequisites"],
  ["components/objectStorage/policies.ts", "../../verify/checks"],
  ["components/objectStorage/policies.ts", "../../scripts/lib/golden"],
  ["config/keys.ts", "../platform"],
  ["config/keys.ts", "../verify/checks"],
  ["config/keys.ts", "../scripts/lib/golden"],
  ["platform/prerequisites.ts", "../verify/checks"],
  ["platform/prerequisites.ts", "../scripts/lib/golden"],
  ["verify/checks.ts", "../scripts/lib/golden"],
  ["verify/checks.ts", "../adoption/plan"],
  ["adoption/plan.ts", "../scripts/lib/golden"],
  ["index.ts", "./verify/checks"],
  ["index.ts", "./scripts/lib/golden"],
  ["index.ts", "./adoption/plan"],
  ["tests/golden.test.ts", "../scripts/render"],
];

const allowed: [file: string, importPath: string][] = [
  ["providers/bucketLifecycle.ts", "./lifecycleRules"],
  ["components/objectStorage/index.ts", "../../providers/rgwUser"],
  ["config/schema.ts", "../components/objectStorage/policies"],
  ["platform/index.ts", "../config"],
  ["verify/kubernetes.ts", "../platform/prerequisites"],
  ["scripts/verify.ts", "../verify/run"],
  ["adoption/plan.ts", "../verify/rgw"],
  ["scripts/adopt.ts", "../adoption/plan"],
  // Sibling files named like a layer are not that layer.
  ["platform/index.ts", "./adoption"],
  ["config/parse.ts", "./adopt"],
  ["tests/golden.test.ts", "../scripts/lib/golden"],
  ["tests/golden.test.ts", "../scripts/ci/jestCounts"],
];

let problems: string[][] = [];
beforeAll(() => {
  problems = layerProblems([...against, ...allowed].map(([file, importPath]) => ({ file, text: importing(importPath) })));
}, 60_000);

describe("layer rules in eslint.config.mjs", () => {
  it.each(against.map((c, index) => [...c, index] as const))("%s may not import %s", (_file, _importPath, index) => {
    expect(problems[index]).toHaveLength(1);
    expect(problems[index][0]).toMatch(/sits below|does not import|entry point/);
  });

  it.each(allowed.map((c, index) => [...c, against.length + index] as const))("%s may import %s", (_file, _importPath, index) => {
    expect(problems[index]).toEqual([]);
  });
});
