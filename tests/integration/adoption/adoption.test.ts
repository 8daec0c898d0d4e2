/**
 * Taking over a hand-built platform on a real Ceph RGW with the real engine (docs/adoption.md):
 *
 * 1. As a person would: a user `iceberg` made with radosgw-admin (its key is what the running apps use), a
 *    bucket `iceberg-test` made with the owner's keys (the stack's S3 identity, the default ownership route),
 *    versioned, with objects in several versions, a hand-made lifecycle rule and a hand-made policy; a uid at
 *    the stack's name made by hand with no adopt entry, and a bucket another user owns (the REFUSE cases).
 * 2. `npm run adopt -- plan` (the CLI, as a person runs it) against that RGW plus loopback stand-ins of
 *    1Password Connect and the Kubernetes API: its lines, exit code 1, and nothing written anywhere.
 * 3. `up` of the project's components the engine can run here: RgwUser (adopt) and BucketLifecycle (merge).
 *    The bridged bucket resources (aws.s3.Bucket, BucketVersioning, BucketPolicy) cannot run (no aws
 *    plugin): what they would do is applied with the S3 API and the stack's keys (the stack's policy
 *    document; versioning is already Enabled), and their import is not exercised here.
 * 4. The old key still works and no key was added, every object version is unchanged (ETags), the
 *    hand-made rule stands beside the stack's, `preview --expect-no-changes` passes, verify's RGW checks pass.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { configFromStackFile, readStackConfig } from "../../../config/stackFiles";
import type { PlatformConfig } from "../../../config";
import { bucketLifecycleRules } from "../../../components/objectStorage/policies";
import { BucketLifecycle } from "../../../providers/bucketLifecycle";
import { RgwUser } from "../../../providers/rgwUser";
import { expectedPolicy, expectedRgw } from "../../../verify/expected";
import { formatCheck } from "../../../verify/report";
import { verifyRgw } from "../../../verify/rgw";
import { fullItem, startFakeConnect, type FakeConnect } from "../../lib/fakes/connect";
import { kubeconfigFor, startFakeKubernetes, type Recorded } from "../../adopt/lib/readOnlyFakes";
import { createEngineStack, projectRoot, type EngineStack } from "../engine/engineHarness";
import { RGW_ADMIN_UID, adminClient, radosgwAdmin, rulesOnRgw, s3Client, useRgwCluster, type RgwCluster } from "../rgw/cephRgwCluster";

jest.setTimeout(600_000);

const requireCluster = useRgwCluster();
const BUCKET = "iceberg-test";
const FOREIGN_BUCKET = "iceberg-backup";
const HAND_MADE_RULE = "hand-made-expire-tmp";

interface Key {
  accessKey: string;
  secretKey: string;
}
interface Version {
  Key?: string;
  VersionId?: string;
  ETag?: string;
}

let cluster: RgwCluster;
let admin: S3Client;
let appKey: Key;
let versionsBefore: Version[];
let dir: string;
let connect: FakeConnect;
let kube: Recorded;
let config: PlatformConfig;
let engine: EngineStack | undefined;

async function versions(client: S3Client): Promise<Version[]> {
  const listed = await client.send(new ListObjectVersionsCommand({ Bucket: BUCKET }));
  return (listed.Versions ?? [])
    .map(({ Key, VersionId, ETag }) => ({ Key, VersionId, ETag }))
    .sort((a, b) => `${a.Key}${a.VersionId}`.localeCompare(`${b.Key}${b.VersionId}`));
}

async function userKeys(uid: string): Promise<string[]> {
  return ((await adminClient(cluster).getUser(uid))?.keys ?? []).map((k) => k.accessKey).sort();
}

/** Everything the plan could have changed on RGW, read with the admin's keys. */
async function rgwSnapshot(): Promise<string> {
  return JSON.stringify({
    iceberg: await userKeys("iceberg"),
    spark: await userKeys("data-platform-e2e-spark"),
    nessie: await userKeys("data-platform-e2e-nessie"),
    versions: await versions(admin),
    rules: await rulesOnRgw(admin, BUCKET),
  });
}

