// Throwaway PostgreSQL and Nessie servers for the platform contract test, on loopback ports in temp
// dirs, started and stopped by PID. The large downloads come from the cache prepare.sh fills.
import { execFile, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { PORT_TAKEN, PortTakenError, isAlive, listenerPids, startOnFreePort } from "../lib/processes";

const execFileAsync = promisify(execFile);
export const projectRoot = resolve(__dirname, "../../..");

/** What prepare.sh wrote to <cache>/manifest.json. */
export interface PlatformCache {
  cacheDir: string;
  sparkVersion: string;
  python: string;
  jarsDir: string;
  nessieVersion: string;
  nessieJar: string;
  nessieJava: string;
  postgresBin: string;
}

/** Runs prepare.sh (idempotent: only checks when everything is cached) and reads its manifest. */
export function preparePlatformCache(): { cache: PlatformCache; log: string; seconds: number } {
  const started = Date.now();
  const result = spawnSync("bash", [join(__dirname, "prepare.sh")], { cwd: projectRoot, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`prepare.sh failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  const manifestLine = /ready in .*: (\S+manifest\.json)/.exec(result.stdout);
  if (!manifestLine) throw new Error(`prepare.sh printed no manifest path:\n${result.stdout}`);
  const cache = JSON.parse(readFileSync(manifestLine[1], "utf8")) as PlatformCache;
  return { cache, log: result.stdout.trim(), seconds: (Date.now() - started) / 1000 };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** SIGTERM, wait, then SIGKILL: stops exactly the process we started. */
async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (let waited = 0; waited < graceMs && isAlive(pid); waited += 100) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}

function tail(file: string, lines = 40): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface Postgres {
  dir: string;
  port: number;
  pid: number;
  startSeconds: number;
  /** Runs SQL as the superuser over the cluster's private unix socket. */
  sql(statement: string, database?: string): Promise<string>;
}

/** initdb refuses to run as root: as root, the cluster belongs to Debian's `postgres` user. */
function asClusterOwner(): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
}

export async function startPostgres(bin: string): Promise<Postgres> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "platform-pg-"));
  const data = join(dir, "data");
  const prefix = asClusterOwner();
  if (prefix.length > 0) {
    const owner = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const group = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    chownSync(dir, Number(owner.stdout.trim()), Number(group.stdout.trim()));
  }
  chmodSync(dir, 0o700);
  const run = async (command: string, args: string[]) => {
    const [exe, ...rest] = [...prefix, command, ...args];
    return execFileAsync(exe, rest, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
  };
  // Local (socket) connections trust the OS user; TCP needs a password (SCRAM), like the real cluster.
  await run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"]);
  const log = join(dir, "postgres.log");
  // pg_ctl -w waits for this data directory's own postmaster, so a taken port is a failed start, never another server.
  const port = await startOnFreePort(1, async ([port]) => {
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`;
    try {
      await run(join(bin, "pg_ctl"), ["-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
      return port;
    } catch (error) {
      const why = `PostgreSQL did not start: ${(error as Error).message}\n${tail(log)}`;
      throw PORT_TAKEN.test(tail(log, 10)) ? new PortTakenError(why) : new Error(why);
    }
  });
  const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  const sql = async (statement: string, database = "postgres") =>
    (
      await run(join(bin, "psql"), [
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        dir,
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        database,
        "-At",
        "-c",
        statement,
      ])
    ).stdout;
  return { dir, port, pid, startSeconds: (Date.now() - started) / 1000, sql };
}

export async function stopPostgres(pg: Postgres | undefined): Promise<void> {
  if (!pg) return;
  await stopPid(pg.pid);
  rmSync(pg.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Nessie

export interface NessieSettings {
  java: string;
  jar: string;
  /** application.properties lines (no secrets). */
  properties: Record<string, string>;
  /** Environment of the server process: secrets go here, as a Helm chart passes them from a Secret. */
  env: Record<string, string>;
}

export interface Nessie {
  dir: string;
  port: number;
  managementPort: number;
  pid: number;
  uri: string;
  startSeconds: number;
  log: string;
}

export async function startNessie(settings: NessieSettings): Promise<Nessie> {
  const started = Date.now();
  const nessie = await startOnFreePort(2, ([port, managementPort]) => startNessieOn(settings, port, managementPort));
  return { ...nessie, startSeconds: (Date.now() - started) / 1000 };
}

async function startNessieOn(settings: NessieSettings, port: number, managementPort: number): Promise<Nessie> {
  const dir = mkdtempSync(join(tmpdir(), "platform-nessie-"));
  const properties = {
    "quarkus.http.host": "127.0.0.1",
    "quarkus.http.port": String(port),
    "quarkus.management.host": "127.0.0.1",
    "quarkus.management.port": String(managementPort),
    "quarkus.log.console.enable": "true",
    "quarkus.log.file.enable": "false",
    ...settings.properties,
  };
  mkdirSync(join(dir, "config"));
  writeFileSync(
    join(dir, "config", "application.properties"),
    Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
  );
  const log = join(dir, "nessie.log");
  const out = openSync(log, "a");
  const child = spawn(settings.java, ["-Xmx768m", "-jar", settings.jar], {
    cwd: dir,
    env: { ...process.env, ...settings.env },
    stdio: ["ignore", out, out],
    detached: true,
  });
  child.unref();
  const pid = child.pid ?? 0;
  const nessie: Nessie = { dir, port, managementPort, pid, uri: `http://127.0.0.1:${port}/api/v2`, startSeconds: 0, log };
  const portTaken = async (why: string) => {
    await stopPid(pid);
    rmSync(dir, { recursive: true, force: true });
    return new PortTakenError(why);
  };
  for (let waited = 0; waited < 120_000; waited += 250) {
    if (!isAlive(pid)) {
      const why = `Nessie exited during start:\n${tail(log, 60)}`;
      if (PORT_TAKEN.test(tail(log, 60))) throw await portTaken(why);
      throw new Error(why);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${managementPort}/q/health/ready`);
      // Ready, and from our own process: another server may hold the port ours failed to bind.
      if (response.ok) {
        const owners = [...listenerPids(port), ...listenerPids(managementPort)];
        if (owners.every((owner) => owner === pid)) return nessie;
        throw await portTaken(`ports ${port}/${managementPort} are held by PIDs ${owners.join(", ")}, not Nessie's ${pid}`);
      }
    } catch (error) {
      if (error instanceof PortTakenError) throw error;
      // not listening yet
    }
    await sleep(250);
  }
  await stopPid(pid);
  throw new Error(`Nessie was not ready after 120 s:\n${tail(log, 60)}`);
}

export async function stopNessie(nessie: Nessie | undefined): Promise<void> {
  if (!nessie) return;
  await stopPid(nessie.pid);
  rmSync(nessie.dir, { recursive: true, force: true });
}

export function nessieLogTail(nessie: Nessie, lines = 60): string {
  return tail(nessie.log, lines);
}
