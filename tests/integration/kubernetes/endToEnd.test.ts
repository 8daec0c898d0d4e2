// The handoff end to end (issue 18 items 4 to 6): a stack file like dev's, pointed at the test cluster, its
// Git server and a loopback 1Password Connect stand-in. The GitOps skeleton `npm run gitops -- skeleton`
// writes for it (ClusterSecretStore and ExternalSecrets included) is pushed over SSH; FluxHandoff runs under
// the real engine with the real Kubernetes provider, with the args platform/index.ts gives it for that config;
// the External Secrets controller (v0.16.2) fills each Secret from Connect. Then `npm run verify` (its
// Kubernetes checks) passes against the real API server and names each drift made by hand, one at a time.
//
//   export PATH="$(bash .ci/pulumi-engine.sh):$PATH" KUBERNETES_TEST_BIN="$(bash .ci/kubernetes.sh)"
//   bash .ci/kubernetes.sh external-secrets
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { FluxHandoff, kubernetesProviderArgs } from "../../../components/flux";
import { GIT_REPOSITORY_NAME, PREREQUISITES_CONFIGMAP } from "../../../components/flux/manifests";
import type { SkeletonFile } from "../../../components/flux/skeleton";
import { fluxHandoffSettings, prerequisiteValues } from "../../../platform/prerequisites";
import { renderSkeleton } from "../../../scripts/lib/gitops";
import { type FakeConnect, type FullItem, fullItem, startFakeConnect } from "../../lib/fakes/connect";
import { createEngineStack, type EngineStack } from "../engine/engineHarness";
import { type StackFixture, projectRoot, stackFixture, verifyArgs } from "../verify/stackFixture";
import { FLUX_NAMESPACE, useKubernetesCluster } from "./cluster";

jest.setTimeout(300_000);

const cluster = useKubernetesCluster();
const STACK = "e2e";
const REPO = "platform";
const work = mkdtempSync(join(tmpdir(), "flux-e2e-"));

interface ExternalSecretDoc {
  kind: "ExternalSecret";
  metadata: { name: string; namespace: string };
  spec: { target: { name: string }; data: { secretKey: string; remoteRef: { key: string; property: string } }[] };
}
interface ClusterSecretStoreDoc {
  kind: "ClusterSecretStore";
  metadata: { name: string };
  spec: {
    provider: {
      onepassword: { vaults: Record<string, number>; auth: { secretRef: { connectTokenSecretRef: { name: string; namespace: string; key: string } } } };
    };
  };
}

/** A value per item field, recognisable in the Secret. */
const valueOf = (item: string, field: string) => `${item}.${field}-value`;

/** The items as the 1Password provider leaves them: username/password built in, the rest in a section. */
function itemsFor(externalSecrets: ExternalSecretDoc[]): (vaultId: string) => FullItem[] {
  const fieldsByItem = new Map<string, Set<string>>();
  for (const es of externalSecrets)
    for (const { remoteRef } of es.spec.data) fieldsByItem.set(remoteRef.key, (fieldsByItem.get(remoteRef.key) ?? new Set()).add(remoteRef.property));
  return (vaultId) =>
    [...fieldsByItem].map(([title, fields]) => {
      const builtin: Record<string, string> = {};
      const section: Record<string, string> = {};
      for (const field of fields) (["username", "password"].includes(field) ? builtin : section)[field] = valueOf(title, field);
      return fullItem(vaultId, { title, category: "LOGIN", builtin, sections: Object.keys(section).length > 0 ? { fields: section } : undefined });
    });
}

let connect: FakeConnect;
let fixture: StackFixture;
let files: SkeletonFile[];
let externalSecrets: ExternalSecretDoc[];
let stack: EngineStack;

const docsIn = (files: SkeletonFile[]) => files.filter((f) => f.path.endsWith(".yaml")).map((f) => parse(f.content) as { kind?: string });

