// Offline render: `npm run render -- --stack dev`. Evaluates the real program with the stack's config
// under Pulumi's mock engine (no CLI, no credentials, no network; secrets become placeholders) and writes
// out/<stack>/inventory.json and out/<stack>/manifests/, then prints a tree of what the stack creates.
// `npm run render -- --update` renders every stack into tests/golden/ (the golden files the tests compare).
import { join, resolve } from "node:path";
import { RENDER_HELP, startCommand, usageLine } from "./lib/commands";
import { GOLDEN_DIR } from "./lib/golden";
import { renderStack } from "./lib/render";
import { listStacks } from "../config/stackFiles";

// Pulumi records a stack trace per resource; mapping each through source maps costs more than the
// whole evaluation on large stacks, and the render never shows those traces.
process.setSourceMapsEnabled(false);

const root = resolve(__dirname, "..");

const USAGE = usageLine(RENDER_HELP);

function parseArgs(argv: readonly string[]): { stacks: string[]; outDir: string; stackRoot: string } {
  let stack: string | undefined;
  let update = false;
  let outDir = join(root, "out");
  let stackRoot = root;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--update") update = true;
    else if (argv[i] === "--stack") stack = argv[++i];
    else if (argv[i].startsWith("--stack=")) stack = argv[i].slice("--stack=".length);
    else if (argv[i] === "--out") outDir = resolve(argv[++i]);
    // Stack files from another folder (with its own Pulumi.yaml): used by the benchmark.
    else if (argv[i] === "--stacks-from") stackRoot = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (${USAGE})`);
  }
  if (update) {
    if (stack !== undefined || stackRoot !== root) throw new Error(`--update renders every stack of this project into tests/golden (${USAGE})`);
    return { stacks: listStacks(root), outDir: GOLDEN_DIR, stackRoot };
  }
  if (!stack) throw new Error(`--stack is required (stacks: ${listStacks(stackRoot).join(", ")}; ${USAGE})`);
  return { stacks: [stack], outDir, stackRoot };
}

async function main(argv: readonly string[]): Promise<number> {
  const { stacks, outDir, stackRoot } = parseArgs(argv);
  for (const stack of stacks) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const result = await renderStack({ root: stackRoot, stack, outDir, loadProgram: () => require("../index") });
    process.stdout.write(result.summary);
  }
  return 0;
}

// Config errors are pulumi.RunErrors: their message is the whole story ("render failed: ...").
startCommand(RENDER_HELP, main);
