// Offline render: `npm run render -- --stack dev`. Evaluates the real program with the stack's config
// under Pulumi's mock engine (no CLI, no credentials, no network; secrets become placeholders) and writes
// out/<stack>/inventory.json and out/<stack>/manifests/, then prints a tree of what the stack creates.
import { join, resolve } from "node:path";
import { renderStack } from "./lib/render";
import { listStacks } from "./lib/stackFiles";

// Pulumi records a stack trace per resource; mapping each through source maps costs more than the
// whole evaluation on large stacks, and the render never shows those traces.
process.setSourceMapsEnabled(false);

const root = resolve(__dirname, "..");

function parseArgs(argv: string[]): { stack: string; outDir: string; stackRoot: string } {
  let stack: string | undefined;
  let outDir = join(root, "out");
  let stackRoot = root;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack") stack = argv[++i];
    else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
    else if (argv[i] === "--out") outDir = resolve(argv[++i]);
    // Stack files from another folder (with its own Pulumi.yaml): used by the benchmark.
    else if (argv[i] === "--stacks-from") stackRoot = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: npm run render -- --stack <name> [--out DIR] [--stacks-from DIR])`);
  }
  if (!stack) throw new Error(`--stack is required (stacks: ${listStacks(stackRoot).join(", ")})`);
  return { stack, outDir, stackRoot };
}

async function main(): Promise<void> {
  const { stack, outDir, stackRoot } = parseArgs(process.argv.slice(2));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const result = await renderStack({ root: stackRoot, stack, outDir, loadProgram: () => require("../index") });
  process.stdout.write(result.summary);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Config errors are pulumi.RunErrors: their message is the whole story.
    process.stderr.write(`render failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
