// verify against frozen servers: every client it uses (S3 and Admin Ops on RGW, 1Password Connect, the
// registry; the Kubernetes API in tests/integration/verify/kubernetes.test.ts) talks to a loopback server that accepts and
// never answers. Each run must end, fail the system's checks naming it and its endpoint, and have sent that
// server one request at most (not retries × buckets × timeout; none when the deadline fires while the
// request is still on its way). Regression: verify never returned.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { PlatformConfig } from "../../config";
import { stackFilePlatformConfig } from "../../config/stackFiles";
import { readDockerfile } from "../../components/sparkIcebergImage/dockerfile";
import { loadJarLock } from "../../components/sparkIcebergImage/jarLock";
import { rgwUserId } from "../../components/objectStorage/policies";
import { createRgwAdminClient } from "../../providers/rgwAdmin";
import type { Skippable } from "../../verify/checks";
import { type DeadlineOptions, Deadlines } from "../../verify/deadline";
import { expectedRgw } from "../../verify/expected";
import { createRegistryClient } from "../../verify/registry";
import { formatCheck } from "../../verify/report";
import { verifyRgw } from "../../verify/rgw";
import { runVerify } from "../../verify/run";
import { type HangingServer, startHangingServer } from "../lib/fakes/hangingServer";
import { outputs, root } from "../lib/fakes/kubernetesCluster";

const CALL_MS = 300;
const lock = loadJarLock(root);
const dockerfile = readDockerfile(root);
const base = stackFilePlatformConfig(root, "dev");
const DIGEST = `sha256:${"a".repeat(64)}`;

let servers: HangingServer[] = [];

async function hanging(): Promise<HangingServer> {
  const server = await startHangingServer();
  servers.push(server);
  return server;
}

/** Points the dev stack's config, outputs and kubeconfig at the given servers. */
function target(urls: { rgw?: string; connect?: string; registry?: string }): { config: PlatformConfig; sparkIcebergImage: string } {
  const registryHost = urls.registry ? new URL(urls.registry).host : "127.0.0.1:1";
  return {
    config: {
      ...base,
      rgw: { ...base.rgw, endpoint: urls.rgw ?? "http://127.0.0.1:1" },
      onepassword: { ...base.onepassword, connectUrl: urls.connect ?? "http://127.0.0.1:1" },
      image: { ...base.image, push: true, registry: registryHost },
    },
    sparkIcebergImage: `${registryHost}/${base.image.repository}@${DIGEST}`,
  };
}

