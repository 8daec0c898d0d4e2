/**
 * Issue 19, "remove or rename a bucket entry, then `up` without a preview step (as the deploy workflow runs
 * it)": the real engine (Automation API `up`, which has no preview step) on a real Ceph RGW, for a bucket
 * entry removed, a bucket entry renamed, and an app removed.
 *
 * What is real: the engine and its ordering (creates/updates first, deletes last), the config parser and
 * the removal guard (the program's own `removalGuard`), RgwUser and BucketLifecycle on RGW, bucket policies
 * on RGW (PutBucketPolicy/DeleteBucketPolicy through a small dynamic resource, standing in for
 * aws.s3.BucketPolicy with the same document, protection and dependencies as ObjectStorage gives it), and
 * the apps' S3 calls with their own keys. What is not: the aws, 1Password and Kubernetes plugins cannot run
 * here, so the bucket (made by the test) and the 1Password items are stand-ins without effect, protected as
 * the components protect them; the Flux ConfigMap is not part of the program.
 */
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { type RawConfig, parsePlatformConfig } from "../../../config";
import type { StackModel } from "../../../config/parse";
import { bucketGrants, bucketLifecycleRules, bucketPolicyDocument, rgwUserId } from "../../../components/objectStorage/policies";
import { removalGuard } from "../../../platform/removals";
import { BucketLifecycle } from "../../../providers/bucketLifecycle";
import { RgwUser } from "../../../providers/rgwUser";
import { RGW_ADMIN_UID, s3Client, useRgwCluster } from "../rgw/cephRgwCluster";
import { createEngineStack, type EngineStack } from "./engineHarness";

const requireCluster = useRgwCluster();
let adminS3: S3Client;
const stacks: EngineStack[] = [];

beforeAll(() => {
  const cluster = requireCluster();
  adminS3 = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);
});

afterAll(async () => {
  for (const stack of stacks) await stack.cleanup();
  adminS3?.destroy();
});

/** Stands in for aws.s3.Bucket: its id is the bucket's name; the test made the bucket. */
const bucketStandIn: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { name: string }) {
    return { id: inputs.name, outs: inputs };
  },
};

/** Stands in for onepassword.Item: nothing to write here, protected as Credentials protects it. */
const itemStandIn: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { title: string }) {
    return { id: inputs.title, outs: inputs };
  },
};

interface PolicyInputs {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  policy: string;
}

/** Stands in for aws.s3.BucketPolicy, for real: puts and deletes the document on RGW with the admin's keys. */
const policyOnRgw: pulumi.dynamic.ResourceProvider = {
  async create(inputs: PolicyInputs) {
    await policyOnRgw.update?.(inputs.bucket, inputs, inputs);
    return { id: inputs.bucket, outs: inputs };
  },
  async update(_id: string, _olds: PolicyInputs, news: PolicyInputs) {
    const client = new S3Client({
      endpoint: news.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: news.accessKey, secretAccessKey: news.secretKey },
    });
    await client.send(new PutBucketPolicyCommand({ Bucket: news.bucket, Policy: news.policy }));
    client.destroy();
    return { outs: news };
  },
  async delete(_id: string, olds: PolicyInputs) {
    const client = new S3Client({
      endpoint: olds.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: olds.accessKey, secretAccessKey: olds.secretKey },
    });
    await client.send(new DeleteBucketPolicyCommand({ Bucket: olds.bucket }));
    client.destroy();
  },
};

const MINIMAL: Record<string, string> = {
  onepasswordConnectUrl: "https://op-connect.example.com",
  rgwEndpoint: "http://rgw.example.com:7480",
  imageRegistry: "registry.example.com",
  fluxGitUrl: "ssh://git@github.com/example/platform.git",
  fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
};

