// The Flux handoff for real (issue 18 item 4): FluxHandoff under the real engine with the real Kubernetes
// provider plugin against a real kube-apiserver with Flux's controllers (cluster.ts), the GitOps skeleton
// pushed to the loopback Git server over SSH with the test's deploy key, then the rows of issue 18's second
// table, prune, Flux's own repair, no-change previews and strict validation. Each row's test was checked to
// fail with its fix undone (docs/testing.md, mutation check). verify on this cluster: endToEnd.test.ts.
//
//   export PATH="$(bash .ci/pulumi-engine.sh):$PATH" KUBERNETES_TEST_BIN="$(bash .ci/kubernetes.sh)"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { FluxHandoff, kubernetesProviderArgs } from "../../../components/flux";
import { type KustomizationSpec, GIT_REPOSITORY_NAME, PREREQUISITES_CONFIGMAP, prerequisitesData } from "../../../components/flux/manifests";
import { type SkeletonFile, VARIABLES_EXAMPLE_FILE, gitopsSkeleton } from "../../../components/flux/skeleton";
import { createEngineStack, type EngineStack } from "../engine/engineHarness";
import { FLUX_NAMESPACE, useKubernetesCluster } from "./cluster";
import { validConfig } from "../../lib/fixtures/minimalConfig";
import { testPrerequisites } from "../../lib/fixtures/prerequisites";

jest.setTimeout(300_000);

const cluster = useKubernetesCluster();
const REPO = "platform";
const WORKLOAD_NAMESPACE = "data-platform";
const work = mkdtempSync(join(tmpdir(), "flux-handoff-"));

/** The platform's default Kustomizations, as config fills them in (workload namespace data-platform). */
const kustomizations: KustomizationSpec[] = validConfig().flux.kustomizations;

const prerequisites = testPrerequisites;
const IMAGE_1 = "registry.example/data-platform/spark-iceberg@sha256:" + "1".repeat(64);
const IMAGE_2 = "registry.example/data-platform/spark-iceberg@sha256:" + "2".repeat(64);

/** The skeleton as the command writes it, with the variables example applied by nessie (so every variable reaches the API server). */
function skeleton(image: string): SkeletonFile[] {
  const files = gitopsSkeleton({
    stack: "test",
    kustomizations,
    gitopsManifests: [],
    variables: prerequisitesData(prerequisites(image)),
    workloadNamespace: WORKLOAD_NAMESPACE,
    fluxNamespace: FLUX_NAMESPACE,
  });
  const example = files.find((f) => f.path === VARIABLES_EXAMPLE_FILE) as SkeletonFile;
  return files.flatMap((f) =>
    f.path === "kubernetes/apps/data-platform/nessie/kustomization.yaml"
      ? [
          { path: f.path, content: f.content.replace("resources: []", "resources:\n  - platform-variables.yaml\n  - extra.yaml") },
          { path: "kubernetes/apps/data-platform/nessie/platform-variables.yaml", content: example.content.replace(/\n {2}namespace: .*\n/, "\n") },
          {
            path: "kubernetes/apps/data-platform/nessie/extra.yaml",
            content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  note: pruned when removed from Git\n",
          },
        ]
      : [f],
  );
}

async function push(files: SkeletonFile[], message: string, drop: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(work, "repo-"));
  for (const f of files.filter((f) => !drop.includes(f.path))) {
    const target = join(dir, f.path);
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, f.content);
  }
  return cluster().git.push(REPO, dir, message);
}

let stack: EngineStack;
let image = IMAGE_1;
let names = kustomizations.map((k) => k.name);