async function verify(urls: Parameters<typeof target>[0], skip: Skippable[], timeouts: DeadlineOptions = { callMs: CALL_MS }) {
  const { config, sparkIcebergImage } = target(urls);
  const report = await runVerify(
    {
      stack: "dev",
      config,
      outputs: { ...outputs, sparkIcebergImage },
      credentials: { rgwAdminAccessKey: "AK0000000000000000AA", rgwAdminSecretKey: "s".repeat(40), onepasswordToken: "token" },
      skip,
      lock,
      dockerfile,
      registryPlainHttp: true,
      timeouts,
    },
    { rgwAdmin: (connection) => createRgwAdminClient(connection) },
  );
  const failed = report.checks.filter((c) => c.status === "fail");
  return { report, failed, lines: failed.map(formatCheck) };
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe("verify against a server that accepts and never answers", () => {
  it("RGW (S3 and the Admin Ops API): every RGW check fails naming RGW and its endpoint, after one request", async () => {
    const rgw = await hanging();
    const { report, lines } = await verify({ rgw: rgw.url }, ["onepassword", "registry", "kubernetes"]);
    const rgwChecks = report.checks.filter((c) => c.system === "rgw");
    expect(rgwChecks.length).toBeGreaterThan(0);
    expect(rgwChecks.every((c) => c.status === "fail")).toBe(true);
    expect(lines.filter((l) => l.includes(" rgw ")).every((l) => l.includes(`RGW at ${rgw.url}`))).toBe(true);
    expect(lines.join("\n")).toContain("check rgw.endpoint (config rgwEndpoint)");
    expect(rgw.requests.length).toBeLessThanOrEqual(1);
  });

  it("the RGW Admin Ops API (no buckets to read first): the user checks fail naming RGW, after one request", async () => {
    const rgw = await hanging();
    const { config } = target({ rgw: rgw.url });
    // The admin client's own timeout is a minute: the deadline gives up on it (the call ignores no signal of ours).
    const admin = createRgwAdminClient({ endpoint: rgw.url, accessKey: "AK", secretKey: "SK", timeoutMs: 60_000 });
    const checks = await verifyRgw({
      expected: { ...expectedRgw(config), buckets: [] },
      admin,
      owner: { accessKey: "AK", secretKey: "SK" },
      itemKeys: {},
      runId: "r",
      probes: false,
      deadlines: new Deadlines({ callMs: CALL_MS }),
    });
    expect(checks).toHaveLength(config.apps.length);
    expect(checks.every((c) => c.status === "fail")).toBe(true);
    expect(formatCheck(checks[0])).toContain(`no answer from RGW at ${rgw.url} within 0.3 s to GET /admin/user uid=${rgwUserId("dev", config.apps[0].name)}`);
    expect(rgw.requests.length).toBeLessThanOrEqual(1);
    expect(rgw.requests.every((r) => /^GET \/admin\/user\?/.test(r))).toBe(true);
  });

  it("1Password Connect: the vault check fails naming Connect and its address", async () => {
    const connect = await hanging();
    const { lines } = await verify({ connect: connect.url }, ["rgw", "registry", "kubernetes"]);
    expect(lines).toEqual([
      expect.stringContaining(
        `no answer from 1Password Connect at ${connect.url} within 0.3 s to GET /v1/vaults — check OP_CONNECT_HOST or config onepasswordConnectUrl`,
      ),
    ]);
    expect(connect.requests.length).toBeLessThanOrEqual(1);
  });

  it("the registry: the image check fails naming the registry", async () => {
    const registry = await hanging();
    const { lines } = await verify({ registry: registry.url }, ["rgw", "onepassword", "kubernetes"]);
    expect(lines).toEqual([
      expect.stringContaining(`no answer from the registry at ${registry.url} within 0.3 s to GET /v2/${base.image.repository}/manifests/${DIGEST}`),
    ]);
    expect(registry.requests.length).toBeLessThanOrEqual(1);
  });

  // The Kubernetes client (ESM) runs through the CLI: tests/integration/verify/kubernetes.test.ts.
  it("three at once: one unanswered request each, every system named", async () => {
    const [rgw, connect, registry] = [await hanging(), await hanging(), await hanging()];
    const { report, lines } = await verify({ rgw: rgw.url, connect: connect.url, registry: registry.url }, ["kubernetes"]);
    expect(new Set(report.checks.filter((c) => c.status === "fail").map((c) => c.system))).toEqual(new Set(["rgw", "onepassword", "registry"]));
    for (const server of [rgw, connect, registry]) {
      expect(server.requests.length).toBeLessThanOrEqual(1);
      expect(lines.some((l) => l.includes(server.url))).toBe(true);
    }
  });

  it("the whole run has a deadline too: past it, nothing more is asked", async () => {
    const connect = await hanging();
    const rgw = await hanging();
    const { lines } = await verify({ connect: connect.url, rgw: rgw.url }, ["registry", "kubernetes"], { callMs: 60_000, runMs: CALL_MS });
    expect(lines[0]).toContain(`verify's run deadline of 0.3 s passed during GET /v1/vaults on 1Password Connect at ${connect.url}`);
    expect(lines.filter((l) => l.includes(" rgw ")).every((l) => l.includes("run deadline"))).toBe(true);
    expect(rgw.requests).toHaveLength(0);
  });
});

describe("a download that keeps arriving", () => {
  it("is not cut off: each chunk restarts the call's timer", async () => {
    const chunks = 30;
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      let sent = 0;
      const timer = setInterval(() => {
        response.write(Buffer.from([sent]));
        if (++sent === chunks) {
          clearInterval(timer);
          response.end();
        }
      }, 20);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // 30 chunks 20 ms apart take longer than the call's 400 ms; no gap comes near it.
      const client = createRegistryClient(url, {}, fetch, new Deadlines({ callMs: 400 }).for(`the registry at ${url}`, "check config imageRegistry"));
      const blob = await client.blob("repo", DIGEST);
      expect([...blob]).toEqual([...Array(chunks).keys()]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
