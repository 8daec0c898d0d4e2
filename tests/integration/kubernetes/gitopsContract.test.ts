// Issue 18's first table on real Flux, without the engine: the stack's Flux objects (from the builders, as
// the stack applies them, with kubectl server-side and strict field validation) against the skeleton of
// `npm run gitops`. Each row runs the old default beside the new one: the old one stalls as the issue
// measured, the new one is Ready with every variable substituted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type KustomizationSpec,
  FLUX_WATCH_LABEL,
  GIT_AUTH_SECRET,
  PREREQUISITES_CONFIGMAP,
  gitAuthData,
  gitRepositoryManifest,
  kustomizationManifest,
  prerequisitesData,
} from "../../../components/flux/manifests";
import { knownHostsProblems } from "../../../components/flux/knownHosts";
import { type SkeletonFile, VARIABLES_EXAMPLE_FILE, gitopsSkeleton } from "../../../components/flux/skeleton";
import { FLUX_NAMESPACE, useKubernetesCluster } from "./cluster";
import { testPrerequisites } from "../../lib/fixtures/prerequisites";

jest.setTimeout(600_000);

const cluster = useKubernetesCluster();
const work = mkdtempSync(join(tmpdir(), "gitops-contract-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const NAMESPACE = "data-platform";

const values = testPrerequisites();

const apply = (object: unknown) =>
  cluster().kubectl(["apply", "--server-side", "--validate=strict", "--field-manager=pulumi-kubernetes", "-f", "-"], { input: JSON.stringify(object) });

async function push(repo: string, files: SkeletonFile[]): Promise<void> {
  const dir = mkdtempSync(join(work, `${repo}-`));
  for (const f of files) {
    mkdirSync(join(dir, f.path, ".."), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  await cluster().git.push(repo, dir, repo);
}

/** The stack's Flux objects for one repository: its own ConfigMap of variables, Secret, GitRepository, Kustomizations. */
async function handOff(repo: string, data: Record<string, string>, kustomizations: KustomizationSpec[]): Promise<void> {
  const c = cluster();
  const configMap = `${PREREQUISITES_CONFIGMAP}-${repo}`;
  await apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: configMap, namespace: FLUX_NAMESPACE, labels: FLUX_WATCH_LABEL }, data });
  await apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${GIT_AUTH_SECRET}-${repo}`, namespace: FLUX_NAMESPACE },
    stringData: gitAuthData({ ssh: { privateKey: c.git.deployKey.privateKey, publicKey: c.git.deployKey.publicKey, knownHosts: c.git.knownHosts } }),
  });
  const source = gitRepositoryManifest({ namespace: FLUX_NAMESPACE, url: c.git.url(repo), branch: "main", interval: "1m" });
  await apply({ ...source, metadata: { ...source.metadata, name: repo }, spec: { ...source.spec, secretRef: { name: `${GIT_AUTH_SECRET}-${repo}` } } });
  for (const k of kustomizations) {
    const manifest = kustomizationManifest({ ...k, name: `${repo}-${k.name}`, dependsOn: k.dependsOn.map((d) => `${repo}-${d}`) }, FLUX_NAMESPACE);
    await apply({
      ...manifest,
      spec: { ...manifest.spec, sourceRef: { kind: "GitRepository", name: repo }, postBuild: { substituteFrom: [{ kind: "ConfigMap", name: configMap }] } },
    });
  }
}

const condition = async (name: string): Promise<{ status: string; message: string }> => {
  const raw = await cluster().kubectl(["get", "-n", FLUX_NAMESPACE, "kustomization", name, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")]}']);
  return raw ? (JSON.parse(raw) as { status: string; message: string }) : { status: "Unknown", message: "" };
};
async function settle(name: string, seconds = 180): Promise<{ status: string; message: string }> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const ready = await condition(name);
    // Transient failures (a dependency or the source not ready yet) are waited out; \bsource\b: the final
    // "could not find the requested resource" of the root row is not one (it waited 180 s for that).
    if (
      ready.status === "True" ||
      (ready.status === "False" && !/progress|dependency|\bsource\b|artifact|not found/i.test(ready.message)) ||
      Date.now() > deadline
    )
      return ready;
    await new Promise((done) => setTimeout(done, 1000));
  }
}

/** A ConfigMap's data key once it has the value (kubectl wait fails at once on an object that does not exist yet). */
async function dataBecomes(name: string, key: string, value: string, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = await cluster()
      .kubectl(["get", "-n", NAMESPACE, "configmap", name, "-o", `jsonpath={.data.${key}}`])
      .catch(() => undefined);
    if (found === value) return;
    if (Date.now() > deadline) throw new Error(`configmap ${NAMESPACE}/${name} ${key}: expected ${value}, found ${found ?? "(no object)"} after ${seconds} s`);
    await new Promise((done) => setTimeout(done, 1000));
  }
}

const spec = (k: Partial<KustomizationSpec> & { name: string; path: string }): KustomizationSpec => ({
  dependsOn: [],
  interval: "10m",
  retryInterval: "1m",
  timeout: "1m",
  wait: true,
  prune: true,
  ...k,
});
const layout = (root: string) => [
  spec({ name: "data-platform", path: root }),
  spec({ name: "nessie", path: "./kubernetes/apps/data-platform/nessie", dependsOn: ["data-platform"], targetNamespace: NAMESPACE }),
];

/** The skeleton with the variables example applied by nessie (without a namespace: nessie's targetNamespace sets it). */
function skeletonFor(kustomizations: KustomizationSpec[], data: Record<string, string>): SkeletonFile[] {
  const files = gitopsSkeleton({
    stack: "test",
    kustomizations,
    gitopsManifests: [],
    variables: data,
    workloadNamespace: NAMESPACE,
    fluxNamespace: FLUX_NAMESPACE,
  });
  const example = files.find((f) => f.path === VARIABLES_EXAMPLE_FILE) as SkeletonFile;
  return files
    .map((f) => (f.path.endsWith("nessie/kustomization.yaml") ? { ...f, content: f.content.replace("resources: []", "resources:\n  - variables.yaml") } : f))
    .concat([{ path: "kubernetes/apps/data-platform/nessie/variables.yaml", content: example.content.replace(/\n {2}namespace: .*\n/, "\n") }]);
}

test("new defaults + skeleton: the chain is Ready and every variable reaches the API server as its value (S3_PATH_STYLE_ACCESS included)", async () => {
  const data = prerequisitesData(values);
  const kustomizations = layout("./kubernetes/apps/data-platform/core");
  await push("contract", skeletonFor(kustomizations, data));
  await handOff("contract", data, kustomizations);
  expect(await settle("contract-data-platform")).toMatchObject({ status: "True" });
  expect(await settle("contract-nessie")).toMatchObject({ status: "True" });
  const applied = JSON.parse(await cluster().kubectl(["get", "-n", NAMESPACE, "configmap", "platform-variables-example", "-o", "json"])) as {
    data: Record<string, string>;
    metadata: { labels: Record<string, string> };
  };
  for (const [name, value] of Object.entries(data)) if (name !== "quote") expect(applied.data[name]).toBe(value);
  expect(applied.metadata.labels["kustomize.toolkit.fluxcd.io/name"]).toBe("contract-nessie");
});

test("row S3_PATH_STYLE_ACCESS: a whole value without the quote form is refused by the API server; with it, applied", async () => {
  const data = prerequisitesData(values);
  const kustomizations = [spec({ name: "plain", path: "./plain", targetNamespace: NAMESPACE })];
  const manifest = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: path-style\ndata:\n  pathStyleAccess: ${value}\n`;
  await push("quote", [
    { path: "plain/kustomization.yaml", content: "resources:\n  - cm.yaml\n" },
    { path: "plain/cm.yaml", content: manifest("'${S3_PATH_STYLE_ACCESS}'") },
  ]);
  await handOff("quote", data, kustomizations);
  const before = await settle("quote-plain");
  console.log(`quote row, before: ${before.message}`);
  expect(before.status).toBe("False");
  expect(before.message).toMatch(/pathStyleAccess|expected string|cannot unmarshal bool/i);
  await push("quote", [
    { path: "plain/kustomization.yaml", content: "resources:\n  - cm.yaml\n" },
    { path: "plain/cm.yaml", content: manifest("${quote}${S3_PATH_STYLE_ACCESS}${quote}") },
  ]);
  await cluster().kubectl(["annotate", "-n", FLUX_NAMESPACE, "gitrepository", "quote", `reconcile.fluxcd.io/requestedAt=${Date.now()}`, "--overwrite"]);
  await cluster().waitFor("gitrepository", `${FLUX_NAMESPACE}/quote`, "Ready", 60);
  await cluster().kubectl(["annotate", "-n", FLUX_NAMESPACE, "kustomization", "quote-plain", `reconcile.fluxcd.io/requestedAt=${Date.now()}`, "--overwrite"]);
  await dataBecomes("path-style", "pathStyleAccess", "true");
});

