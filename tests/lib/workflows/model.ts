// The workflow files as tests/workflows.test.ts reads them: their paths, the schema check, the typed
// subset of the syntax, and accessors for jobs and steps.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv, { type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { parseDocument } from "yaml";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
export const SCHEMA_PATH = path.join(ROOT, "tests", "schemas", "github", "github-workflow.json");
export const PROVENANCE_PATH = path.join(ROOT, "tests", "schemas", "PROVENANCE.md");

export const STACKS = ["dev", "prod"];
export const PULUMI_ACTION = /^pulumi\/actions@/;
// Jobs that run Pulumi need the private network (RGW, 1Password Connect, registry,
// Docker engine, cluster API); plain `npm ci && npm test` jobs stay GitHub-hosted.
export const SELF_HOSTED = ["self-hosted", "linux", "data-platform"];
export const KUBECONFIG_STEP = "kubeconfig";
export const ADOPT_GATE_STEP = "adopt gate";
/** drift.yml's verify step: `pulumi login` and `npm run verify`, with the Pulumi step's state credentials. */
export const VERIFY_STEP = "verify";
export const COMMENT_WORKFLOW = "render-diff-comment.yml";
export const RENDER_JOB = "render-diff";
export const RENDER_STEP = "render base and head";
export const COMMENT_TEXT_STEP = "comment text";
export const COMMENT_STEP = "comment";
export const COMMENT_MARKER = "<!-- data-platform:render-diff -->";
export const COMMENT_LIMIT = 65536; // GitHub's limit for a comment body, in characters

