// The gate before the first `up` of an adopting stack: reads what `pulumi preview --json` says the engine will
// do and refuses any replace, delete or create of an adopted resource and any change of a kept field. The
// engine itself no longer refuses a mismatched import (it imports, then updates: pulumi/pulumi#19339), so this
// is where "no password or key changed, nothing recreated" is checked before anything is written. Pure.
import type { AdoptConfig } from "../config";
import { type AdoptTarget, type ForbiddenResource, ADOPT_INPUT, adoptTargets, createAllowed } from "./targets";

/** `pulumi preview --json` (pkg/display/json.go PreviewDigest, CLI 3.276.0), the fields the gate reads. */
export interface PreviewJson {
  steps?: PreviewStep[];
  diagnostics?: { urn?: string; message?: string; severity?: string }[];
  changeSummary?: Record<string, number>;
}

/** apitype.ResourceV3 as the preview prints it: secret values are the string "[secret]". */
export interface PreviewState {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  protect?: boolean;
  retainOnDelete?: boolean;
  importID?: string;
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: PreviewState;
  newState?: PreviewState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
}

export interface GateResult {
  ok: boolean;
  /** One line per problem. */
  problems: string[];
  /** One line: what the preview does to the adopted resources. */
  summary: string;
}

/** How the preview the gate reads is made: unchanged resources are only listed with --show-sames. */
export const PREVIEW_COMMAND = "pulumi preview --json --show-sames";

/** Steps that write nothing new over an existing resource's identity. */
const KEEPING_OPS = ["same", "update", "import", "refresh", "read"];
/** Steps that end, or start over, a resource: never for something adopted. */
const DESTRUCTIVE_OPS = [
  "replace",
  "create-replacement",
  "delete-replaced",
  "delete",
  "discard",
  "discard-replaced",
  "import-replacement",
  "read-replacement",
  "remove-pending-replace",
];

/** The resource name in a URN (`urn:pulumi:stack::project::type$type::name`). */
export const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/** The last type in a URN's type chain. */
export const urnType = (urn: string): string => {
  const parts = urn.split("::");
  const chain = parts[parts.length - 2] ?? "";
  return chain.slice(chain.lastIndexOf("$") + 1);
};

function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes("*")) return pattern === type;
  const [prefix, suffix] = pattern.split("*");
  return type.startsWith(prefix) && type.endsWith(suffix);
}

const metadataOf = (state: PreviewState | undefined): { name?: unknown; namespace?: unknown } => {
  const metadata = state?.inputs?.metadata;
  return typeof metadata === "object" && metadata !== null ? (metadata as { name?: unknown; namespace?: unknown }) : {};
};

function stepMatches(target: AdoptTarget, step: PreviewStep): boolean {
  if (!typeMatches(target.type, urnType(step.urn))) return false;
  if (target.name !== undefined) return urnName(step.urn) === target.name;
  const importId = step.newState?.importID ?? step.oldState?.importID;
  if (importId !== undefined && importId === target.importId) return true;
  const object = target.object;
  if (!object) return false;
  return [step.newState, step.oldState].some((state) => {
    const metadata = metadataOf(state);
    return metadata.name === object.name && (object.namespace === undefined || metadata.namespace === object.namespace);
  });
}

