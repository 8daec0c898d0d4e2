// `npm run gitops -- skeleton`: the stack evaluated offline under the mock engine (as `npm run render`
// does), and the skeleton builder fed with what it rendered: the Kustomizations, the gitopsManifests output
// and the prerequisites ConfigMap's variables.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { KUSTOMIZATION_TYPE, PREREQUISITES_CONFIGMAP } from "../../components/flux/manifests";
import { type GitopsObject, type SkeletonFile, type SkeletonInput, gitopsSkeleton } from "../../components/flux/skeleton";
import { readStackConfig } from "../../config/stackFiles";
import { gitopsManifests } from "./inventory";
import { type MockRun, evaluateProgram, reveal } from "./mockEngine";

interface RenderedObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { path?: string; dependsOn?: { name: string }[]; targetNamespace?: string };
  data?: Record<string, string>;
}

/** What the skeleton needs, read from a mock run of the program. */
export function skeletonInput(run: MockRun): SkeletonInput {
  const objects = (type: string) => run.resources.filter((r) => r.type === type).map((r) => reveal(r.inputs) as RenderedObject);
  const configMap = objects("kubernetes:core/v1:ConfigMap").find((o) => o.metadata?.name === PREREQUISITES_CONFIGMAP);
  if (!configMap?.data) throw new Error(`the stack renders no ConfigMap ${PREREQUISITES_CONFIGMAP}`);
  return {
    stack: run.stack,
    kustomizations: objects(`kubernetes:${KUSTOMIZATION_TYPE.apiVersion}:${KUSTOMIZATION_TYPE.kind}`).map((k) => ({
      name: k.metadata?.name ?? "",
      path: k.spec?.path ?? "",
      dependsOn: (k.spec?.dependsOn ?? []).map((d) => d.name),
      ...(k.spec?.targetNamespace === undefined ? {} : { targetNamespace: k.spec.targetNamespace }),
    })),
    gitopsManifests: gitopsManifests(run) as GitopsObject[],
    variables: configMap.data,
    workloadNamespace: configMap.data.DATA_PLATFORM_NAMESPACE,
    fluxNamespace: configMap.metadata?.namespace ?? "",
  };
}

export async function renderSkeleton(options: { root: string; stack: string; loadProgram: () => unknown }): Promise<SkeletonFile[]> {
  const input = readStackConfig(options.root, options.stack);
  return gitopsSkeleton(skeletonInput(await evaluateProgram({ ...input, loadProgram: options.loadProgram })));
}

/**
 * Writes the files under `outDir`. A file that exists with other content is a file someone wrote: it is
 * kept, and the whole write refused (nothing written) unless `force`.
 */
export function writeSkeleton(files: readonly SkeletonFile[], outDir: string, force: boolean): { written: string[]; unchanged: string[] } {
  const differing = files.filter((f) => existsSync(join(outDir, f.path)) && readFileSync(join(outDir, f.path), "utf8") !== f.content).map((f) => f.path);
  if (differing.length > 0 && !force)
    throw new Error(`${outDir} already has other content in ${differing.join(", ")}: nothing written (--force overwrites them)`);
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    const target = join(outDir, file.path);
    if (existsSync(target) && readFileSync(target, "utf8") === file.content) {
      unchanged.push(file.path);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    written.push(file.path);
  }
  return { written, unchanged };
}
