// The whole program under Pulumi's mock engine, for every stack file: the resource graph, secrets,
// protection, dependencies, and every Kubernetes object against its published schema.
import { mkdtempSync, readFileSync, copyFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { clusterManifestsRevealed, gitopsManifests } from "../scripts/lib/inventory";
import { MOCK_RGW_OWNER_UID, MockRun, RecordedResource, evaluateProgram, isSecretValue, redact, reveal, secretPaths } from "../scripts/lib/mockEngine";
import { renderStack } from "../scripts/lib/render";
import { skeletonInput } from "../scripts/lib/gitops";
import { gitopsSkeleton } from "../components/flux/skeleton";
import { listStacks, readStackConfig, stackFilePlatformConfig } from "../config/stackFiles";
import { schemaProblems } from "./lib/schemas/kubernetes";
import { credentialsWithRotation } from "./lib/fixtures/credentials";

const root = join(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadProgram = () => require("../index");
const stacks = listStacks(root);

const evaluate = (stack: string, edit?: (config: Record<string, string>) => void): Promise<MockRun> => {
  const input = readStackConfig(root, stack);
  edit?.(input.config);
  return evaluateProgram({ ...input, loadProgram });
};

const ofType = (run: MockRun, type: string) => run.resources.filter((r) => r.type === type);
const one = (run: MockRun, type: string, name: string): RecordedResource => {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have: ${run.resources.map((r) => `${r.type}::${r.name}`).join(", ")}`);
  return found;
};
/** Mock values the engine would hold as secrets: none may be visible outside a secret wrapper. */
const MOCK_SECRET_PATTERN = /mock-password-|mock-secret-|MOCK[0-9A-F]{16}|OPENSSH PRIVATE KEY|\[secret:data-platform:/;

const runs = new Map<string, MockRun>();
beforeAll(async () => {
  for (const stack of stacks) runs.set(stack, await evaluate(stack));
});

it("has a dev and a prod stack", () => expect(stacks).toEqual(expect.arrayContaining(["dev", "prod"])));

describe.each(stacks)("stack %s", (stack) => {
  const run = () => runs.get(stack) as MockRun;

  it("registers every capability as a component with its children under it", () => {
    const components = run().resources.filter((r) => !r.custom);
    expect(components.map((c) => c.type).sort()).toEqual([
      "dataplatform:credentials:Credentials",
      "dataplatform:flux:FluxHandoff",
      "dataplatform:image:SparkIcebergImage",
      "dataplatform:storage:ObjectStorage",
    ]);
    const isProvider = (r: RecordedResource) => r.type.startsWith("pulumi:providers:");
    // The removal guard watches every component's entries, so it sits at the top like the providers.
    const isGuard = (r: RecordedResource) => r.type === "pulumi-nodejs:dynamic/platform:RemovalGuard";
    for (const r of run().resources.filter((r) => r.custom && !isProvider(r) && !isGuard(r))) {
      const parent = components.find((c) => c.urn === r.parent);
      if (!parent) throw new Error(`${r.type} ${r.name} has no component parent`);
      expect(r.name.startsWith(`${parent.name}-`)).toBe(true);
    }
  });

  it("creates the providers at the top and hands them to the components through opts", () => {
    const providers = run().resources.filter((r) => r.type.startsWith("pulumi:providers:"));
    expect(providers.map((p) => `${p.type}::${p.name}`).sort()).toEqual([
      "pulumi:providers:aws::storage-rgw",
      "pulumi:providers:kubernetes::kubernetes",
      "pulumi:providers:onepassword::credentials-onepassword",
    ]);
    for (const p of providers) expect(p.parent).toBeUndefined();
    // Both were children of their component before: aliased, so existing stacks keep them.
    expect(one(run(), "pulumi:providers:aws", "storage-rgw").aliases).toHaveLength(1);
    expect(one(run(), "pulumi:providers:onepassword", "credentials-onepassword").aliases).toHaveLength(1);
    const bucket = one(run(), "aws:s3/bucket:Bucket", "storage-warehouse");
    expect(bucket.provider).toMatch(/::storage-rgw::/);
  });

  it("protects everything that holds data or live credentials, so no config edit deletes it", () => {
    const protectedTypes = [
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketVersioning:BucketVersioning",
      "aws:s3/bucketPolicy:BucketPolicy",
      "pulumi-nodejs:dynamic/s3:BucketLifecycle",
      "pulumi-nodejs:dynamic/rgw:RgwUser",
      "onepassword:index/item:Item",
      "random:index/randomPassword:RandomPassword",
      "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
    ];
    for (const type of protectedTypes) {
      const resources = ofType(run(), type);
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect({ type, name: r.name, protect: r.protect }).toEqual({ type, name: r.name, protect: true });
    }
    // The bootstrap token Secret is retained: a renamed one leaves the old in place for the ClusterSecretStore.
    expect(one(run(), "kubernetes:core/v1:Secret", "credentials-onepassword-token").retainOnDelete).toBe(true);
    // The removal guard comes first, and nothing else until the engine has checked it (issue 19).
    expect(run().resources[0]).toMatchObject({ type: "pulumi-nodejs:dynamic/platform:RemovalGuard", name: "removal-guard" });
    // A password policy change must not regenerate a password the database already uses.
    for (const r of ofType(run(), "random:index/randomPassword:RandomPassword")) {
      expect(r.ignoreChanges.sort()).toEqual(["length", "lower", "numeric", "special", "upper"]);
    }
  });

  it("points the AWS provider at RGW with the settings S3-compatible stores need", () => {
    const provider = one(run(), "pulumi:providers:aws", "storage-rgw").inputs;
    expect(reveal(provider)).toMatchObject({
      region: "us-east-1",
      s3UsePathStyle: "true",
      skipCredentialsValidation: "true",
      skipRequestingAccountId: "true",
      skipMetadataApiCheck: "true",
      skipRegionValidation: "true",
    });
    expect(isSecretValue(provider.accessKey)).toBe(true);
    expect(isSecretValue(provider.secretKey)).toBe(true);
  });

  it("creates protected, versioned buckets with lifecycle and a policy on that provider", () => {
    const buckets = ofType(run(), "aws:s3/bucket:Bucket");
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    const provider = one(run(), "pulumi:providers:aws", "storage-rgw");
    for (const bucket of buckets) {
      expect(bucket.protect).toBe(true);
      expect(bucket.retainOnDelete).toBe(true);
      expect(bucket.inputs.forceDestroy).toBe(false);
      expect(bucket.provider?.startsWith(provider.urn)).toBe(true);
      const versioning = one(run(), "aws:s3/bucketVersioning:BucketVersioning", `${bucket.name}-versioning`);
      expect(versioning.inputs.versioningConfiguration).toEqual({ status: "Enabled" });
      const lifecycle = one(run(), "pulumi-nodejs:dynamic/s3:BucketLifecycle", `${bucket.name}-lifecycle`);
      const rules = lifecycle.inputs.rules as { id: string }[];
      expect(rules.map((r) => r.id)).toEqual(["expire-noncurrent-versions", "abort-incomplete-multipart-uploads"]);
      expect(isSecretValue(lifecycle.inputs.secretKey)).toBe(true);
      one(run(), "aws:s3/bucketPolicy:BucketPolicy", `${bucket.name}-policy`);
    }
    expect(ofType(run(), "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")).toEqual([]);
    expect(ofType(run(), "aws:s3/bucketOwnershipControls:BucketOwnershipControls")).toEqual([]);
  });

  it("grants exactly what the stack file says, per app user", () => {
    const config = stackFilePlatformConfig(root, stack);
    for (const bucket of config.buckets) {
      const policy = one(run(), "aws:s3/bucketPolicy:BucketPolicy", `storage-${bucket.key}-policy`);
      const doc = JSON.parse(String(policy.inputs.policy)) as {
        Statement: { Sid: string; Principal: { AWS: string[] }; Action: string[]; Resource: string[] }[];
      };
      // The owner (the uid the stack's S3 keys belong to, read by an invoke) may read every object and version.
      expect(doc.Statement.filter((s) => s.Sid === "OwnerRecovery").map((s) => [s.Principal.AWS, s.Action])).toEqual([
        [[`arn:aws:iam:::user/${MOCK_RGW_OWNER_UID}`], ["s3:GetObject", "s3:GetObjectVersion"]],
      ]);
      const apps = (write: boolean) =>
        new Set(
          doc.Statement.filter((s) => s.Sid !== "OwnerRecovery" && s.Action.includes("s3:PutObject") === write).flatMap((s) =>
            s.Principal.AWS.map((a) => a.replace(`arn:aws:iam:::user/data-platform-${stack}-`, "")),
          ),
        );
      const writers = apps(true);
      expect(writers).toEqual(new Set(bucket.readWrite));
      expect(new Set([...apps(false)].filter((app) => !writers.has(app)))).toEqual(new Set(bucket.read));
      for (const statement of doc.Statement) expect(statement.Resource.every((r) => r.startsWith(`arn:aws:s3:::${bucket.name}`))).toBe(true);
    }
  });

  it("gives each app its own RGW user whose keys are secret outputs", () => {
    const users = ofType(run(), "pulumi-nodejs:dynamic/rgw:RgwUser");
    expect(users.map((u) => u.inputs.uid).sort()).toEqual([`data-platform-${stack}-nessie`, `data-platform-${stack}-spark`, `data-platform-${stack}-trino`]);
    for (const user of users) {
      expect(user.additionalSecretOutputs).toEqual(expect.arrayContaining(["accessKey", "secretKey"]));
      expect(isSecretValue(user.inputs.adminSecretKey)).toBe(true);
    }
  });

  it("writes each credential to 1Password by vault UUID, passwords from random resources, all secret", () => {
    const vaultLookup = run().invokes.find((i) => i.token === "onepassword:index/getVault:getVault");
    expect(vaultLookup?.args).toEqual({ name: `data-platform-${stack}` });
    const items = ofType(run(), "onepassword:index/item:Item");
    expect(items.map((i) => i.inputs.title).sort()).toEqual([
      "flux-deploy-key",
      "nessie-postgres",
      "nessie-s3-credentials",
      "spark-s3-credentials",
      "trino-s3-credentials",
    ]);
    for (const item of items) {
      expect(String(item.inputs.vault)).toMatch(/^mockvault[0-9a-f]{17}$/);
      expect(item.protect && item.retainOnDelete).toBe(true);
    }
    const db = one(run(), "onepassword:index/item:Item", "credentials-nessie-postgres");
    expect(reveal(db.inputs)).toMatchObject({ category: "database", username: "nessie", port: "5432", database: "nessie" });
    expect(isSecretValue(db.inputs.password)).toBe(true);
    const password = one(run(), "random:index/randomPassword:RandomPassword", "credentials-nessie-postgres-password");
    expect(password.inputs).toMatchObject({ length: 32, special: false, keepers: { rotation: "1" } });
    expect(password.additionalSecretOutputs).toContain("result");
    expect(db.dependencies).toContain(password.urn);

    const s3 = one(run(), "onepassword:index/item:Item", "credentials-nessie-s3-credentials");
    expect(isSecretValue(s3.inputs.username) && isSecretValue(s3.inputs.password)).toBe(true);
    const nessieUser = one(run(), "pulumi-nodejs:dynamic/rgw:RgwUser", "storage-user-nessie");
    expect(s3.dependencies).toContain(nessieUser.urn);
    const fields = (reveal(s3.inputs.sections) as { fields: { label: string; value: string }[] }[])[0].fields;
    expect(Object.fromEntries(fields.map((f) => [f.label, f.value]))).toEqual({
      endpoint: "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
      region: "us-east-1",
      bucket: `iceberg-warehouse-${stack}`,
    });
  });

  it("configures the 1Password provider from secret config", () => {
    const provider = one(run(), "pulumi:providers:onepassword", "credentials-onepassword");
    expect(isSecretValue(provider.inputs.token)).toBe(true);
    expect(provider.inputs.url).toBe(`https://op-connect.${stack}.example.com`);
  });

  it("puts the 1Password token in the bootstrap Secret External Secrets expects", () => {
    const secret = one(run(), "kubernetes:core/v1:Secret", "credentials-onepassword-token");
    expect(secret.inputs.metadata).toEqual({
      name: "onepassword-token",
      namespace: "external-secrets",
      labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "data-platform" },
    });
    // The whole stringData is a secret (the Kubernetes SDK marks it so), the token with it.
    expect(secretPaths(secret.inputs)).toEqual(["stringData"]);
    expect(Object.keys(reveal(secret.inputs.stringData) as object)).toEqual(["token"]);
    const store = gitopsManifests(run()).find((m) => m.kind === "ClusterSecretStore") as unknown as {
      spec: { provider: { onepassword: { auth: { secretRef: { connectTokenSecretRef: { name: string; namespace: string; key: string } } } } } };
    };
    expect(store.spec.provider.onepassword.auth.secretRef.connectTokenSecretRef).toEqual({
      name: "onepassword-token",
      namespace: "external-secrets",
      key: "token",
    });
  });

  it("renders ExternalSecrets whose every remoteRef is an item title and field label the stack writes", () => {
    const items = ofType(run(), "onepassword:index/item:Item").map((i) => reveal(i.inputs) as Record<string, unknown>);
    const labelsOf = (item: Record<string, unknown>) => [
      ...["username", "password", "hostname", "port", "database"].filter((f) => item[f] !== undefined),
      ...((item.sections as { fields: { label: string }[] }[] | undefined) ?? []).flatMap((s) => s.fields.map((f) => f.label)),
    ];
    const externalSecrets = gitopsManifests(run()).filter((m) => m.kind === "ExternalSecret") as unknown as {
      spec: { data: { secretKey: string; remoteRef: { key: string; property: string } }[] };
    }[];
    expect(externalSecrets).toHaveLength(4);
    for (const es of externalSecrets) {
      for (const { remoteRef } of es.spec.data) {
        const item = items.find((i) => i.title === remoteRef.key);
        expect(item).toBeDefined();
        expect(labelsOf(item as Record<string, unknown>)).toContain(remoteRef.property);
      }
    }
  });

  it("builds the image from the fixed context and exports it by digest", () => {
    const image = ofType(run(), "docker:index/image:Image")[0];
    expect((image.inputs.build as { context: string }).context).toBe("docker/spark-iceberg");
    const outputs = run().outputs as { sparkIcebergImage: string };
    expect(outputs.sparkIcebergImage).toMatch(new RegExp(`^registry\\.${stack}\\.example\\.com/data-platform/spark-iceberg@sha256:[0-9a-f]{64}$`));
  });

  it("hands off to Flux only after every prerequisite exists", () => {
    const prerequisites = run()
      .resources.filter(
        (r) =>
          ["aws:s3/bucket:Bucket", "pulumi-nodejs:dynamic/rgw:RgwUser", "onepassword:index/item:Item", "docker:index/image:Image"].includes(r.type) ||
          r.name === "credentials-onepassword-token",
      )
      .filter((r) => !r.name.startsWith("flux-"));
    expect(prerequisites.length).toBeGreaterThanOrEqual(8);
    const fluxObjects = run().resources.filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith("flux-"));
    expect(fluxObjects.map((r) => r.type).sort()).toEqual(
      expect.arrayContaining([
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Secret",
        "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository",
        "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
      ]),
    );
    for (const object of fluxObjects) {
      for (const prerequisite of prerequisites) {
        if (!object.dependencies.includes(prerequisite.urn)) throw new Error(`${object.name} does not depend on ${prerequisite.name}`);
      }
    }
  });

  it("hands Flux the image by digest and the storage and secret names through a ConfigMap", () => {
    const configMap = one(run(), "kubernetes:core/v1:ConfigMap", "flux-prerequisites");
    const data = configMap.inputs.data as Record<string, string>;
    expect(data.SPARK_ICEBERG_IMAGE).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(data).toMatchObject({
      S3_ENDPOINT: "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
      S3_REGION: "us-east-1",
      S3_BUCKET_WAREHOUSE: `iceberg-warehouse-${stack}`,
      S3_BUCKET_NESSIE_BACKUP: `nessie-backup-${stack}`,
      OP_ITEM_NESSIE_POSTGRES: "nessie-postgres",
      CLUSTER_SECRET_STORE: "onepassword",
    });
    for (const k of ofType(run(), "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization")) {
      expect((k.inputs.spec as { postBuild: unknown }).postBuild).toEqual({
        substituteFrom: [{ kind: "ConfigMap", name: "platform-prerequisites", optional: false }],
      });
    }
  });

  it("keeps the Git deploy key secret and exports only its public half", () => {
    const key = one(run(), "tls:index/privateKey:PrivateKey", "flux-deploy-key");
    expect(key.replacementTrigger).toBe("1");
    expect(key.additionalSecretOutputs).toContain("privateKeyOpenssh");
    const auth = one(run(), "kubernetes:core/v1:Secret", "flux-git-auth");
    const stringData = auth.inputs.stringData;
    expect(isSecretValue(stringData)).toBe(true);
    expect(Object.keys(reveal(stringData) as object).sort()).toEqual(["identity", "identity.pub", "known_hosts"]);
    expect((run().outputs as { fluxDeployKeyPublic: string }).fluxDeployKeyPublic).toMatch(/^ssh-ed25519 /);
  });

  it("never shows a secret value in stack outputs or rendered files", () => {
    expect(secretPaths(run().outputs)).toEqual([]);
    expect(JSON.stringify(run().outputs)).not.toMatch(MOCK_SECRET_PATTERN);
    expect(JSON.stringify(redact(run().resources.map((r) => r.inputs)))).not.toMatch(MOCK_SECRET_PATTERN);
  });

  it("emits only Kubernetes objects that validate against the published schemas", () => {
    const objects = [...clusterManifestsRevealed(run()), ...gitopsManifests(run())];
    expect(objects.map((o) => o.kind).sort()).toEqual(
      expect.arrayContaining(["ClusterSecretStore", "ConfigMap", "ExternalSecret", "GitRepository", "Kustomization", "Namespace", "Secret"]),
    );
    for (const object of objects) {
      const problems = schemaProblems(object);
      if (problems.length > 0) throw new Error(`${object.kind} ${object.metadata.name}:\n${problems.join("\n")}`);
    }
  });
});

