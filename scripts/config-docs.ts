// `npm run docs:config`: rewrite Pulumi.yaml's config block and README's config table from CONFIG_KEYS.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { configReferenceTable, projectConfigBlock, replaceBetweenMarkers } from "./lib/configDocs";

const root = resolve(__dirname, "..");
const projectFile = join(root, "Pulumi.yaml");
const project = parseDocument(readFileSync(projectFile, "utf8"));
project.set("config", projectConfigBlock());
writeFileSync(projectFile, project.toString({ lineWidth: 0 }));

const readmeFile = join(root, "README.md");
writeFileSync(readmeFile, replaceBetweenMarkers(readFileSync(readmeFile, "utf8"), configReferenceTable()));
process.stdout.write(`updated ${projectFile} and ${readmeFile}\n`);
