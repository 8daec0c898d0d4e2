/**
 * The BucketLifecycle dynamic provider against a real Ceph RGW: create/read/diff/update/delete,
 * drift (rules or bucket removed behind Pulumi's back), clear errors, and the provider as Pulumi
 * runs it (serialized, evaluated in a fresh node process).
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketLifecycleCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { bucketLifecycleProvider, sameRules, type BucketLifecycleInputs, type BucketLifecycleState } from "../../../providers/bucketLifecycle";
import { bucketLifecycleRules } from "../../../components/objectStorage/policies";
import { toS3LifecycleConfiguration, type BucketLifecycleRule } from "../../../providers/lifecycleRules";
import { closedPort, radosgwAdmin, rulesOnRgw as rulesOn, s3Client, useRgwCluster } from "./cephRgwCluster";
import { runSerializedProvider } from "./serializedProvider";

const RULES = bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 });
const TOKEN = expect.stringMatching(/^[0-9a-f]{10}$/) as unknown as string;

const requireCluster = useRgwCluster();
let adminS3: S3Client;

beforeAll(() => {
  const cluster = requireCluster();
  adminS3 = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);
});

afterAll(() => {
  adminS3?.destroy();
});

function inputsFor(bucket: string, overrides: Partial<BucketLifecycleInputs> = {}): BucketLifecycleInputs {
  const { endpoint, adminAccessKey, adminSecretKey } = requireCluster();
  return { endpoint, region: "us-east-1", accessKey: adminAccessKey, secretKey: adminSecretKey, bucket, rules: RULES, ...overrides };
}

/** A fresh bucket owned by the admin user (the owner the stack's lifecycle resources use). */
async function createBucket(bucket: string): Promise<void> {
  await adminS3.send(new CreateBucketCommand({ Bucket: bucket }));
}

const rulesOnRgw = (bucket: string) => rulesOn(adminS3, bucket);

// The optional methods exist on this provider; these wrappers keep the tests free of `?.` noise.
async function read(id: string, state: BucketLifecycleState) {
  if (!bucketLifecycleProvider.read) throw new Error("provider has no read");
  return bucketLifecycleProvider.read(id, state);
}
async function diff(id: string, olds: BucketLifecycleState, news: BucketLifecycleInputs) {
  if (!bucketLifecycleProvider.diff) throw new Error("provider has no diff");
  return bucketLifecycleProvider.diff(id, olds, news);
}
async function update(id: string, olds: BucketLifecycleState, news: BucketLifecycleInputs) {
  if (!bucketLifecycleProvider.update) throw new Error("provider has no update");
  return bucketLifecycleProvider.update(id, olds, news);
}
async function remove(id: string, state: BucketLifecycleState): Promise<void> {
  if (!bucketLifecycleProvider.delete) throw new Error("provider has no delete");
  await bucketLifecycleProvider.delete(id, state);
}

/** Creates through the provider; returns the outputs (the state Pulumi would keep). */
async function create(inputs: BucketLifecycleInputs): Promise<BucketLifecycleState> {
  const result = await bucketLifecycleProvider.create(inputs);
  expect(result).toEqual({ id: inputs.bucket, outs: { ...inputs, ownerToken: TOKEN } });
  return result.outs as BucketLifecycleState;
}

async function readProps(id: string, state: BucketLifecycleState): Promise<BucketLifecycleState> {
  const result = await read(id, state);
  expect(result.id).toBe(id);
  return result.props as BucketLifecycleState;
}

