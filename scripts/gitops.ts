// `npm run gitops -- skeleton --stack <name> --out <dir>`: writes the skeleton of the platform's GitOps
// repository for a stack (see docs/gitops-repository.md). Offline, like the render.
import { resolve } from "node:path";
import { GITOPS_HELP, startCommand, usageLine } from "./lib/commands";
import { renderSkeleton, writeSkeleton } from "./lib/gitops";
import { listStacks } from "../config/stackFiles";

process.setSourceMapsEnabled(false);

const root = resolve(__dirname, "..");
const USAGE = usageLine(GITOPS_HELP);

function parseArgs(argv: readonly string[]): { stack: string; outDir: string; force: boolean } {
  const [command, ...rest] = argv;
  if (command !== "skeleton") throw new Error(`unknown command ${command ?? "(none)"} (${USAGE})`);
  let stack: string | undefined;
  let outDir: string | undefined;
  let force = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--stack") stack = rest[++i];
    else if (rest[i].startsWith("--stack=")) stack = rest[i].slice("--stack=".length);
    else if (rest[i] === "--out") outDir = rest[++i];
    else if (rest[i].startsWith("--out=")) outDir = rest[i].slice("--out=".length);
    else if (rest[i] === "--force") force = true;
    else throw new Error(`unknown argument ${rest[i]} (${USAGE})`);
  }
  if (!stack) throw new Error(`--stack is required (stacks: ${listStacks(root).join(", ")}; ${USAGE})`);
  if (!outDir) throw new Error(`--out is required: the folder of the GitOps repository's checkout (${USAGE})`);
  return { stack, outDir: resolve(outDir), force };
}

async function main(argv: readonly string[]): Promise<number> {
  const { stack, outDir, force } = parseArgs(argv);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const files = await renderSkeleton({ root, stack, loadProgram: () => require("../index") });
  const { written, unchanged } = writeSkeleton(files, outDir, force);
  for (const path of written) process.stdout.write(`wrote ${path}\n`);
  process.stdout.write(`${outDir}: ${written.length} written, ${unchanged.length} already up to date\n`);
  return 0;
}

startCommand(GITOPS_HELP, main);