beforeAll(async () => {
  cluster = requireCluster();
  admin = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);

  // --- The platform as a person built it. ---
  const made = JSON.parse(await radosgwAdmin(cluster, ["user", "create", "--uid=iceberg", "--display-name=hand made shared user"])) as {
    keys: { access_key: string; secret_key: string }[];
  };
  appKey = { accessKey: made.keys[0].access_key, secretKey: made.keys[0].secret_key };
  await radosgwAdmin(cluster, ["user", "create", "--uid=data-platform-e2e-spark", "--display-name=made by hand"]);

  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
  for (const [key, body] of [
    ["warehouse/db/table/metadata/v1.metadata.json", '{"format-version":2,"v":1}'],
    ["warehouse/db/table/metadata/v1.metadata.json", '{"format-version":2,"v":2}'],
    ["warehouse/db/table/data/00000-0.parquet", "PAR1 rows 1-100"],
    ["warehouse/db/table/data/00000-0.parquet", "PAR1 rows 1-200"],
    ["warehouse/db/table/data/00000-0.parquet", "PAR1 rows 1-300"],
    ["tmp/scratch.txt", "scratch"],
  ]) {
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
  await admin.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: BUCKET,
      LifecycleConfiguration: { Rules: [{ ID: HAND_MADE_RULE, Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 1 } }] },
    }),
  );
  const handMadePolicy = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "HandMade",
        Effect: "Allow",
        Principal: { AWS: ["arn:aws:iam:::user/iceberg"] },
        Action: ["s3:*"],
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
      },
    ],
  };
  await admin.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(handMadePolicy) }));
  // `aws s3 mb` with the app's keys: that bucket belongs to iceberg, not to the stack's identity.
  const appClient = s3Client(cluster, appKey.accessKey, appKey.secretKey);
  await appClient.send(new CreateBucketCommand({ Bucket: FOREIGN_BUCKET }));
  appClient.destroy();
  versionsBefore = await versions(admin);
  expect(versionsBefore).toHaveLength(6);

  // --- The stack file: the apps, the buckets under the stack's keys, the adopt entries known so far. ---
  dir = mkdtempSync(join(tmpdir(), "adoption-e2e-"));
  cpSync(join(projectRoot, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  connect = await startFakeConnect("data-platform-e2e", (vault) => [
    fullItem(vault, {
      title: "nessie-postgres",
      category: "DATABASE",
      builtin: { username: "nessie", password: "hand-typed-pw", hostname: "nessie-postgres-rw.data-platform.svc", port: "5432", database: "nessie" },
    }),
  ]);
  kube = await startFakeKubernetes([]);
  writeFileSync(join(dir, "kubeconfig"), kubeconfigFor(kube.url));
  const stackConfig = {
    "data-platform:environment": "e2e",
    "data-platform:kubeContext": "fake",
    "data-platform:rgwEndpoint": cluster.endpoint,
    "data-platform:onepasswordVault": "data-platform-e2e",
    "data-platform:onepasswordConnectUrl": connect.url,
    "data-platform:imageRegistry": "registry.example.com",
    "data-platform:fluxGitUrl": "ssh://git@github.com/example/gitops.git",
    "data-platform:fluxKnownHosts": "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
    "data-platform:s3Apps": ["nessie", "spark"],
    "data-platform:buckets": [
      { key: "warehouse", name: BUCKET, readWrite: ["nessie", "spark"], read: [] },
      { key: "nessie-backup", name: FOREIGN_BUCKET, readWrite: ["nessie"] },
    ],
    "data-platform:adopt": { buckets: { warehouse: { name: BUCKET, policy: true } }, users: { nessie: { uid: "iceberg", accessKey: appKey.accessKey } } },
  };
  writeFileSync(join(dir, "Pulumi.e2e.yaml"), stringify({ config: stackConfig }));
  const parsed = configFromStackFile(readStackConfig(dir, "e2e"));
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  config = parsed.config;
});

afterAll(async () => {
  await engine?.cleanup();
  admin?.destroy();
  await connect?.close();
  await kube?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the plan: its lines on the hand-built platform, the REFUSE cases, exit 1, and nothing written anywhere", async () => {
  const before = await rgwSnapshot();
  const result = await promisify(execFile)(
    process.execPath,
    [join(projectRoot, "node_modules/tsx/dist/cli.mjs"), join(projectRoot, "scripts/adopt.ts"), "plan", "--stack", "e2e", "--stacks-from", dir],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        RGW_ADMIN_ACCESS_KEY: cluster.adminAccessKey,
        RGW_ADMIN_SECRET_KEY: cluster.adminSecretKey,
        OP_CONNECT_HOST: connect.url,
        OP_CONNECT_TOKEN: connect.token,
        KUBECONFIG: join(dir, "kubeconfig"),
      },
    },
  ).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, stdout: `${error.stdout ?? ""}${error.stderr ?? ""}` }),
  );
  const lines = result.stdout.split("\n");
  expect({ code: result.code, output: result.stdout }).toEqual({ code: 1, output: expect.any(String) });
  expect(lines[0]).toBe("adopt plan for stack e2e: read-only (GET and HEAD requests only), nothing was written anywhere");
  expect(lines).toContainEqual(
    expect.stringMatching(/^ADOPT {2}bucket warehouse: iceberg-test: owner admin, 6 objects \(\d+ B\), import id iceberg-test; nothing in it is changed$/),
  );
  expect(lines).toContain(
    `CHANGE bucket warehouse: lifecycle + expire-noncurrent-versions 30d; + abort-incomplete-multipart-uploads 7d; hand-made rules kept: ${HAND_MADE_RULE}`,
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^CHANGE bucket warehouse: policy replaced by the stack's \(\d statements\): .* any grant made by hand is dropped$/),
  );
  expect(lines.some((l) => /^CHANGE bucket warehouse: versioning/.test(l))).toBe(false);
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^REFUSE bucket nessie-backup: iceberg-backup is owned by RGW user iceberg, not by the stack's S3 identity \(admin\): .*403.* — fix: make the owner's keys the stack's/,
    ),
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^ADOPT {2}rgw user nessie: uid iceberg, keeps key \S+ as its current key \(1 key\); no key created or removed$/),
  );
  expect(lines).toContainEqual(
    expect.stringMatching(/^REFUSE rgw user spark: RGW user data-platform-e2e-spark exists \(made by hand\) and adopt.users has no entry for spark/),
  );
  expect(lines).toContainEqual(expect.stringMatching(/^ADOPT {2}item nessie-postgres: database, import id vaults\/\w+\/items\/\w+, keeps password$/));
  expect(lines).toContain("CREATE kubernetes Namespace/external-secrets: (does not exist)");
  expect(result.stdout).toMatch(/data-platform:adopt:\n\s+buckets:\n\s+warehouse:\n\s+name: iceberg-test\n\s+policy: true\n\s+lifecycle: merge/);

  // Read-only: RGW as before, the stand-ins saw only GETs (the Kubernetes client did discovery and reads).
  expect(await rgwSnapshot()).toBe(before);
  expect(kube.requests.length).toBeGreaterThan(5);
  expect(kube.writes()).toEqual([]);
  expect(connect.requests.filter((r) => !r.startsWith("GET "))).toEqual([]);
});

