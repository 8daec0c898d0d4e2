// `npm run docs:config`: rewrite Pulumi.yaml's config block and the docs' generated tables (config keys in
// docs/configuration.md, Flux variables in docs/flux.md) from config/keys.ts; says when nothing changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { DOCS_CONFIG_HELP, startCommand, usageLine } from "./lib/commands";
import { generatedDocs, joinNames, projectConfigBlock } from "./lib/configDocs";

const root = resolve(__dirname, "..");

function renderProject(current: string): string {
  const project = parseDocument(current);
  project.set("config", projectConfigBlock());
  return project.toString({ lineWidth: 0 });
}

function main(argv: readonly string[]): number {
  if (argv.length > 0) throw new Error(`unknown argument ${argv[0]} (${usageLine(DOCS_CONFIG_HELP)})`);
  const files = generatedDocs((file) => readFileSync(join(root, file), "utf8"), renderProject);
  const changed = files.filter((f) => f.next !== f.current);
  for (const f of changed) writeFileSync(join(root, f.file), f.next);
  process.stdout.write(changed.length === 0 ? `${joinNames(files.map((f) => f.file))} are up to date\n` : `updated ${joinNames(changed.map((f) => f.file))}\n`);
  return 0;
}

startCommand(DOCS_CONFIG_HELP, main);
