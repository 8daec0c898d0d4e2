/**
 * Pure builders for the object-storage settings the stack declares on Ceph RGW buckets:
 * bucket policies for RGW users, lifecycle rules, and bucket-name validation.
 * No Pulumi resources here; the stack and the integration tests apply the same values. The lifecycle
 * rule's shape and its S3 form belong to the provider that writes them (providers/lifecycleRules.ts).
 */
import { type BucketLifecycleRule, lifecycleDaysProblem } from "../../providers/lifecycleRules";

export type BucketAccess = "read" | "readWrite";

export interface BucketGrant {
  /** RGW user id; "tenant$user" for a tenanted user. */
  uid: string;
  access: BucketAccess;
}

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal: { AWS: string[] };
  Action: string[];
  Resource: string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * Least privilege for Iceberg table I/O (Spark S3A, Trino, Nessie, Iceberg S3FileIO).
 * No *Version actions: readers and writers address current objects only; old versions exist
 * for recovery by an operator with admin credentials and are expired by the lifecycle rules,
 * so an application key can neither read deleted data back nor destroy the version history
 * (enforced by the NoOldVersions Deny: the uploader's own ACL would allow both otherwise).
 */
export const READ_BUCKET_ACTIONS = ["s3:GetBucketLocation", "s3:ListBucket"] as const;
export const READ_OBJECT_ACTIONS = ["s3:GetObject"] as const;
/** S3A lists and aborts pending multipart uploads (committers, fs.s3a.multipart.purge). */
export const WRITE_BUCKET_ACTIONS = ["s3:ListBucketMultipartUploads"] as const;
/** PutObject also covers CreateMultipartUpload/UploadPart/CompleteMultipartUpload. */
export const WRITE_OBJECT_ACTIONS = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:ListMultipartUploadParts", "s3:PutObject"] as const;

/** Denied to every app: reading or deleting a specific (old) version of an object. */
export const VERSION_OBJECT_ACTIONS = ["s3:DeleteObjectVersion", "s3:GetObjectVersion"] as const;
/**
 * What the bucket owner (the stack's S3 identity) may do to every object, whoever wrote it. On RGW an
 * object belongs to its uploader and the owner gets AccessDenied on it; a policy Allow for the owner
 * overrides the object's ACL (measured on RGW 16.2: PUT, multipart and copy by an app, every version,
 * restore by copying an old version over the current one). Requiring `bucket-owner-full-control` from
 * writers does not work there: CreateMultipartUpload and CopyObject without it pass, and UploadPart
 * (which carries no ACL) is refused.
 */
export const OWNER_RECOVERY_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion"] as const;

/** RGW uid of an application's user: one per app and environment. */
export const rgwUserId = (environment: string, app: string): string => `data-platform-${environment}-${app}`;

/**
 * Who gets what on a bucket, from its access lists (app names). `uids`: apps whose user is adopted (config
 * `adopt.users`), by their live uid; every other app has the stack's uid.
 */
export function bucketGrants(
  bucket: { readWrite?: readonly string[]; read?: readonly string[] },
  environment: string,
  uids: Readonly<Record<string, string>> = {},
): BucketGrant[] {
  const uid = (app: string) => (Object.hasOwn(uids, app) ? uids[app] : rgwUserId(environment, app));
  return [
    ...(bucket.readWrite ?? []).map((app) => ({ uid: uid(app), access: "readWrite" as const })),
    ...(bucket.read ?? []).map((app) => ({ uid: uid(app), access: "read" as const })),
  ];
}

/** IAM-style principal for an RGW user, as RGW's bucket-policy evaluation expects it. */
export function rgwUserArn(uid: string): string {
  const separator = uid.indexOf("$");
  if (separator >= 0) {
    return `arn:aws:iam::${uid.slice(0, separator)}:user/${uid.slice(separator + 1)}`;
  }
  return `arn:aws:iam:::user/${uid}`;
}

/**
 * Bucket policy granting each RGW user read or read/write access, and the bucket owner (`ownerUid`, the
 * uid the stack's S3 keys belong to) read access to every object and version an app writes.
 * Returns undefined for an empty grant list: a policy must have at least one statement, and
 * "no grants" means "owner only", which is what a bucket without a policy is (the owner wrote everything).
 * A uid granted twice gets the wider access. Output is deterministic (sorted principals,
 * fixed statement order) so previews show no spurious diffs.
 */
export function bucketPolicyDocument(bucketName: string, grants: readonly BucketGrant[], ownerUid: string): PolicyDocument | undefined {
  if (ownerUid.trim() === "") throw new Error(`bucket ${bucketName}: the owner's uid is empty`);
  const accessByUid = new Map<string, BucketAccess>();
  for (const grant of grants) {
    if (grant.uid.trim() === "") {
      throw new Error(`bucket ${bucketName}: a grant has an empty uid`);
    }
    if (accessByUid.get(grant.uid) !== "readWrite") {
      accessByUid.set(grant.uid, grant.access);
    }
  }
  const principalsWith = (access: BucketAccess): string[] =>
    [...accessByUid.entries()]
      .filter(([, granted]) => granted === access)
      .map(([uid]) => uid)
      .sort()
      .map(rgwUserArn);

  const bucketArn = `arn:aws:s3:::${bucketName}`;
  const objectsArn = `${bucketArn}/*`;
  const statements: PolicyStatement[] = [];
  const readers = principalsWith("read");
  if (readers.length > 0) {
    statements.push(allow("ReadBucket", readers, [...READ_BUCKET_ACTIONS], bucketArn), allow("ReadObjects", readers, [...READ_OBJECT_ACTIONS], objectsArn));
  }
  const writers = principalsWith("readWrite");
  if (writers.length > 0) {
    statements.push(
      allow("ReadWriteBucket", writers, [...READ_BUCKET_ACTIONS, ...WRITE_BUCKET_ACTIONS].sort(), bucketArn),
      allow("ReadWriteObjects", writers, [...READ_OBJECT_ACTIONS, ...WRITE_OBJECT_ACTIONS].sort(), objectsArn),
    );
  }
  if (statements.length === 0) return undefined;
  // An app is the uploader, so the object's ACL lets it read and delete its objects' old versions whatever
  // the Allow statements say (measured on RGW 16.2: a writer read a version it had deleted with GetObject
  // VersionId). An explicit Deny wins over that ACL: old versions stay for the operator's recovery only.
  statements.push({
    Sid: "NoOldVersions",
    Effect: "Deny",
    Principal: { AWS: [...readers, ...writers].sort() },
    Action: [...VERSION_OBJECT_ACTIONS],
    Resource: [objectsArn],
  });
  // The owner reads every object and version whoever wrote it: recovery needs no radosgw-admin.
  statements.push(allow("OwnerRecovery", [rgwUserArn(ownerUid)], [...OWNER_RECOVERY_ACTIONS], objectsArn));
  return { Version: "2012-10-17", Statement: statements };
}

function allow(sid: string, principals: string[], actions: string[], resource: string): PolicyStatement {
  return { Sid: sid, Effect: "Allow", Principal: { AWS: principals }, Action: actions, Resource: [resource] };
}

export interface LifecycleSettings {
  /** Days a replaced/deleted object version is kept; undefined = keep forever. */
  noncurrentVersionDays?: number;
  /** Days before an unfinished multipart upload is aborted; undefined = never. */
  abortIncompleteMultipartDays?: number;
}

export const NONCURRENT_VERSIONS_RULE_ID = "expire-noncurrent-versions";
export const INCOMPLETE_MULTIPART_RULE_ID = "abort-incomplete-multipart-uploads";

/** One rule per setting (so each can be turned off alone), whole bucket, in a fixed order. */
export function bucketLifecycleRules(settings: LifecycleSettings): BucketLifecycleRule[] {
  const rules: BucketLifecycleRule[] = [];
  if (settings.noncurrentVersionDays !== undefined) {
    requirePositiveDays("noncurrentVersionDays", settings.noncurrentVersionDays);
    rules.push({
      id: NONCURRENT_VERSIONS_RULE_ID,
      status: "Enabled",
      filter: { prefix: "" },
      noncurrentVersionExpiration: { noncurrentDays: settings.noncurrentVersionDays },
    });
  }
  if (settings.abortIncompleteMultipartDays !== undefined) {
    requirePositiveDays("abortIncompleteMultipartDays", settings.abortIncompleteMultipartDays);
    rules.push({
      id: INCOMPLETE_MULTIPART_RULE_ID,
      status: "Enabled",
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: settings.abortIncompleteMultipartDays },
    });
  }
  return rules;
}

function requirePositiveDays(name: string, days: number): void {
  const problem = lifecycleDaysProblem(days);
  if (problem !== undefined) throw new Error(`${name} ${problem}`);
}

/**
 * S3 bucket naming rules (the general-purpose bucket rules, which RGW enforces in part).
 * Returns a short reason when the name is invalid, undefined when it is valid.
 */
export function validateBucketName(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) {
    return `must be 3-63 characters long, got ${name.length}`;
  }
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return "only lowercase letters, digits, dots and hyphens are allowed";
  }
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) {
    return "must start and end with a lowercase letter or a digit";
  }
  if (name.includes("..")) {
    return "must not contain two adjacent dots";
  }
  // RGW's valid_s3_bucket_name (strict names, the default) refuses a hyphen next to a dot.
  if (name.includes(".-") || name.includes("-.")) {
    return "must not have a hyphen next to a dot";
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) {
    return "must not be formatted as an IP address";
  }
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (name.startsWith(prefix)) return `must not start with "${prefix}"`;
  }
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) {
    if (name.endsWith(suffix)) return `must not end with "${suffix}"`;
  }
  return undefined;
}
