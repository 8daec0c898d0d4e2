/**
 * README's "Real use", run for real as far as this machine allows: the real Pulumi CLI (built by
 * .ci/pulumi-engine.sh), started the way README starts it (`npx pulumi`, the npm launcher, offline), on a
 * copy of the project (its own files, node_modules symlinked; nothing is written into the checkout), with
 * PULUMI_HOME, HOME and the backends in a temp folder:
 *
 * - `npx pulumi version`, `pulumi login file://<tmp>` and `pulumi login --local`;
 * - `stack select dev` on a new backend fails, `stack init dev` keeps Pulumi.dev.yaml's values, `stack
 *   select dev` works afterwards (as does `stack select --create dev` on a new backend);
 * - `config set --secret` for every secret key of config/keys.ts: only `secure:` ciphertext in the stack
 *   file, `config get` decrypts it;
 * - the checks the CLI makes from Pulumi.yaml's declarations: `config set` accepts anything, `preview`/`up`
 *   refuse a missing required key, a wrong type and a plaintext secret with the CLI's own message, before
 *   the program or any plugin starts;
 * - a correct config's `preview` runs the program and fails only because a provider plugin is missing:
 *   what cannot run here.
 *
 * `pulumi login --local` is `file://~`, and the CLI resolves `~` from the passwd database (Go's
 * user.Current), not from $HOME: it would write into the real user's ~/.pulumi. So that test runs the CLI in
 * a private mount namespace where /etc/passwd is a copy naming a temp folder as the home.
 *
 * Fails (never skips) when the engine is not on PATH: CI always builds it.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_KEYS, PROJECT, type ConfigKeySpec } from "../../../config/keys";
import { expectedEngineVersion, findEngine, projectRoot, type EngineBinaries } from "./engineHarness";

jest.setTimeout(180_000);

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages that may be on either. */
  all: string;
}

/** What is not copied: the checkout's own state and what the program does not need. */
const NOT_COPIED = new Set([".git", "node_modules", "out", "coverage", ".tmp", "tests", ".github"]);

/** Pulumi.yaml's `config:` declarations, as the CLI reads them. */
interface ProjectConfigType {
  type?: "string" | "integer" | "boolean" | "array";
  items?: { type: string };
  default?: unknown;
  secret?: boolean;
}

const KEYS: Record<string, ConfigKeySpec> = CONFIG_KEYS;
const SECRET_KEYS = Object.keys(KEYS).filter((key) => KEYS[key].secret === true);

/** A value the CLI's type check must refuse, and the type name its message uses. */
function wrongValueFor(declared: ProjectConfigType): { value: string; typeName: string } {
  switch (declared.type) {
    case "boolean":
      return { value: "yes please", typeName: "boolean" };
    case "integer":
      return { value: "many", typeName: "integer" };
    case "array":
      return { value: "nessie", typeName: `array<${declared.items?.type ?? "any"}>` };
    default:
      throw new Error(`no wrong value for type ${String(declared.type)}`);
  }
}

