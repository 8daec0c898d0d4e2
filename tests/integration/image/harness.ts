// Shared by the image integration tests: run real tools, start/stop the stand-ins of stack.sh.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const projectRoot = resolve(__dirname, "../../..");
const stackScript = join(__dirname, "stack.sh");

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run a command to completion; never throws on a non-zero exit (callers assert on status). */
export function run(command: string, args: string[], env: Record<string, string> = {}, cwd = projectRoot): RunResult {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not be started: ${result.error.message}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr, seconds };
}

/** Like run, but fails the test with the command's output when it exits non-zero. */
export function ok(command: string, args: string[], env: Record<string, string> = {}, cwd = projectRoot): RunResult {
  const result = run(command, args, env, cwd);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** Missing tools fail the suite (never skip it). */
export function requireTools(tools: string[]): void {
  const missing = tools.filter((tool) => run("sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (missing.length > 0)
    throw new Error(`missing tools: ${missing.join(", ")} (apt-get install docker-registry buildah skopeo apache2-utils busybox-static unzip; maven)`);
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

export interface Stack {
  stateDir: string;
  registry: string;
  registryUser: string;
  registryPassword: string;
  mavenGood: string;
  mavenTampered: string;
  tamperedPath: string;
  env: Record<string, string>;
}

export function stackUp(): Stack {
  const stateDir = mkdtempSync(join(tmpdir(), "spark-iceberg-it-"));
  const result = run("bash", [stackScript, "up", stateDir]);
  if (result.status !== 0) {
    run("bash", [stackScript, "down", stateDir]);
    throw new Error(`stack.sh up failed:\n${result.stdout}\n${result.stderr}`);
  }
  return JSON.parse(readFileSync(join(stateDir, "env.json"), "utf8")) as Stack;
}

export function stackDown(stack: Stack | undefined): void {
  if (stack) ok("bash", [stackScript, "down", stack.stateDir]);
}
