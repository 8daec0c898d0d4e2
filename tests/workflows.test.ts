// GitHub Actions workflows: schema validation (SchemaStore github-workflow.json,
// pinned in tests/schemas/, see tests/schemas/PROVENANCE.md) plus the structure
// the deployment process relies on (PR previews per stack, dev on push, prod
// only by manual dispatch behind the protected `prod` environment).
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv, { type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { parseDocument } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOW_DIR = path.join(ROOT, ".github", "workflows");
const SCHEMA_PATH = path.join(__dirname, "schemas", "github", "github-workflow.json");
const PROVENANCE_PATH = path.join(__dirname, "schemas", "PROVENANCE.md");

const STACKS = ["dev", "prod"];
const PULUMI_ACTION = /^pulumi\/actions@v\d+$/;
// Jobs that run Pulumi need the private network (RGW, 1Password Connect, registry,
// Docker engine, cluster API); plain `npm ci && npm test` jobs stay GitHub-hosted.
const SELF_HOSTED = ["self-hosted", "linux", "data-platform"];
const KUBECONFIG_STEP = "kubeconfig";

// ---------------------------------------------------------------------------
// Types (the subset of the workflow syntax used below; shapes are guaranteed by
// the schema validation, which runs first in every structural test).

type Dict = Record<string, unknown>;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Dict;
  env?: Dict;
}

interface Job {
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

interface Workflow {
  name?: string;
  on: string | string[] | Dict;
  permissions?: string | Dict;
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  env?: Dict;
  jobs: Record<string, Job>;
}

// ---------------------------------------------------------------------------
// Loading

function workflowFiles(): string[] {
  if (!fs.existsSync(WORKFLOW_DIR)) return [];
  return fs
    .readdirSync(WORKFLOW_DIR)
    .filter((f) => f.endsWith(".yml"))
    .sort();
}

function parseYaml(file: string): unknown {
  const text = fs.readFileSync(path.join(WORKFLOW_DIR, file), "utf8");
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => `${file}: ${e.message}`);
  if (problems.length > 0) throw new Error(`YAML problems:\n${problems.join("\n")}`);
  return doc.toJS();
}

const schemaBytes = fs.readFileSync(SCHEMA_PATH);
// The SchemaStore schema is not written for Ajv strict mode (missing "type" next
// to "properties", union types, ...), so strict mode is off; it is draft-07.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validateWorkflow = ajv.compile(JSON.parse(schemaBytes.toString("utf8")));

function formatErrors(file: string, errors: ErrorObject[] | null | undefined): string[] {
  const lines = (errors ?? []).map((e) => {
    const at = e.instancePath === "" ? "(root)" : e.instancePath;
    const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : "";
    return `${file} ${at}: ${e.message ?? "invalid"}${params} [schema ${e.schemaPath}]`;
  });
  return [...new Set(lines)];
}

function loadWorkflow(file: string): Workflow {
  const data = parseYaml(file);
  if (!validateWorkflow(data)) {
    throw new Error(`${file} does not match the GitHub workflow schema:\n${formatErrors(file, validateWorkflow.errors).join("\n")}`);
  }
  return data as Workflow;
}

// ---------------------------------------------------------------------------
// Helpers

function steps(job: Job): Step[] {
  return job.steps ?? [];
}

function needsOf(job: Job): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

function environmentName(job: Job): string | undefined {
  if (job.environment === undefined) return undefined;
  return typeof job.environment === "string" ? job.environment : job.environment.name;
}

function pulumiSteps(job: Job): Step[] {
  return steps(job).filter((s) => s.uses !== undefined && PULUMI_ACTION.test(s.uses));
}

function pulumiJobs(wf: Workflow, command: string): [string, Job, Step][] {
  const found: [string, Job, Step][] = [];
  for (const [id, job] of Object.entries(wf.jobs)) {
    for (const step of pulumiSteps(job)) {
      if (step.with?.command === command) found.push([id, job, step]);
    }
  }
  return found;
}

function runIndex(job: Job, command: string): number {
  return steps(job).findIndex((s) => typeof s.run === "string" && s.run.trim() === command);
}

function expectNpmCiThenTest(job: Job): void {
  const ci = runIndex(job, "npm ci");
  const test = runIndex(job, "npm test");
  expect(ci).toBeGreaterThanOrEqual(0);
  expect(test).toBeGreaterThan(ci);
}

