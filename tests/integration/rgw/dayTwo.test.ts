/**
 * Issue 19's provider rows on a real Ceph RGW: a suspended admin user (what RGW answers, and what the
 * providers say), a user re-created by hand with a key the stack never made, and what an app key can do
 * with old object versions under the stack's bucket policy.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { bucketPolicyDocument, type PolicyDocument } from "../../../components/objectStorage/policies";
import { bucketLifecycleProvider } from "../../../providers/bucketLifecycle";
import { createRgwAdminClient } from "../../../providers/rgwAdmin";
import { rgwUserProvider, type RgwUserProviderInputs } from "../../../providers/rgwUser";
import { bucketLifecycleRules } from "../../../components/objectStorage/policies";
import { RGW_ADMIN_UID, adminClient, radosgwAdmin, s3Client, useRgwCluster } from "./cephRgwCluster";

const requireCluster = useRgwCluster();
const clients: S3Client[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

/** A user made with radosgw-admin, as an operator would; returns its generated key. */
async function handMadeUser(uid: string, displayName: string, caps?: string): Promise<{ accessKey: string; secretKey: string }> {
  const out = JSON.parse(
    await radosgwAdmin(requireCluster(), ["user", "create", `--uid=${uid}`, `--display-name=${displayName}`, ...(caps ? [`--caps=${caps}`] : [])]),
  ) as {
    keys: { access_key: string; secret_key: string }[];
  };
  return { accessKey: out.keys[0].access_key, secretKey: out.keys[0].secret_key };
}

const s3As = (key: { accessKey: string; secretKey: string }) => {
  const client = s3Client(requireCluster(), key.accessKey, key.secretKey);
  clients.push(client);
  return client;
};

/** "ok" or the S3 error's name. */
const outcome = (call: Promise<unknown>): Promise<string> =>
  call.then(
    () => "ok",
    (error: { name?: string }) => error.name ?? String(error),
  );

describe("a suspended admin user", () => {
  let suspended: { accessKey: string; secretKey: string };
  beforeAll(async () => {
    suspended = await handMadeUser("suspended-admin", "suspended admin", "users=*;buckets=*");
    await radosgwAdmin(requireCluster(), ["user", "suspend", "--uid=suspended-admin"]);
  });

  it("gets 403 UserSuspended from RGW, and the Admin Ops client says suspended, not caps", async () => {
    const client = createRgwAdminClient({ endpoint: requireCluster().endpoint, accessKey: suspended.accessKey, secretKey: suspended.secretKey });
    const error = await client.getUser("suspended-admin").then(
      () => undefined,
      (e: unknown) => e as { kind?: string; code?: string; message: string },
    );
    expect(error).toMatchObject({ kind: "suspended", code: "UserSuspended" });
    expect(error?.message).toContain("the admin user is suspended — re-enable it (radosgw-admin user enable --uid=<admin-uid>)");
    expect(error?.message).not.toContain("caps");
  });

  it("BucketLifecycle says suspended too", async () => {
    const { endpoint } = requireCluster();
    const inputs = {
      endpoint,
      region: "us-east-1",
      accessKey: suspended.accessKey,
      secretKey: suspended.secretKey,
      bucket: "any",
      rules: bucketLifecycleRules({ noncurrentVersionDays: 30 }),
    };
    await expect(bucketLifecycleProvider.create(inputs)).rejects.toThrow(/the admin user is suspended/);
  });
});

describe("a user re-created by hand with the stack's uid and display name", () => {
  it("is refused, naming the key the stack did not make, and left as it is", async () => {
    const { endpoint, adminAccessKey, adminSecretKey } = requireCluster();
    const inputs: RgwUserProviderInputs = {
      endpoint,
      region: "us-east-1",
      adminAccessKey,
      adminSecretKey,
      uid: "data-platform-it-spark",
      displayName: "data-platform it spark",
      keyRotation: "1",
      purgeDataOnDelete: false,
    };
    const foreign = await handMadeUser(inputs.uid, inputs.displayName);
    await expect(rgwUserProvider.create(inputs)).rejects.toThrow(
      `holds access key ${foreign.accessKey.slice(0, 4)}…${foreign.accessKey.slice(-2)} the stack did not make`,
    );
    const user = await adminClient(requireCluster()).getUser(inputs.uid);
    expect(user?.keys.map((key) => key.accessKey)).toEqual([foreign.accessKey]);
  });
});

describe("old versions and app keys", () => {
  const bucket = "versions-day2";
  let writer: S3Client;
  let reader: S3Client;
  let owner: S3Client;
  let policy: PolicyDocument;
  let deleted: string;

  beforeAll(async () => {
    const cluster = requireCluster();
    owner = s3As({ accessKey: cluster.adminAccessKey, secretKey: cluster.adminSecretKey });
    writer = s3As(await handMadeUser("app-writer", "app writer"));
    reader = s3As(await handMadeUser("app-reader", "app reader"));
    await owner.send(new CreateBucketCommand({ Bucket: bucket }));
    await owner.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
    policy = bucketPolicyDocument(
      bucket,
      [
        { uid: "app-writer", access: "readWrite" },
        { uid: "app-reader", access: "read" },
      ],
      RGW_ADMIN_UID,
    ) as PolicyDocument;
    await owner.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    deleted = (await writer.send(new PutObjectCommand({ Bucket: bucket, Key: "table/data", Body: "v1" }))).VersionId ?? "";
    await writer.send(new PutObjectCommand({ Bucket: bucket, Key: "table/data", Body: "v2" }));
    await writer.send(new DeleteObjectCommand({ Bucket: bucket, Key: "table/data" }));
  });

  const readOld = (client: S3Client) => outcome(client.send(new GetObjectCommand({ Bucket: bucket, Key: "table/data", VersionId: deleted })));
  const putPolicy = (document: PolicyDocument) => owner.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(document) }));

  it("(RGW's own rule) without the Deny, the uploader's object ACL lets the writer read a version it deleted", async () => {
    await putPolicy({ ...policy, Statement: policy.Statement.filter((statement) => statement.Effect === "Allow") });
    expect(await readOld(writer)).toBe("ok");
    expect(await readOld(reader)).toBe("AccessDenied");
  });

  it("with the stack's policy, no app key reads or deletes an old version; current objects work as before", async () => {
    await putPolicy(policy);
    expect(await readOld(writer)).toBe("AccessDenied");
    expect(await readOld(reader)).toBe("AccessDenied");
    expect(await outcome(writer.send(new DeleteObjectCommand({ Bucket: bucket, Key: "table/data", VersionId: deleted })))).toBe("AccessDenied");
    await writer.send(new PutObjectCommand({ Bucket: bucket, Key: "table/current", Body: "now" }));
    expect(await outcome(writer.send(new GetObjectCommand({ Bucket: bucket, Key: "table/current" })))).toBe("ok");
    expect(await outcome(reader.send(new GetObjectCommand({ Bucket: bucket, Key: "table/current" })))).toBe("ok");
    expect(await outcome(writer.send(new DeleteObjectCommand({ Bucket: bucket, Key: "table/current" })))).toBe("ok");
  });
});
