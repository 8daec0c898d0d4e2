// `npm run docs:config`: rewrite Pulumi.yaml's config block and README's generated tables (config keys, Flux variables).
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { README_SECTIONS, projectConfigBlock, replaceSection } from "./lib/configDocs";

const root = resolve(__dirname, "..");
const projectFile = join(root, "Pulumi.yaml");
const project = parseDocument(readFileSync(projectFile, "utf8"));
project.set("config", projectConfigBlock());
writeFileSync(projectFile, project.toString({ lineWidth: 0 }));

const readmeFile = join(root, "README.md");
writeFileSync(readmeFile, README_SECTIONS.reduce(replaceSection, readFileSync(readmeFile, "utf8")));
process.stdout.write(`updated ${projectFile} and ${readmeFile}\n`);
