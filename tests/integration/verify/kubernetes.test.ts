/**
 * `npm run verify`'s Kubernetes checks through @kubernetes/client-node, end to end: the CLI runs for the
 * dev stack (its kubeContext `dev`) against a loopback stand-in of the Kubernetes API that serves
 * discovery, reads and lists with the recorded objects of tests/lib/fakes/kubernetesCluster.ts. No real
 * cluster runs here; this covers the client, the kubeconfig context, the paths and the 404 handling.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { type KubeObject, NAMESPACE_KINDS } from "../../../verify/kubernetes";
import { startHangingServer } from "../../lib/fakes/hangingServer";
import { expected, externalSecret, kustomization, outputs, prerequisitesConfigMap, reconciled, recorded, root } from "../../lib/fakes/kubernetesCluster";

const plural = (kind: string) => (kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : kind.endsWith("s") ? `${kind}es` : `${kind}s`).toLowerCase();
/** Group versions the stand-in serves; policy/v1 is left out, like a kind a cluster does not serve. */
const SERVED = [...new Set([...NAMESPACE_KINDS.map(([v]) => v), "source.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1"])].filter(
  (v) => v !== "policy/v1",
);
const KINDS = [
  ...NAMESPACE_KINDS.map(([v, k]) => [v, k]),
  ["source.toolkit.fluxcd.io/v1", "GitRepository"],
  ["kustomize.toolkit.fluxcd.io/v1", "Kustomization"],
];

let objects: KubeObject[] = [];
let server: Server;
let dir: string;
let kubeconfig: string;
let outputsFile: string;
const requests: string[] = [];

function setCluster(extra: KubeObject[] = []): void {
  const state = reconciled();
  objects = [
    ...(state.gitRepository ? [state.gitRepository] : []),
    ...Object.values(state.kustomizations).filter((k): k is KubeObject => k !== undefined),
    ...(state.configMap ? [state.configMap] : []),
    ...state.externalSecrets,
    ...state.namespaceObjects,
    ...extra,
  ];
}