describe("BucketLifecycle provider against Ceph RGW", () => {
  it("creates the rules, reads them back unchanged (RGW's legacy Prefix) and diffs as no change", async () => {
    await createBucket("lc-create");
    const inputs = inputsFor("lc-create");
    const created = await create(inputs);

    // RGW's own answer: sorted by ID (with the owner token), the prefix as a legacy top-level Prefix, no Filter.
    const raw = await rulesOnRgw("lc-create");
    expect(raw?.map((rule) => rule.ID)).toEqual([
      `abort-incomplete-multipart-uploads.${created.ownerToken}`,
      `expire-noncurrent-versions.${created.ownerToken}`,
    ]);
    expect(raw?.every((rule) => rule.Prefix === "" && rule.Filter === undefined)).toBe(true);

    const props = await readProps("lc-create", created);
    expect(sameRules(props.rules, RULES)).toBe(true);
    // Returned in the state's order, so a refresh shows no reordering diff.
    expect(props).toEqual(created);
    await expect(diff("lc-create", props, inputs)).resolves.toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("diffs changed days as an in-place change and a changed bucket as a replacement", async () => {
    await createBucket("lc-diff");
    const inputs = inputsFor("lc-diff");
    const props = await readProps("lc-diff", await create(inputs));
    const moreDays = { ...inputs, rules: bucketLifecycleRules({ noncurrentVersionDays: 90, abortIncompleteMultipartDays: 7 }) };
    await expect(diff("lc-diff", props, moreDays)).resolves.toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    await expect(diff("lc-diff", props, { ...inputs, bucket: "lc-other" })).resolves.toEqual({
      changes: true,
      replaces: ["bucket"],
      deleteBeforeReplace: false,
    });
  });

  it("updates the days in place and reads the new days back", async () => {
    await createBucket("lc-update");
    const inputs = inputsFor("lc-update");
    const created = await create(inputs);
    const news = { ...inputs, rules: bucketLifecycleRules({ noncurrentVersionDays: 14, abortIncompleteMultipartDays: 2 }) };
    const updated = { ...news, ownerToken: created.ownerToken };
    await expect(update("lc-update", created, news)).resolves.toEqual({ outs: updated });

    const props = await readProps("lc-update", updated);
    expect(props.rules).toEqual(news.rules);
    expect(sameRules(props.rules, RULES)).toBe(false);
    await expect(diff("lc-update", props, news)).resolves.toMatchObject({ changes: false });
    const raw = await rulesOnRgw("lc-update");
    expect(raw?.find((rule) => rule.NoncurrentVersionExpiration)?.NoncurrentVersionExpiration?.NoncurrentDays).toBe(14);
    expect(raw?.find((rule) => rule.AbortIncompleteMultipartUpload)?.AbortIncompleteMultipartUpload?.DaysAfterInitiation).toBe(2);
  });

  it("reads rules removed behind its back as [] (drift), and the next update puts them back", async () => {
    await createBucket("lc-drift");
    const inputs = inputsFor("lc-drift");
    const created = await create(inputs);
    await adminS3.send(new DeleteBucketLifecycleCommand({ Bucket: "lc-drift" }));

    const props = await readProps("lc-drift", created);
    expect(props).toEqual({ ...created, rules: [] });
    await expect(diff("lc-drift", props, inputs)).resolves.toMatchObject({ changes: true, replaces: [] });
    await update("lc-drift", props, inputs);
    expect(await rulesOnRgw("lc-drift")).toHaveLength(2);
  });

  it("reads a rule changed behind its back as drift", async () => {
    await createBucket("lc-changed");
    const inputs = inputsFor("lc-changed");
    const created = await create(inputs);
    const byHand: BucketLifecycleRule[] = [{ ...RULES[0], noncurrentVersionExpiration: { noncurrentDays: 1 } }, RULES[1]];
    // Its own rules (IDs with its token) edited by hand; rules under other IDs would be someone else's, kept.
    const onBucket = byHand.map((rule) => ({ ...rule, id: `${rule.id}.${created.ownerToken}` }));
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-changed", LifecycleConfiguration: toS3LifecycleConfiguration(onBucket) }));
    const props = await readProps("lc-changed", created);
    expect(props.rules).toEqual(byHand);
    await expect(diff("lc-changed", props, inputs)).resolves.toMatchObject({ changes: true, replaces: [] });
  });

  // Row: hand-added Expiration or a narrowed filter on a managed rule was not seen as drift.
  it("reads a hand-added Expiration and a narrowed filter on a managed rule as drift", async () => {
    await createBucket("lc-narrowed");
    const inputs = inputsFor("lc-narrowed");
    const created = await create(inputs);
    const raw = (await rulesOnRgw("lc-narrowed")) ?? [];
    const expiring = raw.map((rule) => (rule.NoncurrentVersionExpiration ? { ...rule, Expiration: { Days: 1 } } : rule));
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-narrowed", LifecycleConfiguration: { Rules: expiring } }));
    const withExpiration = await readProps("lc-narrowed", created);
    expect(withExpiration.rules.find((rule) => rule.id === "expire-noncurrent-versions")).toMatchObject({ expiration: { days: 1 } });
    await expect(diff("lc-narrowed", withExpiration, inputs)).resolves.toMatchObject({ changes: true });

    const narrowed = raw.map(({ Prefix, ...rule }) => ({ ...rule, Filter: { Prefix: Prefix === "" ? "tmp/" : `${Prefix}tmp/` } }));
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-narrowed", LifecycleConfiguration: { Rules: narrowed } }));
    await expect(diff("lc-narrowed", await readProps("lc-narrowed", created), inputs)).resolves.toMatchObject({ changes: true });

    // up repairs: the update puts the declared rules back, and a refresh then agrees.
    await update("lc-narrowed", withExpiration, inputs);
    await expect(diff("lc-narrowed", await readProps("lc-narrowed", created), inputs)).resolves.toMatchObject({ changes: false });
  });

  // Row: a renamed lifecycle resource's delete removed the rules its successor had just set.
  it("a renamed resource's delete leaves its successor's rules on the bucket", async () => {
    await createBucket("lc-renamed");
    const old = await create(inputsFor("lc-renamed"));
    const renamed = await create(inputsFor("lc-renamed"));
    await remove("lc-renamed", old);
    expect((await rulesOnRgw("lc-renamed"))?.map((rule) => rule.ID)).toEqual([
      `abort-incomplete-multipart-uploads.${renamed.ownerToken}`,
      `expire-noncurrent-versions.${renamed.ownerToken}`,
    ]);
    await remove("lc-renamed", renamed);
    expect(await rulesOnRgw("lc-renamed")).toBeUndefined();
  });

  it("reads a deleted bucket as gone", async () => {
    await createBucket("lc-bucket-gone");
    const created = await create(inputsFor("lc-bucket-gone"));
    await adminS3.send(new DeleteBucketCommand({ Bucket: "lc-bucket-gone" }));
    await expect(read("lc-bucket-gone", created)).resolves.toEqual({});
  });

  it("deletes the rules; deleting again, or on a missing bucket, succeeds", async () => {
    await createBucket("lc-delete");
    const created = await create(inputsFor("lc-delete"));
    await remove("lc-delete", created);
    expect(await rulesOnRgw("lc-delete")).toBeUndefined();
    await expect(remove("lc-delete", created)).resolves.toBeUndefined();

    await adminS3.send(new DeleteBucketCommand({ Bucket: "lc-delete" }));
    await expect(remove("lc-delete", created)).resolves.toBeUndefined();
    await expect(remove("lc-never-existed", { ...inputsFor("lc-never-existed"), ownerToken: "" })).resolves.toBeUndefined();
  });

  it("turns empty rules into DeleteBucketLifecycle, on create and on update", async () => {
    await createBucket("lc-empty");
    const inputs = inputsFor("lc-empty");
    const created = await create(inputs);
    const empty = { ...inputs, rules: [] };
    const emptied = { ...empty, ownerToken: created.ownerToken };
    await expect(update("lc-empty", created, empty)).resolves.toEqual({ outs: emptied });
    expect(await rulesOnRgw("lc-empty")).toBeUndefined();
    await expect(readProps("lc-empty", emptied)).resolves.toEqual(emptied);
    await expect(diff("lc-empty", emptied, empty)).resolves.toMatchObject({ changes: false });

    // A lifecycle set by hand is not this resource's: a create that declares no rules keeps it (issue 17).
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-empty", LifecycleConfiguration: toS3LifecycleConfiguration(RULES) }));
    await create(empty);
    expect((await rulesOnRgw("lc-empty"))?.map((rule) => rule.ID).sort()).toEqual(RULES.map((rule) => rule.id).sort());
  });

  // Regression (issue 17): create replaced the whole document, and a rule made by hand was gone (measured).
  it("keeps a rule made by hand through create, update and delete, with the bucket's objects untouched", async () => {
    await createBucket("lc-hand-made");
    const handMade = {
      ID: "hand-made-expire-tmp",
      Status: "Enabled" as const,
      Filter: { Prefix: "tmp/" },
      Expiration: { Days: 1 },
    };
    // As a person would: aws s3api put-bucket-lifecycle-configuration, with the owner's keys.
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: "lc-hand-made", LifecycleConfiguration: { Rules: [handMade] } }));
    await adminS3.send(new PutObjectCommand({ Bucket: "lc-hand-made", Key: "data/table.parquet", Body: "iceberg data" }));
    const etag = (await adminS3.send(new HeadObjectCommand({ Bucket: "lc-hand-made", Key: "data/table.parquet" }))).ETag;
    const handMadeOnRgw = async () => {
      const rule = (await rulesOnRgw("lc-hand-made"))?.find((candidate) => candidate.ID === "hand-made-expire-tmp");
      // The filter as RGW answers it (Filter.Prefix or a legacy Prefix), unchanged.
      expect(rule?.Filter?.Prefix ?? rule?.Prefix).toBe("tmp/");
      return rule;
    };
    const expected = { ID: "hand-made-expire-tmp", Status: "Enabled", Expiration: { Days: 1 } };

    const inputs = inputsFor("lc-hand-made");
    const created = await create(inputs);
    expect(await handMadeOnRgw()).toMatchObject(expected);
    expect((await rulesOnRgw("lc-hand-made"))?.map((rule) => rule.ID).sort()).toEqual(
      ["hand-made-expire-tmp", ...RULES.map((rule) => `${rule.id}.${created.ownerToken}`)].sort(),
    );
    // Not this resource's rule: no drift, nothing to update.
    const props = await readProps("lc-hand-made", created);
    expect(sameRules(props.rules, RULES)).toBe(true);
    await expect(diff("lc-hand-made", props, inputs)).resolves.toMatchObject({ changes: false });

    const news = { ...inputs, rules: bucketLifecycleRules({ noncurrentVersionDays: 60, abortIncompleteMultipartDays: 7 }) };
    const updated = (await update("lc-hand-made", created, news)).outs as BucketLifecycleState;
    expect(await handMadeOnRgw()).toMatchObject(expected);
    expect((await rulesOnRgw("lc-hand-made"))?.find((rule) => rule.NoncurrentVersionExpiration)?.NoncurrentVersionExpiration?.NoncurrentDays).toBe(60);

    await remove("lc-hand-made", updated);
    expect((await rulesOnRgw("lc-hand-made"))?.map((rule) => rule.ID)).toEqual(["hand-made-expire-tmp"]);
    expect(await handMadeOnRgw()).toMatchObject(expected);
    expect((await adminS3.send(new HeadObjectCommand({ Bucket: "lc-hand-made", Key: "data/table.parquet" }))).ETag).toBe(etag);
  });
});

