// The GitOps repository contract as files: what `npm run gitops -- skeleton` writes for a stack. Every
// Kustomization's path gets a kustomization.yaml listing only its own files (so no path, nested or not,
// builds another's manifests), the root path holds the workload namespace and the ClusterSecretStore and
// ExternalSecrets the stack renders, and an example manifest uses every variable the stack publishes in
// the form that survives strict substitution. Pure: the script feeds it the mock render.
import { posix } from "node:path";
import { stringify } from "yaml";
import { PREREQUISITES_CONFIGMAP, QUOTE_VARIABLE, SUBSTITUTION_VARIABLES, quotedUse } from "./manifests";

/** What the skeleton needs of each Kustomization. */
export interface SkeletonKustomization {
  name: string;
  path: string;
  dependsOn: readonly string[];
  targetNamespace?: string;
}

/** A Kubernetes object the GitOps repository must hold (from the render's gitopsManifests). */
export type GitopsObject = { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } } & Record<string, unknown>;

export interface SkeletonInput {
  stack: string;
  kustomizations: readonly SkeletonKustomization[];
  /** The ClusterSecretStore and ExternalSecrets the stack renders. */
  gitopsManifests: readonly GitopsObject[];
  /** The prerequisites ConfigMap's data: every variable the stack publishes, with this stack's values. */
  variables: Readonly<Record<string, string>>;
  workloadNamespace: string;
  fluxNamespace: string;
}

export interface SkeletonFile {
  /** Relative to the repository root, `/`-separated. */
  path: string;
  content: string;
}

/** Where the example of every variable goes: outside every Kustomization path, so Flux never applies it. */
export const VARIABLES_EXAMPLE_FILE = "examples/platform-variables.yaml";

/** `./kubernetes/apps/x` -> `kubernetes/apps/x` (Flux's paths are relative to the repository root). */
export const repositoryDir = (path: string): string => posix.normalize(path.replace(/^\.\//, "")).replace(/\/$/, "");

const fileName = (object: GitopsObject): string =>
  `${[object.kind, object.metadata.name]
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")}.yaml`;

/** The Kustomization that applies what all others need first: the first one that depends on none. */
export function rootKustomization(kustomizations: readonly SkeletonKustomization[]): SkeletonKustomization | undefined {
  return kustomizations.find((k) => k.dependsOn.length === 0) ?? kustomizations[0];
}

/** A comment line must not hold `${`: a comment that reached substitution would be a variable too. */
const commentSafe = (text: string): string => text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, "$$$1");

function kustomizationFile(resources: readonly string[], note: string): string {
  const header = `# ${note}\n# Lists only this folder's own files: without a kustomization.yaml Flux would build every folder below.\n`;
  return header + stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [...resources] });
}

/**
 * A ConfigMap using every published variable as a whole value, each as `${quote}${VAR}${quote}`: the one
 * form that stays a string whatever the value (S3_PATH_STYLE_ACCESS is `true`). Inside a longer string
 * plain `${VAR}` works. The comments name what each variable is and this stack's value.
 */
export function variablesExample(input: Pick<SkeletonInput, "stack" | "variables" | "workloadNamespace" | "fluxNamespace">): string {
  const describe = (name: string) => {
    const documented = Object.entries(SUBSTITUTION_VARIABLES).find(([pattern]) => new RegExp(`^${pattern.replace(/<[A-Z]+>/, "[A-Z0-9_]+")}$`).test(name));
    return commentSafe(documented?.[1] ?? "");
  };
  const names = Object.keys(input.variables).filter((name) => name !== QUOTE_VARIABLE);
  const lines = [
    `# Every variable the stack publishes (ConfigMap ${input.fluxNamespace}/${PREREQUISITES_CONFIGMAP}), used the way that works`,
    "# under Flux's strict substitution: a variable that is not published fails the whole Kustomization, and a",
    `# whole value that reads as a boolean or number stays a string only between two uses of the ${QUOTE_VARIABLE} variable,`,
    "# as every value below is written. Inside a longer string (a URL, an argument) the variable alone works.",
    `# This file is outside every Kustomization path, so Flux does not apply it. Values shown: stack ${input.stack}.`,
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    "  name: platform-variables-example",
    `  namespace: ${input.workloadNamespace}`,
    "data:",
  ];
  for (const name of names) {
    lines.push(`  # ${describe(name)}`, `  # stack ${input.stack}: ${commentSafe(input.variables[name])}`, `  ${name}: ${quotedUse(name)}`);
  }
  lines.push(
    `  # Inside a longer string no quote is needed:`,
    `  s3-warehouse-url: \${S3_ENDPOINT}/\${${names.includes("S3_BUCKET_WAREHOUSE") ? "S3_BUCKET_WAREHOUSE" : (names.find((n) => n.startsWith("S3_BUCKET_")) ?? "S3_REGION")}}`,
  );
  return lines.join("\n") + "\n";
}

/** Every file of the skeleton, sorted by path. Kustomizations sharing a path share one kustomization.yaml. */
export function gitopsSkeleton(input: SkeletonInput): SkeletonFile[] {
  const root = rootKustomization(input.kustomizations);
  const byDir = new Map<string, { names: string[]; resources: string[] }>();
  for (const k of input.kustomizations) {
    const dir = repositoryDir(k.path);
    const entry = byDir.get(dir) ?? { names: [], resources: [] };
    entry.names.push(k.name);
    byDir.set(dir, entry);
  }
  const files: SkeletonFile[] = [];
  if (root) {
    const dir = repositoryDir(root.path);
    // The root runs first (the others depend on it): the workload namespace the others target, the store
    // and the ExternalSecrets, so each Secret exists before the app that mounts it.
    const objects: GitopsObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: input.workloadNamespace } }, ...input.gitopsManifests];
    for (const object of objects) {
      const name = fileName(object);
      files.push({ path: `${dir}/${name}`, content: stringify(object) });
      byDir.get(dir)?.resources.push(name);
    }
  }
  for (const [dir, { names, resources }] of byDir) {
    const note = `Flux Kustomization${names.length > 1 ? "s" : ""} ${names.join(", ")} (stack ${input.stack})${names.includes(root?.name ?? "") ? ": runs first, the others depend on it" : ""}.`;
    files.push({ path: `${dir}/kustomization.yaml`, content: kustomizationFile(resources, note) });
  }
  files.push({ path: VARIABLES_EXAMPLE_FILE, content: variablesExample(input) });
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