describe("repeatability", () => {
  const inputsByName = (run: MockRun) => Object.fromEntries(run.resources.map((r) => [`${r.type}::${r.name}`, r.inputs]));

  // Only the program's own determinism: provider-side diffs (e.g. the image context) need a real engine.
  it("is deterministic: the same config gives identical inputs", async () => {
    const again = await evaluate("dev");
    expect(inputsByName(again)).toEqual(inputsByName(runs.get("dev") as MockRun));
  });

  it("rotates one credential and nothing else", async () => {
    const rotated = await evaluate("dev", (config) => {
      config["data-platform:credentials"] = JSON.stringify(credentialsWithRotation("nessie-postgres"));
    });
    const before = inputsByName(runs.get("dev") as MockRun);
    const after = inputsByName(rotated);
    const changed = Object.keys(after).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
    expect(changed.sort()).toEqual([
      "onepassword:index/item:Item::credentials-nessie-postgres",
      "random:index/randomPassword:RandomPassword::credentials-nessie-postgres-password",
    ]);
  });
});

describe("variants of the dev stack", () => {
  it("service-account mode: provider token and an SDK ClusterSecretStore", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:onepasswordMode"] = "serviceAccount";
    });
    const provider = one(run, "pulumi:providers:onepassword", "credentials-onepassword");
    expect(isSecretValue(provider.inputs.serviceAccountToken)).toBe(true);
    expect(provider.inputs.token).toBeUndefined();
    const store = gitopsManifests(run).find((m) => m.kind === "ClusterSecretStore") as unknown as { spec: { provider: Record<string, unknown> } };
    expect(Object.keys(store.spec.provider)).toEqual(["onepasswordSDK"]);
    for (const manifest of gitopsManifests(run)) expect(schemaProblems(manifest)).toEqual([]);
  });

  it("https Git auth: token Secret, no deploy key", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:fluxGitUrl"] = "https://github.com/example/data-platform-gitops.git";
      config["data-platform:fluxGitAuth"] = "https";
    });
    expect(ofType(run, "tls:index/privateKey:PrivateKey")).toEqual([]);
    const auth = one(run, "kubernetes:core/v1:Secret", "flux-git-auth");
    expect(reveal(auth.inputs.stringData)).toEqual({ username: "git", password: "[secret:data-platform:fluxGitToken]" });
    expect(isSecretValue(auth.inputs.stringData)).toBe(true);
    // An undefined output made every HTTPS run warn "Undefined value (fluxDeployKeyPublic)".
    expect(run.outputs).not.toHaveProperty("fluxDeployKeyPublic");
  });

  it.each(["dev", "prod"])(
    "%s: the GitOps skeleton from the render: every Kustomization's path, the rendered ExternalSecrets, only published variables",
    (stack) => {
      const run = runs.get(stack) as MockRun;
      const input = skeletonInput(run);
      expect(input.kustomizations.map((k) => k.name).sort()).toEqual(["data-platform", "nessie", "nessie-backup", "spark-iceberg-client", "spark-operator"]);
      const files = gitopsSkeleton(input);
      for (const k of input.kustomizations) expect(files.map((f) => f.path)).toContain(`${k.path.replace(/^\.\//, "")}/kustomization.yaml`);
      expect(files.filter((f) => f.path.includes("/externalsecret-")).length).toBe(gitopsManifests(run).filter((m) => m.kind === "ExternalSecret").length);
      const used = new Set(files.flatMap((f) => [...f.content.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1])));
      expect([...used].filter((name) => !(name in input.variables))).toEqual([]);
      expect(input.variables).toHaveProperty("SPARK_ICEBERG_IMAGE");
    },
  );

  it("the Flux objects: ConfigMap updated in place and watched, drift overwritten, up waits for Ready (fluxReadyTimeout)", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:fluxReadyTimeout"] = "90s";
    });
    expect(one(run, "pulumi:providers:kubernetes", "kubernetes").inputs).toMatchObject({ enableServerSideApply: "true", enableConfigMapMutable: "true" });
    const configMap = one(run, "kubernetes:core/v1:ConfigMap", "flux-prerequisites").inputs.metadata as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
    };
    expect(configMap.labels["reconcile.fluxcd.io/watch"]).toBe("Enabled");
    const custom = run.resources.filter(
      (r) => r.type.startsWith("kubernetes:source.toolkit.fluxcd.io") || r.type.startsWith("kubernetes:kustomize.toolkit.fluxcd.io"),
    );
    expect(custom).toHaveLength(6);
    for (const r of custom) {
      expect((r.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({
        "pulumi.com/patchForce": "true",
        "pulumi.com/waitFor": "condition=Ready",
        "pulumi.com/timeoutSeconds": "90",
      });
      expect((r.inputs.spec as { suspend: boolean }).suspend).toBe(false);
    }
    const noWait = await evaluate("dev", (config) => {
      config["data-platform:fluxWaitForReady"] = "false";
    });
    const kustomization = one(noWait, "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "flux-nessie");
    expect((kustomization.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({ "pulumi.com/patchForce": "true" });
  });

  it("fluxInstall: the flux2 chart is installed first and every Flux object waits for it", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:fluxInstall"] = "true";
    });
    const release = one(run, "kubernetes:helm.sh/v3:Release", "flux-install");
    expect(release.inputs).toMatchObject({ chart: "flux2", version: "2.16.2", namespace: "flux-system", createNamespace: true });
    const fluxObjects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith("flux-") && r !== release);
    expect(fluxObjects.length).toBeGreaterThan(5);
    for (const object of fluxObjects) expect(object.dependencies).toContain(release.urn);
  });

  it("rotating the deploy key replaces only the key (and what holds it)", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:fluxDeployKeyRotation"] = "2";
    });
    expect(one(run, "tls:index/privateKey:PrivateKey", "flux-deploy-key").replacementTrigger).toBe("2");
    const before = Object.fromEntries((runs.get("dev") as MockRun).resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
    const changed = run.resources.filter((r) => JSON.stringify(r.inputs) !== before[`${r.type}::${r.name}`]).map((r) => r.name);
    // The mock key depends on its inputs only, so nothing else changes here; a real replacement also updates the item and Secret.
    expect(changed).toEqual([]);
  });

  it("imagePush false: built but not pushed, and Flux still gets the image variable (strict substitution), as built", async () => {
    // The program warns about it; the test keeps the warning out of the run's output and checks it.
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const run = await evaluate("dev", (config) => {
      config["data-platform:imagePush"] = "false";
    });
    expect(warn.mock.calls.flat().join("\n")).toContain("imagePush is false");
    warn.mockRestore();
    const data = one(run, "kubernetes:core/v1:ConfigMap", "flux-prerequisites").inputs.data as Record<string, string>;
    // Without it every Kustomization using ${SPARK_ICEBERG_IMAGE} fails "variable not set (strict mode)".
    expect(data.SPARK_ICEBERG_IMAGE).toMatch(/^registry\.dev\.example\.com\/data-platform\/spark-iceberg:spark[0-9.]+-iceberg[^@]+$/);
    expect(data.S3_BUCKET_WAREHOUSE).toBe("iceberg-warehouse-dev");
  });

  it("rotating an app's S3 key changes that user and the items holding its key, nothing else", async () => {
    const run = await evaluate("dev", (config) => {
      config["data-platform:s3KeyRotation"] = JSON.stringify({ nessie: "2" });
    });
    const before = Object.fromEntries((runs.get("dev") as MockRun).resources.map((r) => [`${r.type}::${r.name}`, JSON.stringify(r.inputs)]));
    const changed = run.resources.filter((r) => JSON.stringify(r.inputs) !== before[`${r.type}::${r.name}`]).map((r) => r.name);
    expect(changed).toEqual(["storage-user-nessie", "credentials-nessie-s3-credentials"]);
  });
});

