import {
  type GitSource,
  type KustomizationSpec,
  SUBSTITUTION_VARIABLES,
  gitAuthData,
  gitRepositoryManifest,
  kustomizationManifest,
  prerequisitesData,
  providerAnnotations,
  quotedUse,
  variableSuffix,
} from "../../../components/flux/manifests";
import { schemaProblems } from "../../lib/schemas/kubernetes";

const source: GitSource = { namespace: "flux-system", url: "ssh://git@github.com/example/gitops.git", branch: "main", interval: "1m" };
const kustomization: KustomizationSpec = {
  name: "nessie",
  path: "./apps/nessie",
  dependsOn: ["data-platform"],
  targetNamespace: "data-platform",
  interval: "10m",
  retryInterval: "1m",
  timeout: "5m",
  wait: true,
  prune: true,
};

it("always sets the branch (Flux follows master otherwise) and validates", () => {
  const repo = gitRepositoryManifest(source);
  expect(repo.spec?.ref).toEqual({ branch: "main" });
  expect(repo.spec?.secretRef).toEqual({ name: "data-platform-git-auth" });
  expect(schemaProblems(repo)).toEqual([]);
});

it("renders Kustomizations with prune, dependsOn and substitution, schema-valid", () => {
  const manifest = kustomizationManifest(kustomization, "flux-system");
  expect(manifest.spec).toMatchObject({ prune: true, wait: true, dependsOn: [{ name: "data-platform" }], targetNamespace: "data-platform" });
  expect(schemaProblems(manifest)).toEqual([]);
  const root = kustomizationManifest({ ...kustomization, dependsOn: [], targetNamespace: undefined }, "flux-system");
  expect(root.spec).not.toHaveProperty("dependsOn");
  expect(root.spec).not.toHaveProperty("targetNamespace");
});

it("sets suspend: false explicitly (a `flux suspend` is then drift on a field the stack owns) and a retryInterval", () => {
  expect(gitRepositoryManifest(source).spec?.suspend).toBe(false);
  const manifest = kustomizationManifest(kustomization, "flux-system");
  expect(manifest.spec).toMatchObject({ suspend: false, retryInterval: "1m" });
});

it("annotates for forced server-side apply, and for the provider's wait only when asked", () => {
  expect(providerAnnotations(undefined)).toEqual({ "pulumi.com/patchForce": "true" });
  expect(providerAnnotations({ readyTimeoutSeconds: 120 })).toEqual({
    "pulumi.com/patchForce": "true",
    "pulumi.com/waitFor": "condition=Ready",
    "pulumi.com/timeoutSeconds": "120",
  });
});

it("the schema check is not vacuous: a Kustomization without prune is rejected", () => {
  const manifest = kustomizationManifest(kustomization, "flux-system") as unknown as { spec: Record<string, unknown> };
  delete manifest.spec.prune;
  expect(schemaProblems(manifest as never).join("\n")).toContain("prune");
});

it("the schema check is strict: a misspelt optional field is an error, not pruned in silence", () => {
  const manifest = kustomizationManifest(kustomization, "flux-system") as unknown as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const { postBuild, ...rest } = manifest.spec;
  expect(postBuild).toBeDefined();
  expect(schemaProblems({ ...manifest, spec: { ...rest, postbuild: postBuild } } as never)).toEqual([
    expect.stringMatching(/^\/spec: must NOT have additional properties .*"additionalProperty":"postbuild"/),
  ]);
  expect(schemaProblems({ ...manifest, metadata: { ...manifest.metadata, label: { a: "b" } } } as never)).toEqual([
    expect.stringMatching(/^\/metadata: must NOT have additional properties .*"additionalProperty":"label"/),
  ]);
  expect(schemaProblems({ ...gitRepositoryManifest(source), data: {} } as never)).toEqual([expect.stringMatching(/"additionalProperty":"data"/)]);
});

it("names substitution variables in upper snake case, all documented", () => {
  expect(variableSuffix("nessie-backup")).toBe("NESSIE_BACKUP");
  const data = prerequisitesData({
    environment: "dev",
    image: "r/x@sha256:00",
    s3Endpoint: "http://rgw",
    s3Region: "us-east-1",
    buckets: { warehouse: "w", "nessie-backup": "b" },
    itemTitles: ["nessie-postgres"],
    databases: { "nessie-postgres": { hostname: "nessie-postgres-rw.data-platform.svc", port: 5432, database: "nessie" } },
    clusterSecretStore: "onepassword",
    dataPlatformNamespace: "data-platform",
  });
  expect(data).toMatchObject({
    S3_BUCKET_WAREHOUSE: "w",
    S3_BUCKET_NESSIE_BACKUP: "b",
    OP_ITEM_NESSIE_POSTGRES: "nessie-postgres",
    SPARK_ICEBERG_IMAGE: "r/x@sha256:00",
    // What Nessie's chart and the Spark/Trino catalogs need and the stack knows.
    S3_PATH_STYLE_ACCESS: "true",
    JDBC_URL_NESSIE_POSTGRES: "jdbc:postgresql://nessie-postgres-rw.data-platform.svc:5432/nessie",
  });
  const documented = Object.keys(SUBSTITUTION_VARIABLES).map((name) => new RegExp(`^${name.replace(/<[A-Z]+>/, "[A-Z0-9_]+")}$`));
  for (const name of Object.keys(data)) expect(documented.some((re) => re.test(name))).toBe(true);
  // Flux substitutes only ${VAR} names of this shape (`quote` is lowercase as in Flux's documentation).
  for (const name of Object.keys(data)) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  // What Flux's quoting needs: ${quote}${S3_PATH_STYLE_ACCESS}${quote} stays a string after substitution.
  expect(data.quote).toBe('"');
  expect(quotedUse("S3_PATH_STYLE_ACCESS")).toBe("${quote}${S3_PATH_STYLE_ACCESS}${quote}");
});

it("keys the Git auth Secret as source-controller reads it", () => {
  expect(gitAuthData({ ssh: { privateKey: "k", publicKey: "p", knownHosts: "h" } })).toEqual({ identity: "k", "identity.pub": "p", known_hosts: "h" });
  expect(gitAuthData({ https: { username: "git", token: "t" } })).toEqual({ username: "git", password: "t" });
});