/** Runs a command to its end; never rejects on a non-zero exit (callers assert the code). */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"], timeout: options.timeoutMs ?? 120_000 });
    let stdout = "";
    let stderr = "";
    let all = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      all += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      all += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr, all }));
    child.stdin.end(options.input ?? "");
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The provider plugins the program's packages need (their package.json's `pulumi` block). */
function requiredPlugins(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const plugins = new Map<string, string>();
  for (const dependency of Object.keys(pkg.dependencies)) {
    const file = join(projectRoot, "node_modules", dependency, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8")) as { version: string; pulumi?: { resource?: boolean; name?: string; version?: string } };
    if (manifest.pulumi?.resource && manifest.pulumi.name) plugins.set(manifest.pulumi.name, manifest.pulumi.version ?? manifest.version);
  }
  return plugins;
}

interface Sandbox {
  root: string;
  /** The project copy: the CLI's working folder. */
  project: string;
  /** HOME for every command (npm's logs and cache land here). */
  home: string;
  pulumiHome: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** `npx pulumi ...` in the project copy, as README runs it. */
  npx(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** The engine's own binary (faster than the launcher), for the checks around README's commands. */
  pulumi(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  stackFile(stack: string): string;
  cleanup(): void;
}

let engine: EngineBinaries;
const sandboxes: Sandbox[] = [];

function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "pulumi-cli-test-"));
  const project = join(root, "project");
  const home = join(root, "home");
  const pulumiHome = join(home, ".pulumi");
  const stateDir = join(root, "state");
  for (const dir of [project, pulumiHome, stateDir]) mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(projectRoot)) {
    if (!NOT_COPIED.has(entry)) cpSync(join(projectRoot, entry), join(project, entry), { recursive: true });
  }
  symlinkSync(join(projectRoot, "node_modules"), join(project, "node_modules"), "dir");

  // Only what the commands need from the caller's environment: no backend, token or passphrase of theirs.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PULUMI_|AWS_|npm_)/i.test(name)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    // The launcher must find the CLI itself (in PULUMI_HOME/versions), as for a user: the engine is not on PATH.
    PATH: (process.env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => dir !== engine.binDir)
      .join(delimiter),
    HOME: home,
    PULUMI_HOME: pulumiHome,
    PULUMI_CONFIG_PASSPHRASE: `cli-test-${randomBytes(8).toString("hex")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    NPM_CONFIG_UPDATE_NOTIFIER: "false",
    // The language host type-checks the program with ts-node, whose cache is /tmp/ts-node-<hash of the home
    // folder>: kept in the sandbox so that it goes with it. (Its key includes the project's path, so no
    // cache could be shared between sandboxes: the first program run of each is a cold compile, ~25 s.)
    TS_NODE_CACHE_DIRECTORY: join(root, "ts-node-cache"),
  };
  const sandbox: Sandbox = {
    root,
    project,
    home,
    pulumiHome,
    stateDir,
    env,
    npx: (args, opts) => run("npx", ["--no", "pulumi", ...args, "--non-interactive"], { cwd: project, env: { ...env, ...opts?.env }, input: opts?.input }),
    pulumi: (args, opts) => run(engine.pulumi, [...args, "--non-interactive"], { cwd: project, env: { ...env, ...opts?.env }, input: opts?.input }),
    stackFile: (stack) => join(project, `Pulumi.${stack}.yaml`),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  sandboxes.push(sandbox);
  return sandbox;
}

/** .ci/pulumi-engine.sh with this PULUMI_HOME: links versions/<launcher version>/bin to the cached engine. */
async function linkLauncher(sandbox: Sandbox): Promise<void> {
  const script = await run("bash", [join(projectRoot, ".ci/pulumi-engine.sh")], {
    cwd: projectRoot,
    env: { ...process.env, PULUMI_HOME: sandbox.pulumiHome },
  });
  expect({ code: script.code, stderr: script.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(script.stdout.trim()).toBe(engine.binDir);
}

const checkoutStackFile = readFileSync(join(projectRoot, "Pulumi.dev.yaml"), "utf8");
const devConfig = (parseYaml(checkoutStackFile) as { config: Record<string, unknown> }).config;
const declared = (parseYaml(readFileSync(join(projectRoot, "Pulumi.yaml"), "utf8")) as { config: Record<string, ProjectConfigType> }).config;

beforeAll(async () => {
  engine = await findEngine();
});

afterAll(() => {
  for (const sandbox of sandboxes) sandbox.cleanup();
  // Nothing was written into the checkout's stack file (no encryptionsalt, no secrets).
  expect(readFileSync(join(projectRoot, "Pulumi.dev.yaml"), "utf8")).toBe(checkoutStackFile);
});

describe("README's Real use on a new file backend (pulumi login file://<tmp>)", () => {
  let box: Sandbox;
  const secretValues = new Map(SECRET_KEYS.map((key) => [key, `${key}-${randomBytes(12).toString("hex")}`]));

  beforeAll(async () => {
    box = createSandbox();
    await linkLauncher(box);
  });

  test("npx pulumi version: the npm launcher runs the engine offline", async () => {
    const version = await box.npx(["version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(engine.version);
    expect(version.stdout.trim()).toBe(expectedEngineVersion());
    expect(version.stderr).not.toMatch(/Downloading pulumi/);
  });

  test("login; stack select fails on a new backend; stack init keeps Pulumi.dev.yaml; then select works", async () => {
    const login = await box.npx(["login", `file://${box.stateDir}`]);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`(file://${box.stateDir})`);

    // README's old order (select first) does not work on a new backend.
    const select = await box.npx(["stack", "select", "dev"]);
    expect(select.code).not.toBe(0);
    expect(select.stderr).toContain("error: no stack named 'dev' found");

    // The passphrase secrets provider needs the passphrase before the stack exists.
    const noPassphrase = await box.npx(["stack", "init", "dev"], { env: { PULUMI_CONFIG_PASSPHRASE: undefined } });
    expect(noPassphrase.code).not.toBe(0);
    expect(noPassphrase.stderr).toContain(
      "error: could not create secrets manager for new stack: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables",
    );

    const init = await box.npx(["stack", "init", "dev"]);
    expect(init.code).toBe(0);
    expect(init.all).toContain("Created stack 'dev'");
    const stackFile = readFileSync(box.stackFile("dev"), "utf8");
    const parsed = parseYaml(stackFile) as { config: Record<string, unknown>; encryptionsalt?: string };
    expect(parsed.config).toEqual(devConfig);
    expect(parsed.encryptionsalt).toMatch(/^v1:/);
    expect(stackFile.startsWith(checkoutStackFile.split("\n")[0])).toBe(true); // comments kept

    // On an existing backend, README's `stack select` is the command.
    const again = await box.npx(["stack", "select", "dev"]);
    expect(again.code).toBe(0);
    const stacks = await box.pulumi(["stack", "ls", "--json"]);
    expect((JSON.parse(stacks.stdout) as { name: string; current: boolean }[]).map(({ name, current }) => ({ name, current }))).toEqual([
      { name: "dev", current: true },
    ]);
  });

  test("preview before the secrets are set: the CLI names every missing required key", async () => {
    const required = Object.entries(declared)
      .filter(([key, type]) => type.default === undefined && !(`${PROJECT}:${key}` in devConfig))
      .map(([key]) => key)
      .sort();
    expect(required.length).toBeGreaterThan(0);
    expect(required.every((key) => KEYS[key].secret === true)).toBe(true); // Pulumi.dev.yaml has the rest
    const preview = await box.pulumi(["preview"]);
    expect(preview.code).not.toBe(0);
    const names = required.map((key) => `'${key}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
    expect(preview.stderr).toContain(`error: validating stack config: Stack 'dev' is missing configuration value${names.length === 1 ? "" : "s"} ${list}`);
    expect(preview.stdout).not.toContain("Previewing update");
  });

  test("config set --secret for every secret key: only secure: ciphertext in the stack file, config get decrypts", async () => {
    expect(SECRET_KEYS.length).toBeGreaterThan(0);
    for (const [key, value] of secretValues) {
      // README's form (no value on the command line): the CLI prompts on a terminal and reads stdin otherwise.
      const set = await box.npx(["config", "set", "--secret", key], { input: `${value}\n` });
      expect({ key, code: set.code }).toEqual({ key, code: 0 });
      expect(set.stderr).not.toMatch(/error/i);
    }
    const stackFile = readFileSync(box.stackFile("dev"), "utf8");
    const config = (parseYaml(stackFile) as { config: Record<string, unknown> }).config;
    for (const [key, value] of secretValues) {
      expect({ key, stored: config[`${PROJECT}:${key}`] }).toEqual({ key, stored: { secure: expect.stringMatching(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/) } });
      expect(stackFile).not.toContain(value);
      const get = await box.pulumi(["config", "get", key]);
      expect({ key, code: get.code, stdout: get.stdout }).toEqual({ key, code: 0, stdout: `${value}\n` });
    }
    // `pulumi config` masks them; the backend's files never see them.
    const listing = await box.pulumi(["config"]);
    for (const key of SECRET_KEYS) expect(listing.stdout).toMatch(new RegExp(`^${key}\\s+\\[secret\\]$`, "m"));
    for (const file of filesUnder(box.stateDir)) {
      const text = readFileSync(file, "utf8");
      for (const value of secretValues.values()) expect(text).not.toContain(value);
    }
  });

  test("Pulumi.yaml's declared types: config set accepts a wrong value, preview and up refuse it before the program runs", async () => {
    const typed = Object.entries(declared).filter(([, type]) => type.type !== undefined && type.type !== "string");
    expect(typed.map(([key]) => key)).toContain("imagePush");
    for (const [key, type] of typed) {
      const { value, typeName } = wrongValueFor(type);
      const set = await box.pulumi(["config", "set", key, value]);
      expect({ key, code: set.code }).toEqual({ key, code: 0 });
      // Neither `config get` nor `pulumi config` checks declarations.
      expect((await box.pulumi(["config", "get", key])).stdout).toBe(`${value}\n`);
      expect((await box.pulumi(["config"])).code).toBe(0);

      const preview = await box.pulumi(["preview"]);
      expect({ key, failed: preview.code !== 0, stderr: preview.stderr.trim() }).toEqual({
        key,
        failed: true,
        stderr: `error: validating stack config: Stack 'dev' with configuration key '${key}' must be of type '${typeName}'`,
      });
      expect(preview.stdout).not.toContain("Previewing update"); // the language host never started
      expect(preview.all).not.toMatch(/plugin/);
      if (key === "imagePush") {
        const up = await box.npx(["up", "--yes"]);
        expect(up.code).not.toBe(0);
        expect(up.stderr).toContain(`error: validating stack config: Stack 'dev' with configuration key '${key}' must be of type '${typeName}'`);
        // Booleans are the strings "true"/"false" only.
        for (const almost of ["True", "1"]) {
          await box.pulumi(["config", "set", key, almost]);
          expect((await box.pulumi(["preview"])).stderr).toContain(`configuration key '${key}' must be of type 'boolean'`);
        }
        // A trap: `--type bool` silently stores "false" for anything that is not a boolean.
        expect((await box.pulumi(["config", "set", "--type", "bool", key, value])).code).toBe(0);
        expect((await box.pulumi(["config", "get", key])).stdout).toBe("false\n");
      }
      expect((await box.pulumi(["config", "rm", key])).code).toBe(0);
    }
  });

  test("a key declared secret but set in plaintext is refused by preview", async () => {
    const key = SECRET_KEYS.find((candidate) => declared[candidate]?.secret === true);
    if (!key) throw new Error("no secret key is declared in Pulumi.yaml");
    expect((await box.pulumi(["config", "set", key, "plain-text"])).code).toBe(0); // config set does not encrypt it by itself
    expect(readFileSync(box.stackFile("dev"), "utf8")).toContain(`${PROJECT}:${key}: plain-text`);
    const preview = await box.pulumi(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stderr.trim()).toBe(`error: validating stack config: Stack 'dev' with configuration key '${key}' must be encrypted as it's secret`);
    expect((await box.pulumi(["config", "set", "--secret", key], { input: secretValues.get(key) })).code).toBe(0);
  });

  test("what only the program checks (rgwEndpoint is a URL): preview fails in the program, before any plugin", async () => {
    expect((await box.pulumi(["config", "set", "rgwEndpoint", "not a url"])).code).toBe(0);
    const preview = await box.npx(["preview"]);
    expect(preview.code).not.toBe(0);
    expect(preview.stdout).toContain("error: invalid configuration for stack dev (1 problem):");
    expect(preview.stdout).toContain(`- ${PROJECT}:rgwEndpoint: "not a url" is not an http(s) URL`);
    expect(preview.all).not.toMatch(/resource plugin/);
    expect((await box.pulumi(["config", "set", "rgwEndpoint", String(devConfig[`${PROJECT}:rgwEndpoint`])])).code).toBe(0);
  });

  test("a correct config's preview runs the program and fails only for want of a provider plugin", async () => {
    const plugins = requiredPlugins();
    expect([...plugins.keys()].sort()).toEqual(["aws", "docker", "kubernetes", "onepassword", "random", "tls"]);
    const installed = await box.pulumi(["plugin", "ls", "--json"]);
    expect(JSON.parse(installed.stdout)).toEqual([]);

    const preview = await box.npx(["preview", "--diff"]);
    expect(preview.code).not.toBe(0);
    // The program ran (TypeScript type-checked by the language host) and registered its stack.
    expect(preview.stdout).toContain(`[urn=urn:pulumi:dev::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-dev]`);
    const missing = [...preview.all.matchAll(/no resource plugin 'pulumi-resource-([\w-]+)' found in the workspace at version v(\S+) or on your \$PATH/g)];
    expect(missing.length).toBeGreaterThan(0);
    for (const [, name, version] of missing) expect({ name, version }).toEqual({ name, version: plugins.get(name) });
    // Every error is a missing plugin: no config, TypeScript or program error.
    const errors = preview.all.split("\n").filter((line) => /error:/i.test(line));
    expect(errors.filter((line) => !/no resource plugin 'pulumi-resource-[\w-]+' found/.test(line))).toEqual([]);
  });
});