describe("render", () => {
  it("writes the inventory and manifests for a stack", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "render-"));
    const result = await renderStack({ root, stack: "dev", outDir, loadProgram });
    const inventory = JSON.parse(readFileSync(join(outDir, "dev", "inventory.json"), "utf8")) as { counts: { resources: number } };
    expect(inventory.counts.resources).toBe(result.run.resources.length);
    const files = [...readdirSync(join(outDir, "dev", "manifests", "cluster")), ...readdirSync(join(outDir, "dev", "manifests", "gitops"))];
    expect(files).toEqual(
      expect.arrayContaining([
        "gitrepository-flux-system-data-platform.yaml",
        "clustersecretstore-onepassword.yaml",
        "externalsecret-data-platform-nessie-postgres.yaml",
      ]),
    );
    const written =
      readFileSync(join(outDir, "dev", "inventory.json"), "utf8") +
      files
        .map((f) =>
          readFileSync(join(outDir, "dev", "manifests", existsSync(join(outDir, "dev", "manifests", "cluster", f)) ? "cluster" : "gitops", f), "utf8"),
        )
        .join("\n");
    expect(written).not.toMatch(MOCK_SECRET_PATTERN);
    expect(written).toContain("[secret");
    expect(result.summary).toContain("stack dev");
  });

  it("fails a broken stack file with a message naming each bad key", async () => {
    const broken = mkdtempSync(join(tmpdir(), "broken-"));
    copyFileSync(join(root, "Pulumi.yaml"), join(broken, "Pulumi.yaml"));
    const doc = parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    doc.config["data-platform:rgwEndpoint"] = "not a url";
    doc.config["data-platform:buckets"] = [{ key: "warehouse", name: "Iceberg_Data" }];
    doc.config["data-platform:fluxGitUrl"] = "git@github.com:example/gitops.git";
    writeFileSync(join(broken, "Pulumi.broken.yaml"), stringify(doc));
    await expect(renderStack({ root: broken, stack: "broken", outDir: join(broken, "out"), loadProgram })).rejects.toThrow(
      /invalid configuration for stack broken \(3 problems\):\n {2}- data-platform:rgwEndpoint: "not a url" is not an http\(s\) URL\n {2}- data-platform:fluxGitUrl: .*scp-style.*\n {2}- data-platform:buckets\[0\]\.name: "Iceberg_Data" is not a valid S3 bucket name/,
    );
  });
});
