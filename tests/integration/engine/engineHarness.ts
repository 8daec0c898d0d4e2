/**
 * The real Pulumi engine for integration tests: the CLI and the Node.js language host that
 * `.ci/pulumi-engine.sh` builds (see /work/shared/notes/pulumi-engine.md), driven through the Automation API
 * with an inline program, a fresh local file backend and the passphrase secrets provider, all in a temp
 * folder. Programs may only use component resources and dynamic providers (no other provider plugin is
 * available offline).
 *
 *   export PATH="$(bash .ci/pulumi-engine.sh):$PATH"     # before jest; the suite fails without it
 *
 * Inline programs run in the jest process; the engine (`pulumi up`, ...) and the dynamic providers run in
 * child processes. `startUp()` returns a handle on a running `up` whose engine can be SIGKILLed mid-operation;
 * after that the stack holds the operation in `pending_operations` and the file backend keeps the killed
 * engine's lock until `cancel()`.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join, resolve } from "node:path";
import { promisify } from "node:util";
import { isAlive, isExecutable } from "../lib/processes";
import {
  LocalWorkspace,
  PulumiCommand,
  type DestroyOptions,
  type DestroyResult,
  type PreviewOptions,
  type PreviewResult,
  type PulumiFn,
  type RefreshOptions,
  type RefreshResult,
  type Stack,
  type UpOptions,
  type UpResult,
} from "@pulumi/pulumi/automation";

export const projectRoot = resolve(__dirname, "../../..");

const HOW_TO_BUILD = 'run `export PATH="$(bash .ci/pulumi-engine.sh):$PATH"` first (it builds the engine once, then reuses the cache)';

export interface EngineBinaries {
  /** The folder holding pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs. */
  binDir: string;
  pulumi: string;
  /** What `pulumi version` prints, e.g. v3.276.0. */
  version: string;
}

/** The version the engine must have: the @pulumi/pulumi SDK's, as `pulumi version` prints it. */
export function expectedEngineVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "node_modules/@pulumi/pulumi/package.json"), "utf8")) as { version: string };
  return `v${pkg.version}`;
}

/**
 * The first folder on PATH holding `pulumi` with the language host and the dynamic provider script beside it
 * (not node_modules/.bin/pulumi, the npm launcher that npx/npm run put first), checked against the SDK's
 * version. Throws (failing the suite, never skipping it) when there is none.
 */