async function push(message: string): Promise<string> {
  const dir = mkdtempSync(join(work, "repo-"));
  for (const f of files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  return cluster().git.push(REPO, dir, message);
}

beforeAll(async () => {
  const c = cluster();
  process.env.KUBECONFIG = c.kubeconfig;
  // Connect first: the stack file names its URL as the in-cluster Connect address (the controller runs here).
  const dev = parse(readFileSync(join(projectRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const values = Object.fromEntries(Object.entries(dev.config).map(([key, value]) => [key.replace(/^data-platform:/, ""), value]));
  connect = await startFakeConnect(String(values.onepasswordVault));
  fixture = await stackFixture(STACK, {
    ...values,
    environment: STACK,
    kubeContext: "test",
    fluxGitUrl: c.git.url(REPO),
    fluxKnownHosts: c.git.knownHosts,
    onepasswordClusterConnectUrl: connect.url,
    fluxReadyTimeout: "2m",
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  files = await renderSkeleton({ root: fixture.dir, stack: STACK, loadProgram: () => require("../../../index") });
  externalSecrets = docsIn(files).filter((d): d is ExternalSecretDoc => d.kind === "ExternalSecret");
  connect.items = itemsFor(externalSecrets)(connect.vaultId);
  await push("skeleton");

  // What the stack's Credentials component creates before Flux: the Connect token Secret the store reads.
  const store = docsIn(files).find((d): d is ClusterSecretStoreDoc => d.kind === "ClusterSecretStore");
  if (!store) throw new Error("the skeleton holds no ClusterSecretStore");
  const tokenRef = store.spec.provider.onepassword.auth.secretRef.connectTokenSecretRef;
  await c.kubectl(["create", "namespace", tokenRef.namespace]);
  await c.kubectl(["create", "secret", "generic", tokenRef.name, "-n", tokenRef.namespace, `--from-literal=${tokenRef.key}=${connect.token}`]);
  await c.startExternalSecrets();

  const providerDir = c.binaries.providerDir;
  if (!providerDir) throw new Error("pulumi-resource-kubernetes is not built: bash .ci/kubernetes.sh pulumi-resource-kubernetes");
  const { config, outputs } = fixture;
  const flux = config.flux;
  const image = outputs.sparkIcebergImage;
  if (image === undefined) throw new Error("the test stack exports no sparkIcebergImage");
  stack = await createEngineStack({
    projectName: "flux-e2e",
    env: { PATH: `${providerDir}:${process.env.PATH}`, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
    // As platform/index.ts maps the config, with the test's deploy key instead of one kept in 1Password.
    program: async () => {
      const kubernetes = new k8s.Provider("kubernetes", {
        ...kubernetesProviderArgs(config.kubernetes.context),
        kubeconfig: readFileSync(c.kubeconfig, "utf8"),
      });
      const handoff = new FluxHandoff(
        "flux",
        {
          ...fluxHandoffSettings(flux),
          auth: { ssh: { knownHosts: flux.knownHosts ?? "", deployKey: { privateKey: c.git.deployKey.privateKey, publicKey: c.git.deployKey.publicKey } } },
          prerequisites: prerequisiteValues(config, { imageRef: image, imageName: image, buckets: outputs.buckets }),
        },
        { providers: [kubernetes] },
      );
      return { kustomizations: handoff.kustomizations };
    },
  });
}, 300_000);

afterAll(async () => {
  await stack?.cleanup();
  await connect?.close();
  rmSync(work, { recursive: true, force: true });
}, 120_000);

interface VerifyRun {
  code: number;
  failed: string[];
  ok: string[];
}

/** `npm run verify` for the test stack, Kubernetes only (RGW, Connect and the registry are not part of this test). */
async function verify(): Promise<VerifyRun> {
  const run = await promisify(execFile)(process.execPath, [...verifyArgs(fixture, "rgw,onepassword,registry"), "--json"], {
    cwd: projectRoot,
    env: { ...process.env, KUBECONFIG: cluster().kubeconfig },
    timeout: 120_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "" }),
  );
  const report = JSON.parse(run.stdout) as {
    checks: { system: string; subject: string; check: string; status: string; found?: string; differences?: string[] }[];
  };
  const line = (c: (typeof report.checks)[number]) => `${c.subject}: ${c.check}: ${[c.found, ...(c.differences ?? [])].filter(Boolean).join("; ")}`;
  const kubernetes = report.checks.filter((c) => c.system === "kubernetes");
  return { code: run.code, failed: kubernetes.filter((c) => c.status !== "ok").map(line), ok: kubernetes.filter((c) => c.status === "ok").map(line) };
}

/**
 * verify until it passes or 60 s went by; the last failures. A changed prerequisite makes Flux reconcile the
 * whole chain again (the ConfigMap is watched), and the children show DependencyNotReady for some seconds
 * after `up` returned: `up` waits for the objects it changes, not for what Flux does with a changed ConfigMap.
 */
async function verifySettled(): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { failed } = await verify();
    if (failed.length === 0 || Date.now() > deadline) return failed;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

const get = async (kind: string, namespace: string, name: string) =>
  JSON.parse(await cluster().kubectl(["get", "-n", namespace, kind, name, "-o", "json"])) as {
    metadata: { labels?: Record<string, string> };
    spec: Record<string, unknown>;
    data?: Record<string, string>;
  };

test("up waits until Flux has applied the skeleton: every Kustomization Ready, the ClusterSecretStore and every ExternalSecret Ready", async () => {
  await stack.up();
  for (const k of fixture.config.flux.kustomizations) await cluster().waitFor("kustomization", `${FLUX_NAMESPACE}/${k.name}`, "Ready", 5);
  await cluster().waitFor("gitrepository", `${FLUX_NAMESPACE}/${GIT_REPOSITORY_NAME}`, "Ready", 5);
  const store = docsIn(files).find((d) => d.kind === "ClusterSecretStore") as ClusterSecretStoreDoc;
  await cluster().waitFor("clustersecretstore", store.metadata.name, "Ready", 60);
  for (const es of externalSecrets) await cluster().waitFor("externalsecret", `${es.metadata.namespace}/${es.metadata.name}`, "Ready", 60);
  // Flux applied them: each carries its Kustomization's label.
  const first = await get("externalsecret", externalSecrets[0].metadata.namespace, externalSecrets[0].metadata.name);
  expect(first.metadata.labels?.["kustomize.toolkit.fluxcd.io/name"]).toBe(fixture.config.flux.kustomizations[0].name);
  expect(externalSecrets.length).toBeGreaterThanOrEqual(4);
});

test("each ExternalSecret's Secret has exactly the keys it declares, holding the 1Password items' field values", async () => {
  for (const es of externalSecrets) {
    const secret = await get("secret", es.metadata.namespace, es.spec.target.name);
    const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
    expect(decoded).toEqual(Object.fromEntries(es.spec.data.map(({ secretKey, remoteRef }) => [secretKey, valueOf(remoteRef.key, remoteRef.property)])));
  }
  expect(connect.requests.some((request) => request.startsWith(`GET /v1/vaults/${connect.vaultId}/items/`))).toBe(true);
});

test("verify's Kubernetes checks pass against the real API server", async () => {
  const run = await verify();
  expect(run.failed).toEqual([]);
  expect(run.code).toBe(0);
  expect(run.ok.join("\n")).toMatch(/Kustomization/);
});

test("verify names a suspended Kustomization; up after refresh resumes it", async () => {
  await cluster().kubectl(["patch", "-n", FLUX_NAMESPACE, "kustomization", "nessie-backup", "--type=merge", "-p", '{"spec":{"suspend":true}}']);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(run.failed.join("\n")).toMatch(/nessie-backup.*suspend/);
  await stack.refresh();
  await stack.up();
  expect((await get("kustomization", FLUX_NAMESPACE, "nessie-backup")).spec.suspend).toBe(false);
  expect(await verifySettled()).toEqual([]);
});

test("verify names a prerequisite edited by hand in the ConfigMap; up after refresh restores it", async () => {
  await cluster().kubectl(["patch", "-n", FLUX_NAMESPACE, "configmap", PREREQUISITES_CONFIGMAP, "--type=merge", "-p", '{"data":{"S3_REGION":"edited"}}']);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(run.failed.join("\n")).toMatch(/platform-prerequisites.*S3_REGION/);
  await stack.refresh();
  await stack.up();
  expect((await get("configmap", FLUX_NAMESPACE, PREREQUISITES_CONFIGMAP)).data?.S3_REGION).toBe(fixture.config.rgw.region);
  expect(await verifySettled()).toEqual([]);
});

test("verify names an object in the workload namespace that Flux does not own", async () => {
  const namespace = fixture.config.kubernetes.dataPlatformNamespace;
  await cluster().kubectl(["create", "configmap", "by-hand", "-n", namespace, "--from-literal=a=b"]);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(run.failed.join("\n")).toMatch(/ConfigMap\/by-hand/);
  await cluster().kubectl(["delete", "configmap", "by-hand", "-n", namespace]);
  expect(await verifySettled()).toEqual([]);
});

test("verify names an ExternalSecret that is not Ready (its item gone from 1Password)", async () => {
  const es = externalSecrets[0];
  const kept = connect.items;
  const title = es.spec.data[0].remoteRef.key;
  connect.items = kept.filter((item) => item.title !== title);
  await cluster().kubectl(["annotate", "-n", es.metadata.namespace, "externalsecret", es.metadata.name, `force-sync=${Date.now()}`, "--overwrite"]);
  await cluster().waitFor("externalsecret", `${es.metadata.namespace}/${es.metadata.name}`, "condition=Ready=False", 60);
  const run = await verify();
  expect(run.code).toBe(1);
  expect(run.failed.join("\n")).toMatch(new RegExp(`ExternalSecret.*${es.metadata.name}`));
  connect.items = kept;
});
