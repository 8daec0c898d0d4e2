// GitHub Actions workflows: schema validation (SchemaStore github-workflow.json,
// pinned in tests/schemas/, see tests/schemas/PROVENANCE.md) plus the structure
// the deployment process relies on (dev previewed on PRs with dev's preview
// credentials only, an offline render diff for every PR commented by a separate
// workflow_run workflow, dev on push, prod previewed and deployed only by manual
// dispatch from main behind the protected environments `preview-prod` and `prod`).
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import {
  ROOT,
  PROVENANCE_PATH,
  STACKS,
  PULUMI_ACTION,
  SELF_HOSTED,
  KUBECONFIG_STEP,
  ADOPT_GATE_STEP,
  VERIFY_STEP,
  COMMENT_WORKFLOW,
  RENDER_JOB,
  RENDER_STEP,
  COMMENT_TEXT_STEP,
  COMMENT_STEP,
  COMMENT_MARKER,
  COMMENT_LIMIT,
  PINNED_ACTIONS,
  type Dict,
  type Step,
  type Job,
  type Workflow,
  workflowFiles,
  parseYaml,
  schemaBytes,
  validateWorkflow,
  formatErrors,
  loadWorkflow,
  steps,
  needsOf,
  environmentName,
  pulumiSteps,
  pulumiJobs,
  runIndex,
  expectNpmCiThenTests,
  expectSetupNodeWithNpmCache,
  kubeconfigStep,
  jobsWithPulumi,
  runKubeconfigScript,
  triggers,
  secretsIn,
  secretNames,
  workflowText,
  headerComment,
  rawUses,
  stepNamed,
  stepUsing,
  stackOf,
} from "./lib/workflows/model";
import { runRenderScript, runCommentTextScript, REPO, RUN_HEAD_SHA, runCommentScript, chars } from "./lib/workflows/scripts";
import { evaluateCondition, type Scenario, contextFor } from "./lib/workflows/expressions";

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
    expect(files).toEqual(expect.arrayContaining(["deploy.yml", "drift.yml", "pull-request.yml", COMMENT_WORKFLOW]));
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

  it.each(files)("%s pins every action by full commit SHA with a trailing `# vX.Y.Z` comment", (file) => {
    const wf = loadWorkflow(file);
    const parsed = Object.values(wf.jobs)
      .flatMap((job) => steps(job).map((s) => s.uses))
      .filter((u): u is string => u !== undefined);
    const raw = rawUses(file);
    // The line scan sees every `uses:` the parser sees (none hidden in flow style).
    expect(raw.map((r) => r.uses)).toEqual(parsed);
    expect(raw.length).toBeGreaterThan(0);
    const bad = raw
      .filter((r) => !r.uses.startsWith("./") && !r.uses.startsWith("docker://"))
      .filter((r) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(r.uses) || !/^v\d+\.\d+\.\d+$/.test(r.comment ?? ""))
      .map((r) => r.line);
    expect(bad).toEqual([]);
  });

  it.each(files)("%s uses only the reviewed pins (SHA and tag comment as recorded in PINNED_ACTIONS)", (file) => {
    for (const { uses, comment, line } of rawUses(file)) {
      const [action, sha] = uses.split("@");
      const pin = PINNED_ACTIONS[action.split("/").slice(0, 2).join("/")];
      expect({ line, pinned: pin !== undefined }).toEqual({ line, pinned: true });
      expect({ line, sha, comment }).toEqual({ line, sha: pin?.sha, comment: pin?.version });
    }
  });

  it("no workflow runs on pull_request_target (a write token next to PR code)", () => {
    for (const file of files) {
      expect({ file, triggers: triggers(loadWorkflow(file)) }).toEqual({ file, triggers: expect.not.arrayContaining(["pull_request_target"]) });
      expect({ file, text: /pull_request_target\s*:/.test(workflowText(file).replace(/^\s*#.*$/gm, "")) }).toEqual({ file, text: false });
    }
  });

  it("the project's Node.js is 24, in .nvmrc", () => {
    expect(fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim()).toMatch(/^v?24\.\d+\.\d+$/);
  });

  it.each(files)("%s sets up Node.js from .nvmrc (node-version-file), never a hardcoded version", (file) => {
    // One entry per setup-node step (a workflow without Node.js has none, and nothing to check).
    const setups = Object.entries(loadWorkflow(file).jobs).flatMap(([id, job]) =>
      steps(job)
        .filter((s) => s.uses?.startsWith("actions/setup-node@"))
        .map((step) => {
          // A subfolder's .nvmrc must be a checkout of this repository made by the same job.
          const dir = String(step.with?.["node-version-file"]).replace(/\/?\.nvmrc$/, "");
          const checkedOut = dir === "" || steps(job).some((s) => s.uses?.startsWith("actions/checkout@") && s.with?.path === dir);
          return { id, version: step.with?.["node-version"], file: step.with?.["node-version-file"], checkedOut };
        }),
    );
    expect(setups).toEqual(setups.map(({ id }) => ({ id, version: undefined, file: expect.stringMatching(/^([\w.-]+\/)?\.nvmrc$/), checkedOut: true })));
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

  it.each(files)("%s: every job that uses a secret (other than GITHUB_TOKEN) runs in a GitHub environment", (file) => {
    const withSecrets = Object.entries(loadWorkflow(file).jobs).filter(([, job]) => secretNames(job).some((n) => n !== "GITHUB_TOKEN"));
    const environments = withSecrets.map(([id, job]) => ({ id, environment: environmentName(job) }));
    expect(environments).toEqual(withSecrets.map(([id]) => ({ id, environment: expect.any(String) })));
  });

  it.each(files)("%s documents every secret and every environment it uses in its header comment", (file) => {
    const wf = loadWorkflow(file);
    const header = headerComment(file);
    const used = [
      ...secretNames(wf.jobs),
      ...Object.values(wf.jobs)
        .map(environmentName)
        .filter((env): env is string => env !== undefined)
        .map((env) => `\`${env}\``),
    ];
    expect(used.filter((name) => !header.includes(name))).toEqual([]);
  });
});

describe.each(["pull-request.yml", "deploy.yml", "drift.yml"])("%s: Pulumi step settings", (file) => {
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

  it("every Pulumi job runs in its stack's own environment: `preview-<stack>` for a preview, `<stack>` for up", () => {
    for (const [id, job] of jobsWithPulumi(loadWorkflow(file))) {
      for (const step of pulumiSteps(job)) {
        const stack = stackOf(step);
        expect(STACKS).toContain(stack);
        const expected = step.with?.command === "preview" ? `preview-${stack}` : stack;
        expect({ id, environment: environmentName(job) }).toEqual({ id, environment: expected });
      }
      // One stack per job, so one environment never serves two stacks.
      expect(new Set(pulumiSteps(job).map(stackOf)).size).toBe(1);
    }
  });

  it("passphrase, state backend keys and kubeconfig are the environment's own secrets (no per-stack selection from shared secrets)", () => {
    for (const [id, job] of jobsWithPulumi(loadWorkflow(file))) {
      // All Pulumi credentials come from secrets of one name per role, resolved by the job's environment.
      expect({ id, secrets: secretNames(job) }).toEqual({
        id,
        secrets: expect.arrayContaining([
          "KUBECONFIG_DATA",
          "PULUMI_BACKEND_ACCESS_KEY_ID",
          "PULUMI_BACKEND_SECRET_ACCESS_KEY",
          "PULUMI_BACKEND_URL",
          "PULUMI_CONFIG_PASSPHRASE",
        ]),
      });
      expect({
        id,
        secrets: secretNames(job).filter(
          (n) =>
            ![
              "GITHUB_TOKEN",
              "KUBECONFIG_DATA",
              "PULUMI_BACKEND_ACCESS_KEY_ID",
              "PULUMI_BACKEND_SECRET_ACCESS_KEY",
              "PULUMI_BACKEND_URL",
              "PULUMI_CONFIG_PASSPHRASE",
            ].includes(n),
        ),
      }).toEqual({ id, secrets: [] });
      expect(kubeconfigStep(job)?.env?.KUBECONFIG_DATA).toBe("${{ secrets.KUBECONFIG_DATA }}");
      for (const step of pulumiSteps(job)) {
        expect(step.env?.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
        expect(step.env?.AWS_ACCESS_KEY_ID).toBe("${{ secrets.PULUMI_BACKEND_ACCESS_KEY_ID }}");
        expect(step.env?.AWS_SECRET_ACCESS_KEY).toBe("${{ secrets.PULUMI_BACKEND_SECRET_ACCESS_KEY }}");
      }
    }
  });

  it("the header says the credentials are environment secrets, never repository secrets, and the preview kubeconfig is read-only (`view`)", () => {
    const header = headerComment(file).replace(/\s+/g, " ");
    expect(header).toMatch(/environment secrets?/i);
    expect(header).toMatch(/None of them may also exist as a repository secret/i);
    expect(header).toMatch(/own passphrase|different passphrases/i);
    expect(header).toMatch(/per stack/i);
    if (jobsWithPulumi(loadWorkflow(file)).some(([, job]) => pulumiSteps(job).some((st) => st.with?.command === "preview"))) {
      expect(header).toMatch(/must be a read-only identity/i);
      expect(header).toMatch(/ServiceAccount bound to the ClusterRole `view`/);
    }
  });
});

describe.each(["pull-request.yml", "deploy.yml", "drift.yml"])("%s: runners, kubeconfig and secrets", (file) => {
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
      expect(step?.env?.KUBECONFIG_DATA).toBe("${{ secrets.KUBECONFIG_DATA }}");
      // The stack the job's Pulumi step works on.
      expect(step?.env?.STACK).toBe(stackOf(pulumiSteps(job)[0]));
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
        } else if (step.name === ADOPT_GATE_STEP || (file === "drift.yml" && step.name === VERIFY_STEP)) {
          // It runs `pulumi preview` itself (tests/adopt/workflows.test.ts): the Pulumi step's state credentials, nothing else.
          expect({ where, secrets: secretsIn(step.env).sort() }).toEqual({
            where,
            secrets: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"],
          });
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

  it("job test: checkout, setup-node with npm cache, npm ci, npm test, npm run test:program, npm run lint (GitHub-hosted)", () => {
    const test = wf().jobs.test;
    expect(test).toBeDefined();
    expect(test["runs-on"]).toBe("ubuntu-latest");
    expectSetupNodeWithNpmCache(test);
    expectNpmCiThenTests(test);
  });

  it("job preview: needs test, stack dev only, in environment preview-dev, pulumi preview --diff commented on the PR", () => {
    const preview = wf().jobs.preview;
    expect(preview).toBeDefined();
    expect(preview["runs-on"]).toEqual(SELF_HOSTED);
    expect(needsOf(preview)).toContain("test");
    expect(preview.strategy).toBeUndefined();
    expect(environmentName(preview)).toBe("preview-dev");
    expect(preview.permissions).toEqual({ contents: "read", "pull-requests": "write" });

    const ps = pulumiSteps(preview);
    expect(ps).toHaveLength(1);
    expect(ps[0].with).toMatchObject({
      command: "preview",
      "stack-name": "dev",
      "comment-on-pr": true,
      diff: true,
      "github-token": expect.stringMatching(/^\$\{\{ (secrets\.GITHUB_TOKEN|github\.token) \}\}$/),
    });
    expect(kubeconfigStep(preview)?.env).toMatchObject({ KUBECONFIG_DATA: "${{ secrets.KUBECONFIG_DATA }}", STACK: "dev" });
    // npm ci must run before the Pulumi program is loaded.
    expect(runIndex(preview, "npm ci")).toBeGreaterThanOrEqual(0);
    expect(runIndex(preview, "npm ci")).toBeLessThan(steps(preview).indexOf(ps[0]));
  });

  it("job preview is skipped for pull requests from forks (no secrets, never on the self-hosted runner)", () => {
    const preview = wf().jobs.preview;
    const ctx = (head: string): Dict => ({
      github: { repository: "example/data-platform-stack", event: { pull_request: { head: { repo: { full_name: head } } } } },
    });
    expect(evaluateCondition(preview.if, ctx("example/data-platform-stack"))).toBe(true);
    expect(evaluateCondition(preview.if, ctx("someone/data-platform-stack"))).toBe(false);
  });

  it("never previews prod: no job, environment, matrix or secret of prod (PR code never gets prod's passphrase or kubeconfig)", () => {
    const w = wf();
    for (const [id, job] of Object.entries(w.jobs)) {
      for (const step of pulumiSteps(job)) expect({ id, stack: stackOf(step) }).toEqual({ id, stack: "dev" });
      expect({ id, environment: environmentName(job) ?? "" }).toEqual({ id, environment: expect.not.stringMatching(/prod/i) });
      expect({ id, matrix: job.strategy?.matrix }).toEqual({ id, matrix: undefined });
    }
    // Nothing in the jobs mentions prod at all (the former KUBECONFIG_PROD, a prod matrix entry, ...).
    expect(JSON.stringify(w.jobs)).not.toMatch(/prod/i);
    // The header says where prod's preview runs instead.
    const header = headerComment("pull-request.yml").replace(/\s+/g, " ");
    expect(header).toMatch(/prod is never previewed from a pull request/);
    expect(header).toContain("deploy.yml");
    expect(header).toContain("preview-prod");
  });

  it("never runs pulumi up", () => {
    expect(pulumiJobs(wf(), "up")).toEqual([]);
    expect(pulumiJobs(wf(), "destroy")).toEqual([]);
  });

  describe("job render-diff (offline plan diff for every PR, forks included)", () => {
    const job = (): Job => wf().jobs[RENDER_JOB];

    it("runs on GitHub-hosted ubuntu-latest for every pull request, forks included, without needing other jobs", () => {
      const j = job();
      expect(j).toBeDefined();
      expect(j["runs-on"]).toBe("ubuntu-latest");
      const ctx = (head: string): Dict => ({
        github: { repository: "example/data-platform-stack", event: { pull_request: { head: { repo: { full_name: head } } } } },
      });
      expect(evaluateCondition(j.if, ctx("someone/data-platform-stack"))).toBe(true);
      expect(evaluateCondition(j.if, ctx("example/data-platform-stack"))).toBe(true);
      expect(needsOf(j)).toEqual([]);
    });

    it("has no secrets, no environment, no Pulumi and a read-only token", () => {
      const j = job();
      expect(secretNames(j)).toEqual([]);
      expect(JSON.stringify(j)).not.toMatch(/github\.token|GITHUB_TOKEN/);
      expect(environmentName(j)).toBeUndefined();
      expect(pulumiSteps(j)).toEqual([]);
      // No job-level permissions: the workflow's contents: read applies.
      expect(j.permissions).toBeUndefined();
      expect(wf().permissions).toEqual({ contents: "read" });
      for (const step of steps(j).filter((s) => s.uses?.startsWith("actions/checkout@"))) expect(step.with?.["persist-credentials"]).toBe(false);
    });

    it("checks out head (GitHub's merge commit, with its parents) and base (the merge commit's first parent)", () => {
      const j = job();
      const checkouts = steps(j).filter((s) => s.uses?.startsWith("actions/checkout@"));
      expect(checkouts).toHaveLength(1);
      expect(checkouts[0].with).toMatchObject({ path: "head", "fetch-depth": 2, "persist-credentials": false });
      expect(checkouts[0].with?.ref).toBeUndefined();
      const base = stepNamed(j, "checkout base");
      expect(base?.run).toContain("git -C head worktree add --detach ../base HEAD^1");
      expect(steps(j).indexOf(base as Step)).toBeGreaterThan(steps(j).indexOf(checkouts[0]));
      const setup = stepUsing(j, "actions/setup-node");
      expect(setup?.with).toMatchObject({ "node-version-file": "head/.nvmrc", cache: "npm" });
      expect(
        String(setup?.with?.["cache-dependency-path"])
          .split("\n")
          .filter((l) => l !== "")
          .sort(),
      ).toEqual(["base/package-lock.json", "head/package-lock.json"]);
    });

    it("its scripts take every value from env (no ${{ }} expressions inside run:)", () => {
      for (const step of steps(job()))
        expect({ step: step.name ?? step.uses, run: (step.run ?? "").includes("${{") }).toEqual({ step: step.name ?? step.uses, run: false });
    });

    it("renders every Pulumi.*.yaml on base and head with npm ci + npm run render -- --stack <s> --out <dir>, and diffs them with diff -ru", () => {
      const step = stepNamed(job(), RENDER_STEP);
      expect(step?.env).toMatchObject({ OUT: "${{ runner.temp }}/render-diff", PR_NUMBER: "${{ github.event.pull_request.number }}" });
      const stack = (name: string, endpoint: string): string => `config:\n  data-platform:environment: ${name}\n  data-platform:rgwEndpoint: ${endpoint}\n`;
      const r = runRenderScript(
        String(step?.run),
        {
          "package-lock.json": "{}",
          "Pulumi.yaml": "name: data-platform\n",
          "Pulumi.dev.yaml": stack("dev", "http://rgw-old:80"),
          "Pulumi.prod.yaml": stack("prod", "http://rgw:80"),
        },
        {
          "package-lock.json": "{}",
          "Pulumi.yaml": "name: data-platform\n",
          "Pulumi.dev.yaml": stack("dev", "http://rgw-new:80"),
          "Pulumi.prod.yaml": stack("prod", "INVALID"),
          "Pulumi.staging.yaml": stack("staging", "http://rgw:80"),
        },
      );
      expect(r.status).toBe(0);
      expect(r.files["pr-number"]).toBe("17\n");
      expect(r.npmCalls.filter((c) => c.includes("|ci"))).toEqual(["base|ci --no-audit --no-fund", "head|ci --no-audit --no-fund"]);
      const renders = r.npmCalls.filter((c) => !c.includes("|ci")).map((c) => c.replace(/--silent /, ""));
      expect(renders).toEqual([
        "base|run render -- --stack dev --out $OUT/render/base",
        "base|run render -- --stack prod --out $OUT/render/base",
        "head|run render -- --stack dev --out $OUT/render/head",
        "head|run render -- --stack prod --out $OUT/render/head",
        "head|run render -- --stack staging --out $OUT/render/head",
      ]);
      const diff = r.files["render.diff"];
      expect(r.files["diff-status"]).toBe("1\n");
      expect(diff).toMatch(/^diff -ru base\/dev\/inventory\.json head\/dev\/inventory\.json$/m);
      // Without the timestamps diff puts on the ---/+++ lines (they would change on every run).
      expect(diff).toMatch(/^--- base\/dev\/inventory\.json\n\+\+\+ head\/dev\/inventory\.json\n/m);
      expect(
        Object.keys(r.files)
          .filter((f) => !f.startsWith("render/") && !f.startsWith("errors/"))
          .sort(),
      ).toEqual(["diff-status", "pr-number", "render.diff"]);
      expect(diff).toContain("-  data-platform:rgwEndpoint: http://rgw-old:80");
      expect(diff).toContain("+  data-platform:rgwEndpoint: http://rgw-new:80");
      expect(diff).toContain("Only in head: staging");
      expect(diff).toContain("Only in base: prod"); // the failed render left nothing
      // The failed render's stderr is kept for the comment; successful renders leave no error file.
      expect(Object.keys(r.files).filter((f) => f.startsWith("errors/"))).toEqual(["errors/head.prod.stderr"]);
      expect(r.files["errors/head.prod.stderr"]).toContain("render failed: invalid configuration for stack prod");
    });

    it("the render script records a failed npm ci, and reports no differences as diff status 0", () => {
      const script = String(stepNamed(job(), RENDER_STEP)?.run);
      const files = { "package-lock.json": "{}", "Pulumi.dev.yaml": "config: {}\n" };
      const same = runRenderScript(script, files, files);
      expect(same.status).toBe(0);
      expect(same.files["diff-status"]).toBe("0\n");
      expect(same.files["render.diff"]).toBe("");

      const broken = runRenderScript(script, { "Pulumi.dev.yaml": "config: {}\n" }, files);
      expect(broken.status).toBe(0);
      expect(broken.files["errors/base.npm-ci.log"]).toContain("npm ci command can only install");
      expect(broken.npmCalls.some((c) => c.startsWith("base|run"))).toBe(false);
      expect(broken.files["render.diff"]).toContain("Only in head: dev");
    });

    it("writes the comment text: failed renders with their stderr, the diff in a fence it cannot close", () => {
      const step = stepNamed(job(), COMMENT_TEXT_STEP);
      expect(step?.shell).toBe("node {0}");
      expect(step?.env).toMatchObject({ OUT: "${{ runner.temp }}/render-diff" });
      const diff = "diff -ru base/dev/inventory.json head/dev/inventory.json\n--- a\n+++ b\n-old\n+new ``` not the end\n+````\n";
      const r = runCommentTextScript(String(step?.run), {
        "diff-status": "1\n",
        "render.diff": diff,
        "errors/head.prod.stderr":
          'render failed: invalid configuration for stack prod (1 problem):\n  - data-platform:rgwEndpoint: "not a url" is not an http(s) URL\n',
      });
      expect(r.status).toBe(0);
      expect(r.comment).toContain("The render of stack `prod` failed on head");
      expect(r.comment).toContain('  - data-platform:rgwEndpoint: "not a url" is not an http(s) URL');
      expect(r.comment).toContain("+new ``` not the end");
      // The diff's fence is longer than any backtick run inside it.
      const open = /^(`{3,})diff$/m.exec(r.comment);
      expect(open?.[1].length).toBeGreaterThan(4);
      expect(r.comment.split("\n").filter((l) => l === open?.[1])).toHaveLength(1);
      expect(r.comment).not.toContain("Truncated");

      const none = runCommentTextScript(String(step?.run), { "diff-status": "0\n", "render.diff": "" });
      expect(none.comment).toContain("No differences");
    });

    it("truncates the comment text to fit GitHub's 65,536-character limit, with a note", () => {
      const step = stepNamed(job(), COMMENT_TEXT_STEP);
      const line = (i: number): string => `+  line ${i}: ${"x".repeat(60)} é\n`;
      const diff = "diff -ru base/dev/inventory.json head/dev/inventory.json\n" + Array.from({ length: 5000 }, (_, i) => line(i)).join("");
      expect(diff.length).toBeGreaterThan(4 * COMMENT_LIMIT);
      const r = runCommentTextScript(String(step?.run), { "diff-status": "1\n", "render.diff": diff, "errors/head.prod.stderr": "E".repeat(50000) });
      expect(r.status).toBe(0);
      // Room is left for the marker and footer the commenting workflow adds.
      expect(chars(r.comment)).toBeLessThanOrEqual(COMMENT_LIMIT - 512);
      expect(chars(r.comment)).toBeGreaterThan(COMMENT_LIMIT / 2);
      expect(r.comment).toMatch(/\*\*Truncated:\*\* showing \d+ of 5001 lines/);
      expect(r.comment).toContain("render-diff");
      // Cut at a line boundary, and the fence is closed before the note.
      expect(r.comment).toMatch(/x{60} é\n```\n\n\*\*Truncated:\*\*/);
      expect(r.comment).toContain("characters left out");
    });

    it("uploads the artifact render-diff (the whole output folder) after the render and the comment text, even when a step failed", () => {
      const j = job();
      const upload = stepUsing(j, "actions/upload-artifact");
      expect(upload?.with).toMatchObject({ name: "render-diff", path: "${{ runner.temp }}/render-diff", "if-no-files-found": "error" });
      expect(String(upload?.if).replace(/\s+/g, "")).toBe("${{!cancelled()}}");
      const at = steps(j).indexOf(upload as Step);
      expect(at).toBeGreaterThan(steps(j).indexOf(stepNamed(j, RENDER_STEP) as Step));
      expect(at).toBeGreaterThan(steps(j).indexOf(stepNamed(j, COMMENT_TEXT_STEP) as Step));
      expect(steps(j).indexOf(stepNamed(j, COMMENT_TEXT_STEP) as Step)).toBeGreaterThan(steps(j).indexOf(stepNamed(j, RENDER_STEP) as Step));
      // It never comments itself.
      expect(JSON.stringify(j)).not.toMatch(/\bgh (api|pr)\b|comments/);
    });
  });
});

describe("deploy.yml", () => {
  const wf = (): Workflow => loadWorkflow("deploy.yml");

  const upJobFor = (stack: string): [string, Job] => {
    const matches = pulumiJobs(wf(), "up").filter(([, , step]) => step.with?.["stack-name"] === stack);
    expect(matches).toHaveLength(1);
    return [matches[0][0], matches[0][1]];
  };

  it("triggers: push to main, and workflow_dispatch with input stack (choice dev|prod)", () => {
    const w = wf();
    expect(triggers(w).sort()).toEqual(["push", "workflow_dispatch"]);
    const on = w.on as Dict;
    expect(on.push).toEqual({ branches: ["main"] });
    const dispatch = on.workflow_dispatch as { inputs: Record<string, Dict> };
    expect(dispatch.inputs.stack).toMatchObject({ type: "choice", required: true });
    expect([...(dispatch.inputs.stack.options as string[])].sort()).toEqual(["dev", "prod"]);
    expect(w.permissions).toEqual({ contents: "read" });
  });

  it("the manual dispatch defaults to dev, never prod", () => {
    const dispatch = (wf().on as Dict).workflow_dispatch as { inputs: Record<string, Dict> };
    expect(dispatch.inputs.stack.default).toBe("dev");
  });

  it("has exactly one pulumi up job per stack and, besides, only prod's gated preview", () => {
    const ups = pulumiJobs(wf(), "up").map(([, , step]) => step.with?.["stack-name"]);
    expect([...ups].sort()).toEqual(STACKS);
    const all = Object.values(wf().jobs).flatMap(pulumiSteps);
    expect(all.map((s) => `${s.with?.command} ${stackOf(s)}`).sort()).toEqual(["preview prod", "up dev", "up prod"]);
  });

  it("prod's preview: job preview-prod in environment preview-prod, needed by up-prod, with the diff in the job summary", () => {
    const w = wf();
    const previews = pulumiJobs(w, "preview");
    expect(previews).toHaveLength(1);
    const [id, job, step] = previews[0];
    expect(stackOf(step)).toBe("prod");
    expect(environmentName(job)).toBe("preview-prod");
    expect(job["runs-on"]).toEqual(SELF_HOSTED);
    expect(step.with).toMatchObject({ diff: true, "comment-on-summary": true });
    expect(needsOf(job)).toContain("test");
    expect(kubeconfigStep(job)?.env).toMatchObject({ KUBECONFIG_DATA: "${{ secrets.KUBECONFIG_DATA }}", STACK: "prod" });
    // The reviewers of `prod` approve up-prod after this preview has run.
    expect(needsOf(upJobFor("prod")[1])).toContain(id);
    // The header documents it as prod's only preview, and its read-only kubeconfig.
    const header = headerComment("deploy.yml").replace(/\s+/g, " ");
    expect(header).toContain("preview-prod is prod's only preview");
    expect(header).toMatch(/preview-prod .*must be a read-only identity/);
  });

  it.each(STACKS)("stack %s: environment of the same name, npm ci and the tests first, per-stack concurrency without cancelling", (stack) => {
    const w = wf();
    const [, job] = upJobFor(stack);
    expect(environmentName(job)).toBe(stack);

    // npm test ran before: in the same job, or in a job this one needs.
    const testedHere = runIndex(job, "npm test") >= 0;
    const testedBefore = needsOf(job).some((n) => w.jobs[n] !== undefined && runIndex(w.jobs[n], "npm test") >= 0);
    expect(testedHere || testedBefore).toBe(true);
    for (const n of needsOf(job)) if (runIndex(w.jobs[n], "npm test") >= 0) expectNpmCiThenTests(w.jobs[n]);
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

  it.each(scenarios.map(([s, e]) => [s.label, e.includes("prod"), s] as const))("job conditions: %s -> prod preview %s", (_label, expected, scenario) => {
    const w = wf();
    const ctx = contextFor(scenario);
    const [id, job] = pulumiJobs(w, "preview")[0];
    expect([id, ...needsOf(job)].every((j) => evaluateCondition(w.jobs[j].if, ctx))).toBe(expected);
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
    // No other job deploys to the prod environment, and only prod's preview uses preview-prod.
    const inProd = Object.entries(w.jobs).filter(([, j]) => environmentName(j) === "prod");
    expect(inProd.map(([id]) => id)).toEqual([upJobFor("prod")[0]]);
    const inPreviewProd = Object.entries(w.jobs).filter(([, j]) => environmentName(j) === "preview-prod");
    expect(inPreviewProd.map(([id]) => id)).toEqual([pulumiJobs(w, "preview")[0][0]]);
  });
});

describe("render-diff-comment.yml (workflow_run: comments the render diff without running PR code)", () => {
  const wf = (): Workflow => loadWorkflow(COMMENT_WORKFLOW);
  const job = (): Job => {
    const jobs = Object.values(wf().jobs);
    expect(jobs).toHaveLength(1);
    return jobs[0];
  };
  const script = (): string => String(stepNamed(job(), COMMENT_STEP)?.run);
  const pull = (over: Dict = {}): Dict => ({ number: 12, head: { sha: RUN_HEAD_SHA, repo: { full_name: "someone/data-platform-stack" } }, ...over });
  const artifact = (text: string, pr = "12\n"): Record<string, string> => ({ "pr-number": pr, "comment.md": text });

  it("jq is installed here (the comment script and these tests use it; ubuntu-latest has it)", () => {
    expect(spawnSync("jq", ["--version"], { encoding: "utf8" }).status).toBe(0);
  });

  it("runs only when the pull-request workflow completes (workflow_run), for pull_request runs that succeeded or failed", () => {
    const w = wf();
    expect(triggers(w)).toEqual(["workflow_run"]);
    const name = loadWorkflow("pull-request.yml").name;
    expect((w.on as Dict).workflow_run).toEqual({ workflows: [name], types: ["completed"] });
    const ctx = (event: string, conclusion: string): Dict => ({ github: { event: { workflow_run: { event, conclusion } } } });
    expect(evaluateCondition(job().if, ctx("pull_request", "success"))).toBe(true);
    expect(evaluateCondition(job().if, ctx("pull_request", "failure"))).toBe(true);
    expect(evaluateCondition(job().if, ctx("pull_request", "cancelled"))).toBe(false);
    expect(evaluateCondition(job().if, ctx("push", "success"))).toBe(false);
  });

  it("has a token that can only read the run's artifacts and write PR comments, and no secrets", () => {
    const w = wf();
    expect(w.permissions).toEqual({});
    expect(job().permissions).toEqual({ actions: "read", "pull-requests": "write" });
    expect(job()["runs-on"]).toBe("ubuntu-latest");
    expect(environmentName(job())).toBeUndefined();
    expect(secretNames(w)).toEqual([]);
  });

  it("never checks out or runs PR code: no checkout, no npm/node/git, no local actions", () => {
    for (const step of steps(job())) {
      expect(step.uses ?? "").not.toMatch(/^actions\/checkout@|^\.\//);
      expect(step.run ?? "").not.toMatch(/\b(npm|npx|node|git|source)\b|\beval\b|(^|\s)\.\s/);
      expect(step.shell).toBeUndefined();
    }
    expect(steps(job()).map((s) => s.uses?.split("@")[0] ?? "run")).toEqual(["actions/download-artifact", "run"]);
  });

  it("downloads the artifact render-diff of the triggering run into runner.temp", () => {
    const dl = stepUsing(job(), "actions/download-artifact");
    expect(dl?.with).toEqual({
      name: "render-diff",
      path: "${{ runner.temp }}/render-diff",
      "run-id": "${{ github.event.workflow_run.id }}",
      "github-token": "${{ github.token }}",
    });
    expect(stepNamed(job(), COMMENT_STEP)?.env).toMatchObject({
      GH_TOKEN: "${{ github.token }}",
      ARTIFACT_DIR: "${{ runner.temp }}/render-diff",
      RUN_HEAD_SHA: "${{ github.event.workflow_run.head_sha }}",
      RUN_HEAD_REPO: "${{ github.event.workflow_run.head_repository.full_name }}",
    });
  });

  it("the comment script takes every value from env and sends the body from a file (gh api --input)", () => {
    const text = script();
    expect(text).not.toContain("${{");
    expect(text).toContain("--input");
    expect(text).not.toMatch(/-[fF]\s+"?body=/);
    expect(text).toContain(COMMENT_MARKER);
  });

  it("posts one comment (marker first, text verbatim, never executed) when the PR has none", () => {
    const text = "### Offline render diff\n\n$(touch pwned) `touch pwned` ${{ github.token }} \"quotes\" 'single' \\ backslash\n";
    const r = runCommentScript(script(), artifact(text), { pull: pull(), comments: [] });
    expect(r.status).toBe(0);
    expect(r.pwned).toBe(false);
    expect(r.sentTo).toBe(`POST repos/${REPO}/issues/12/comments`);
    expect(r.body?.startsWith(`${COMMENT_MARKER}\n`)).toBe(true);
    expect(r.body).toContain(text);
    expect(r.body).toContain(RUN_HEAD_SHA);
    expect(r.ghCalls[0]).toBe(`api repos/${REPO}/pulls/12 --jq ${String(/--jq '([^']*)'/.exec(script())?.[1])}`);
  });

  it("edits its own earlier comment (found by marker among github-actions[bot]'s comments) instead of adding one", () => {
    const comments = [
      { id: 444, user: { login: "mallory" }, body: `${COMMENT_MARKER}\nfake` },
      { id: 333, user: { login: "github-actions[bot]" }, body: "Pulumi preview of dev ..." },
      { id: 555, user: { login: "github-actions[bot]" }, body: `${COMMENT_MARKER}\nold diff` },
    ];
    const r = runCommentScript(script(), artifact("new diff\n"), { pull: pull(), comments });
    expect(r.status).toBe(0);
    expect(r.sentTo).toBe(`PATCH repos/${REPO}/issues/comments/555`);
    expect(r.body).toContain("new diff");
  });

  it.each([
    ["letters", "abc\n"],
    ["a command", "12; touch pwned\n"],
    ["a substitution", "$(touch pwned)\n"],
    ["two lines", "1\n2\n"],
    ["zero", "0\n"],
    ["negative", "-12\n"],
    ["too long", "12345678901\n"],
    ["empty", ""],
    ["padding", `12${" ".repeat(20)}\n`],
    ["full-width digits", "１２\n"],
  ])("rejects a PR number that is not plain digits (%s), before any API call", (_label, pr) => {
    const r = runCommentScript(script(), artifact("text\n", pr), { pull: pull(), comments: [] });
    expect(r.status).not.toBe(0);
    expect(r.ghCalls).toEqual([]);
    expect(r.body).toBeUndefined();
    expect(r.pwned).toBe(false);
    expect(r.output).toContain("not a number");
  });

  it("rejects an artifact without a regular comment.md or pr-number (e.g. a symlink)", () => {
    const missing = runCommentScript(script(), { "pr-number": "12\n" }, { pull: pull() });
    expect(missing.status).not.toBe(0);
    expect(missing.ghCalls).toEqual([]);
    const link = runCommentScript(script(), { "pr-number": "12\n", "comment.md": { symlink: "/etc/passwd" } }, { pull: pull() });
    expect(link.status).not.toBe(0);
    expect(link.ghCalls).toEqual([]);
  });

  it.each([
    ["a PR at another commit (stale run, or a forged number)", pull({ head: { sha: "d".repeat(40), repo: { full_name: "someone/data-platform-stack" } } })],
    ["a PR with the same commit from another repository", pull({ head: { sha: RUN_HEAD_SHA, repo: { full_name: "mallory/data-platform-stack" } } })],
    ["a PR whose head repository was deleted", pull({ head: { sha: RUN_HEAD_SHA, repo: null } })],
  ])("does not comment on %s", (_label, pr) => {
    const r = runCommentScript(script(), artifact("text\n"), { pull: pr as Dict, comments: [] });
    expect(r.status).toBe(0);
    expect(r.body).toBeUndefined();
    expect(r.ghCalls).toHaveLength(1);
  });

  it("fails without commenting when the PR does not exist", () => {
    const r = runCommentScript(script(), artifact("text\n"), { comments: [] });
    expect(r.status).not.toBe(0);
    expect(r.body).toBeUndefined();
  });

  it.each([
    ["ASCII", "x"],
    ["multi-byte", "é"],
    ["astral", "😀"],
  ])("cuts an oversized (%s) text to GitHub's 65,536-character limit, with a note", (_label, ch) => {
    const text = `${ch.repeat(99)}\n`.repeat(3000);
    const r = runCommentScript(script(), artifact(text), { pull: pull(), comments: [] });
    expect(r.status).toBe(0);
    expect(chars(r.body ?? "")).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(chars(r.body ?? "")).toBeGreaterThan(COMMENT_LIMIT - 1000);
    expect(r.body).toContain("**Truncated**");
    expect(r.body?.startsWith(COMMENT_MARKER)).toBe(true);
  });

  it("a text within the limit is posted whole", () => {
    const text = "y".repeat(COMMENT_LIMIT - 1024);
    const r = runCommentScript(script(), artifact(text), { pull: pull(), comments: [] });
    expect(r.body).toContain(text);
    expect(r.body).not.toContain("Truncated");
  });

  it("end to end: the render step's output, the comment text and the comment agree", () => {
    const pr = loadWorkflow("pull-request.yml").jobs[RENDER_JOB];
    const files = { "package-lock.json": "{}", "Pulumi.dev.yaml": "config:\n  a: 1\n" };
    const rendered = runRenderScript(String(stepNamed(pr, RENDER_STEP)?.run), files, {
      ...files,
      "Pulumi.dev.yaml": "config:\n  a: 2\n",
      "Pulumi.prod.yaml": "INVALID\n",
    });
    const text = runCommentTextScript(String(stepNamed(pr, COMMENT_TEXT_STEP)?.run), rendered.files);
    expect(text.status).toBe(0);
    const r = runCommentScript(
      script(),
      { "pr-number": rendered.files["pr-number"].replace("17", "12"), "comment.md": text.comment },
      { pull: pull(), comments: [] },
    );
    expect(r.status).toBe(0);
    expect(r.body).toContain("+  a: 2");
    expect(r.body).toContain("render failed: invalid configuration for stack prod");
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

describe("drift.yml (scheduled drift check)", () => {
  const wf = (): Workflow => loadWorkflow("drift.yml");

  it("runs on a schedule and by hand, read-only token, never cancelling a running check", () => {
    const on = wf().on as Dict;
    expect(Object.keys(on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect((on.schedule as { cron: string }[]).map((s) => s.cron)).toEqual([expect.stringMatching(/^\S+ \S+ \* \* \*$/)]);
    expect(wf().permissions).toEqual({ contents: "read" });
    expect(wf().concurrency).toMatchObject({ "cancel-in-progress": false });
  });

  it("one job per stack: a refresh preview that fails on any change, then verify, then a visible report on failure", () => {
    const jobs = wf().jobs;
    expect(Object.keys(jobs).sort()).toEqual(STACKS.map((stack) => `drift-${stack}`).sort());
    for (const stack of STACKS) {
      const job = jobs[`drift-${stack}`];
      const [preview] = pulumiSteps(job);
      expect(preview.with).toMatchObject({ command: "preview", "stack-name": stack, refresh: true, "expect-no-changes": true });
      const verify = stepNamed(job, VERIFY_STEP);
      expect(verify?.if).toBe("${{ !cancelled() }}");
      expect(verify?.env?.STACK).toBe(stack);
      expect(verify?.run).toMatch(/set -o pipefail/);
      expect(verify?.run).toMatch(/npm run --silent verify -- --stack "\$STACK"/);
      expect(steps(job).indexOf(verify as Step)).toBeGreaterThan(steps(job).indexOf(preview));
      const report = stepNamed(job, "report drift");
      expect(report?.if).toBe("${{ failure() }}");
      expect(report?.run).toMatch(/::error::/);
      expect(report?.run).toMatch(/GITHUB_STEP_SUMMARY/);
      // Never `up`, never `refresh` (which would write the state): only a preview.
      expect(pulumiSteps(job).every((step) => step.with?.command === "preview")).toBe(true);
      expect(JSON.stringify(job)).not.toMatch(/pulumi (up|refresh|destroy)\b/);
    }
  });
});
