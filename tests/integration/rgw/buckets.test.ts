/**
 * The bucket settings the stack declares (versioning, lifecycle, policy) applied to a real Ceph
 * RGW with the AWS SDK, read back, and enforced for three users: readWrite, read, no grant.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand,
  type LifecycleRule,
  type S3Client,
} from "@aws-sdk/client-s3";
import { bucketLifecycleRules, bucketPolicyDocument } from "../../../components/objectStorage/policies";
import { toS3LifecycleConfiguration } from "../../../providers/lifecycleRules";
import type { RgwAdminClient } from "../../../providers/rgwAdmin";
import { adminClient, s3Client, useRgwCluster, RGW_ADMIN_UID } from "./cephRgwCluster";

const BUCKET = "lake-warehouse";
const LIFECYCLE = { noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 };

const requireCluster = useRgwCluster();
let admin: RgwAdminClient;
let adminS3: S3Client;
const users: Record<"writer" | "reader" | "stranger", S3Client> = {} as Record<"writer" | "reader" | "stranger", S3Client>;

beforeAll(async () => {
  const cluster = requireCluster();
  admin = adminClient(cluster);
  adminS3 = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);
  for (const name of ["writer", "reader", "stranger"] as const) {
    const user = await admin.createUser(name, name);
    users[name] = s3Client(cluster, user.keys[0].accessKey, user.keys[0].secretKey);
  }
});

async function errorName(action: Promise<unknown>): Promise<string> {
  try {
    await action;
    return "no error";
  } catch (error) {
    return (error as { name?: string }).name ?? String(error);
  }
}

/** RGW returns a rule's filter as the legacy top-level Prefix; compare rules without that difference. */
function comparableRule(rule: LifecycleRule) {
  return {
    ID: rule.ID,
    Status: rule.Status,
    Prefix: rule.Filter?.Prefix ?? rule.Prefix ?? "",
    NoncurrentVersionExpiration: rule.NoncurrentVersionExpiration,
    AbortIncompleteMultipartUpload: rule.AbortIncompleteMultipartUpload,
  };
}

describe("bucket settings on Ceph RGW", () => {
  it("applies versioning, lifecycle and policy, and reads them back", async () => {
    await adminS3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await adminS3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: "Enabled" } }));
    const lifecycle = toS3LifecycleConfiguration(bucketLifecycleRules(LIFECYCLE));
    await adminS3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: BUCKET, LifecycleConfiguration: lifecycle }));
    const policy = bucketPolicyDocument(
      BUCKET,
      [
        { uid: "writer", access: "readWrite" },
        { uid: "reader", access: "read" },
      ],
      RGW_ADMIN_UID,
    );
    await adminS3.send(new PutBucketPolicyCommand({ Bucket: BUCKET, Policy: JSON.stringify(policy) }));

    const versioning = await adminS3.send(new GetBucketVersioningCommand({ Bucket: BUCKET }));
    expect(versioning.Status).toBe("Enabled");
    const readLifecycle = await adminS3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }));
    // RGW returns the rules sorted by ID.
    const byId = (a: { ID?: string }, b: { ID?: string }): number => (a.ID ?? "").localeCompare(b.ID ?? "");
    expect((readLifecycle.Rules ?? []).map(comparableRule).sort(byId)).toEqual(lifecycle.Rules.map(comparableRule).sort(byId));
    const readPolicy = await adminS3.send(new GetBucketPolicyCommand({ Bucket: BUCKET }));
    expect(JSON.parse(readPolicy.Policy ?? "{}")).toEqual(policy);
  });

  it("lets the readWrite user put, get, list and use multipart uploads", async () => {
    await users.writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: "tables/t1/data.parquet", Body: "rows" }));
    const object = await users.writer.send(new GetObjectCommand({ Bucket: BUCKET, Key: "tables/t1/data.parquet" }));
    expect(await object.Body?.transformToString()).toBe("rows");
    const listing = await users.writer.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "tables/" }));
    expect(listing.Contents?.map((entry) => entry.Key)).toEqual(["tables/t1/data.parquet"]);

    const upload = await users.writer.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: "big" }));
    const uploadId = upload.UploadId;
    await users.writer.send(new UploadPartCommand({ Bucket: BUCKET, Key: "big", UploadId: uploadId, PartNumber: 1, Body: "part" }));
    const parts = await users.writer.send(new ListPartsCommand({ Bucket: BUCKET, Key: "big", UploadId: uploadId }));
    expect(parts.Parts?.length).toBe(1);
    await users.writer.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: "big", UploadId: uploadId }));
  });

  it("lets the read user get and list but not put", async () => {
    const object = await users.reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: "tables/t1/data.parquet" }));
    expect(await object.Body?.transformToString()).toBe("rows");
    const listing = await users.reader.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listing.KeyCount).toBe(1);
    expect(await errorName(users.reader.send(new PutObjectCommand({ Bucket: BUCKET, Key: "x", Body: "x" })))).toBe("AccessDenied");
  });

  it("denies a user without a grant", async () => {
    const get = users.stranger.send(new GetObjectCommand({ Bucket: BUCKET, Key: "tables/t1/data.parquet" }));
    expect(await errorName(get)).toBe("AccessDenied");
    expect(await errorName(users.stranger.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toBe("AccessDenied");
    const put = users.stranger.send(new PutObjectCommand({ Bucket: BUCKET, Key: "x", Body: "x" }));
    expect(await errorName(put)).toBe("AccessDenied");
  });

  it("keeps a deleted writer's objects readable (delete without purge keeps data)", async () => {
    await admin.deleteUser("writer", false);
    const object = await users.reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: "tables/t1/data.parquet" }));
    expect(await object.Body?.transformToString()).toBe("rows");
  });

  it("gives the keys' owner by uid in ListBuckets' Owner.ID: the owner uid the program puts in each policy", async () => {
    // The program reads it with aws.s3.getCanonicalUserId (terraform-provider-aws's aws_canonical_user_id
    // is ListBuckets' Owner.ID) and passes it to bucketPolicyDocument, as the test above passes the uid.
    const listed = await adminS3.send(new ListBucketsCommand({}));
    expect(listed.Owner?.ID).toBe(RGW_ADMIN_UID);
  });

  it("accepts LocationConstraint us-east-1 (zonegroup api_name set by ceph-rgw.sh)", async () => {
    await adminS3.send(
      new CreateBucketCommand({
        Bucket: "located-bucket",
        CreateBucketConfiguration: { LocationConstraint: "us-east-1" as never },
      }),
    );
    // The bucket exists afterwards: RGW accepted the constraint rather than ignoring the request.
    await expect(adminS3.send(new HeadBucketCommand({ Bucket: "located-bucket" }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
  });
});
