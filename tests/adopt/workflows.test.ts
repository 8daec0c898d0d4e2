// The workflows' `adopt gate` step: in every job that runs Pulumi, for that job's stack, after the dev
// preview of a pull request and before every `pulumi up`; and its script, run with stand-ins for npx and npm
// that record their arguments: nothing without an adopt block; with one, login, the JSON preview with
// --show-sames, then the gate, whose exit code fails the step.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

const root = join(__dirname, "..", "..");
const GATE = "adopt gate";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
const jobs = (file: string) => (parse(readFileSync(join(root, ".github", "workflows", file), "utf8")) as { jobs: Record<string, { steps: Step[] }> }).jobs;
const isPulumi = (step: Step) => step.uses?.startsWith("pulumi/actions@") ?? false;

describe.each(["pull-request.yml", "deploy.yml"])("%s", (file) => {
  it("every Pulumi job runs the gate for its own stack: after a preview, before an up, after the kubeconfig", () => {
    const pulumiJobs = Object.entries(jobs(file)).filter(([, job]) => job.steps.some(isPulumi));
    expect(pulumiJobs.length).toBeGreaterThan(0);
    for (const [id, job] of pulumiJobs) {
      const gates = job.steps.filter((s) => s.name === GATE);
      expect({ id, gates: gates.length }).toEqual({ id, gates: 1 });
      const pulumiAt = job.steps.findIndex(isPulumi);
      const gateAt = job.steps.indexOf(gates[0]);
      const before = job.steps[pulumiAt].with?.command === "up";
      expect({ id, order: before ? gateAt < pulumiAt : gateAt > pulumiAt }).toEqual({ id, order: true });
      expect(gateAt).toBeGreaterThan(job.steps.findIndex((s) => s.name === "kubeconfig"));
      expect(gates[0].env?.STACK).toBe(job.steps[pulumiAt].with?.["stack-name"]);
    }
  });
});

/** Runs the gate step's script like the runner (bash -e) with npx/npm stand-ins that log their arguments. */
function runGate(stackFile: string, gateExit: number): { status: number | null; output: string; calls: string[] } {
  const script = Object.values(jobs("deploy.yml"))
    .flatMap((job) => job.steps)
    .find((s) => s.name === GATE)?.run;
  if (!script) throw new Error("no adopt gate step");
  const dir = mkdtempSync(join(tmpdir(), "adopt-gate-step-"));
  try {
    const log = join(dir, "calls.log");
    const bin = join(dir, "bin");
    spawnSync("mkdir", [bin]);
    for (const [tool, exit] of [
      ["npx", 0],
      ["npm", gateExit],
    ] as const) {
      writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${log}"\nexit ${exit}\n`);
      chmodSync(join(bin, tool), 0o755);
    }
    writeFileSync(join(dir, "Pulumi.dev.yaml"), stackFile);
    const r = spawnSync("bash", ["-e", "-c", script], {
      cwd: dir,
      encoding: "utf8",
      env: {
        HOME: dir,
        PATH: `${bin}:${process.env.PATH}`,
        NODE_PATH: join(root, "node_modules"),
        STACK: "dev",
        PREVIEW_JSON: join(dir, "preview.json"),
        PULUMI_BACKEND_URL: "s3://state",
      },
    });
    let calls: string[] = [];
    try {
      calls = readFileSync(log, "utf8").trim().split("\n");
    } catch {
      calls = [];
    }
    return { status: r.status, output: `${r.stdout}${r.stderr}`, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the gate step's script", () => {
  it("does nothing for a stack file without an adopt block", () => {
    const result = runGate("config:\n  data-platform:environment: dev\n", 0);
    expect(result).toEqual({ status: 0, output: "Pulumi.dev.yaml has no adopt block: nothing to gate.\n", calls: [] });
  });

  it("with an adopt block: login, the JSON preview with --show-sames, then the gate, whose failure fails the step", () => {
    const stackFile = "config:\n  data-platform:adopt:\n    buckets:\n      warehouse: { name: iceberg-test, policy: true }\n";
    const ok = runGate(stackFile, 0);
    expect(ok.status).toBe(0);
    expect(ok.calls).toEqual([
      "npx pulumi login s3://state",
      "npx pulumi preview --json --show-sames --non-interactive --stack dev",
      expect.stringMatching(/^npm run --silent adopt -- gate --stack dev --preview \S+\/preview\.json$/),
    ]);
    expect(runGate(stackFile, 1).status).toBe(1);
  });
});
