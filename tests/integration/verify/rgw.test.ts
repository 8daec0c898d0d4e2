/**
 * `verify` against a real Ceph RGW: the declared state is set up with the project's own pieces (users
 * through the RgwUser provider object, lifecycles through the BucketLifecycle provider object, buckets,
 * versioning and policy with client-s3 from the stack's builders), the apps' keys are served by a loopback fake of 1Password Connect, and verify
 * passes. Then one thing at a time drifts, and verify names it: versioning suspended, a lifecycle rule
 * edited, a grant widened in a bucket policy, an app's key deleted. The CLI runs end to end too.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketLifecycleCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketAclCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { bucketGrants, rgwUserId } from "../../../components/objectStorage/policies";
import { bucketLifecycleRules, bucketPolicyDocument } from "../../../components/objectStorage/policies";
import { toS3LifecycleConfiguration } from "../../../providers/lifecycleRules";
import { loadJarLock } from "../../../components/sparkIcebergImage/jarLock";
import { bucketLifecycleProvider } from "../../../providers/bucketLifecycle";
import { createRgwAdminClient } from "../../../providers/rgwAdmin";
import { rgwUserProvider, type RgwUserState } from "../../../providers/rgwUser";
import type { CheckResult } from "../../../verify/checks";
import { readDockerfile } from "../../../components/sparkIcebergImage/dockerfile";
import { formatCheck } from "../../../verify/report";
import { runVerify } from "../../../verify/run";
import { RGW_ADMIN_UID, type RgwCluster, rulesOnRgw, s3Client, startRgwCluster, stopRgwCluster } from "../rgw/cephRgwCluster";
import { type FakeConnect, fullItem, startFakeConnect } from "../../lib/fakes/connect";
import { type StackFixture, projectRoot, stackFixture, verifyArgs } from "./stackFixture";

const STACK = "it";
const APPS = ["nessie", "spark", "trino"];
let cluster: RgwCluster | undefined;
let connect: FakeConnect | undefined;
let stack: StackFixture;
let owner: S3Client;
const users: Record<string, RgwUserState> = {};
const lock = loadJarLock(projectRoot);
const dockerfile = readDockerfile(projectRoot);

function requireCluster(): RgwCluster {
  if (!cluster) throw new Error("the Ceph RGW cluster did not start");
  return cluster;
}

async function verify(config = stack.config): Promise<{ checks: CheckResult[]; failed: string[]; text: string }> {
  const { adminAccessKey, adminSecretKey } = requireCluster();
  const report = await runVerify(
    {
      stack: STACK,
      config,
      outputs: stack.outputs,
      credentials: { rgwAdminAccessKey: adminAccessKey, rgwAdminSecretKey: adminSecretKey, onepasswordToken: connect?.token },
      skip: ["registry", "kubernetes"],
      lock,
      dockerfile,
    },
    { rgwAdmin: (connection) => createRgwAdminClient(connection) },
  );
  const lines = report.checks.map(formatCheck);
  return { checks: report.checks, failed: lines.filter((l) => l.startsWith("FAIL")), text: lines.join("\n") };
}

const bucket = (key: string) => {
  const config = stack.config.buckets.find((b) => b.key === key);
  if (!config) throw new Error(`no bucket ${key}`);
  return config;
};

async function applyBucket(key: string): Promise<void> {
  const config = bucket(key);
  await owner.send(new PutBucketVersioningCommand({ Bucket: config.name, VersioningConfiguration: { Status: config.versioning ? "Enabled" : "Suspended" } }));
  // The lifecycle as the stack writes it: BucketLifecycle's create, as the engine calls it, so the rules on
  // RGW carry the provider's `<id>.<owner token>` IDs that verify must read back as the declared IDs.
  // Whatever a drift test left there is removed first, as a fresh bucket has none.
  await owner.send(new DeleteBucketLifecycleCommand({ Bucket: config.name }));
  const { endpoint, adminAccessKey, adminSecretKey } = requireCluster();
  await bucketLifecycleProvider.create({
    endpoint,
    region: stack.config.rgw.region,
    accessKey: adminAccessKey,
    secretKey: adminSecretKey,
    bucket: config.name,
    rules: bucketLifecycleRules({ noncurrentVersionDays: config.noncurrentVersionDays, abortIncompleteMultipartDays: config.abortIncompleteMultipartDays }),
  });
  const policy = bucketPolicyDocument(config.name, bucketGrants(config, stack.config.environment), RGW_ADMIN_UID);
  if (policy) await owner.send(new PutBucketPolicyCommand({ Bucket: config.name, Policy: JSON.stringify(policy) }));
}

beforeAll(async () => {
  cluster = await startRgwCluster();
  connect = await startFakeConnect("data-platform-it");
  stack = await stackFixture(STACK, {
    environment: STACK,
    rgwEndpoint: cluster.endpoint,
    onepasswordVault: "data-platform-it",
    onepasswordConnectUrl: connect.url,
    imageRegistry: "127.0.0.1:5000",
    fluxGitUrl: "ssh://git@git.example.com/org/gitops.git",
    fluxKnownHosts: "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    s3Apps: APPS,
    buckets: [
      { key: "warehouse", name: "iceberg-warehouse-it", readWrite: ["nessie", "spark"], read: ["trino"] },
      { key: "nessie-backup", name: "nessie-backup-it", readWrite: ["nessie"] },
    ],
    credentials: [
      { title: "nessie-postgres", kind: "database", username: "nessie", hostname: "nessie-postgres-rw.data-platform.svc", port: 5432, database: "nessie" },
      ...APPS.map((app) => ({ title: `${app}-s3-credentials`, kind: "s3", app, bucket: "warehouse" })),
    ],
  });
  const { endpoint, adminAccessKey, adminSecretKey } = cluster;
  owner = s3Client(cluster, adminAccessKey, adminSecretKey);

  // Users exactly as the stack makes them: the RgwUser provider with the stack's uid and rotation value.
  for (const app of stack.config.apps) {
    const created = await rgwUserProvider.create({
      endpoint,
      region: stack.config.rgw.region,
      adminAccessKey,
      adminSecretKey,
      uid: rgwUserId(STACK, app.name),
      displayName: `data-platform ${STACK} ${app.name}`,
      keyRotation: app.keyRotation,
      purgeDataOnDelete: false,
    });
    users[app.name] = created.outs as RgwUserState;
  }
  for (const config of stack.config.buckets) {
    await owner.send(new CreateBucketCommand({ Bucket: config.name }));
    await applyBucket(config.key);
  }
  // The items as the 1Password provider leaves them, holding the keys RgwUser made.
  const vaultId = connect.vaultId;
  connect.items = [
    fullItem(vaultId, {
      title: "nessie-postgres",
      category: "DATABASE",
      builtin: {
        username: "nessie",
        password: "generated-password-0123456789ab",
        hostname: "nessie-postgres-rw.data-platform.svc",
        port: "5432",
        database: "nessie",
      },
    }),
    ...APPS.map((app) =>
      fullItem(vaultId, {
        title: `${app}-s3-credentials`,
        category: "LOGIN",
        builtin: { username: users[app].accessKey, password: users[app].secretKey },
        sections: { s3: { endpoint, region: "us-east-1", bucket: "iceberg-warehouse-it" } },
      }),
    ),
  ];
}, 180_000);

afterAll(async () => {
  owner?.destroy();
  await connect?.close();
  await stopRgwCluster(cluster);
  if (stack) rmSync(stack.dir, { recursive: true, force: true });
});

describe("verify against a real Ceph RGW", () => {
  it("passes on the declared state, probes every app on every bucket with its 1Password keys, and leaves nothing behind", async () => {
    const started = Date.now();
    const { checks, failed, text } = await verify();
    console.log(`verify (RGW + fake Connect) in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${text}`);
    expect(failed).toEqual([]);
    // The rules verify just accepted are BucketLifecycle's, with its owner token in every ID.
    for (const config of stack.config.buckets) {
      const ids = ((await rulesOnRgw(owner, config.name)) ?? []).map((rule) => rule.ID).sort();
      expect({ bucket: config.name, ids }).toEqual({
        bucket: config.name,
        ids: [expect.stringMatching(/^abort-incomplete-multipart-uploads\.[0-9a-f]+$/), expect.stringMatching(/^expire-noncurrent-versions\.[0-9a-f]+$/)],
      });
    }
    expect(checks.filter((c) => c.check === "lifecycle").map((c) => `${c.subject} ${c.status}`)).toEqual(
      stack.config.buckets.map((b) => `bucket ${b.name} ok`),
    );
    const probes = checks.filter((c) => c.subject.startsWith("app "));
    expect(probes.map((c) => `${c.subject}: ${c.check}`).sort()).toEqual([
      "app nessie on iceberg-warehouse-it: readWrite grant",
      "app nessie on nessie-backup-it: readWrite grant",
      "app spark on iceberg-warehouse-it: readWrite grant",
      "app spark on nessie-backup-it: none grant",
      "app trino on iceberg-warehouse-it: read grant",
      "app trino on nessie-backup-it: none grant",
    ]);
    expect(probes.every((c) => c.note?.startsWith("keys from 1Password item"))).toBe(true);
    expect(checks.filter((c) => c.system === "onepassword" && c.status === "ok").length).toBeGreaterThan(10);
    for (const config of stack.config.buckets) {
      const left = await owner.send(new ListObjectVersionsCommand({ Bucket: config.name, Prefix: ".verify/" }));
      expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
    }
  });

  it("runs as `npm run verify` does: exit 0, one line per check and a summary; --json for machines", async () => {
    const { adminAccessKey, adminSecretKey } = requireCluster();
    const env = {
      ...process.env,
      RGW_ADMIN_ACCESS_KEY: adminAccessKey,
      RGW_ADMIN_SECRET_KEY: adminSecretKey,
      OP_CONNECT_TOKEN: connect?.token ?? "",
      PATH: process.env.PATH ?? "",
    };
    const args = verifyArgs(stack, "registry,kubernetes");
    const text = await promisify(execFile)(process.execPath, args, { cwd: projectRoot, env, timeout: 120_000 });
    expect(text.stdout).toMatch(/^ok {3}rgw {9}bucket iceberg-warehouse-it: versioning \(Enabled\)$/m);
    expect(text.stdout).toMatch(/^verify it: \d+ checks, \d+ ok, 0 failed; skipped: registry, kubernetes$/m);
    const json = await promisify(execFile)(process.execPath, [...args, "--json"], { cwd: projectRoot, env, timeout: 120_000 });
    const report = JSON.parse(json.stdout) as { summary: { failed: number; total: number }; checks: CheckResult[] };
    expect(report.summary.failed).toBe(0);
    expect(report.checks.length).toBe(report.summary.total);
    // Without credentials: every RGW and 1Password check fails, the exit code says so, no secret is asked for.
    const bare = {
      ...process.env,
      RGW_ADMIN_ACCESS_KEY: "",
      RGW_ADMIN_SECRET_KEY: "",
      OP_CONNECT_TOKEN: "",
      PULUMI_BACKEND_URL: `file://${join(stack.dir, "no-backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "",
    };
    const failed = await promisify(execFile)(process.execPath, args, { cwd: projectRoot, env: bare, timeout: 120_000 }).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect("code" in failed ? failed.code : 0).toBe(1);
    expect(failed.stdout).toMatch(/FAIL rgw .*cannot check: no admin keys: set RGW_ADMIN_ACCESS_KEY/);
  }, 120_000);

  it("reads the outputs and the stack's secrets through the Pulumi CLI when neither a file nor the environment gives them", async () => {
    const run = promisify(execFile);
    const { adminAccessKey, adminSecretKey } = requireCluster();
    // A local backend with the passphrase provider, as in README "Real use"; the outputs are the stack's.
    const env = {
      ...process.env,
      // A pulumi already on PATH (.ci/run puts the engine there) first, else the project's launcher.
      PATH: `${process.env.PATH ?? ""}:${join(projectRoot, "node_modules/.bin")}`,
      PULUMI_BACKEND_URL: `file://${join(stack.dir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "verify-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      RGW_ADMIN_ACCESS_KEY: "",
      RGW_ADMIN_SECRET_KEY: "",
      OP_CONNECT_TOKEN: "",
    };
    const pulumi = (args: string[]) => run("pulumi", args, { cwd: stack.dir, env, timeout: 60_000 });
    mkdirSync(join(stack.dir, "backend"));
    await pulumi(["stack", "init", STACK]);
    for (const [key, value] of [
      ["rgwAdminAccessKey", adminAccessKey],
      ["rgwAdminSecretKey", adminSecretKey],
      ["onepasswordToken", connect?.token ?? ""],
    ]) {
      await pulumi(["config", "set", "--secret", "--stack", STACK, key, value]);
    }
    const exported = JSON.parse((await pulumi(["stack", "export", "--stack", STACK])).stdout) as { deployment: { resources?: unknown[] } };
    exported.deployment.resources = [
      {
        urn: `urn:pulumi:${STACK}::data-platform::pulumi:pulumi:Stack::data-platform-${STACK}`,
        custom: false,
        type: "pulumi:pulumi:Stack",
        outputs: stack.outputs,
      },
    ];
    writeFileSync(join(stack.dir, "state.json"), JSON.stringify(exported));
    await pulumi(["stack", "import", "--stack", STACK, "--file", join(stack.dir, "state.json")]);

    const args = verifyArgs(stack, "registry,kubernetes", { outputs: false });
    const result = await run(process.execPath, args, { cwd: projectRoot, env, timeout: 180_000 });
    expect(result.stdout.split("\n").filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(result.stdout).toMatch(/^ok {3}rgw {9}user data-platform-it-nessie: key in 1Password item nessie-s3-credentials/m);
    expect(result.stdout).toMatch(/^verify it: \d+ checks, \d+ ok, 0 failed; skipped: registry, kubernetes$/m);
    expect(result.stdout + result.stderr).not.toContain(adminSecretKey);
  }, 240_000);

  it("probes with the user's key from the admin API when 1Password is skipped, and says so", async () => {
    const { adminAccessKey, adminSecretKey } = requireCluster();
    const report = await runVerify(
      {
        stack: STACK,
        config: stack.config,
        outputs: stack.outputs,
        credentials: { rgwAdminAccessKey: adminAccessKey, rgwAdminSecretKey: adminSecretKey },
        skip: ["onepassword", "registry", "kubernetes"],
        lock,
        dockerfile,
      },
      { rgwAdmin: (connection) => createRgwAdminClient(connection) },
    );
    expect(report.checks.filter((c) => c.status === "fail").map(formatCheck)).toEqual([]);
    const probes = report.checks.filter((c) => c.subject.startsWith("app "));
    expect(probes).toHaveLength(6);
    expect(probes.every((c) => /^key \S+ from the RGW admin API: no 1Password item read for this app$/.test(c.note ?? ""))).toBe(true);
  });

  const withKeys = (credentials: Parameters<typeof runVerify>[0]["credentials"], config = stack.config) =>
    runVerify(
      { stack: STACK, config, outputs: stack.outputs, credentials, skip: ["onepassword", "registry", "kubernetes"], lock, dockerfile },
      { rgwAdmin: (connection) => createRgwAdminClient(connection) },
    );

  it("says what to check when the admin keys are wrong, without printing them", async () => {
    const { endpoint } = requireCluster();
    const report = await withKeys({ rgwAdminAccessKey: "VERIFYWRONGKEY000000", rgwAdminSecretKey: "wrong-secret" });
    const failed = report.checks.filter((c) => c.status === "fail").map(formatCheck);
    const hint = "check RGW_ADMIN_ACCESS_KEY and RGW_ADMIN_SECRET_KEY";
    expect(failed).toEqual([
      ...stack.config.buckets.map(
        (b) =>
          `FAIL rgw         bucket ${b.name}: read: cannot check: RGW at ${endpoint} answered InvalidAccessKeyId (HTTP 403) — ${hint} (the keys of the user that owns the buckets)`,
      ),
      ...APPS.map(
        (app) =>
          `FAIL rgw         user data-platform-it-${app}: read: cannot check: the RGW admin API at ${endpoint} answered InvalidAccessKeyId (HTTP 403) — ${hint}`,
      ),
    ]);
    expect(failed.join("\n")).not.toContain("wrong-secret");
  });

  // Regressions: "AccessDenied" where RGW said SignatureDoesNotMatch (a HEAD answer has no body); hints
  // naming RGW_ADMIN_* for keys that came from config; "cannot reach ECONNREFUSED" without the endpoint.
  it("reports RGW's own code, the config keys the credentials came from, and the endpoint it cannot reach", async () => {
    const { adminAccessKey } = requireCluster();
    const fromConfig = { rgwAdminAccessKey: "config rgwAdminAccessKey", rgwAdminSecretKey: "config rgwAdminSecretKey" };
    const report = await withKeys({ rgwAdminAccessKey: adminAccessKey, rgwAdminSecretKey: "wrong-secret-of-the-right-key0000000000", sources: fromConfig });
    const failed = report.checks.filter((c) => c.status === "fail").map(formatCheck);
    expect(failed).toHaveLength(stack.config.buckets.length + APPS.length);
    expect(
      failed.every((line) => line.includes("answered SignatureDoesNotMatch (HTTP 403) — check config rgwAdminAccessKey and config rgwAdminSecretKey")),
    ).toBe(true);
    expect(failed.some((line) => line.includes("AccessDenied"))).toBe(false);

    // A port nobody listens on (port 1 would not do: fetch refuses it as a "bad port" before connecting).
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, "127.0.0.1", resolve));
    const closed = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const unreachable = await withKeys(
      { rgwAdminAccessKey: adminAccessKey, rgwAdminSecretKey: "x", sources: fromConfig },
      { ...stack.config, rgw: { ...stack.config.rgw, endpoint: closed } },
    );
    const lines = unreachable.checks.filter((c) => c.status === "fail").map(formatCheck);
    expect(lines[0]).toContain(`cannot reach RGW at ${closed}: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`);
    expect(lines.at(-1)).toContain(`cannot reach the RGW admin API at ${closed}: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`);
  });

  // Regression: the bucket owner (the stack's admin) got AccessDenied on every object an app wrote, so
  // restoring a table or a backup needed radosgw-admin. The policy's OwnerRecovery statement fixes it.
  it("the owner reads every object and version an app writes (PUT, multipart, copy) and restores an old one", async () => {
    const spark = s3Client(requireCluster(), users.spark.accessKey, users.spark.secretKey);
    const trino = s3Client(requireCluster(), users.trino.accessKey, users.trino.secretKey);
    const Bucket = "iceberg-warehouse-it";
    const key = (name: string) => `recovery/${name}`;
    try {
      await spark.send(new PutObjectCommand({ Bucket, Key: key("table.json"), Body: "v1" }));
      await spark.send(new PutObjectCommand({ Bucket, Key: key("table.json"), Body: "v2" }));
      const upload = await spark.send(new CreateMultipartUploadCommand({ Bucket, Key: key("data.parquet") }));
      const part = await spark.send(new UploadPartCommand({ Bucket, Key: key("data.parquet"), UploadId: upload.UploadId, PartNumber: 1, Body: "multipart" }));
      await spark.send(
        new CompleteMultipartUploadCommand({
          Bucket,
          Key: key("data.parquet"),
          UploadId: upload.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      );
      await spark.send(new CopyObjectCommand({ Bucket, Key: key("copy.json"), CopySource: `${Bucket}/${key("table.json")}` }));
      await spark.send(new DeleteObjectCommand({ Bucket, Key: key("copy.json") }));

      const listed = await owner.send(new ListObjectVersionsCommand({ Bucket, Prefix: "recovery/" }));
      const versions = listed.Versions ?? [];
      expect(versions.map((v) => v.Key).sort()).toEqual([key("copy.json"), key("data.parquet"), key("table.json"), key("table.json")]);
      const read = async (client: S3Client, Key: string, VersionId?: string) =>
        (await client.send(new GetObjectCommand({ Bucket, Key, VersionId }))).Body?.transformToString();
      const contents = await Promise.all(
        versions.map(async (v) => `${v.Key}@${v.IsLatest ? "current" : "old"}=${await read(owner, v.Key ?? "", v.VersionId)}`),
      );
      expect(contents.sort()).toEqual([
        `${key("copy.json")}@old=v2`,
        `${key("data.parquet")}@current=multipart`,
        `${key("table.json")}@current=v2`,
        `${key("table.json")}@old=v1`,
      ]);

      // Restore: the old version copied over the current one, by the owner.
      const old = versions.find((v) => v.Key === key("table.json") && !v.IsLatest);
      await owner.send(new CopyObjectCommand({ Bucket, Key: key("table.json"), CopySource: `${Bucket}/${key("table.json")}?versionId=${old?.VersionId}` }));
      expect(await read(owner, key("table.json"))).toBe("v1");
      expect(await read(spark, key("table.json"))).toBe("v1");

      // What app keys can do with old versions (docs/operations.md): nothing. The policy's NoOldVersions
      // Deny wins over the writer's own object ACL; no app lists versions.
      await expect(read(spark, key("table.json"), old?.VersionId)).rejects.toMatchObject({ name: "AccessDenied" });
      await expect(read(trino, key("table.json"), old?.VersionId)).rejects.toMatchObject({ name: "AccessDenied" });
      await expect(spark.send(new ListObjectVersionsCommand({ Bucket, Prefix: "recovery/" }))).rejects.toMatchObject({ name: "AccessDenied" });
    } finally {
      const left = await owner.send(new ListObjectVersionsCommand({ Bucket, Prefix: "recovery/" }));
      for (const v of [...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])])
        await owner.send(new DeleteObjectCommand({ Bucket, Key: v.Key, VersionId: v.VersionId }));
      spark.destroy();
      trino.destroy();
    }
  });

  // Regression: verify never read bucket ACLs; a warehouse made public-read by hand passed.
  it("names a bucket made public-read by hand (PutBucketAcl)", async () => {
    await owner.send(new PutBucketAclCommand({ Bucket: "iceberg-warehouse-it", ACL: "public-read" }));
    try {
      const { failed } = await verify();
      expect(failed).toEqual([
        `FAIL rgw         bucket iceberg-warehouse-it: acl: expected only the owner ${RGW_ADMIN_UID} (apps get access through the bucket policy); AllUsers (public): READ`,
      ]);
    } finally {
      await owner.send(new PutBucketAclCommand({ Bucket: "iceberg-warehouse-it", ACL: "private" }));
    }
    expect((await verify()).failed).toEqual([]);
  });

  it("names suspended versioning", async () => {
    await owner.send(new PutBucketVersioningCommand({ Bucket: "nessie-backup-it", VersioningConfiguration: { Status: "Suspended" } }));
    const { failed } = await verify();
    expect(failed).toEqual([expect.stringMatching(/^FAIL rgw {9}bucket nessie-backup-it: versioning: expected Enabled, found Suspended$/)]);
    await applyBucket("nessie-backup");
    expect((await verify()).failed).toEqual([]);
  });

  it("names an edited lifecycle rule and the field that changed", async () => {
    const rules = bucketLifecycleRules({ noncurrentVersionDays: 5, abortIncompleteMultipartDays: bucket("warehouse").abortIncompleteMultipartDays });
    await owner.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "iceberg-warehouse-it", LifecycleConfiguration: toS3LifecycleConfiguration(rules) }));
    const { failed } = await verify();
    expect(failed).toEqual([
      expect.stringContaining(
        "bucket iceberg-warehouse-it: lifecycle: expected 2 rules (expire-noncurrent-versions, abort-incomplete-multipart-uploads); rule.expire-noncurrent-versions.noncurrentDays: expected 30, found 5",
      ),
    ]);
    await applyBucket("warehouse");
    expect((await verify()).failed).toEqual([]);
  });

  it("names a grant widened in a bucket policy, and the probe shows the access it opened", async () => {
    const widened = bucketPolicyDocument(
      "nessie-backup-it",
      [...bucketGrants(bucket("nessie-backup"), STACK), { uid: rgwUserId(STACK, "trino"), access: "read" }],
      RGW_ADMIN_UID,
    );
    await owner.send(new PutBucketPolicyCommand({ Bucket: "nessie-backup-it", Policy: JSON.stringify(widened) }));
    const { failed } = await verify();
    expect(failed).toEqual([
      expect.stringMatching(
        /^FAIL rgw {9}bucket nessie-backup-it: policy: expected 4 statements; policy\.Statement\.NoOldVersions\.Principal\.AWS: unexpected .*; policy\.Statement\.ReadBucket: unexpected .*; policy\.Statement\.ReadObjects: unexpected .*"arn:aws:iam:::user\/data-platform-it-trino"/,
      ),
      expect.stringMatching(
        /^FAIL rgw {9}app trino on nessie-backup-it: none grant: expected get-seed, list refused; get-seed: expected refused, found allowed; list: expected refused, found allowed/,
      ),
    ]);
    await applyBucket("nessie-backup");
    await owner.send(
      new PutBucketPolicyCommand({
        Bucket: "nessie-backup-it",
        Policy: JSON.stringify(bucketPolicyDocument("nessie-backup-it", bucketGrants(bucket("nessie-backup"), STACK), RGW_ADMIN_UID)),
      }),
    );
    expect((await verify()).failed).toEqual([]);
  });

  it("accepts two keys right after a rotation (the replaced key stays valid), one key otherwise", async () => {
    const rotated = { ...stack.config, apps: stack.config.apps.map((a) => (a.name === "spark" ? { ...a, keyRotation: "2026-12" } : a)) };
    const olds = users.spark;
    const updated = await rgwUserProvider.update?.(olds.uid, olds, {
      endpoint: olds.endpoint,
      region: olds.region,
      adminAccessKey: olds.adminAccessKey,
      adminSecretKey: olds.adminSecretKey,
      uid: olds.uid,
      displayName: olds.displayName,
      keyRotation: "2026-12",
      purgeDataOnDelete: olds.purgeDataOnDelete,
    });
    const outs = updated?.outs as RgwUserState;
    expect(outs.previousAccessKey).toBe(olds.accessKey);
    // The stack writes the new key into the app's item; External Secrets hands it on.
    const item = connect?.items.find((i) => i.title === "spark-s3-credentials");
    for (const field of item?.fields ?? []) {
      if (field.label === "username") field.value = outs.accessKey;
      if (field.label === "password") field.value = outs.secretKey;
    }
    const after = await verify(rotated);
    expect(after.failed).toEqual([]);
    expect(after.text).toContain("ok   rgw         user data-platform-it-spark: keys (2 keys)");
    // Both keys are probed (regression: only the first was): the replaced one is held to the same grant.
    const sparkProbes = after.checks.filter((c) => c.subject.startsWith("app spark on "));
    expect(
      sparkProbes
        .filter((c) => c.note?.includes("another key of the user"))
        .map((c) => c.subject)
        .sort(),
    ).toEqual(["app spark on iceberg-warehouse-it", "app spark on nessie-backup-it"]);
    expect(sparkProbes.every((c) => c.status === "ok")).toBe(true);
    // The same two keys without a rotation in config: one is not the stack's.
    expect((await verify()).failed).toEqual([expect.stringMatching(/^FAIL rgw {9}user data-platform-it-spark: keys: expected 1 key\(s\), found 2 \(/)]);
    // From here on the stack's config is the rotated one.
    stack = { ...stack, config: rotated };
  });

  it("names a deleted key: the user has none, the 1Password item holds a dead key, the app's probes fail", async () => {
    const admin = createRgwAdminClient({
      endpoint: requireCluster().endpoint,
      region: "us-east-1",
      accessKey: requireCluster().adminAccessKey,
      secretKey: requireCluster().adminSecretKey,
    });
    await admin.removeKey(users.nessie.accessKey);
    const { failed } = await verify();
    expect(failed).toEqual([
      "FAIL rgw         user data-platform-it-nessie: keys: expected 1 key(s), found 0",
      expect.stringMatching(
        /^FAIL rgw {9}user data-platform-it-nessie: key in 1Password item nessie-s3-credentials: expected one of the user's keys, found access key \S+, which the user does not have$/,
      ),
      expect.stringMatching(/^FAIL rgw {9}app nessie on iceberg-warehouse-it: readWrite grant: .*put: expected allowed, found error InvalidAccessKeyId/),
      expect.stringMatching(/^FAIL rgw {9}app nessie on nessie-backup-it: readWrite grant: .*put: expected allowed, found error InvalidAccessKeyId/),
    ]);
  });

  // Regression: a radosgw that accepts connections and never answers kept `npm run verify` waiting for ever.
  it("ends with exit 1 naming RGW when radosgw is frozen (SIGSTOP)", async () => {
    const { dir, adminAccessKey, adminSecretKey, endpoint } = requireCluster();
    const pid = Number(readFileSync(join(dir, "run", "client.rgw.a.pid"), "utf8").trim());
    const env = { ...process.env, RGW_ADMIN_ACCESS_KEY: adminAccessKey, RGW_ADMIN_SECRET_KEY: adminSecretKey, OP_CONNECT_TOKEN: connect?.token ?? "" };
    const args = verifyArgs(stack, "registry,kubernetes");
    process.kill(pid, "SIGSTOP");
    try {
      const started = Date.now();
      const result = await promisify(execFile)(process.execPath, args, { cwd: projectRoot, env, timeout: 110_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
      console.log(`verify against a frozen radosgw: exit ${result.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(result.code).toBe(1);
      const rgwLines = result.stdout.split("\n").filter((l) => / rgw {9}/.test(l));
      expect(rgwLines.length).toBeGreaterThan(0);
      expect(rgwLines.every((l) => l.startsWith("FAIL") && l.includes(`no answer from RGW at ${endpoint} within 10 s`))).toBe(true);
    } finally {
      process.kill(pid, "SIGCONT");
    }
  }, 120_000);
});