describe("clear errors", () => {
  beforeAll(async () => {
    await createBucket("lc-errors");
  });

  /** The message, checked to be one line without a stack trace. */
  async function failure(action: Promise<unknown>): Promise<{ name: string; message: string }> {
    try {
      await action;
    } catch (error) {
      const { name, message, stack } = error as Error;
      expect(message).not.toMatch(/\n|\s+at\s.*:\d+:\d+/);
      expect(stack).toBe(`RgwError: ${message}`);
      return { name, message };
    }
    throw new Error("expected the call to fail");
  }

  it("says the secret key is rejected, naming the bucket, the endpoint and the config keys", async () => {
    const { endpoint } = requireCluster();
    const bad = inputsFor("lc-errors", { secretKey: "wrong" });
    await expect(failure(bucketLifecycleProvider.create(bad))).resolves.toEqual({
      name: "RgwError",
      message:
        `cannot read the lifecycle of bucket "lc-errors" at ${endpoint}: credentials rejected (403 SignatureDoesNotMatch)` +
        " — check rgwAdminAccessKey/rgwAdminSecretKey",
    });
    await expect(failure(read("lc-errors", { ...bad, ownerToken: "" }))).resolves.toMatchObject({
      message: `cannot read the lifecycle of bucket "lc-errors" at ${endpoint}: credentials rejected (403 SignatureDoesNotMatch) — check rgwAdminAccessKey/rgwAdminSecretKey`,
    });
    // Delete reads the document first, to see whose rules are on the bucket.
    await expect(failure(remove("lc-errors", { ...bad, ownerToken: "" }))).resolves.toMatchObject({
      message: expect.stringMatching(/^cannot read the lifecycle of bucket "lc-errors" at .*: credentials rejected \(403 SignatureDoesNotMatch\)/),
    });
  });

  it("says the access key is unknown", async () => {
    await expect(failure(bucketLifecycleProvider.create(inputsFor("lc-errors", { accessKey: "NOSUCHKEY0000000000X" })))).resolves.toMatchObject({
      message: expect.stringMatching(
        /^cannot read the lifecycle of bucket "lc-errors" at http:\/\/127\.0\.0\.1:\d+: credentials rejected \(403 InvalidAccessKeyId\)/,
      ),
    });
  });

  it("says access is denied to a user that does not own the bucket", async () => {
    const stranger = JSON.parse(await radosgwAdmin(requireCluster(), ["user", "create", "--uid=lc-stranger", "--display-name=stranger"])) as {
      keys: { access_key: string; secret_key: string }[];
    };
    const inputs = inputsFor("lc-errors", { accessKey: stranger.keys[0].access_key, secretKey: stranger.keys[0].secret_key });
    await expect(failure(bucketLifecycleProvider.create(inputs))).resolves.toMatchObject({
      message: expect.stringMatching(/: access denied \(403 AccessDenied\) — the key must belong to the bucket's owner/),
    });
  });

  it("says the bucket does not exist", async () => {
    const { endpoint } = requireCluster();
    await expect(failure(bucketLifecycleProvider.create(inputsFor("lc-no-such-bucket")))).resolves.toMatchObject({
      message: `cannot set the lifecycle of bucket "lc-no-such-bucket" at ${endpoint}: the bucket does not exist (404 NoSuchBucket)`,
    });
  });

  it("says the endpoint refuses connections", async () => {
    const port = await closedPort();
    await expect(failure(bucketLifecycleProvider.create(inputsFor("lc-errors", { endpoint: `http://127.0.0.1:${port}` })))).resolves.toEqual({
      name: "RgwError",
      message: `cannot reach http://127.0.0.1:${port} to read the lifecycle of bucket "lc-errors": ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`,
    });
  });
});

describe("the provider as Pulumi runs it", () => {
  it("serializes, and the serialized text works against RGW in a fresh node process", async () => {
    await createBucket("lc-serialized");
    const inputs = inputsFor("lc-serialized");
    const refusedEndpoint = `http://127.0.0.1:${await closedPort()}`;
    const result = await runSerializedProvider<{
      created: { id: string; outs: BucketLifecycleState };
      read: { id: string; props: BucketLifecycleState };
      diff: { changes: boolean; replaces: string[] };
      badCredentials: { name: string; message: string; isError: boolean };
      refused: string;
      afterDelete: { props: BucketLifecycleState };
      missingBucket: object;
    }>(
      bucketLifecycleProvider,
      inputs,
      `
        const created = await provider.create(inputs);
        const read = await provider.read(created.id, created.outs);
        const diff = await provider.diff(created.id, read.props, inputs);
        let badCredentials;
        try { await provider.create({ ...inputs, secretKey: "wrong" }); }
        catch (error) { badCredentials = { name: error.name, message: error.message, isError: error instanceof Error }; }
        let refused;
        try { await provider.create({ ...inputs, endpoint: process.env.REFUSED_ENDPOINT }); }
        catch (error) { refused = error.message; }
        await provider.delete(created.id, created.outs);
        const afterDelete = await provider.read(created.id, created.outs);
        const missingBucket = await provider.read("lc-no-such-bucket", { ...inputs, bucket: "lc-no-such-bucket" });
        return { created, read, diff, badCredentials, refused, afterDelete, missingBucket };
      `,
      { REFUSED_ENDPOINT: refusedEndpoint },
    );
    expect(result.created).toEqual({ id: "lc-serialized", outs: { ...inputs, ownerToken: TOKEN } });
    expect(result.read).toEqual(result.created.outs && { id: "lc-serialized", props: result.created.outs });
    expect(result.diff).toMatchObject({ changes: false, replaces: [] });
    expect(result.badCredentials).toEqual({
      name: "RgwError",
      isError: true,
      message: `cannot read the lifecycle of bucket "lc-serialized" at ${inputs.endpoint}: credentials rejected (403 SignatureDoesNotMatch) — check rgwAdminAccessKey/rgwAdminSecretKey`,
    });
    // Outside jest the network error keeps its `code` field; the message is the same.
    expect(result.refused).toBe(
      `cannot reach ${refusedEndpoint} to read the lifecycle of bucket "lc-serialized": ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`,
    );
    expect(result.afterDelete.props.rules).toEqual([]);
    expect(result.missingBucket).toEqual({});
    expect(await rulesOnRgw("lc-serialized")).toBeUndefined();
  });
});
