// The offline render behind `npm run render`: evaluate the program for one stack file under the mock
// engine and write out/<stack>/inventory.json and out/<stack>/manifests/{cluster,gitops}/*.yaml.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { Inventory, Manifest, buildInventory, clusterManifests, gitopsManifests, manifestFileName, renderTree } from "./inventory";
import { OPTIONAL_SECRET_NEEDS, PROJECT } from "../../config/keys";
import { MockRun, evaluateProgram } from "./mockEngine";
import { readStackConfig } from "../../config/stackFiles";

export interface RenderOptions {
  /** Folder holding Pulumi.yaml and the stack files. */
  root: string;
  stack: string;
  outDir: string;
  loadProgram: () => unknown;
}

export interface RenderResult {
  run: MockRun;
  inventory: Inventory;
  cluster: Manifest[];
  gitops: Manifest[];
  placeholders: string[];
  target: string;
  summary: string;
}

export async function renderStack(options: RenderOptions): Promise<RenderResult> {
  // A failed render must not leave the previous output behind, where it would pass for the new one.
  const target = join(options.outDir, options.stack);
  rmSync(target, { recursive: true, force: true });
  const input = readStackConfig(options.root, options.stack);
  const run = await evaluateProgram({ ...input, loadProgram: options.loadProgram });

  const inventory = buildInventory(run);
  const cluster = clusterManifests(run);
  const gitops = gitopsManifests(run);
  for (const [dir, manifests] of [
    ["cluster", cluster],
    ["gitops", gitops],
  ] as const) {
    mkdirSync(join(target, "manifests", dir), { recursive: true });
    manifests.forEach((manifest, index) => writeFileSync(join(target, "manifests", dir, manifestFileName(manifest, index)), stringify(manifest)));
  }
  writeFileSync(join(target, "inventory.json"), JSON.stringify(inventory, null, 2) + "\n");

  const notes = [
    // What the lists hold once merged with the defaults (preview and up log the same lines).
    ...run.infos,
    input.placeholders.length > 0
      ? `secrets not in Pulumi.${options.stack}.yaml, rendered as placeholders (pulumi up requires them): ${neededSecrets(input.placeholders, input.config).join(", ")}`
      : "",
    `wrote ${join(target, "inventory.json")} and ${cluster.length} cluster + ${gitops.length} GitOps manifests under ${join(target, "manifests")}`,
  ].filter(Boolean);
  return { run, inventory, cluster, gitops, placeholders: input.placeholders, target, summary: `${renderTree(inventory)}\n${notes.join("\n")}\n` };
}

/** The placeholders this stack's config needs for `pulumi up`: optional secrets only in the modes that read them. */
export function neededSecrets(placeholders: readonly string[], config: Readonly<Record<string, string>>): string[] {
  const value = (key: string) => config[`${PROJECT}:${key}`] ?? "";
  return placeholders.filter((key) => OPTIONAL_SECRET_NEEDS[key]?.needed(value) ?? true);
}
