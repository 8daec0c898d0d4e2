// Small helpers every real-server harness needs: a free loopback port, starting a server on one without
// losing a race for it, and whether a PID still runs.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";

/**
 * A loopback port nothing listens on right now (the kernel picks it). It is free only at this moment:
 * a server started on it later can find it taken (see {@link startOnFreePort}). Use it as is only for a
 * port that must refuse connections.
 */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** PIDs listening on a loopback TCP port (from `ss`; root sees every user's). */
export function listenerPids(port: number): number[] {
  const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8" });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

/** Thrown by a start function when its server could not bind its port (someone took it meanwhile). */
export class PortTakenError extends Error {}

/** Messages servers print when their port is taken (PostgreSQL, Quarkus/Vert.x, Go, Ceph). */
export const PORT_TAKEN = /address already in use|EADDRINUSE|seems to be in use|failed to bind/i;

/**
 * Runs `start` with fresh free ports until it does not fail with {@link PortTakenError}: another process
 * can take a port between {@link freePort} and the server's bind, and the servers here are separate
 * processes that bind the port themselves, so the port cannot be held for them.
 */
export async function startOnFreePort<T>(ports: number, start: (ports: number[]) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const chosen: number[] = [];
    for (let i = 0; i < ports; i++) chosen.push(await freePort());
    try {
      return await start(chosen);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= attempts) throw error;
      console.log(`port ${chosen.join(", ")} was taken before the server bound it (attempt ${attempt}); trying other ports`);
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is a file this process may execute (a build's binary, a tool on PATH). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