/** Whether a changed property path (`password`, `sections[0].fields`, `metadata.labels`) is within a field. */
const within = (path: string, field: string): boolean => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`);

const isSecretText = (value: unknown) => value === "[secret]";

/** Kept fields the step changes: by the engine's diff, or by comparing inputs where they are not secret. */
export function keptFieldChanges(step: PreviewStep, keep: readonly string[]): string[] {
  const paths = [...(step.diffReasons ?? []), ...(step.replaceReasons ?? []), ...Object.keys(step.detailedDiff ?? {})];
  const changed = new Set(keep.filter((field) => paths.some((path) => within(path, field))));
  const before = step.oldState?.inputs;
  const after = step.newState?.inputs;
  if (before && after && step.op !== "import") {
    for (const field of keep) {
      const [a, b] = [before[field], after[field]];
      if (isSecretText(a) || isSecretText(b)) continue;
      if (JSON.stringify(a) !== JSON.stringify(b)) changed.add(field);
    }
  }
  return [...changed];
}

function targetProblems(target: AdoptTarget, steps: PreviewStep[]): string[] {
  const where = (step: PreviewStep) => ` (${step.urn})`;
  if (steps.length === 0) {
    return [
      `${target.label}: not in the preview (no ${target.type}${target.name ? ` named ${target.name}` : ""}): the program does not declare what the adopt entry names, or the preview was made without --show-sames`,
    ];
  }
  const problems: string[] = [];
  for (const step of steps) {
    if (DESTRUCTIVE_OPS.includes(step.op)) {
      const why = step.replaceReasons?.length ? ` (replace forced by ${step.replaceReasons.join(", ")})` : "";
      problems.push(`${target.label}: would ${step.op.replace(/-/g, " ")}${why}: an adopted resource is never recreated or deleted${where(step)}`);
      continue;
    }
    if (step.op === "create") {
      if (target.via === "import")
        problems.push(`${target.label}: would be created, not imported (import ID ${target.importId ?? "?"}): check the adopt entry${where(step)}`);
      else if (!createAllowed(target, step.newState?.inputs))
        problems.push(`${target.label}: would be created without taking over the existing one (no ${ADOPT_INPUT} input)${where(step)}`);
    } else if (!KEEPING_OPS.includes(step.op)) {
      problems.push(`${target.label}: unexpected step ${step.op}${where(step)}`);
    }
    if (
      target.via === "import" &&
      step.op === "import" &&
      target.importId !== undefined &&
      step.newState?.importID !== undefined &&
      step.newState.importID !== target.importId
    ) {
      problems.push(`${target.label}: imports ${step.newState.importID}, the adopt entry says ${target.importId}${where(step)}`);
    }
    const kept = keptFieldChanges(step, target.keep);
    if (kept.length > 0) problems.push(`${target.label}: would change kept field${kept.length > 1 ? "s" : ""} ${kept.join(", ")}${where(step)}`);
  }
  return problems;
}

/** Every problem of the preview for this adopt block, and a one-line summary. */
export function gate(adopt: AdoptConfig, preview: PreviewJson): GateResult {
  const { targets, forbidden } = adoptTargets(adopt);
  return gateTargets(targets, forbidden, preview);
}

/** The gate over explicit targets (what `gate` derives from an adopt block; tests give their own). */
export function gateTargets(targets: readonly AdoptTarget[], forbidden: readonly ForbiddenResource[], preview: PreviewJson): GateResult {
  const steps = preview.steps ?? [];
  const problems: string[] = [];
  for (const diagnostic of preview.diagnostics ?? []) {
    if (diagnostic.severity === "error")
      problems.push(`the preview failed: ${(diagnostic.message ?? "").trim().split("\n")[0]}${diagnostic.urn ? ` (${diagnostic.urn})` : ""}`);
  }
  if (steps.length === 0 && problems.length === 0) problems.push(`the preview has no steps: pass the output of \`${PREVIEW_COMMAND}\` for this stack`);

  const matched = new Set<PreviewStep>();
  const counts: Record<string, number> = {};
  for (const target of targets) {
    const own = steps.filter((step) => stepMatches(target, step));
    own.forEach((step) => {
      matched.add(step);
      counts[step.op] = (counts[step.op] ?? 0) + 1;
    });
    problems.push(...targetProblems(target, own));
  }
  // Imported by an option the adopt block does not name (left in the program, or added by hand): adopted too.
  for (const step of steps) {
    if (matched.has(step)) continue;
    const importId = step.newState?.importID ?? step.oldState?.importID;
    if (importId !== undefined && DESTRUCTIVE_OPS.includes(step.op))
      problems.push(`imported resource ${importId}: would ${step.op.replace(/-/g, " ")} (${step.urn})`);
  }
  for (const rule of forbidden) {
    const step = steps.find((s) => urnType(s.urn) === rule.type && urnName(s.urn) === rule.name && s.op !== "delete");
    if (step) problems.push(`${rule.why} (the program declares ${rule.name}: ${step.op})`);
  }

  const total = [...matched].length;
  const parts = Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${n} ${op}`);
  const summary = `adopt gate: ${problems.length === 0 ? "ok" : `${problems.length} problem${problems.length === 1 ? "" : "s"}`}: ${targets.length} adopted resources, ${total} steps (${parts.join(", ") || "none"})${problems.length === 0 ? "; nothing adopted is replaced, deleted or created anew; no kept field changed" : ""}`;
  return { ok: problems.length === 0, problems, summary };
}
