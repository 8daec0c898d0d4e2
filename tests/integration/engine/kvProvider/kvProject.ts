/**
 * A Pulumi project on disk whose program declares `kvtest:index:Entry` resources (./provider.ts, run by the
 * real engine as the plugin `pulumi-resource-kvtest`), driven with the real CLI as a person or CI would run
 * it: `pulumi preview --json`, `pulumi up --yes`, with a file backend and passphrase secrets in a temp
 * folder. The program is plain JavaScript that reads `program.json` beside it, so a test changes what the
 * program declares (import IDs, protect, ignoreChanges) between runs by rewriting that file.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, join } from "node:path";
import { findEngine, projectRoot } from "../engineHarness";

/** One Entry the program declares, with the resource options the adoption design uses. */
export interface ProgramEntry {
  name: string;
  key: string;
  value: string;
  import?: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  ignoreChanges?: string[];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KvProject {
  readonly dir: string;
  /** The entries as the provider holds them (the "live" system). */
  store(): Record<string, string>;
  setStore(entries: Record<string, string>): void;
  /** The provider's writes so far (`create k`, `update k`, `delete k`). */
  writes(): string[];
  declare(entries: ProgramEntry[]): void;
  /** Runs `pulumi <args> --non-interactive --stack test` in the project. */
  pulumi(args: string[]): Promise<CliResult>;
  cleanup(): void;
}

const PROGRAM = `// Written by tests/integration/engine/kvProvider/kvProject.ts
const pulumi = require("@pulumi/pulumi");
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const entries = JSON.parse(readFileSync(join(__dirname, "program.json"), "utf8"));
for (const e of entries) {
  new pulumi.CustomResource("kvtest:index:Entry", e.name, { key: e.key, value: e.value }, {
    ...(e.import !== undefined && { import: e.import }),
    ...(e.protect !== undefined && { protect: e.protect }),
    ...(e.retainOnDelete !== undefined && { retainOnDelete: e.retainOnDelete }),
    ...(e.ignoreChanges !== undefined && { ignoreChanges: e.ignoreChanges }),
  });
}
`;

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A new project with an empty store and stack `test`. */
export async function createKvProject(): Promise<KvProject> {
  const engine = await findEngine();
  const root = mkdtempSync(join(tmpdir(), "kvtest-"));
  const dir = join(root, "project");
  const pluginBin = join(root, "plugins");
  const home = join(root, "home");
  const backend = join(root, "state");
  for (const folder of [dir, pluginBin, home, backend]) mkdirSync(folder);

  // The plugin launcher the engine finds on PATH: this Node, with tsx's loader for the TypeScript source.
  const launcher = join(pluginBin, "pulumi-resource-kvtest");
  const loader = join(projectRoot, "node_modules", "tsx", "dist", "loader.mjs");
  writeFileSync(launcher, `#!/bin/sh\nexec "${process.execPath}" --import "file://${loader}" "${join(__dirname, "provider.ts")}" "$@"\n`);
  chmodSync(launcher, 0o755);

  writeFileSync(join(dir, "Pulumi.yaml"), "name: kvtest-adoption\nruntime: nodejs\nmain: index.js\n");
  writeFileSync(join(dir, "index.js"), PROGRAM);
  writeFileSync(join(dir, "program.json"), "[]");
  symlinkSync(join(projectRoot, "node_modules"), join(dir, "node_modules"));

  const storeFile = join(root, "store.json");
  const logFile = join(root, "writes.log");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [pluginBin, engine.binDir, process.env.PATH ?? ""].join(delimiter),
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: `kvtest-${basename(root)}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    KVTEST_STORE: storeFile,
    KVTEST_LOG: logFile,
  };
  const pulumi = (args: string[]) => run(engine.pulumi, [...args, "--non-interactive"], dir, env);
  const init = await pulumi(["stack", "init", "test"]);
  if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stderr}`);

  return {
    dir,
    store: () => (existsSync(storeFile) ? (JSON.parse(readFileSync(storeFile, "utf8")) as Record<string, string>) : {}),
    setStore: (entries) => writeFileSync(storeFile, JSON.stringify(entries, null, 2)),
    writes: () => (existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").filter(Boolean) : []),
    declare: (entries) => writeFileSync(join(dir, "program.json"), JSON.stringify(entries, null, 2)),
    pulumi: (args) => pulumi([...args, "--stack", "test"]),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