export async function findEngine(): Promise<EngineBinaries> {
  const tools = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"];
  const binDir = (process.env.PATH ?? "").split(delimiter).find((dir) => dir !== "" && tools.every((tool) => isExecutable(join(dir, tool))));
  if (!binDir) throw new Error(`the Pulumi engine (${tools.join(", ")} in one folder) is not on PATH: ${HOW_TO_BUILD}`);
  const pulumi = join(binDir, "pulumi");
  const { stdout } = await promisify(execFile)(pulumi, ["version"], { env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
  const version = stdout.trim();
  const expected = expectedEngineVersion();
  if (version !== expected) throw new Error(`${pulumi} is ${version || "(no version)"}, expected ${expected} (the @pulumi/pulumi version): ${HOW_TO_BUILD}`);
  return { binDir, pulumi, version };
}

/** A resource as `pulumi stack export` writes it (the fields tests look at). */
export interface ExportedResource {
  urn: string;
  type: string;
  custom: boolean;
  id?: string;
  parent?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  protect?: boolean;
  dependencies?: string[];
}

/** `pulumi stack export` output: secrets stay ciphertext. */
export interface StackExport {
  version: number;
  deployment: {
    manifest?: Record<string, unknown>;
    secrets_providers?: { type: string; state?: Record<string, unknown> };
    resources?: ExportedResource[];
    /** Operations the engine started and never finished (left by a killed engine). */
    pending_operations?: { resource: ExportedResource; type: string }[];
  };
}

export interface EngineStackOptions {
  program: PulumiFn;
  /** Default "engine-test". */
  projectName?: string;
  /** Default "test". */
  stackName?: string;
  /** Extra environment for the engine and its plugins (dynamic providers see it too). */
  env?: Record<string, string>;
  /** Another state backend (e.g. `s3://bucket?endpoint=...`); default a fresh `file://` folder. */
  backendUrl?: string;
}

export interface EngineStack {
  readonly stack: Stack;
  readonly engine: EngineBinaries;
  /** The temp folder holding everything below; removed by cleanup(). */
  readonly root: string;
  /** The file backend's folder (`file://<backendDir>`). */
  readonly backendDir: string;
  /** PULUMI_HOME (plugins, logs, workspace settings) for this stack only. */
  readonly pulumiHome: string;
  /** The environment every engine command gets (on top of process.env). */
  readonly env: Readonly<Record<string, string>>;
  /** Everything the engine printed so far, all operations. */
  output(): string;
  up(opts?: UpOptions): Promise<UpResult>;
  preview(opts?: PreviewOptions): Promise<PreviewResult>;
  refresh(opts?: RefreshOptions): Promise<RefreshResult>;
  destroy(opts?: DestroyOptions): Promise<DestroyResult>;
  /** `pulumi stack export` (not the Automation API's exportStack, which adds --show-secrets). */
  exportStack(): Promise<StackExport>;
  /** The same, as the CLI printed it. */
  exportStackText(): Promise<string>;
  /** The checkpoint file the backend holds, exactly as stored on disk. */
  stateFileText(): string;
  /** Lock files the file backend holds for this stack (a killed engine leaves its lock behind). */
  lockFiles(): string[];
  /** `pulumi cancel`: on a file backend, removes the lock a killed engine left (else the next operation fails). */
  cancel(): Promise<void>;
  /** Starts `pulumi up` and returns at once; see RunningUp. */
  startUp(opts?: UpOptions): RunningUp;
  /** Kills what a killed engine left running, removes the temp folder. Safe to call twice. */
  cleanup(): Promise<void>;
}

export type UpOutcome = { ok: true; result: UpResult } | { ok: false; error: Error };

export interface RunningUp {
  /** Settles when `up` ends; never rejects. */
  readonly outcome: Promise<UpOutcome>;
  /** What this `up` printed so far. */
  output(): string;
  /** Resolves with the output so far once `pattern` matches it; rejects on timeout or if `up` ends first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The pid of the `pulumi up` process (found among this process's children). */
  enginePid(timeoutMs?: number): Promise<number>;
  /**
   * Sends `signal` (default SIGKILL) to the engine and, with `tree` (default true), at the same moment to
   * every process it started (language host, dynamic provider), as when a machine or container dies.
   * Resolves with the pids signalled once the engine has exited.
   */
  kill(opts?: { signal?: NodeJS.Signals; tree?: boolean }): Promise<number[]>;
}

/** Parent pid of every process, from /proc (Linux). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process exited meanwhile
    }
  }
  return parents;
}

function descendants(pid: number): number[] {
  const parents = parentPids();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.shift() as number;
    for (const [child, parent] of parents) {
      if (parent === current && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((arg) => arg !== "");
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The `pulumi <operation>` processes that are children of this process. */
function engineChildren(operation: string): number[] {
  const parents = parentPids();
  return [...parents]
    .filter(([, parent]) => parent === process.pid)
    .map(([pid]) => pid)
    .filter((pid) => {
      const argv = commandLine(pid);
      return argv.length > 1 && basename(argv[0]) === "pulumi" && argv[1] === operation;
    });
}

/** PulumiCommand's `root`: the folder whose bin/pulumi is the engine. */
function engineRoot(engine: EngineBinaries): string {
  if (basename(engine.binDir) !== "bin")
    throw new Error(`the engine folder ${engine.binDir} is not named bin, which the Automation API needs: ${HOW_TO_BUILD}`);
  return resolve(engine.binDir, "..");
}

/**
 * A stack in a fresh temp folder: file backend, passphrase secrets, PULUMI_HOME, inline program.
 * Call cleanup() in afterAll/afterEach.
 */
export async function createEngineStack(options: EngineStackOptions): Promise<EngineStack> {
  const engine = await findEngine();
  const projectName = options.projectName ?? "engine-test";
  const stackName = options.stackName ?? "test";
  const root = mkdtempSync(join(tmpdir(), "pulumi-engine-test-"));
  const backendDir = join(root, "state");
  const pulumiHome = join(root, "home");
  const workDir = join(root, "work");
  for (const dir of [backendDir, pulumiHome, workDir]) mkdirSync(dir);

  const env: Record<string, string> = {
    PATH: `${engine.binDir}${delimiter}${process.env.PATH ?? ""}`,
    PULUMI_HOME: pulumiHome,
    PULUMI_BACKEND_URL: options.backendUrl ?? `file://${backendDir}`,
    PULUMI_CONFIG_PASSPHRASE: `engine-test-${basename(root)}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The dynamic provider script resolves @pulumi/pulumi from the engine's working folder (workDir, in
    // the temp folder): point it at the project's node_modules.
    NODE_PATH: join(projectRoot, "node_modules"),
    ...options.env,
  };

  let stack: Stack;
  try {
    stack = await LocalWorkspace.createOrSelectStack(
      { projectName, stackName, program: options.program },
      {
        workDir,
        pulumiHome,
        // By absolute path: a bare `pulumi` would be node_modules/.bin/pulumi (the npm launcher) under npx.
        pulumiCommand: await PulumiCommand.get({ root: engineRoot(engine), skipVersionCheck: true }),
        secretsProvider: "passphrase",
        projectSettings: { name: projectName, runtime: "nodejs", backend: { url: options.backendUrl ?? `file://${backendDir}` } },
        envVars: env,
      },
    );
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  let log = "";
  const onOutput = (text: string) => {
    log += text;
  };
  const withOutput = <T extends { onOutput?: (out: string) => void }>(opts: T | undefined): T => {
    const theirs = opts?.onOutput;
    return {
      ...(opts ?? ({} as T)),
      onOutput: (text: string) => {
        onOutput(text);
        theirs?.(text);
      },
    };
  };

  const cli = async (args: string[]): Promise<string> => {
    try {
      const { stdout } = await promisify(execFile)(engine.pulumi, [...args, "--non-interactive"], {
        cwd: workDir,
        env: { ...process.env, ...env },
        maxBuffer: 256 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`pulumi ${args.join(" ")} failed: ${stderr ?? String(error)}`);
    }
  };

  // Processes a killed engine left behind (dynamic providers), killed at cleanup.
  const orphans = new Set<number>();
  let cleaned = false;

  const startUp = (opts?: UpOptions): RunningUp => {
    let own = "";
    const before = new Set(engineChildren("up"));
    const waiters = new Set<() => void>();
    const upOpts = withOutput(opts);
    const theirs = upOpts.onOutput;
    upOpts.onOutput = (text: string) => {
      own += text;
      theirs?.(text);
      for (const check of waiters) check();
    };
    let ended = false;
    const outcome: Promise<UpOutcome> = stack.up(upOpts).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    void outcome.then(() => {
      ended = true;
      for (const check of waiters) check();
    });

    let pid: number | undefined;
    const enginePid = async (timeoutMs = 30_000): Promise<number> => {
      pid ??= await until("the pulumi up process", timeoutMs, () => {
        if (ended) throw new Error(`pulumi up ended before its process was found:\n${own}`);
        return engineChildren("up").find((candidate) => !before.has(candidate));
      });
      return pid;
    };

    return {
      outcome,
      output: () => own,
      waitForOutput: (pattern, timeoutMs = 60_000) =>
        new Promise<string>((done, fail) => {
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} in the output of pulumi up:\n${own}`));
          }, timeoutMs);
          function check() {
            if (pattern.test(own)) {
              waiters.delete(check);
              clearTimeout(timer);
              done(own);
            } else if (ended) {
              waiters.delete(check);
              clearTimeout(timer);
              fail(new Error(`pulumi up ended before ${pattern} appeared in its output:\n${own}`));
            }
          }
          waiters.add(check);
          check();
        }),
      enginePid,
      kill: async ({ signal = "SIGKILL", tree = true } = {}) => {
        const engineProcess = await enginePid();
        // Taken before the kill: afterwards the children are re-parented and no longer found.
        const children = descendants(engineProcess);
        const targets = tree ? [engineProcess, ...children] : [engineProcess];
        for (const target of targets) {
          try {
            process.kill(target, signal);
          } catch {
            // already gone
          }
        }
        if (!tree) for (const child of children) orphans.add(child);
        await until("the killed engine to exit", 30_000, () => (isAlive(engineProcess) ? undefined : true));
        return targets;
      },
    };
  };

  return {
    stack,
    engine,
    root,
    backendDir,
    pulumiHome,
    env,
    output: () => log,
    up: (opts) => stack.up(withOutput(opts)),
    preview: (opts) => stack.preview(withOutput(opts)),
    refresh: (opts) => stack.refresh(withOutput(opts)),
    destroy: (opts) => stack.destroy(withOutput(opts)),
    exportStackText: () => cli(["stack", "export", "--stack", stackName]),
    exportStack: async () => JSON.parse(await cli(["stack", "export", "--stack", stackName])) as StackExport,
    stateFileText: () => {
      const file = join(backendDir, ".pulumi", "stacks", projectName, `${stackName}.json`);
      if (!existsSync(file)) throw new Error(`no checkpoint at ${file}`);
      return readFileSync(file, "utf8");
    },
    lockFiles: () => {
      const dir = join(backendDir, ".pulumi", "locks", "organization", projectName, stackName);
      return existsSync(dir) ? readdirSync(dir).map((file) => join(dir, file)) : [];
    },
    cancel: () => stack.cancel(),
    startUp,
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      for (const pid of orphans) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