describe("pulumi login --local (file://~) with HOME and PULUMI_HOME in a temp folder", () => {
  test("login --local, stack select --create on a new backend; the state lands in the (temp) home's .pulumi", async () => {
    const box = createSandbox();
    await linkLauncher(box);
    // The CLI takes ~ from the passwd entry of the user it runs as (uid 0 inside the namespace), not $HOME.
    const passwd = join(box.root, "passwd");
    writeFileSync(
      passwd,
      readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .map((line) => {
          const fields = line.split(":");
          if (fields[2] === "0") fields[5] = box.home;
          return fields.join(":");
        })
        .join("\n"),
    );
    const userNamespace = process.getuid?.() === 0 ? [] : ["--user", "--map-root-user"];
    const local = (args: string[]) =>
      run(
        "unshare",
        [
          ...userNamespace,
          "--mount",
          "--",
          "sh",
          "-c",
          'mount --bind "$0" /etc/passwd && exec "$@"',
          passwd,
          "npx",
          "--no",
          "pulumi",
          ...args,
          "--non-interactive",
        ],
        {
          cwd: box.project,
          env: box.env,
        },
      );

    // What the real user's ~/.pulumi holds before: the namespace must keep it unchanged.
    const realState = join(userInfo().homedir, ".pulumi");
    const realBefore = ["meta.yaml", join("stacks", PROJECT)].map((entry) => existsSync(join(realState, entry)));

    const login = await local(["login", "--local"]);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain("(file://~)");
    const credentials = JSON.parse(readFileSync(join(box.pulumiHome, "credentials.json"), "utf8")) as { current: string };
    expect(credentials.current).toBe("file://~");
    expect((await local(["whoami", "--verbose"])).stdout).toContain("Backend URL: file://~");

    expect((await local(["stack", "select", "dev"])).stderr).toContain("error: no stack named 'dev' found");
    // One command for a new and an existing backend.
    const create = await local(["stack", "select", "--create", "dev"]);
    expect(create.code).toBe(0);
    expect(existsSync(join(box.home, ".pulumi", "stacks", PROJECT, "dev.json"))).toBe(true);
    expect((await local(["stack", "select", "--create", "dev"])).code).toBe(0);
    expect((await local(["config", "get", "environment"])).stdout).toBe(`${String(devConfig[`${PROJECT}:environment`])}\n`);
    expect(["meta.yaml", join("stacks", PROJECT)].map((entry) => existsSync(join(realState, entry)))).toEqual(realBefore);
  });
});
