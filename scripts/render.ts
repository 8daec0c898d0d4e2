// Offline render: `npm run render -- --stack dev`. Evaluates the real program with the stack's config
// under Pulumi's mock engine (no CLI, no credentials, no network; secrets become placeholders) and writes
// out/<stack>/inventory.json and out/<stack>/manifests/, then prints a tree of what the stack creates.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { buildInventory, clusterManifests, gitopsManifests, manifestFileName, renderTree } from "./lib/inventory";
import { evaluateProgram } from "./lib/mockEngine";
import { listStacks, readStackConfig } from "./lib/stackFiles";

const root = resolve(__dirname, "..");

function parseArgs(argv: string[]): { stack: string; outDir: string } {
  let stack: string | undefined;
  let outDir = join(root, "out");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i];
    else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
    else if (argv[i] === "--out") outDir = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: npm run render -- --stack <name> [--out DIR])`);
  }
  if (!stack) throw new Error(`--stack is required (stacks: ${listStacks(root).join(", ")})`);
  return { stack, outDir };
}

async function main(): Promise<number> {
  const { stack, outDir } = parseArgs(process.argv.slice(2));
  const input = readStackConfig(root, stack);
  const run = await evaluateProgram({
    ...input,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadProgram: () => require("../index"),
  });

  const target = join(outDir, stack);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, "manifests", "cluster"), { recursive: true });
  mkdirSync(join(target, "manifests", "gitops"), { recursive: true });

  const inventory = buildInventory(run);
  writeFileSync(join(target, "inventory.json"), JSON.stringify(inventory, null, 2) + "\n");
  const cluster = clusterManifests(run);
  const gitops = gitopsManifests(run);
  for (const [dir, manifests] of [["cluster", cluster], ["gitops", gitops]] as const) {
    manifests.forEach((manifest, index) => writeFileSync(join(target, "manifests", dir, manifestFileName(manifest, index)), stringify(manifest)));
  }
  process.stdout.write(renderTree(inventory));
  if (input.placeholders.length > 0) {
    process.stdout.write(`\nsecrets not in Pulumi.${stack}.yaml, rendered as placeholders (pulumi up requires them): ${input.placeholders.join(", ")}\n`);
  }
  process.stdout.write(
    `\nwrote ${join(target, "inventory.json")} and ${cluster.length} cluster + ${gitops.length} GitOps manifests under ${join(target, "manifests")}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Config errors are pulumi.RunErrors: their message is the whole story.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`render failed: ${message}\n`);
    process.exit(1);
  },
);
