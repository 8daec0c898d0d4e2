// The test cluster itself (cluster.ts): real kube-apiserver, real Flux controllers, a Git server over SSH.
// Flux pulls a repository with a deploy key, applies it with postBuild substitution and prunes what Git
// no longer holds; the controller-manager finishes foreground and Namespace deletes; stop() leaves nothing.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../lib/processes";
import { FLUX_NAMESPACE, useKubernetesCluster } from "./cluster";

jest.setTimeout(180_000);

const cluster = useKubernetesCluster();
const REPO = "smoke";
const work = mkdtempSync(join(tmpdir(), "kube-smoke-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A repository folder with `apps/` holding the given ConfigMap manifests (file name -> YAML). */
function repoWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, "repo-"));
  mkdirSync(join(dir, "apps"));
  for (const [name, yaml] of Object.entries(files)) writeFileSync(join(dir, "apps", name), yaml);
  return dir;
}

const configMap = (name: string, data: Record<string, string>) =>
  [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    `  name: ${name}`,
    "  namespace: default",
    "data:",
    ...Object.entries(data).map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`),
    "",
  ].join("\n");

const GREETING_FILE = configMap("smoke-greeting", { greeting: "${GREETING} from ${PLACE}", bucket: "s3://${BUCKET}/data" });
const DOOMED_FILE = configMap("smoke-doomed", { note: "removed from Git in the prune test" });

async function jsonpath(kind: string, namespace: string, name: string, path: string): Promise<string> {
  return cluster().kubectl(["get", "-n", namespace, kind, name, "-o", `jsonpath=${path}`]);
}

test("the cluster is up: API server version, CRDs, the Flux namespace, every process alive", async () => {
  const c = cluster();
  const version = JSON.parse(await c.kubectl(["get", "--raw", "/version"])) as { gitVersion: string };
  expect(version.gitVersion).toBe("v1.37.2");
  const crds = await c.kubectl(["get", "crd", "-o", "name"]);
  for (const crd of [
    "gitrepositories.source.toolkit.fluxcd.io",
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "externalsecrets.external-secrets.io",
    "clustersecretstores.external-secrets.io",
  ]) {
    expect(crds).toContain(`customresourcedefinition.apiextensions.k8s.io/${crd}`);
  }
  await c.kubectl(["get", "namespace", FLUX_NAMESPACE]);
  const processes = c.processes();
  expect(processes.map((p) => p.name)).toEqual(["etcd", "kube-apiserver", "kube-controller-manager", "sshd", "source-controller", "kustomize-controller"]);
  for (const p of processes) expect(isAlive(p.pid)).toBe(true);
  console.log(`cluster start ${c.startSeconds.toFixed(1)} s, ${(c.memoryBytes() / 2 ** 30).toFixed(2)} GiB resident in ${processes.length} processes`);
});

test("a GitRepository over SSH (deploy key + known_hosts in [host]:port form) becomes Ready", async () => {
  const c = cluster();
  expect(c.git.knownHosts).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 \S+$/);
  const revision = await c.git.push(REPO, repoWith({ "greeting.yaml": GREETING_FILE, "doomed.yaml": DOOMED_FILE }), "first");
  await c.kubectl([
    "create",
    "secret",
    "generic",
    "smoke-git",
    "-n",
    FLUX_NAMESPACE,
    `--from-file=identity=${c.git.deployKey.privateKeyPath}`,
    `--from-literal=known_hosts=${c.git.knownHosts}`,
  ]);
  await c.kubectl(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "GitRepository",
      metadata: { name: REPO, namespace: FLUX_NAMESPACE },
      spec: { url: c.git.url(REPO), ref: { branch: "main" }, interval: "10m", secretRef: { name: "smoke-git" } },
    }),
  });
  await c.waitFor("gitrepository", `${FLUX_NAMESPACE}/${REPO}`, "Ready", 60);
  expect(await jsonpath("gitrepository", FLUX_NAMESPACE, REPO, "{.status.artifact.revision}")).toBe(`main@sha1:${revision}`);
});

test("a Kustomization applies the repository's ConfigMaps with postBuild substitution (inline and from a ConfigMap)", async () => {
  const c = cluster();
  await c.kubectl(["create", "configmap", "smoke-vars", "-n", FLUX_NAMESPACE, "--from-literal=PLACE=the test cluster", "--from-literal=BUCKET=warehouse"]);
  await c.kubectl(["apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "kustomize.toolkit.fluxcd.io/v1",
      kind: "Kustomization",
      metadata: { name: REPO, namespace: FLUX_NAMESPACE },
      spec: {
        interval: "10m",
        path: "./apps",
        prune: true,
        sourceRef: { kind: "GitRepository", name: REPO },
        postBuild: { substitute: { GREETING: "hello" }, substituteFrom: [{ kind: "ConfigMap", name: "smoke-vars" }] },
      },
    }),
  });
  await c.waitFor("kustomization", `${FLUX_NAMESPACE}/${REPO}`, "Ready", 90);
  const data = JSON.parse(await jsonpath("configmap", "default", "smoke-greeting", "{.data}")) as Record<string, string>;
  expect(data).toEqual({ greeting: "hello from the test cluster", bucket: "s3://warehouse/data" });
  expect(await jsonpath("configmap", "default", "smoke-greeting", "{.metadata.labels['kustomize\\.toolkit\\.fluxcd\\.io/name']}")).toBe(REPO);
  await c.kubectl(["get", "configmap", "-n", "default", "smoke-doomed"]);
});

test("a file removed from Git is pruned at the next revision", async () => {
  const c = cluster();
  const revision = await c.git.push(REPO, repoWith({ "greeting.yaml": GREETING_FILE }), "remove doomed.yaml");
  // Ask for a pull now instead of waiting for the interval (what `flux reconcile source git` does).
  await c.kubectl(["annotate", "--overwrite", "-n", FLUX_NAMESPACE, "gitrepository", REPO, `reconcile.fluxcd.io/requestedAt=${Date.now()}`]);
  await c.waitFor("kustomization", `${FLUX_NAMESPACE}/${REPO}`, `jsonpath={.status.lastAppliedRevision}=main@sha1:${revision}`, 90);
  await expect(c.kubectl(["get", "configmap", "-n", "default", "smoke-doomed"])).rejects.toThrow(/NotFound|not found/);
  await c.kubectl(["get", "configmap", "-n", "default", "smoke-greeting"]);
});

test("the controller-manager stands in for the missing garbage collector: foreground and Namespace deletes finish", async () => {
  const c = cluster();
  await c.kubectl(["create", "configmap", "smoke-foreground", "-n", "default", "--from-literal=a=b"]);
  // Foreground propagation (what the Kubernetes provider uses) adds the foregroundDeletion finalizer, which only the collector removes.
  await c.kubectl(["delete", "configmap", "-n", "default", "smoke-foreground", "--cascade=foreground", "--timeout=60s"], { timeoutSeconds: 90 });
  await expect(c.kubectl(["get", "configmap", "-n", "default", "smoke-foreground"])).rejects.toThrow(/NotFound|not found/);
  await c.kubectl(["create", "namespace", "smoke-doomed"]);
  await c.kubectl(["create", "configmap", "inside", "-n", "smoke-doomed", "--from-literal=a=b"]);
  await c.kubectl(["delete", "namespace", "smoke-doomed", "--timeout=60s"], { timeoutSeconds: 90 });
  await expect(c.kubectl(["get", "namespace", "smoke-doomed"])).rejects.toThrow(/NotFound|not found/);
});

test("stop() ends every process it started", async () => {
  const c = cluster();
  const pids = c.processes().map((p) => p.pid);
  await c.stop();
  expect(pids.filter(isAlive)).toEqual([]);
});
