import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { prerequisitesData } from "../../../components/flux/manifests";
import { type SkeletonInput, VARIABLES_EXAMPLE_FILE, gitopsSkeleton, repositoryDir, variablesExample } from "../../../components/flux/skeleton";
import { writeSkeleton } from "../../../scripts/lib/gitops";
import { testPrerequisites } from "../../lib/fixtures/prerequisites";

const variables = prerequisitesData(testPrerequisites("registry.example.com/data-platform/spark-iceberg@sha256:00"));
const store = { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: "onepassword" }, spec: {} };
const secret = { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "nessie-postgres", namespace: "data-platform" }, spec: {} };
const input = (kustomizations: SkeletonInput["kustomizations"]): SkeletonInput => ({
  stack: "dev",
  kustomizations,
  gitopsManifests: [store, secret],
  variables,
  workloadNamespace: "data-platform",
  fluxNamespace: "flux-system",
});
const layout = [
  { name: "data-platform", path: "./kubernetes/apps/data-platform/core", dependsOn: [] },
  { name: "nessie", path: "./kubernetes/apps/data-platform/nessie", dependsOn: ["data-platform"], targetNamespace: "data-platform" },
];

/** kustomize-controller's substitution, strict: `${VAR}` from the variables, a missing one an error. */
const substitute = (text: string, vars: Record<string, string>) =>
  text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`variable not set (strict mode): "${name}"`);
    return vars[name];
  });

it("writes a kustomization.yaml per path listing only that folder's files; the root holds the namespace, store and ExternalSecrets", () => {
  const files = gitopsSkeleton(input(layout));
  expect(files.map((f) => f.path)).toEqual([
    VARIABLES_EXAMPLE_FILE,
    "kubernetes/apps/data-platform/core/clustersecretstore-onepassword.yaml",
    "kubernetes/apps/data-platform/core/externalsecret-nessie-postgres.yaml",
    "kubernetes/apps/data-platform/core/kustomization.yaml",
    "kubernetes/apps/data-platform/core/namespace-data-platform.yaml",
    "kubernetes/apps/data-platform/nessie/kustomization.yaml",
  ]);
  const file = (path: string) => files.find((f) => f.path === path)?.content ?? "";
  expect(parse(file("kubernetes/apps/data-platform/core/kustomization.yaml"))).toEqual({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    resources: ["namespace-data-platform.yaml", "clustersecretstore-onepassword.yaml", "externalsecret-nessie-postgres.yaml"],
  });
  expect(parse(file("kubernetes/apps/data-platform/nessie/kustomization.yaml")).resources).toEqual([]);
  expect(parse(file("kubernetes/apps/data-platform/core/externalsecret-nessie-postgres.yaml"))).toEqual(secret);
});

it("a root whose path is its children's parent (the old default) cannot swallow them: its kustomization.yaml lists only its own files", () => {
  const files = gitopsSkeleton(input([{ ...layout[0], path: "./kubernetes/apps/data-platform" }, layout[1]]));
  const root = parse(files.find((f) => f.path === "kubernetes/apps/data-platform/kustomization.yaml")?.content ?? "") as { resources: string[] };
  expect(root.resources.every((r) => !r.includes("/"))).toBe(true);
  expect(root.resources).not.toContain("nessie");
  expect(repositoryDir("./a/b/")).toBe("a/b");
});

it("the variables example uses every published variable and survives strict substitution as strings (S3_PATH_STYLE_ACCESS too)", () => {
  const text = variablesExample(input(layout));
  for (const name of Object.keys(variables).filter((n) => n !== "quote")) expect(text).toContain(`  ${name}: \${quote}\${${name}}\${quote}\n`);
  // No variable in a comment: one that reached substitution would be a variable too.
  for (const line of text.split("\n").filter((l) => l.trim().startsWith("#"))) expect(line).not.toContain("${");
  const applied = parse(substitute(text, variables)) as { data: Record<string, unknown> };
  for (const [name, value] of Object.entries(variables)) if (name !== "quote") expect(applied.data[name]).toBe(value);
  expect(applied.data["s3-warehouse-url"]).toBe("http://rgw.example:80/iceberg-warehouse-test");
  // The form the quote variable replaces: plain, the value would be a boolean, which the API server refuses in ConfigMap data.
  expect(parse(substitute("v: ${S3_PATH_STYLE_ACCESS}", variables))).toEqual({ v: true });
  expect(() => substitute("${quote}", {})).toThrow("variable not set (strict mode)");
});

it("writes into a checkout, refusing (and writing nothing) where a file has other content, unless forced", () => {
  const dir = mkdtempSync(join(tmpdir(), "skeleton-"));
  try {
    const files = gitopsSkeleton(input(layout));
    expect(writeSkeleton(files, dir, false).written).toHaveLength(files.length);
    expect(writeSkeleton(files, dir, false)).toEqual({ written: [], unchanged: files.map((f) => f.path) });
    const own = join(dir, "kubernetes/apps/data-platform/nessie/kustomization.yaml");
    writeFileSync(own, "resources: [deployment.yaml]\n");
    rmSync(join(dir, VARIABLES_EXAMPLE_FILE));
    expect(() => writeSkeleton(files, dir, false)).toThrow(
      `already has other content in kubernetes/apps/data-platform/nessie/kustomization.yaml: nothing written (--force overwrites them)`,
    );
    expect(() => readFileSync(join(dir, VARIABLES_EXAMPLE_FILE))).toThrow();
    expect(writeSkeleton(files, dir, true).written).toEqual([VARIABLES_EXAMPLE_FILE, "kubernetes/apps/data-platform/nessie/kustomization.yaml"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