// Every third-party action, pinned by the commit its release tag points to. Each SHA was read
// from the action's own repository (`git rev-parse <tag>^{commit}` in a clone) and matched
// against other public workflows pinning the same tag; update SHA and tag together.
export const PINNED_ACTIONS: Record<string, { sha: string; version: string }> = {
  "actions/checkout": { sha: "fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09", version: "v5.1.0" },
  "actions/setup-node": { sha: "a0853c24544627f65ddf259abe73b1d18a591444", version: "v5.0.0" },
  "pulumi/actions": { sha: "8582a9e8cc630786854029b4e09281acd6794b58", version: "v6.6.1" },
  "actions/upload-artifact": { sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", version: "v7.0.0" },
  "actions/download-artifact": { sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", version: "v8.0.1" },
};

// ---------------------------------------------------------------------------
// Types (the subset of the workflow syntax used below; shapes are guaranteed by
// the schema validation, which runs first in every structural test).

export type Dict = Record<string, unknown>;

export interface Step {
  id?: string;
  name?: string;
  if?: string | boolean;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Dict;
  env?: Dict;
}

export interface Job {
  name?: string;
  "runs-on"?: string | string[] | Dict;
  needs?: string | string[];
  if?: string | boolean;
  environment?: string | { name: string; url?: string };
  permissions?: string | Dict;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  strategy?: { matrix?: Dict | string; "fail-fast"?: boolean };
  env?: Dict;
  steps?: Step[];
}

export interface Workflow {
  name?: string;
  on: string | string[] | Dict;
  permissions?: string | Dict;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  env?: Dict;
  jobs: Record<string, Job>;
}

// ---------------------------------------------------------------------------
// Loading

export function workflowFiles(): string[] {
  if (!fs.existsSync(WORKFLOW_DIR)) return [];
  return fs
    .readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml"))
    .sort();
}

export function parseYaml(file: string): unknown {
  const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => `${file}: ${e.message}`);
  if (problems.length > 0) throw new Error(`YAML problems:\n${problems.join("\n")}`);
  return doc.toJS();
}

export const schemaBytes = fs.readFileSync(SCHEMA_PATH);
// The SchemaStore schema is not written for Ajv strict mode (missing "type" next
// to "properties", union types, ...), so strict mode is off; it is draft-07.
export const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
export const validateWorkflow = ajv.compile(JSON.parse(schemaBytes.toString("utf8")));

export function formatErrors(file: string, errors: ErrorObject[] | null | undefined): string[] {
  const lines = (errors ?? []).map((e) => {
    const at = e.instancePath === "" ? "(root)" : e.instancePath;
    const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : "";
    return `${file} ${at}: ${e.message ?? "invalid"}${params} [schema ${e.schemaPath}]`;
  });
  return [...new Set(lines)];
}

export function loadWorkflow(file: string): Workflow {
  const data = parseYaml(file);
  if (!validateWorkflow(data)) {
    throw new Error(`${file} does not match the GitHub workflow schema:\n${formatErrors(file, validateWorkflow.errors).join("\n")}`);
  }
  return data as Workflow;
}

// ---------------------------------------------------------------------------
// Helpers

export function steps(job: Job): Step[] {
  return job.steps ?? [];
}

export function needsOf(job: Job): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

export function environmentName(job: Job): string | undefined {
  if (job.environment === undefined) return undefined;
  return typeof job.environment === "string" ? job.environment : job.environment.name;
}

export function pulumiSteps(job: Job): Step[] {
  return steps(job).filter((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
}

export function pulumiJobs(wf: Workflow, command: string): [string, Job, Step][] {
  const found: [string, Job, Step][] = [];
  for (const [id, job] of Object.entries(wf.jobs)) {
    for (const step of pulumiSteps(job)) {
      if (step.with?.command === command) found.push([id, job, step]);
    }
  }
  return found;
}

export function runIndex(job: Job, command: string): number {
  return steps(job).findIndex((s) => typeof s.run === "string" && s.run.trim() === command);
}

/** The commands that together test everything without servers: `npm test` leaves the last two out to stay fast. */
export const TEST_COMMANDS = ["npm test", "npm run test:program", "npm run lint"];

/** `npm ci`, then each of TEST_COMMANDS in its own step. */
export function expectNpmCiThenTests(job: Job): void {
  const ci = runIndex(job, "npm ci");
  expect(ci).toBeGreaterThanOrEqual(0);
  for (const command of TEST_COMMANDS) expect({ command, after: runIndex(job, command) > ci }).toEqual({ command, after: true });
}

export function expectSetupNodeWithNpmCache(job: Job): void {
  const setup = steps(job).find((s) => s.uses?.startsWith("actions/setup-node@"));
  expect(setup).toBeDefined();
  expect(setup?.with?.cache).toBe("npm");
  expect(setup?.with?.["node-version-file"]).toBe(".nvmrc");
  expect(steps(job).some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(true);
}

export function kubeconfigStep(job: Job): Step | undefined {
  return steps(job).find((s) => s.name === KUBECONFIG_STEP);
}

/** Jobs that run a Pulumi command. */
export function jobsWithPulumi(wf: Workflow): [string, Job][] {
  return Object.entries(wf.jobs).filter(([, job]) => pulumiSteps(job).length > 0);
}

/** Runs a kubeconfig step's script like the runner does (bash -e), in the repository root. */
export function runKubeconfigScript(
  script: string,
  data: string,
  stack: string,
): { status: number | null; output: string; kubeconfig: string; githubEnv: string; mode?: number } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-step-"));
  try {
    const file = path.join(tmp, "kubeconfig");
    const githubEnv = path.join(tmp, "github_env");
    fs.writeFileSync(githubEnv, "");
    const r = spawnSync("bash", ["-e", "-c", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: tmp, KUBECONFIG_DATA: data, KUBECONFIG_PATH: file, STACK: stack, GITHUB_ENV: githubEnv, RUNNER_TEMP: tmp },
    });
    const exists = fs.existsSync(file);
    return {
      status: r.status,
      output: `${r.stdout}${r.stderr}`,
      kubeconfig: exists ? fs.readFileSync(file, "utf8") : "",
      githubEnv: fs.readFileSync(githubEnv, "utf8"),
      mode: exists ? fs.statSync(file).mode & 0o777 : undefined,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Keys of `on`, whatever form it takes (string, list or map). */
export function triggers(wf: Workflow): string[] {
  if (typeof wf.on === "string") return [wf.on];
  if (Array.isArray(wf.on)) return [...wf.on];
  return Object.keys(wf.on);
}

export function secretsIn(env: Dict | undefined): string[] {
  return Object.entries(env ?? {})
    .filter(([, v]) => typeof v === "string" && v.includes("secrets."))
    .map(([k]) => k);
}

/** Names X of every `secrets.X` in a value (a step, a job, a workflow). */
export function secretNames(value: unknown): string[] {
  const found = JSON.stringify(value ?? {}).match(/secrets\.(\w+)/g) ?? [];
  return [...new Set(found.map((m) => m.slice("secrets.".length)))].sort();
}

export function workflowText(file: string): string {
  return fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
}

/** The comment block at the top of a workflow file, without the `#`s. */
export function headerComment(file: string): string {
  const lines = workflowText(file).split("\n");
  const end = lines.findIndex((l) => !l.startsWith("#"));
  return lines
    .slice(0, end === -1 ? lines.length : end)
    .map((l) => l.replace(/^# ?/, ""))
    .join("\n");
}

/** Every `uses:` line of a workflow file with its trailing comment (YAML parsing drops comments). */
export function rawUses(file: string): { uses: string; comment: string | undefined; line: string }[] {
  return workflowText(file)
    .split("\n")
    .map((line) => ({ line, m: /^\s*(?:-\s+)?uses:\s*(\S+)(?:\s+#\s*(.*?))?\s*$/.exec(line) }))
    .filter(({ m }) => m !== null)
    .map(({ line, m }) => ({ uses: (m as RegExpExecArray)[1], comment: (m as RegExpExecArray)[2], line: line.trim() }));
}

export function stepNamed(job: Job, name: string): Step | undefined {
  return steps(job).find((s) => s.name === name);
}

export function stepUsing(job: Job, action: string): Step | undefined {
  return steps(job).find((s) => s.uses?.startsWith(`${action}@`));
}

/** The stack a Pulumi step works on. */
export function stackOf(step: Step): string {
  return String(step.with?.["stack-name"]);
}
