import type { BucketLifecycleConfiguration } from "@aws-sdk/client-s3";
import { MAX_LIFECYCLE_DAYS } from "../../../providers/lifecycleRules";
import {
  INCOMPLETE_MULTIPART_RULE_ID,
  NONCURRENT_VERSIONS_RULE_ID,
  bucketLifecycleRules,
  bucketPolicyDocument,
  rgwUserArn,
  validateBucketName,
} from "../../../components/objectStorage/policies";
import { toS3LifecycleConfiguration } from "../../../providers/lifecycleRules";

describe("rgwUserArn", () => {
  it("uses RGW's account-less user ARN", () => {
    expect(rgwUserArn("spark")).toBe("arn:aws:iam:::user/spark");
  });

  it("puts the tenant of a tenanted uid into the account field", () => {
    expect(rgwUserArn("analytics$spark")).toBe("arn:aws:iam::analytics:user/spark");
  });
});

describe("bucketPolicyDocument", () => {
  it("grants read and read/write with bucket and object statements", () => {
    expect(
      bucketPolicyDocument(
        "lake",
        [
          { uid: "trino", access: "read" },
          { uid: "spark", access: "readWrite" },
        ],
        "admin",
      ),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadBucket",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/trino"] },
          Action: ["s3:GetBucketLocation", "s3:ListBucket"],
          Resource: ["arn:aws:s3:::lake"],
        },
        {
          Sid: "ReadObjects",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/trino"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::lake/*"],
        },
        {
          Sid: "ReadWriteBucket",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/spark"] },
          Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
          Resource: ["arn:aws:s3:::lake"],
        },
        {
          Sid: "ReadWriteObjects",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/spark"] },
          Action: ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
          Resource: ["arn:aws:s3:::lake/*"],
        },
        {
          Sid: "NoOldVersions",
          Effect: "Deny",
          Principal: { AWS: ["arn:aws:iam:::user/spark", "arn:aws:iam:::user/trino"] },
          Action: ["s3:DeleteObjectVersion", "s3:GetObjectVersion"],
          Resource: ["arn:aws:s3:::lake/*"],
        },
        {
          Sid: "OwnerRecovery",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam:::user/admin"] },
          Action: ["s3:GetObject", "s3:GetObjectVersion"],
          Resource: ["arn:aws:s3:::lake/*"],
        },
      ],
    });
  });

  it("allows apps no version-level action and denies them old versions; the owner may read every object and version", () => {
    const policy = bucketPolicyDocument("lake", [{ uid: "spark", access: "readWrite" }], "admin");
    const appAllows =
      policy?.Statement.filter((statement) => statement.Effect === "Allow" && statement.Sid !== "OwnerRecovery").flatMap((statement) => statement.Action) ?? [];
    expect(appAllows.filter((action) => /Version/.test(action))).toEqual([]);
    expect(policy?.Statement.find((statement) => statement.Sid === "NoOldVersions")).toMatchObject({
      Effect: "Deny",
      Principal: { AWS: ["arn:aws:iam:::user/spark"] },
      Action: ["s3:DeleteObjectVersion", "s3:GetObjectVersion"],
    });
    expect(policy?.Statement.find((statement) => statement.Sid === "OwnerRecovery")).toMatchObject({
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam:::user/admin"] },
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
    });
    expect(() => bucketPolicyDocument("lake", [{ uid: "spark", access: "readWrite" }], " ")).toThrow(/owner's uid is empty/);
  });

  it("is deterministic whatever the grant order", () => {
    const grants = [
      { uid: "b", access: "read" as const },
      { uid: "a", access: "readWrite" as const },
      { uid: "c", access: "read" as const },
      { uid: "d", access: "readWrite" as const },
    ];
    const forward = bucketPolicyDocument("lake", grants, "admin");
    const backward = bucketPolicyDocument("lake", [...grants].reverse(), "admin");
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
    expect(forward?.Statement[0].Principal.AWS).toEqual(["arn:aws:iam:::user/b", "arn:aws:iam:::user/c"]);
  });

  it("gives a uid granted twice the wider access, once", () => {
    const policy = bucketPolicyDocument(
      "lake",
      [
        { uid: "spark", access: "read" },
        { uid: "spark", access: "readWrite" },
        { uid: "spark", access: "read" },
      ],
      "admin",
    );
    expect(policy?.Statement.map((statement) => statement.Sid)).toEqual(["ReadWriteBucket", "ReadWriteObjects", "NoOldVersions", "OwnerRecovery"]);
    expect(policy?.Statement[0].Principal.AWS).toEqual(["arn:aws:iam:::user/spark"]);
  });

  it("returns undefined for no grants (owner-only bucket, no policy)", () => {
    expect(bucketPolicyDocument("lake", [], "admin")).toBeUndefined();
  });

  it("rejects an empty uid", () => {
    expect(() => bucketPolicyDocument("lake", [{ uid: " ", access: "read" }], "admin")).toThrow(/empty uid/);
  });
});