function route(path: string): { status: number; body: unknown } {
  const parts = path.split("?")[0].split("/").filter(Boolean);
  const [groupVersion, rest] = parts[0] === "api" ? ["v1", parts.slice(2)] : [`${parts[1]}/${parts[2]}`, parts.slice(3)];
  if (!SERVED.includes(groupVersion))
    return {
      status: 404,
      body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "the server could not find the requested resource" },
    };
  if (rest.length === 0) {
    const resources = KINDS.filter(([v]) => v === groupVersion).map(([, kind]) => ({
      name: plural(kind),
      singularName: kind.toLowerCase(),
      namespaced: true,
      kind,
      verbs: ["get", "list", "watch"],
    }));
    return { status: 200, body: { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources } };
  }
  // namespaces/{ns}/{plural}[/{name}]
  const [, namespace, resource, name] = rest;
  const kind = KINDS.find(([v, k]) => v === groupVersion && plural(k) === resource)?.[1];
  const matching = objects.filter((o) => (o.apiVersion ?? "v1") === groupVersion && o.kind === kind && o.metadata?.namespace === namespace);
  if (name === undefined)
    return {
      status: 200,
      body: {
        kind: `${kind}List`,
        apiVersion: groupVersion,
        metadata: { resourceVersion: "48213" },
        items: matching.map(({ apiVersion: _a, kind: _k, ...item }) => (void [_a, _k], item)),
      },
    };
  const found = matching.find((o) => o.metadata?.name === name);
  return found
    ? { status: 200, body: found }
    : { status: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: `${resource} "${name}" not found` } };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${request.headers.authorization ?? ""}`);
    const { status, body } =
      request.headers.authorization === "Bearer verify-test-token"
        ? route(request.url ?? "/")
        : { status: 401, body: { kind: "Status", code: 401, message: "Unauthorized" } };
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  dir = mkdtempSync(join(tmpdir(), "verify-kube-"));
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      // client-node refuses plain HTTP unless TLS verification is off (a loopback stand-in has no TLS).
      clusters: [
        { name: "stand-in", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } },
        { name: "other", cluster: { server: "http://127.0.0.1:1" } },
      ],
      users: [{ name: "verify", user: { token: "verify-test-token" } }],
      contexts: [
        { name: "dev", context: { cluster: "stand-in", user: "verify" } },
        { name: "other", context: { cluster: "other", user: "verify" } },
      ],
      "current-context": "other",
    }),
  );
  outputsFile = join(dir, "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(outputs));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function verify(config = kubeconfig): Promise<{ code: number; lines: string[]; failed: string[] }> {
  const args = [join(root, "node_modules/.bin/tsx"), "scripts/verify.ts", "--stack", "dev", "--outputs", outputsFile, "--skip", "rgw,onepassword,registry"];
  const result = await promisify(execFile)(process.execPath, args, { cwd: root, env: { ...process.env, KUBECONFIG: config }, timeout: 120_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return {
    code: result.code,
    lines: result.stdout.split("\n").filter((l) => l.includes(" kubernetes ")),
    failed: result.stdout.split("\n").filter((l) => l.startsWith("FAIL")),
  };
}

describe("verify's Kubernetes checks through @kubernetes/client-node", () => {
  it("passes on the reconciled cluster, in the context the stack names (not the current one)", async () => {
    setCluster();
    const { code, lines, failed } = await verify();
    expect(failed).toEqual([]);
    expect(code).toBe(0);
    expect(lines).toHaveLength(2 + 2 * expected.kustomizations.length + 1 + expected.externalSecrets.length + 1);
    expect(requests.some((r) => r.startsWith("GET /apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/nessie "))).toBe(true);
    expect(requests.some((r) => r.startsWith("GET /apis/policy/v1 "))).toBe(true);
  }, 120_000);

  it("names a Kustomization that is not Ready, a deleted one, a drifted ConfigMap, a failing ExternalSecret and an object Flux does not own", async () => {
    const [first, second] = expected.kustomizations;
    setCluster([{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "debug", namespace: expected.workloadNamespace } }]);
    objects = objects
      .filter((o) => !(o.kind === "Kustomization" && o.metadata?.name === second.name))
      .map((o) => (o.kind === "Kustomization" && o.metadata?.name === first.name ? kustomization(first.name, recorded.kustomizationDependencyNotReady) : o))
      .map((o) =>
        o.kind === "ConfigMap" && o.metadata?.name === expected.configMap.name
          ? prerequisitesConfigMap({ ...expected.configMap.data, S3_REGION: "eu-west-1" })
          : o,
      )
      .map((o) =>
        o.kind === "ExternalSecret" && o.metadata?.name === expected.externalSecrets[0]
          ? externalSecret(expected.externalSecrets[0], recorded.externalSecretError)
          : o,
      );
    const { code, lines } = await verify();
    expect(code).toBe(1);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL kubernetes  Kustomization flux-system/${first.name}: Ready: expected Ready=True, found Ready=False (DependencyNotReady: Dependencies do not meet ready condition, retrying in 30s)`,
      `FAIL kubernetes  Kustomization flux-system/${second.name}: exists: expected the object, found not found`,
      `FAIL kubernetes  ConfigMap flux-system/platform-prerequisites: data: expected ${Object.keys(expected.configMap.data).length} variables; data.S3_REGION: expected "us-east-1", found "eu-west-1"`,
      `FAIL kubernetes  ExternalSecret data-platform/${expected.externalSecrets[0]}: Ready: expected Ready=True, found Ready=False (SecretSyncedError: could not get secret data from provider)`,
      "FAIL kubernetes  namespace data-platform: Flux ownership labels: expected kustomize.toolkit.fluxcd.io/name and kustomize.toolkit.fluxcd.io/namespace on every object, found 1 without: Deployment/debug",
    ]);
  }, 120_000);

  // Regression: a frozen API server (accepts, never answers) kept verify waiting for ever.
  it("ends with exit 1 naming the API server and the context when the server never answers", async () => {
    const frozen = await startHangingServer();
    try {
      const frozenConfig = join(dir, "kubeconfig-frozen");
      writeFileSync(
        frozenConfig,
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "frozen", cluster: { server: frozen.url, "insecure-skip-tls-verify": true } }],
          users: [{ name: "verify", user: { token: "verify-test-token" } }],
          contexts: [{ name: "dev", context: { cluster: "frozen", user: "verify" } }],
          "current-context": "dev",
        }),
      );
      const started = Date.now();
      const { code, failed } = await verify(frozenConfig);
      console.log(`verify against a frozen API server: exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(code).toBe(1);
      expect(failed).toEqual([expect.stringContaining(`no answer from the Kubernetes API server at ${frozen.url} (context dev) within 10 s`)]);
      expect(frozen.requests.length).toBe(1);
    } finally {
      await frozen.close();
    }
  }, 120_000);
});