test("up takes the user and the lifecycle over: old key works, no key added, every version unchanged, hand-made rule kept, no changes after, verify passes", async () => {
  // What the bridged resources would do (their plugin cannot run here): versioning is already Enabled;
  // the imported policy is updated to the stack's document. Applied with the stack's keys.
  const expected = expectedRgw(config);
  const warehouse = expected.buckets.find((b) => b.key === "warehouse");
  const policy = warehouse && expectedPolicy(warehouse, RGW_ADMIN_UID);
  if (!policy) throw new Error("the warehouse has grants, so a policy");
  await admin.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));

  const connection = { endpoint: cluster.endpoint, accessKey: cluster.adminAccessKey, secretKey: pulumi.secret(cluster.adminSecretKey) };
  engine = await createEngineStack({
    program: async () => {
      const user = new RgwUser(
        "storage-user-nessie",
        { connection, uid: "iceberg", displayName: "data-platform e2e nessie", keyRotation: "1", adopt: { accessKey: appKey.accessKey, readSecret: false } },
        { protect: true },
      );
      new BucketLifecycle(
        "storage-warehouse-lifecycle",
        { connection, bucket: BUCKET, rules: bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 }) },
        { protect: true },
      );
      return { accessKey: user.accessKey };
    },
  });
  const up = await engine.up();
  expect(up.summary.result).toBe("succeeded");
  expect(up.outputs.accessKey.value).toBe(appKey.accessKey);

  // The app's old key: still the user's only key, and it still reads the data.
  expect(await userKeys("iceberg")).toEqual([appKey.accessKey]);
  const app = s3Client(cluster, appKey.accessKey, appKey.secretKey);
  try {
    const body = await (await app.send(new GetObjectCommand({ Bucket: BUCKET, Key: "warehouse/db/table/data/00000-0.parquet" }))).Body?.transformToString();
    expect(body).toBe("PAR1 rows 1-300");
  } finally {
    app.destroy();
  }
  // Every object version, unchanged.
  expect(await versions(admin)).toEqual(versionsBefore);
  // The hand-made rule beside the stack's own (ID <id>.<token>).
  const rules = ((await rulesOnRgw(admin, BUCKET)) ?? []).map((r) => r.ID ?? "").sort();
  expect(rules).toEqual([
    expect.stringMatching(/^abort-incomplete-multipart-uploads\.[0-9a-f]+$/),
    expect.stringMatching(/^expire-noncurrent-versions\.[0-9a-f]+$/),
    HAND_MADE_RULE,
  ]);

  const preview = await engine.preview({ expectNoChanges: true });
  expect(preview.changeSummary).toEqual({ same: 3 });

  // verify's RGW checks, for what the stack now holds (the spark user and the foreign bucket were refused).
  const held = {
    ...expected,
    buckets: expected.buckets.filter((b) => b.name === BUCKET),
    users: expected.users.filter((u) => u.app === "nessie"),
    access: expected.access.filter((a) => a.app === "nessie" && a.bucket === BUCKET),
  };
  const checks = await verifyRgw({
    expected: held,
    admin: adminClient(cluster),
    owner: { accessKey: cluster.adminAccessKey, secretKey: cluster.adminSecretKey },
    itemKeys: { nessie: { title: "nessie-s3-credentials", keys: appKey } },
    runId: "adoption-e2e",
    probes: true,
  });
  expect(checks.filter((c) => c.status !== "ok").map(formatCheck)).toEqual([]);
  expect(checks.length).toBeGreaterThanOrEqual(8);
  // verify's probes cleaned up after themselves: the data is still exactly as before.
  expect(await versions(admin)).toEqual(versionsBefore);
});