test("row SPARK_ICEBERG_IMAGE: unpublished, strict substitution fails the Kustomization; published (imagePush false too), Ready", async () => {
  const files: SkeletonFile[] = [
    { path: "img/kustomization.yaml", content: "resources:\n  - cm.yaml\n" },
    { path: "img/cm.yaml", content: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: image\ndata:\n  image: ${SPARK_ICEBERG_IMAGE}\n" },
  ];
  await push("image", files);
  const withoutImage = Object.fromEntries(Object.entries(prerequisitesData(values)).filter(([name]) => name !== "SPARK_ICEBERG_IMAGE"));
  await handOff("image", withoutImage, [spec({ name: "img", path: "./img", targetNamespace: NAMESPACE })]);
  const before = await settle("image-img");
  expect(before).toMatchObject({ status: "False" });
  expect(before.message).toContain('variable not set (strict mode): "SPARK_ICEBERG_IMAGE"');
  // The stack now always publishes it; the ConfigMap's watch label makes Flux retry at once.
  await handOff("image", prerequisitesData(values), [spec({ name: "img", path: "./img", targetNamespace: NAMESPACE })]);
  await dataBecomes("image", "image", values.image);
});

test("row root path: the old parent path without its own kustomization.yaml stalls the chain; the skeleton's kustomization.yaml (or the new sibling default) does not", async () => {
  const data = prerequisitesData(values);
  const old = layout("./kubernetes/apps/data-platform");
  const skeleton = skeletonFor(old, data);
  // The repository as people wrote it before the skeleton: no kustomization.yaml in the root's folder.
  await push(
    "nested",
    skeleton.filter((f) => f.path !== "kubernetes/apps/data-platform/kustomization.yaml"),
  );
  await handOff("nested", data, old);
  const before = await settle("nested-data-platform");
  expect(before.status).toBe("False");
  expect(before.message).toMatch(/namespace not specified/);
  expect(await condition("nested-nessie")).toMatchObject({ status: "False" });
  await push("nested", skeleton);
  await cluster().kubectl(["annotate", "-n", FLUX_NAMESPACE, "gitrepository", "nested", `reconcile.fluxcd.io/requestedAt=${Date.now()}`, "--overwrite"]);
  await cluster().kubectl([
    "annotate",
    "-n",
    FLUX_NAMESPACE,
    "kustomization",
    "nested-data-platform",
    `reconcile.fluxcd.io/requestedAt=${Date.now()}`,
    "--overwrite",
  ]);
  await cluster().waitFor("kustomization", `${FLUX_NAMESPACE}/nested-data-platform`, "Ready", 120);
  await cluster().waitFor("kustomization", `${FLUX_NAMESPACE}/nested-nessie`, "Ready", 120);
});

/** A GitRepository's Ready condition once source-controller has decided (Unknown while it is still fetching). */
async function sourceSettles(name: string, seconds = 120): Promise<{ status: string; message: string }> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const raw = await cluster().kubectl(["get", "-n", FLUX_NAMESPACE, "gitrepository", name, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")]}']);
    const ready = raw ? (JSON.parse(raw) as { status: string; message: string }) : { status: "Unknown", message: "" };
    if (ready.status !== "Unknown" || Date.now() > deadline) return ready;
    await new Promise((done) => setTimeout(done, 1000));
  }
}

test("row fluxKnownHosts: a Git server on a port other than 22 without the [host]:port form is refused (key is unknown), and config says so; the bracket form is Ready", async () => {
  const c = cluster();
  await push("known-hosts", [{ path: "README.md", content: "known_hosts row\n" }]);
  const url = c.git.url("known-hosts");
  const bare = c.git.knownHosts.replace(/^\[([^\]]+)\]:\d+ /, "$1 ");
  expect(bare).not.toBe(c.git.knownHosts);
  for (const [name, knownHosts] of [
    ["kh-bare", bare],
    ["kh-bracket", c.git.knownHosts],
  ]) {
    await apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: FLUX_NAMESPACE },
      stringData: gitAuthData({ ssh: { privateKey: c.git.deployKey.privateKey, publicKey: c.git.deployKey.publicKey, knownHosts } }),
    });
    const source = gitRepositoryManifest({ namespace: FLUX_NAMESPACE, url, branch: "main", interval: "1m" });
    await apply({ ...source, metadata: { ...source.metadata, name }, spec: { ...source.spec, secretRef: { name } } });
  }
  expect(await sourceSettles("kh-bracket")).toMatchObject({ status: "True" });
  expect((await sourceSettles("kh-bare")).message).toMatch(/knownhosts: key is unknown/);
  // The config check that now catches it before any resource exists.
  expect(knownHostsProblems(bare, url).join("\n")).toMatch(/\[127\.0\.0\.1\]:\d+/);
  expect(knownHostsProblems(c.git.knownHosts, url)).toEqual([]);
});