beforeAll(async () => {
  const c = cluster();
  process.env.KUBECONFIG = c.kubeconfig;
  await push(skeleton(IMAGE_1), "skeleton");
  const providerDir = c.binaries.providerDir;
  if (!providerDir) throw new Error("pulumi-resource-kubernetes is not built: bash .ci/kubernetes.sh pulumi-resource-kubernetes");
  stack = await createEngineStack({
    projectName: "flux-handoff",
    env: { PATH: `${providerDir}:${process.env.PATH}`, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" },
    program: async () => {
      const provider = new k8s.Provider("kubernetes", { ...kubernetesProviderArgs(), kubeconfig: readFileSync(c.kubeconfig, "utf8") });
      const handoff = new FluxHandoff(
        "flux",
        {
          namespace: FLUX_NAMESPACE,
          git: { url: c.git.url(REPO), branch: "main", interval: "1m" },
          auth: { ssh: { knownHosts: c.git.knownHosts, deployKey: { privateKey: c.git.deployKey.privateKey, publicKey: c.git.deployKey.publicKey } } },
          kustomizations: kustomizations.filter((k) => names.includes(k.name)),
          prerequisites: prerequisites(image),
          readyTimeoutSeconds: 120,
        },
        { providers: [provider] },
      );
      return { kustomizations: handoff.kustomizations };
    },
  });
  await c.kubectl(["create", "namespace", WORKLOAD_NAMESPACE]).catch(() => "");
}, 300_000);

afterAll(async () => {
  await stack?.cleanup();
  rmSync(work, { recursive: true, force: true });
}, 120_000);

const get = async (kind: string, namespace: string, name: string) =>
  JSON.parse(await cluster().kubectl(["get", "-n", namespace, kind, name, "-o", "json"])) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const readySince = (object: { status?: { conditions?: { type: string; status: string; lastTransitionTime: string }[] } }) =>
  Date.parse(object.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True")?.lastTransitionTime ?? "");

test("up waits for Flux: GitRepository Ready over SSH, every Kustomization Ready in dependsOn order, every variable substituted, every object labelled", async () => {
  await stack.up();
  const repo = await get("gitrepository", FLUX_NAMESPACE, GIT_REPOSITORY_NAME);
  expect(readySince(repo)).not.toBeNaN();
  const ready = new Map<string, number>();
  for (const k of kustomizations) {
    const object = await get("kustomization", FLUX_NAMESPACE, k.name);
    expect(object.status.observedGeneration).toBe(object.metadata.generation);
    ready.set(k.name, readySince(object));
  }
  for (const k of kustomizations) for (const dep of k.dependsOn) expect(ready.get(k.name)).toBeGreaterThanOrEqual(ready.get(dep) as number);
  const applied = await get("configmap", WORKLOAD_NAMESPACE, "platform-variables-example");
  const data = prerequisitesData(prerequisites(IMAGE_1));
  for (const [name, value] of Object.entries(data)) if (name !== "quote") expect(applied.data[name]).toBe(value);
  expect(applied.data.S3_PATH_STYLE_ACCESS).toBe("true");
  expect(applied.metadata.labels["kustomize.toolkit.fluxcd.io/name"]).toBe("nessie");
  const namespace = await get("namespace", "", WORKLOAD_NAMESPACE);
  expect(namespace.metadata.labels["kustomize.toolkit.fluxcd.io/name"]).toBe("data-platform");
});

test("preview after the controllers wrote status: no changes", async () => {
  // expectNoChanges makes the engine itself fail on any diff; the summary says the same.
  const result = await stack.preview({ expectNoChanges: true });
  expect(Object.keys(result.changeSummary).filter((op) => op !== "same")).toEqual([]);
});

test("everything the stack applies passes the API server's strict field validation", async () => {
  const kinds = new Set<string>();
  for (const kind of ["gitrepository", "kustomization", "configmap", "secret"]) {
    const list = JSON.parse(await cluster().kubectl(["get", "-n", FLUX_NAMESPACE, kind, "-l", "app.kubernetes.io/part-of=data-platform", "-o", "json"])) as {
      items: Record<string, unknown>[];
    };
    if (list.items.length > 0) kinds.add(kind);
    for (const item of list.items) {
      const { metadata, ...rest } = item as {
        metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
      } & Record<string, unknown>;
      delete rest.status;
      const manifest = {
        ...rest,
        metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations },
      };
      const applied = await cluster().kubectl(
        ["apply", "--dry-run=server", "--validate=strict", "--server-side", "--field-manager=strict-check", "--force-conflicts", "-f", "-"],
        { input: JSON.stringify(manifest) },
      );
      expect(applied).toMatch(/serverside-applied \(server dry run\)/);
    }
  }
  expect([...kinds].sort()).toEqual(["configmap", "gitrepository", "kustomization", "secret"]);
});

test("a prerequisite change updates the ConfigMap in place and Flux re-substitutes at once (row: ConfigMap replaced; row: interval)", async () => {
  const before = await get("configmap", FLUX_NAMESPACE, PREREQUISITES_CONFIGMAP);
  image = IMAGE_2;
  const result = await stack.up();
  expect(result.summary.resourceChanges?.replace ?? 0).toBe(0);
  const after = await get("configmap", FLUX_NAMESPACE, PREREQUISITES_CONFIGMAP);
  expect(after.metadata.uid).toBe(before.metadata.uid);
  expect(after.data.SPARK_ICEBERG_IMAGE).toBe(IMAGE_2);
  await cluster().waitFor("configmap", `${WORKLOAD_NAMESPACE}/platform-variables-example`, `jsonpath={.data.SPARK_ICEBERG_IMAGE}=${IMAGE_2}`, 30);
});

test("an object edited by hand is reverted by Flux; a file removed from Git is pruned", async () => {
  const c = cluster();
  await c.kubectl(["patch", "-n", WORKLOAD_NAMESPACE, "configmap", "platform-variables-example", "--type=merge", "-p", '{"data":{"S3_REGION":"edited"}}']);
  await c.kubectl(["annotate", "-n", FLUX_NAMESPACE, "kustomization", "nessie", `reconcile.fluxcd.io/requestedAt=${Date.now()}`, "--overwrite"]);
  await c.waitFor("configmap", `${WORKLOAD_NAMESPACE}/platform-variables-example`, "jsonpath={.data.S3_REGION}=us-east-1", 60);
  expect((await get("configmap", WORKLOAD_NAMESPACE, "platform-variables-example")).data.S3_REGION).toBe("us-east-1");
  expect((await get("configmap", WORKLOAD_NAMESPACE, "extra")).data.note).toMatch(/pruned/);
  const files = skeleton(IMAGE_2);
  const nessie = files.find((f) => f.path.endsWith("nessie/kustomization.yaml")) as SkeletonFile;
  nessie.content = nessie.content.replace("  - extra.yaml\n", "");
  await push(files, "remove extra", ["kubernetes/apps/data-platform/nessie/extra.yaml"]);
  await c.kubectl(["annotate", "-n", FLUX_NAMESPACE, "gitrepository", GIT_REPOSITORY_NAME, `reconcile.fluxcd.io/requestedAt=${Date.now()}`, "--overwrite"]);
  await c.waitFor("configmap", `${WORKLOAD_NAMESPACE}/extra`, "delete", 60);
  await expect(get("configmap", WORKLOAD_NAMESPACE, "extra")).rejects.toThrow(/NotFound|not found/);
});

test("an operator edits and suspends a Kustomization the stack owns: preview after refresh shows it, up repairs it, no server-side-apply conflict (row: operator edits)", async () => {
  const c = cluster();
  // kubectl's own field manager, as `kubectl edit` and `flux suspend` write.
  await c.kubectl(["patch", "-n", FLUX_NAMESPACE, "kustomization", "nessie-backup", "--type=merge", "-p", '{"spec":{"interval":"59m","suspend":true}}']);
  await stack.refresh();
  const preview = await stack.preview();
  expect(preview.changeSummary.update ?? 0).toBeGreaterThanOrEqual(1);
  await stack.up();
  const repaired = await get("kustomization", FLUX_NAMESPACE, "nessie-backup");
  const declared = kustomizations.find((k) => k.name === "nessie-backup") as KustomizationSpec;
  expect([repaired.spec.interval, repaired.spec.suspend]).toEqual([declared.interval, false]);
  await stack.preview({ expectNoChanges: true });
});

test("a Kustomization removed with a prerequisite changed in one up --skip-preview: the ConfigMap is never missing, the protected Kustomization stops the update", async () => {
  const before = await get("configmap", FLUX_NAMESPACE, PREREQUISITES_CONFIGMAP);
  image = IMAGE_1;
  names = names.filter((n) => n !== "spark-iceberg-client");
  await expect(stack.up()).rejects.toThrow(/protected/);
  const configMap = await get("configmap", FLUX_NAMESPACE, PREREQUISITES_CONFIGMAP);
  // Updated in place, never deleted and re-created (a replace would leave a gap Flux can fall into).
  expect(configMap.metadata.uid).toBe(before.metadata.uid);
  expect(configMap.data.SPARK_ICEBERG_IMAGE).toBe(IMAGE_1);
  await get("kustomization", FLUX_NAMESPACE, "spark-iceberg-client");
  names = kustomizations.map((k) => k.name);
});

test("parse check: the skeleton's kustomization.yaml files are kustomize's", () => {
  for (const f of skeleton(IMAGE_1).filter((f) => f.path.endsWith("kustomization.yaml"))) expect(parse(f.content)).toMatchObject({ kind: "Kustomization" });
});