describe("bucketLifecycleRules", () => {
  it("builds one whole-bucket rule per setting", () => {
    expect(bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 })).toEqual([
      {
        id: NONCURRENT_VERSIONS_RULE_ID,
        status: "Enabled",
        filter: { prefix: "" },
        noncurrentVersionExpiration: { noncurrentDays: 30 },
      },
      {
        id: INCOMPLETE_MULTIPART_RULE_ID,
        status: "Enabled",
        filter: { prefix: "" },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ]);
  });

  it("omits rules for unset settings", () => {
    expect(bucketLifecycleRules({ abortIncompleteMultipartDays: 3 }).map((rule) => rule.id)).toEqual([INCOMPLETE_MULTIPART_RULE_ID]);
    expect(bucketLifecycleRules({})).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects %p days", (days) => {
    expect(() => bucketLifecycleRules({ noncurrentVersionDays: days })).toThrow(/noncurrentVersionDays/);
    expect(() => bucketLifecycleRules({ abortIncompleteMultipartDays: days })).toThrow(/abortIncompleteMultipartDays/);
  });

  // RGW keeps the low 32 bits: 4294967297 days is stored as 1 (measured), so old versions would expire after a day.
  it.each([MAX_LIFECYCLE_DAYS + 1, 4294967297, 1e21, Number.POSITIVE_INFINITY])("rejects %p days, above RGW's int32, as config does", (days) => {
    expect(() => bucketLifecycleRules({ noncurrentVersionDays: days })).toThrow(
      `noncurrentVersionDays must be a whole number of days from 1 to ${MAX_LIFECYCLE_DAYS}`,
    );
    expect(() => bucketLifecycleRules({ abortIncompleteMultipartDays: days })).toThrow(
      /abortIncompleteMultipartDays must be a whole number of days from 1 to 2147483647/,
    );
  });

  it("accepts the largest day count RGW stores", () => {
    expect(bucketLifecycleRules({ noncurrentVersionDays: MAX_LIFECYCLE_DAYS })[0].noncurrentVersionExpiration).toEqual({ noncurrentDays: MAX_LIFECYCLE_DAYS });
  });
});

describe("lifecycle mappers", () => {
  const rules = bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 });

  it("maps to the AWS SDK's PutBucketLifecycleConfiguration shape", () => {
    // The annotation checks at compile time that the structural type fits the SDK's.
    const configuration: BucketLifecycleConfiguration = toS3LifecycleConfiguration(rules);
    expect(configuration).toEqual({
      Rules: [
        {
          ID: "expire-noncurrent-versions",
          Status: "Enabled",
          Filter: { Prefix: "" },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        {
          ID: "abort-incomplete-multipart-uploads",
          Status: "Enabled",
          Filter: { Prefix: "" },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
  });

  it("maps no rules to no rules", () => {
    expect(toS3LifecycleConfiguration([])).toEqual({ Rules: [] });
  });
});

describe("validateBucketName", () => {
  it.each(["abc", "lake-warehouse", "my.bucket.01", "a".repeat(63), "1bucket9"])("accepts %p", (name) => {
    expect(validateBucketName(name)).toBeUndefined();
  });

  it.each([
    ["ab", /3-63 characters/],
    ["a".repeat(64), /3-63 characters/],
    ["Lake", /lowercase/],
    ["lake_warehouse", /lowercase letters, digits, dots and hyphens/],
    ["-lake", /start and end/],
    ["lake-", /start and end/],
    ["lake.", /start and end/],
    ["la..ke", /adjacent dots/],
    ["data.-lake", /hyphen next to a dot/],
    ["data-.lake", /hyphen next to a dot/],
    ["192.168.1.10", /IP address/],
    ["xn--lake", /xn--/],
    ["lake-s3alias", /-s3alias/],
    ["lake--ol-s3", /--ol-s3/],
    ["sthree-lake", /sthree-/],
  ])("rejects %p", (name, reason) => {
    expect(validateBucketName(name)).toMatch(reason);
  });
});