/** The stack's config as the program parses it (lists merged with the defaults). */
function stackConfig(environment: string, overrides: Record<string, unknown>): StackModel {
  const raw: Record<string, string> = { ...MINIMAL, environment };
  for (const [key, value] of Object.entries(overrides)) raw[key] = JSON.stringify(value);
  const result = parsePlatformConfig(raw as RawConfig, { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

/** Two buckets both apps use, the defaults removed (fewer resources, same shape). */
const twoBuckets = (env: string, scratch: Record<string, unknown> = { key: "scratch", name: `scratch-${env}`, readWrite: ["spark"], read: ["trino"] }) => ({
  s3Apps: ["spark", "trino"],
  buckets: [
    { key: "warehouse", remove: true },
    { key: "nessie-backup", remove: true },
    { key: "lake", name: `lake-${env}`, readWrite: ["spark"], read: ["trino"] },
    scratch,
  ],
  credentials: [{ title: "nessie-postgres", remove: true }],
});

interface State {
  environment: string;
  overrides: Record<string, unknown>;
  /** "guarded": the program as it is now; "old": no guard, the policy unprotected (before issue 19). */
  shape: "guarded" | "old";
}

/** ObjectStorage's and Credentials' resources, as far as the engine can run them, in the program's order. */
function program(state: State): PulumiFn {
  return async () => {
    const cluster = requireCluster();
    const config = stackConfig(state.environment, state.overrides);
    if (state.shape === "guarded" && process.env.DAY2_NO_GUARD === undefined) await removalGuard(config);
    const admin = { endpoint: cluster.endpoint, accessKey: cluster.adminAccessKey, secretKey: pulumi.secret(cluster.adminSecretKey) };
    const keys: Record<string, { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> }> = {};
    const users = config.apps.map((app) => {
      const user = new RgwUser(
        `storage-user-${app.name}`,
        {
          connection: admin,
          uid: rgwUserId(config.environment, app.name),
          displayName: `data-platform ${config.environment} ${app.name}`,
          keyRotation: app.keyRotation,
        },
        { protect: true },
      );
      keys[app.name] = { accessKey: user.accessKey, secretKey: user.secretKey };
      return user;
    });
    for (const bucket of config.buckets) {
      const base = `storage-${bucket.key}`;
      const aliases = (suffix: string) => (bucket.previousKeys ?? []).map((old) => ({ name: `storage-${old}${suffix}` }));
      const made = new (class extends pulumi.dynamic.Resource {})(
        bucketStandIn,
        base,
        { name: bucket.name },
        { protect: true, retainOnDelete: true, aliases: aliases("") },
      );
      new BucketLifecycle(
        `${base}-lifecycle`,
        {
          connection: admin,
          bucket: made.id,
          rules: bucketLifecycleRules({
            noncurrentVersionDays: bucket.noncurrentVersionDays,
            abortIncompleteMultipartDays: bucket.abortIncompleteMultipartDays,
          }),
        },
        { protect: true, aliases: aliases("-lifecycle") },
      );
      const document = bucketPolicyDocument(bucket.name, bucketGrants(bucket, config.environment), RGW_ADMIN_UID);
      if (document !== undefined) {
        new (class extends pulumi.dynamic.Resource {})(
          policyOnRgw,
          `${base}-policy`,
          { ...admin, bucket: made.id, policy: JSON.stringify(document) },
          { protect: state.shape === "guarded", dependsOn: users, aliases: aliases("-policy") },
        );
      }
    }
    for (const credential of config.credentials) {
      const aliases = (credential.previousTitles ?? []).map((old) => ({ name: `credentials-${old}` }));
      new (class extends pulumi.dynamic.Resource {})(
        itemStandIn,
        `credentials-${credential.title}`,
        { title: credential.title },
        { protect: true, retainOnDelete: true, aliases },
      );
    }
    return { keys: pulumi.secret(keys) };
  };
}

type Keys = Record<string, { accessKey: string; secretKey: string }>;

/** Makes the buckets, runs the first `up`, and has each app write (spark) and read (both) an object. */
async function deployed(state: State, bucketNames: string[]): Promise<{ stack: EngineStack; keys: Keys }> {
  for (const bucket of bucketNames) await adminS3.send(new CreateBucketCommand({ Bucket: bucket }));
  const stack = await createEngineStack({ program: program(state) });
  stacks.push(stack);
  const result = await stack.up();
  const keys = result.outputs.keys.value as Keys;
  for (const bucket of bucketNames) {
    await appS3(keys.spark).send(new PutObjectCommand({ Bucket: bucket, Key: "table/data.parquet", Body: "rows" }));
    expect(await appReads(keys.trino, bucket)).toBe("read");
  }
  return { stack, keys };
}

const appS3 = (key: { accessKey: string; secretKey: string }) => s3Client(requireCluster(), key.accessKey, key.secretKey);

/** Whether an app can still read the object it depends on: "read", or the S3 error's name. */
async function appReads(key: { accessKey: string; secretKey: string }, bucket: string): Promise<string> {
  const client = appS3(key);
  try {
    await client.send(new GetObjectCommand({ Bucket: bucket, Key: "table/data.parquet" }));
    return "read";
  } catch (error) {
    return (error as { name?: string }).name ?? String(error);
  } finally {
    client.destroy();
  }
}

const policyOn = async (bucket: string): Promise<string | undefined> =>
  adminS3.send(new GetBucketPolicyCommand({ Bucket: bucket })).then(
    (answer) => answer.Policy,
    (error: { name?: string }) => (error.name === "NoSuchBucketPolicy" ? undefined : Promise.reject(error)),
  );

const upError = (stack: EngineStack) =>
  stack.up().then(
    () => "",
    (error: unknown) => String(error),
  );

it("a bucket entry removed: up stops at the guard, before the policy or anything else changes", async () => {
  const env = "rm";
  const state: State = { environment: env, overrides: twoBuckets(env), shape: "guarded" };
  const { stack, keys } = await deployed(state, [`lake-${env}`, `scratch-${env}`]);
  const policy = await policyOn(`scratch-${env}`);

  state.overrides = { ...twoBuckets(env), buckets: twoBuckets(env).buckets.slice(0, 3) };
  const error = await upError(stack);
  expect(error).toContain("bucket entry scratch is gone from data-platform:buckets");
  expect(error).toContain("{key: scratch, remove: true}");
  expect(await policyOn(`scratch-${env}`)).toBe(policy);
  expect(await appReads(keys.spark, `scratch-${env}`)).toBe("read");
  expect(await appReads(keys.trino, `scratch-${env}`)).toBe("read");
});

it("(the old shape) a bucket entry removed: the unprotected policy is deleted first, the apps lose access, then a protected delete stops the update", async () => {
  const env = "old";
  const state: State = { environment: env, overrides: twoBuckets(env), shape: "old" };
  const { stack, keys } = await deployed(state, [`lake-${env}`, `scratch-${env}`]);

  state.overrides = { ...twoBuckets(env), buckets: twoBuckets(env).buckets.slice(0, 3) };
  expect(await upError(stack)).toMatch(/protected/);
  expect(await policyOn(`scratch-${env}`)).toBeUndefined();
  expect(await appReads(keys.trino, `scratch-${env}`)).toBe("AccessDenied");
});

it("a bucket entry renamed: refused without previousKeys; with them nothing is replaced and the apps keep access", async () => {
  const env = "rn";
  const state: State = { environment: env, overrides: twoBuckets(env), shape: "guarded" };
  const { stack, keys } = await deployed(state, [`lake-${env}`, `scratch-${env}`]);
  const policy = await policyOn(`scratch-${env}`);

  const renamed = { key: "tmp", name: `scratch-${env}`, readWrite: ["spark"], read: ["trino"] };
  state.overrides = twoBuckets(env, renamed);
  expect(await upError(stack)).toContain("If you renamed it, add previousKeys: [scratch] to the new entry");
  expect(await policyOn(`scratch-${env}`)).toBe(policy);

  state.overrides = twoBuckets(env, { ...renamed, previousKeys: ["scratch"] });
  const result = await stack.up();
  expect(result.summary.resourceChanges).not.toHaveProperty("delete");
  expect(result.summary.resourceChanges).not.toHaveProperty("create");
  expect(await policyOn(`scratch-${env}`)).toBe(policy);
  expect(await appReads(keys.trino, `scratch-${env}`)).toBe("read");
});

it("an app removed: refused unless s3AppsRemoved says so; then its grants go and its protected user and item stop the update", async () => {
  const env = "app";
  const state: State = { environment: env, overrides: twoBuckets(env), shape: "guarded" };
  const { stack, keys } = await deployed(state, [`lake-${env}`, `scratch-${env}`]);
  const policy = await policyOn(`lake-${env}`);

  const withoutTrino = {
    s3Apps: ["spark"],
    buckets: [
      { key: "warehouse", remove: true },
      { key: "nessie-backup", remove: true },
      { key: "lake", name: `lake-${env}`, readWrite: ["spark"] },
      { key: "scratch", name: `scratch-${env}`, readWrite: ["spark"] },
    ],
    credentials: [{ title: "nessie-postgres", remove: true }],
  };
  state.overrides = withoutTrino;
  const error = await upError(stack);
  expect(error).toContain("app trino is gone from data-platform:s3Apps");
  expect(error).toContain("add it to data-platform:s3AppsRemoved");
  expect(await policyOn(`lake-${env}`)).toBe(policy);
  expect(await appReads(keys.trino, `lake-${env}`)).toBe("read");

  // On purpose: the policies drop trino's grant (as written), then the protected user stops the update.
  state.overrides = { ...withoutTrino, s3AppsRemoved: ["trino"] };
  expect(await upError(stack)).toMatch(/protected/);
  expect(await appReads(keys.trino, `lake-${env}`)).toBe("AccessDenied");
  expect(await appReads(keys.spark, `lake-${env}`)).toBe("read");
});