function expectSetupNodeWithNpmCache(job: Job): void {
  const setup = steps(job).find((s) => s.uses?.startsWith("actions/setup-node@"));
  expect(setup).toBeDefined();
  expect(setup?.with?.cache).toBe("npm");
  expect(setup?.with?.["node-version"]).toBeDefined();
  expect(steps(job).some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(true);
}

function kubeconfigStep(job: Job): Step | undefined {
  return steps(job).find((s) => s.name === KUBECONFIG_STEP);
}

/** Jobs that run a Pulumi command. */
function jobsWithPulumi(wf: Workflow): [string, Job][] {
  return Object.entries(wf.jobs).filter(([, job]) => pulumiSteps(job).length > 0);
}

/** Runs a kubeconfig step's script like the runner does (bash -e), in the repository root. */
function runKubeconfigScript(script: string, data: string, stack: string): { status: number | null; output: string; kubeconfig: string; githubEnv: string; mode?: number } {
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
function triggers(wf: Workflow): string[] {
  if (typeof wf.on === "string") return [wf.on];
  if (Array.isArray(wf.on)) return [...wf.on];
  return Object.keys(wf.on);
}

function secretsIn(env: Dict | undefined): string[] {
  return Object.entries(env ?? {})
    .filter(([, v]) => typeof v === "string" && v.includes("secrets."))
    .map(([k]) => k);
}

// ---------------------------------------------------------------------------
// A small evaluator for GitHub expressions as used in job `if:` conditions:
// context paths, 'string' literals, true/false/null, numbers, == != && || ! ( ).
// Enough to check which deploy job runs for which event, without GitHub.

type Value = string | number | boolean | null | Dict;

const truthy = (v: Value): boolean => v !== null && v !== false && v !== 0 && v !== "";

function evaluateCondition(expression: string | boolean | undefined, context: Dict): boolean {
  if (expression === undefined) return true; // default: success()
  if (typeof expression === "boolean") return expression;
  return truthy(evaluateExpression(expression, context));
}

/** The value of one expression (`${{ ... }}` or bare), e.g. a step's env value. */
function evaluateExpression(expression: string, context: Dict): Value {
  let src = expression.trim();
  const wrapped = /^\$\{\{([\s\S]*)\}\}$/.exec(src);
  if (wrapped) src = wrapped[1];

  const tokens = src.match(/\s*('(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?)\s*/gy);
  if (tokens === null || tokens.join("").length !== src.length) {
    throw new Error(`unsupported expression: ${expression}`);
  }
  const toks = tokens.map((t) => t.trim());
  let pos = 0;
  const peek = (): string | undefined => toks[pos];
  const take = (expected?: string): string => {
    const t = toks[pos++];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new Error(`expected ${expected ?? "token"} in: ${expression}`);
    }
    return t;
  };

  const lookup = (name: string): Value => {
    let cur: unknown = context;
    for (const part of name.split(".")) {
      cur = cur !== null && typeof cur === "object" ? (cur as Dict)[part] : undefined;
    }
    return cur === undefined ? null : (cur as Value);
  };
  const equals = (a: Value, b: Value): boolean =>
    typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;

  const primary = (): Value => {
    const t = take();
    if (t === "(") {
      const v = or();
      take(")");
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (t === "true") return true;
    if (t === "false") return false;
    if (t === "null") return null;
    if (/^\d/.test(t)) return Number(t);
    if (peek() === "(") throw new Error(`functions are not supported: ${t}() in ${expression}`);
    return lookup(t);
  };
  const comparison = (): Value => {
    const left = primary();
    const op = peek();
    if (op === "==" || op === "!=") {
      take();
      const right = primary();
      return op === "==" ? equals(left, right) : !equals(left, right);
    }
    return left;
  };
  const unary = (): Value => {
    if (peek() === "!") {
      take();
      return !truthy(unary());
    }
    return comparison();
  };
  const and = (): Value => {
    let v = unary();
    while (peek() === "&&") {
      take();
      const r = unary();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek() === "||") {
      take();
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  };

  const result = or();
  if (pos !== toks.length) throw new Error(`trailing tokens in: ${expression}`);
  return result;
}

interface Scenario {
  label: string;
  event_name: string;
  ref: string;
  inputs?: Dict;
}

function contextFor(s: Scenario): Dict {
  const inputs = s.inputs ?? {};
  return { github: { event_name: s.event_name, ref: s.ref, event: { inputs } }, inputs };
}

// ---------------------------------------------------------------------------
// Tests

describe("schema provenance", () => {
  it("tests/schemas/github/github-workflow.json matches the sha256 and size recorded in PROVENANCE.md", () => {
    const provenance = fs.readFileSync(PROVENANCE_PATH, "utf8");
    const start = provenance.indexOf("\n## github/github-workflow.json");
    expect(start).toBeGreaterThanOrEqual(0);
    const rest = provenance.slice(start + 1);
    const next = rest.indexOf("\n## ");
    const section = next === -1 ? rest : rest.slice(0, next);

    const sha = /^\|\s*sha256\s*\|\s*`?([0-9a-f]{64})`?\s*\|/m.exec(section)?.[1];
    const bytes = /^\|\s*bytes\s*\|\s*(\d+)\s*\|/m.exec(section)?.[1];
    expect(sha).toBeDefined();
    expect(createHash("sha256").update(schemaBytes).digest("hex")).toBe(sha);
    expect(schemaBytes.length).toBe(Number(bytes));
  });

  it("is a draft-07 schema", () => {
    const schema = JSON.parse(schemaBytes.toString("utf8")) as Dict;
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
  });
});

describe("workflow files", () => {
  const files = workflowFiles();

  it("exist", () => {
    expect(files).toEqual(expect.arrayContaining(["deploy.yml", "pull-request.yml"]));
  });

  it.each(files)("%s is valid YAML and matches the GitHub workflow schema", (file) => {
    const data = parseYaml(file);
    const ok = validateWorkflow(data);
    // Listing the errors (instead of expect(ok).toBe(true)) makes the failure readable.
    expect(ok ? [] : formatErrors(file, validateWorkflow.errors)).toEqual([]);
  });

  it("the schema rejects a broken workflow (guards against a schema that accepts anything)", () => {
    const broken = { on: "push", jobs: { build: { "runs-on": "ubuntu-latest", steps: [{ usess: "actions/checkout@v5" }] } } };
    expect(validateWorkflow(broken)).toBe(false);
    expect(validateWorkflow({ on: "push" })).toBe(false);
  });

  it.each(files)("%s pins every action to a major version tag or a commit SHA", (file) => {
    const wf = loadWorkflow(file);
    const bad: string[] = [];
    for (const [id, job] of Object.entries(wf.jobs)) {
      for (const step of steps(job)) {
        if (step.uses === undefined || step.uses.startsWith("./") || step.uses.startsWith("docker://")) continue;
        if (!/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(step.uses)) bad.push(`${id}: ${step.uses}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it.each(files)("%s keeps secrets off workflow- and job-level env (not exposed to npm ci)", (file) => {
    const wf = loadWorkflow(file);
    expect(secretsIn(wf.env)).toEqual([]);
    for (const job of Object.values(wf.jobs)) expect(secretsIn(job.env)).toEqual([]);
  });

  it.each(files)("%s installs the Pulumi CLI version pinned in package.json (devDependency `pulumi`)", (file) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies?: Dict };
    const pinned = pkg.devDependencies?.pulumi;
    expect(typeof pinned).toBe("string");
    const wf = loadWorkflow(file);
    for (const job of Object.values(wf.jobs)) {
      for (const step of pulumiSteps(job)) expect(String(step.with?.["pulumi-version"])).toBe(pinned);
    }
  });
});

describe.each(["pull-request.yml", "deploy.yml"])("%s: Pulumi step settings", (file) => {
  it("logs in to the S3 backend from secrets, with the Ceph RGW checksum settings", () => {
    const wf = loadWorkflow(file);
    const all = Object.values(wf.jobs).flatMap(pulumiSteps);
    expect(all.length).toBeGreaterThan(0);
    for (const step of all) {
      expect(step.with?.["cloud-url"]).toBe("${{ secrets.PULUMI_BACKEND_URL }}");
      expect(step.env).toMatchObject({
        PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
        AWS_ACCESS_KEY_ID: expect.stringMatching(/^\$\{\{ secrets\.\w+ \}\}$/),
        AWS_SECRET_ACCESS_KEY: expect.stringMatching(/^\$\{\{ secrets\.\w+ \}\}$/),
        AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
        AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
      });
    }
  });
});

describe.each(["pull-request.yml", "deploy.yml"])("%s: runners, kubeconfig and secrets", (file) => {
  const wf = (): Workflow => loadWorkflow(file);

  it("Pulumi jobs run on the self-hosted runner, every other job on ubuntu-latest", () => {
    const w = wf();
    expect(jobsWithPulumi(w).length).toBeGreaterThan(0);
    for (const [, job] of Object.entries(w.jobs)) {
      expect(job["runs-on"]).toEqual(pulumiSteps(job).length > 0 ? SELF_HOSTED : "ubuntu-latest");
    }
  });

  it("every Pulumi job writes the kubeconfig after npm ci and before Pulumi, to a file under runner.temp", () => {
    for (const [id, job] of jobsWithPulumi(wf())) {
      const step = kubeconfigStep(job);
      expect({ id, step: step !== undefined }).toEqual({ id, step: true });
      const at = steps(job).indexOf(step as Step);
      expect(at).toBeGreaterThan(runIndex(job, "npm ci"));
      expect(at).toBeLessThan(steps(job).indexOf(pulumiSteps(job)[0]));
      expect(step?.env?.KUBECONFIG_PATH).toMatch(/^\$\{\{ runner\.temp \}\}\/[\w.-]+$/);
      expect(step?.env?.KUBECONFIG_DATA).toMatch(/secrets\.KUBECONFIG_\w+/);
      expect(step?.env?.STACK).toEqual(expect.stringMatching(/^(dev|prod|\$\{\{ matrix\.stack \}\})$/));
      // The Kubernetes provider must pick up this file, not a default one.
      expect(pulumiSteps(job)[0].env?.KUBECONFIG).toBeUndefined();
    }
  });

  it("the kubeconfig script: skips an empty secret, umask 077 + chmod 600, exports KUBECONFIG, never echoes the secret", () => {
    for (const [, job] of jobsWithPulumi(wf())) {
      const script = String(kubeconfigStep(job)?.run);
      // No expressions inside the script (values come in through env), no tracing.
      expect(script).not.toContain("${{");
      expect(script).not.toMatch(/set\s+-[a-z]*x|set\s+-o\s+xtrace/);

      const lines = script.split("\n").map((l) => l.trim());
      const skip = lines.findIndex((l) => /^if \[\[? -z "\$\{?KUBECONFIG_DATA(:-)?\}?" \]\]?; then$/.test(l));
      const write = lines.findIndex((l) => l === `printf '%s\\n' "$KUBECONFIG_DATA" > "$KUBECONFIG_PATH"`);
      const umask = lines.indexOf("umask 077");
      const chmod = lines.indexOf('chmod 600 "$KUBECONFIG_PATH"');
      const exportEnv = lines.indexOf('echo "KUBECONFIG=$KUBECONFIG_PATH" >> "$GITHUB_ENV"');
      expect(skip).toBeGreaterThanOrEqual(0);
      expect(lines.slice(skip + 1, write)).toContain("exit 0");
      expect(umask).toBeGreaterThan(skip);
      expect(write).toBeGreaterThan(umask);
      expect(chmod).toBeGreaterThan(write);
      expect(exportEnv).toBeGreaterThan(chmod);

      // The secret is referenced only by the emptiness test and the write to the file.
      const uses = lines.filter((l) => /\$\{?KUBECONFIG_DATA\b/.test(l));
      expect(uses).toEqual([lines[skip], lines[write]]);
      // Nor is the written file printed.
      expect(script).not.toMatch(/\b(cat|head|tail|less|more)\b[^\n]*KUBECONFIG_PATH/);
      // It checks the context the stack selects.
      expect(script).toContain("data-platform:kubeContext");
    }
  });

  it("the kubeconfig script behaves: file mode 600 with the stack's context, skip when empty, errors never show the secret", () => {
    // One script for all jobs (it takes the stack from env), so running it once covers them.
    const scripts = new Set(jobsWithPulumi(wf()).map(([, job]) => kubeconfigStep(job)?.run));
    expect(scripts.size).toBe(1);
    const script = String([...scripts][0]);
    const token = "s3cr3t-token-0123456789";
    const kubeconfig = (context: string): string =>
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://k8s.example.internal:6443'}}]",
        `users: [{name: u, user: {token: ${token}}}]`,
        `contexts: [{name: ${context}, context: {cluster: c, user: u}}]`,
        `current-context: ${context}`,
      ].join("\n");

    for (const stack of STACKS) {
      const ok = runKubeconfigScript(script, kubeconfig(stack), stack);
      expect(ok.status).toBe(0);
      expect(ok.mode).toBe(0o600);
      expect(ok.kubeconfig).toContain(token);
      expect(ok.githubEnv).toMatch(/^KUBECONFIG=.*\/kubeconfig\n$/);
      expect(ok.output).not.toContain(token);
    }

    const wrong = runKubeconfigScript(script, kubeconfig("dev"), "prod");
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toContain("no context prod");
    expect(wrong.githubEnv).toBe("");
    expect(wrong.output).not.toContain(token);

    const broken = runKubeconfigScript(script, `token: ${token}\n  bad: [unclosed`, "dev");
    expect(broken.status).not.toBe(0);
    expect(broken.output).not.toContain(token);
    expect(broken.githubEnv).toBe("");

    const empty = runKubeconfigScript(script, "", "dev");
    expect(empty.status).toBe(0);
    expect(empty.kubeconfig).toBe("");
    expect(empty.githubEnv).toBe("");
  });

  it("secrets appear only in the env of the kubeconfig and Pulumi steps (never in npm ci, run scripts or other inputs)", () => {
    for (const [id, job] of Object.entries(wf().jobs)) {
      for (const step of steps(job)) {
        const where = `${id}: ${step.name ?? step.uses ?? step.run}`;
        const isPulumi = step.uses !== undefined && PULUMI_ACTION.test(step.uses);
        if (step.name === KUBECONFIG_STEP) {
          expect({ where, secrets: secretsIn(step.env) }).toEqual({ where, secrets: ["KUBECONFIG_DATA"] });
        } else if (!isPulumi) {
          expect({ where, secrets: secretsIn(step.env) }).toEqual({ where, secrets: [] });
          expect({ where, with: JSON.stringify(step.with ?? {}).includes("secrets.") }).toEqual({ where, with: false });
        }
        expect({ where, run: (step.run ?? "").includes("secrets.") }).toEqual({ where, run: false });
      }
    }
  });
});

describe("stack files", () => {
  it.each(STACKS)("Pulumi.%s.yaml selects the context of the same name (the kubeconfig secrets must contain it)", (stack) => {
    const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
    const config = (parseDocument(text).toJS() as { config?: Dict }).config ?? {};
    expect(config["data-platform:kubeContext"]).toBe(stack);
  });
});

describe("pull-request.yml", () => {
  const wf = (): Workflow => loadWorkflow("pull-request.yml");

  it("runs on pull_request only, with minimal permissions and one concurrency group per PR", () => {
    const w = wf();
    expect(triggers(w)).toEqual(["pull_request"]);
    expect(w.permissions).toEqual({ contents: "read" });
    expect(typeof w.concurrency).toBe("object");
    const c = w.concurrency as { group: string; "cancel-in-progress"?: boolean | string };
    expect(c.group).toContain("github.event.pull_request.number");
  });

  it("job test: checkout, setup-node with npm cache, npm ci, npm test (GitHub-hosted)", () => {
    const test = wf().jobs.test;
    expect(test).toBeDefined();
    expect(test["runs-on"]).toBe("ubuntu-latest");
    expectSetupNodeWithNpmCache(test);
    expectNpmCiThenTest(test);
  });

  it("job preview: needs test, matrix stack [dev, prod], pulumi preview --diff commented on the PR", () => {
    const preview = wf().jobs.preview;
    expect(preview).toBeDefined();
    expect(preview["runs-on"]).toEqual(SELF_HOSTED);
    expect(needsOf(preview)).toContain("test");
    expect(preview.strategy?.matrix).toMatchObject({ stack: STACKS });
    expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });

    const ps = pulumiSteps(preview);
    expect(ps).toHaveLength(1);
    expect(ps[0].with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      "comment-on-pr": true,
      diff: true,
      "github-token": expect.stringMatching(/^\$\{\{ (secrets\.GITHUB_TOKEN|github\.token) \}\}$/),
    });
    // npm ci must run before the Pulumi program is loaded.
    expect(runIndex(preview, "npm ci")).toBeGreaterThanOrEqual(0);
    expect(runIndex(preview, "npm ci")).toBeLessThan(steps(preview).indexOf(ps[0]));
  });

  it("job preview is skipped for pull requests from forks (no secrets, never on the self-hosted runner)", () => {
    const preview = wf().jobs.preview;
    const ctx = (head: string): Dict => ({ github: { repository: "example/data-platform-stack", event: { pull_request: { head: { repo: { full_name: head } } } } } });
    expect(evaluateCondition(preview.if, ctx("example/data-platform-stack"))).toBe(true);
    expect(evaluateCondition(preview.if, ctx("someone/data-platform-stack"))).toBe(false);
  });

  it.each([
    ["dev", { KUBECONFIG_DEV: "dev-kubeconfig", KUBECONFIG_PROD: "prod-kubeconfig" }, "dev-kubeconfig"],
    ["prod", { KUBECONFIG_DEV: "dev-kubeconfig", KUBECONFIG_PROD: "prod-kubeconfig" }, "prod-kubeconfig"],
    ["prod", { KUBECONFIG_DEV: "dev-kubeconfig" }, ""],
    ["dev", { KUBECONFIG_PROD: "prod-kubeconfig" }, ""],
    ["dev", {}, ""],
  ] as [string, Dict, string][])("kubeconfig of stack %s with secrets %j -> %j (never the other stack's)", (stack, secrets, expected) => {
    const step = kubeconfigStep(wf().jobs.preview);
    expect(step).toBeDefined();
    const data = step?.env?.KUBECONFIG_DATA;
    expect(typeof data).toBe("string");
    const value = evaluateExpression(String(data), { matrix: { stack }, secrets });
    expect(truthy(value) ? value : "").toBe(expected);
  });

  it("never runs pulumi up", () => {
    expect(pulumiJobs(wf(), "up")).toEqual([]);
    expect(pulumiJobs(wf(), "destroy")).toEqual([]);
  });
});

describe("deploy.yml", () => {
  const wf = (): Workflow => loadWorkflow("deploy.yml");

  const upJobFor = (stack: string): [string, Job] => {
    const matches = pulumiJobs(wf(), "up").filter(([, , step]) => step.with?.["stack-name"] === stack);
    expect(matches).toHaveLength(1);
    return [matches[0][0], matches[0][1]];
  };

  it("triggers: push to main, and workflow_dispatch with input stack (choice prod|dev)", () => {
    const w = wf();
    expect(triggers(w).sort()).toEqual(["push", "workflow_dispatch"]);
    const on = w.on as Dict;
    expect(on.push).toEqual({ branches: ["main"] });
    const dispatch = on.workflow_dispatch as { inputs: Record<string, Dict> };
    expect(dispatch.inputs.stack).toMatchObject({ type: "choice", required: true });
    expect([...(dispatch.inputs.stack.options as string[])].sort()).toEqual(["dev", "prod"]);
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("has exactly one pulumi up job per stack and no other Pulumi commands", () => {
    const ups = pulumiJobs(wf(), "up").map(([, , step]) => step.with?.["stack-name"]);
    expect([...ups].sort()).toEqual(STACKS);
    const all = Object.values(wf().jobs).flatMap(pulumiSteps);
    expect(all.map((s) => s.with?.command)).toEqual(STACKS.map(() => "up"));
  });

  it.each(STACKS)("stack %s: environment of the same name, npm ci && npm test first, per-stack concurrency without cancelling", (stack) => {
    const w = wf();
    const [, job] = upJobFor(stack);
    expect(environmentName(job)).toBe(stack);

    // npm test ran before: in the same job, or in a job this one needs.
    const testedHere = runIndex(job, "npm test") >= 0;
    const testedBefore = needsOf(job).some((n) => w.jobs[n] !== undefined && runIndex(w.jobs[n], "npm test") >= 0);
    expect(testedHere || testedBefore).toBe(true);
    for (const n of needsOf(job)) if (runIndex(w.jobs[n], "npm test") >= 0) expectNpmCiThenTest(w.jobs[n]);
    expect(runIndex(job, "npm ci")).toBeGreaterThanOrEqual(0);
    expect(runIndex(job, "npm ci")).toBeLessThan(steps(job).indexOf(pulumiSteps(job)[0]));

    expect(typeof job.concurrency).toBe("object");
    const c = job.concurrency as { group: string; "cancel-in-progress"?: boolean | string };
    expect(c.group).toContain(stack);
    expect(c["cancel-in-progress"]).toBe(false);
  });

  it("job test runs on GitHub-hosted ubuntu-latest, the pulumi up jobs on the self-hosted runner", () => {
    const w = wf();
    expect(w.jobs.test["runs-on"]).toBe("ubuntu-latest");
    for (const stack of STACKS) expect(upJobFor(stack)[1]["runs-on"]).toEqual(SELF_HOSTED);
  });

  it.each(STACKS)("stack %s: the kubeconfig comes from the environment secret KUBECONFIG_DATA, checked against that stack", (stack) => {
    const step = kubeconfigStep(upJobFor(stack)[1]);
    expect(step?.env).toMatchObject({ KUBECONFIG_DATA: "${{ secrets.KUBECONFIG_DATA }}", STACK: stack });
  });

  it("stacks use different concurrency groups", () => {
    const groups = STACKS.map((s) => (upJobFor(s)[1].concurrency as { group: string }).group);
    expect(new Set(groups).size).toBe(STACKS.length);
  });

  const scenarios: [Scenario, string[]][] = [
    [{ label: "push to main", event_name: "push", ref: "refs/heads/main" }, ["dev"]],
    [{ label: "dispatch prod on main", event_name: "workflow_dispatch", ref: "refs/heads/main", inputs: { stack: "prod" } }, ["prod"]],
    [{ label: "dispatch dev on main", event_name: "workflow_dispatch", ref: "refs/heads/main", inputs: { stack: "dev" } }, ["dev"]],
    [{ label: "dispatch prod on a branch", event_name: "workflow_dispatch", ref: "refs/heads/feature", inputs: { stack: "prod" } }, []],
    [{ label: "pull_request (not a trigger, defence in depth)", event_name: "pull_request", ref: "refs/pull/1/merge" }, []],
    [{ label: "push with a stray 'prod' input", event_name: "push", ref: "refs/heads/main", inputs: { stack: "prod" } }, ["dev"]],
  ];

  it.each(scenarios.map(([s, e]) => [s.label, e, s] as const))("job conditions: %s -> deploys %j", (_label, expected, scenario) => {
    const w = wf();
    const ctx = contextFor(scenario);
    const deployed = STACKS.filter((stack) => {
      const [id, job] = upJobFor(stack);
      // A job runs only if it and every job it needs would run.
      const chain = [id, ...needsOf(job)];
      return chain.every((j) => evaluateCondition(w.jobs[j].if, ctx));
    });
    expect(deployed).toEqual(expected);
  });

  it("prod is deployed only by workflow_dispatch (stack=prod) and only in environment prod", () => {
    const w = wf();
    const [, prodJob] = upJobFor("prod");
    expect(environmentName(prodJob)).toBe("prod");
    for (const event_name of ["push", "pull_request", "schedule", "workflow_call", "repository_dispatch"]) {
      for (const stack of ["prod", "dev", undefined]) {
        const ctx = contextFor({ label: "", event_name, ref: "refs/heads/main", inputs: stack === undefined ? {} : { stack } });
        expect(evaluateCondition(prodJob.if, ctx)).toBe(false);
      }
    }
    // No other job deploys to the prod environment.
    const inProd = Object.entries(w.jobs).filter(([, j]) => environmentName(j) === "prod");
    expect(inProd.map(([id]) => id)).toEqual([upJobFor("prod")[0]]);
  });
});

describe("expression evaluator (test helper)", () => {
  const ctx = { github: { event_name: "push", ref: "refs/heads/main" }, inputs: { stack: "prod" } };
  it.each([
    ["github.event_name == 'push'", true],
    ["${{ github.event_name == 'PUSH' }}", true],
    ["github.event_name != 'push'", false],
    ["github.event_name == 'push' && inputs.stack == 'dev'", false],
    ["github.event_name == 'x' || (inputs.stack == 'prod' && github.ref == 'refs/heads/main')", true],
    ["!inputs.missing", true],
  ] as [string, boolean][])("%s -> %s", (expr, expected) => {
    expect(evaluateCondition(expr, ctx)).toBe(expected);
  });

  it("rejects function calls it cannot evaluate", () => {
    expect(() => evaluateCondition("always()", ctx)).toThrow(/not supported/);
  });
});
