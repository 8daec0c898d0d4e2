// Turns a mock run into what people read: an inventory with secrets redacted, Kubernetes manifests, a tree.
import { GIT_AUTH_PUBLIC_KEYS } from "../../components/flux/manifests";
import { MockRun, RecordedResource, isSecretValue, redact, reveal } from "./mockEngine";

export interface InventoryEntry {
  type: string;
  name: string;
  urn: string;
  parent?: string;
  custom: boolean;
  provider?: string;
  dependsOn: string[];
  protect: boolean;
  retainOnDelete: boolean;
  aliases: number;
  inputs: unknown;
}

export interface Inventory {
  stack: string;
  counts: { resources: number; custom: number; components: number; byType: Record<string, number> };
  resources: InventoryEntry[];
  outputs: unknown;
}

/** Inputs that are plumbing (serialized dynamic-provider code), not what anyone reviews. */
const NOISE_INPUTS = new Set(["__provider"]);

export function buildInventory(run: MockRun): Inventory {
  const byType: Record<string, number> = {};
  for (const r of run.resources) byType[r.type] = (byType[r.type] ?? 0) + 1;
  return {
    stack: run.stack,
    counts: {
      resources: run.resources.length,
      custom: run.resources.filter((r) => r.custom).length,
      components: run.resources.filter((r) => !r.custom).length,
      byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
    },
    // By URN, not registration order: the order of asynchronous registrations varies between runs.
    resources: [...run.resources]
      .sort((a, b) => a.urn.localeCompare(b.urn))
      .map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        parent: r.parent,
        custom: r.custom,
        provider: r.provider?.split("::").slice(0, -1).join("::") || undefined,
        dependsOn: [...new Set(r.dependencies)].sort(),
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        aliases: r.aliases.length,
        inputs: redact(Object.fromEntries(Object.entries(r.inputs).filter(([k]) => !NOISE_INPUTS.has(k)))),
      })),
    outputs: redact(run.outputs),
  };
}

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } };

const isKubernetesObject = (r: RecordedResource) =>
  r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh/") && typeof r.inputs.kind === "string";

const isHelmRelease = (r: RecordedResource) => r.custom && r.type.startsWith("kubernetes:helm.sh/");

/**
 * A Secret's data with its keys kept: the Kubernetes SDK makes the whole map one secret, so the render
 * opens it, shows the public keys' values and puts a placeholder in place of every other value.
 */
function redactSecretData(manifest: Record<string, unknown>): Record<string, unknown> {
  const opened: Record<string, unknown> = { ...manifest };
  for (const field of ["data", "stringData"]) {
    const value = manifest[field];
    if (!isSecretValue(value) || typeof value.value !== "object" || value.value === null) continue;
    opened[field] = Object.fromEntries(
      Object.entries(value.value as Record<string, unknown>).map(([key, v]) => [
        key,
        GIT_AUTH_PUBLIC_KEYS.includes(key) ? reveal(v) : `[secret:${field}.${key}]`,
      ]),
    );
  }
  return opened;
}

/**
 * What the stack applies to the cluster, secrets replaced by placeholders: every Kubernetes object, and
 * each Helm release as its chart, version, repository and namespace (kind `PulumiHelmRelease`, not a Kubernetes object).
 */
export function clusterManifests(run: MockRun): Manifest[] {
  const objects = run.resources.filter(isKubernetesObject).map((r) => redact(r.inputs.kind === "Secret" ? redactSecretData(r.inputs) : r.inputs) as Manifest);
  const releases = run.resources.filter(isHelmRelease).map((r): Manifest => {
    const inputs = redact(r.inputs) as Record<string, unknown>;
    const name = typeof inputs.name === "string" ? inputs.name : r.name;
    const namespace = typeof inputs.namespace === "string" ? inputs.namespace : undefined;
    const { chart, version, repositoryOpts, values, createNamespace, atomic } = inputs;
    return {
      apiVersion: "pulumi.com/helm",
      kind: "PulumiHelmRelease",
      metadata: { name, namespace },
      spec: { chart, version, repositoryOpts, values, createNamespace, atomic },
    };
  });
  return [...objects, ...releases];
}

/** Kubernetes objects the GitOps repository must hold, exported by the program as `gitopsManifests`. */
export function gitopsManifests(run: MockRun): Manifest[] {
  const exported = reveal(run.outputs.gitopsManifests);
  return Array.isArray(exported) ? (exported as Manifest[]) : [];
}

/** Kubernetes objects as a provider would receive them (secret values revealed): for schema validation. */
export function clusterManifestsRevealed(run: MockRun): Manifest[] {
  return run.resources.filter(isKubernetesObject).map((r) => reveal(r.inputs) as Manifest);
}

export function manifestFileName(manifest: Manifest, index: number): string {
  const parts = [manifest.kind, manifest.metadata.namespace, manifest.metadata.name ?? String(index)].filter(Boolean);
  return `${parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")}.yaml`;
}

/** A readable tree: components with their children, then counts. */
export function renderTree(inventory: Inventory): string {
  const children = new Map<string | undefined, InventoryEntry[]>();
  for (const r of inventory.resources) {
    if (r.type.startsWith("pulumi:providers:") && !r.parent) continue;
    children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const known = new Set(inventory.resources.map((r) => r.urn));
  const roots = inventory.resources.filter((r) => !r.parent || !known.has(r.parent));
  const lines: string[] = [`stack ${inventory.stack}`];
  const walk = (entry: InventoryEntry, prefix: string, last: boolean) => {
    const flags = [entry.protect && "protected", entry.retainOnDelete && "retained"].filter(Boolean).join(", ");
    lines.push(`${prefix}${last ? "└─ " : "├─ "}${entry.name}  (${entry.type})${flags ? ` [${flags}]` : ""}`);
    const kids = children.get(entry.urn) ?? [];
    kids.forEach((kid, i) => walk(kid, prefix + (last ? "   " : "│  "), i === kids.length - 1));
  };
  roots.forEach((r, i) => walk(r, "", i === roots.length - 1));
  lines.push("", `${inventory.counts.resources} resources (${inventory.counts.components} components, ${inventory.counts.custom} custom):`);
  for (const [type, count] of Object.entries(inventory.counts.byType)) lines.push(`  ${String(count).padStart(4)}  ${type}`);
  return lines.join("\n") + "\n";
}
