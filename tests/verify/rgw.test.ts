// The RGW comparisons on responses as Ceph RGW 16.2 returns them (recorded with @aws-sdk/client-s3 against
// the integration tests' cluster): lifecycle with a legacy top-level Prefix, the policy text as stored.
import type { LifecycleRule } from "@aws-sdk/client-s3";
import { type PlatformConfig, parsePlatformConfig } from "../../config";
import { expectedPolicy, expectedRgw } from "../../verify/expected";
import { OWNER_TOKEN_BYTES, ownedRuleId } from "../../providers/lifecycleRules";
import {
  aclCheck,
  adminErrorText,
  bucketChecks,
  lifecycleView,
  policyView,
  probeCheck,
  probePlan,
  s3ErrorCode,
  s3ErrorText,
  userChecks,
} from "../../verify/rgw";
import { formatCheck } from "../../verify/report";
import { rgwError } from "../../providers/errors";

function config(raw: Record<string, string> = {}): PlatformConfig {
  const result = parsePlatformConfig(
    {
      environment: "dev",
      rgwEndpoint: "https://rgw.example.com",
      onepasswordConnectUrl: "https://op.example.com",
      imageRegistry: "registry.example.com",
      fluxGitUrl: "ssh://git@github.com/example/gitops.git",
      fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      buckets: JSON.stringify([
        { key: "warehouse", name: "iceberg-warehouse-dev", readWrite: ["nessie", "spark"], read: ["trino"] },
        { key: "nessie-backup", name: "nessie-backup-dev", readWrite: ["nessie"], versioning: false },
      ]),
      ...raw,
    },
    { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) },
  );
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

const expected = expectedRgw(config({ s3KeyRotation: JSON.stringify({ spark: "2026-11" }) }));
const warehouse = expected.buckets[0];
/** GetBucketLifecycleConfiguration as RGW answers it for the declared rules (legacy Prefix, no Filter). */
const rgwLifecycle: LifecycleRule[] = [
  { ID: "abort-incomplete-multipart-uploads", Prefix: "", Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
  { ID: "expire-noncurrent-versions", Prefix: "", Status: "Enabled", NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
];
const OWNER = "admin";
/** GetBucketAcl of a bucket the stack made: its owner, full control, nobody else. */
const ownerAcl = { owner: OWNER, grants: [{ grantee: OWNER, permission: "FULL_CONTROL" }] };
const warehousePolicy = expectedPolicy(warehouse, OWNER);
const storedPolicy = JSON.stringify(warehousePolicy);

describe("expected RGW state", () => {
  it("comes from the config with the stack's builders: names, versioning, rules, grants, keys", () => {
    expect(expected.buckets.map((b) => [b.name, b.versioning, expectedPolicy(b, OWNER)?.Statement.map((s) => s.Sid)])).toEqual([
      ["iceberg-warehouse-dev", "Enabled", ["ReadBucket", "ReadObjects", "ReadWriteBucket", "ReadWriteObjects", "NoOldVersions", "OwnerRecovery"]],
      ["nessie-backup-dev", "Suspended", ["ReadWriteBucket", "ReadWriteObjects", "NoOldVersions", "OwnerRecovery"]],
    ]);
    expect(expected.users).toEqual([
      { app: "nessie", uid: "data-platform-dev-nessie", minKeys: 1, maxKeys: 1 },
      { app: "spark", uid: "data-platform-dev-spark", minKeys: 1, maxKeys: 2 },
      { app: "trino", uid: "data-platform-dev-trino", minKeys: 1, maxKeys: 1 },
    ]);
    expect(expected.access.filter((a) => a.bucket === "nessie-backup-dev").map((a) => `${a.app}:${a.access}`)).toEqual([
      "nessie:readWrite",
      "spark:none",
      "trino:none",
    ]);
    expect(expected.keyItems).toContainEqual({ app: "nessie", title: "nessie-s3-credentials" });
  });
});

describe("bucket checks", () => {
  it("pass on what RGW returns for the declared state", () => {
    const lines = bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle: rgwLifecycle, policy: storedPolicy, acl: ownerAcl }).map(
      formatCheck,
    );
    expect(lines.every((l) => l.startsWith("ok"))).toBe(true);
    expect(lines).toHaveLength(5);
  });

  // Regression: verify never read bucket ACLs, so a bucket made public-read by hand passed.
  it("fail a bucket ACL that grants anyone but the owner: public, every RGW user, another user", () => {
    const acl = {
      owner: OWNER,
      grants: [
        { grantee: OWNER, permission: "FULL_CONTROL" },
        { grantee: "http://acs.amazonaws.com/groups/global/AllUsers", permission: "READ" },
        { grantee: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", permission: "WRITE" },
        { grantee: "someone", permission: "READ_ACP" },
      ],
    };
    expect(formatCheck(bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle: rgwLifecycle, policy: storedPolicy, acl })[3])).toBe(
      "FAIL rgw         bucket iceberg-warehouse-dev: acl: expected only the owner admin (apps get access through the bucket policy); AllUsers (public): READ; AuthenticatedUsers (every user of this RGW): WRITE; user someone: READ_ACP",
    );
    expect(aclCheck("b", { owner: OWNER, grants: [{ grantee: OWNER, permission: "READ" }] }).status).toBe("fail");
  });

  it("expect the policy to name the bucket's actual owner in its recovery statement", () => {
    const other = { owner: "someone-else", grants: [{ grantee: "someone-else", permission: "FULL_CONTROL" }] };
    expect(
      formatCheck(bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle: rgwLifecycle, policy: storedPolicy, acl: other })[4]),
    ).toContain('policy.Statement.OwnerRecovery.Principal.AWS: missing ["arn:aws:iam:::user/someone-else"], unexpected ["arn:aws:iam:::user/admin"]');
  });

  it("read rule IDs written by BucketLifecycle with its owner token as the declared rules", () => {
    const owned = rgwLifecycle.map((r) => ({ ...r, ID: `${r.ID}.a1b2c3d4e5` }));
    expect(lifecycleView(owned, ["expire-noncurrent-versions", "abort-incomplete-multipart-uploads"]).map((r) => r.id)).toEqual([
      "abort-incomplete-multipart-uploads",
      "expire-noncurrent-versions",
    ]);
    expect(bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle: owned, policy: storedPolicy, acl: ownerAcl })[2].status).toBe("ok");
  });

  it("read only BucketLifecycle's own token as one: any other suffix keeps the rule apart", () => {
    const token = ownedRuleId("expire-noncurrent-versions", "0123456789").slice("expire-noncurrent-versions.".length);
    expect(token).toHaveLength(OWNER_TOKEN_BYTES * 2);
    const notTokens = ["abc123", "0123456789abcdef", "012345678G"].map((suffix) => ({ ...rgwLifecycle[1], ID: `expire-noncurrent-versions.${suffix}` }));
    expect(lifecycleView(notTokens, ["expire-noncurrent-versions"]).map((r) => r.id)).toEqual(notTokens.map((r) => r.ID));
  });

  it("name a missing bucket, suspended versioning, an edited or added rule and a changed policy", () => {
    expect(bucketChecks(warehouse, { exists: false, lifecycle: [] }).map(formatCheck)).toEqual([
      "FAIL rgw         bucket iceberg-warehouse-dev: exists: expected the bucket, found no such bucket",
    ]);
    const widened = JSON.parse(storedPolicy) as { Statement: { Sid: string; Action: string[]; Principal: { AWS: string[] } }[] };
    widened.Statement[3].Action.push("s3:DeleteObjectVersion");
    widened.Statement[0].Principal.AWS = "arn:aws:iam:::user/data-platform-dev-trino" as unknown as string[];
    const lifecycle: LifecycleRule[] = [
      { ...rgwLifecycle[0] },
      { ...rgwLifecycle[1], NoncurrentVersionExpiration: { NoncurrentDays: 5 } },
      { ID: "by-hand", Prefix: "tmp/", Status: "Enabled", Expiration: { Days: 1 } },
    ];
    const lines = bucketChecks(warehouse, { exists: true, versioning: "Suspended", lifecycle, policy: JSON.stringify(widened), acl: ownerAcl }).map(
      formatCheck,
    );
    expect(lines).toEqual([
      "ok   rgw         bucket iceberg-warehouse-dev: exists",
      "FAIL rgw         bucket iceberg-warehouse-dev: versioning: expected Enabled, found Suspended",
      'FAIL rgw         bucket iceberg-warehouse-dev: lifecycle: expected 2 rules (expire-noncurrent-versions, abort-incomplete-multipart-uploads); rule.by-hand: unexpected {"id":"by-hand","other":{"expiration":{"days":1}},"prefix":"tmp/","status":"Enabled"}; rule.expire-noncurrent-versions.noncurrentDays: expected 30, found 5',
      "ok   rgw         bucket iceberg-warehouse-dev: acl (owner admin only)",
      'FAIL rgw         bucket iceberg-warehouse-dev: policy: expected 6 statements; policy.Statement.ReadWriteObjects.Action: unexpected ["s3:DeleteObjectVersion"]',
    ]);
    expect(bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle: rgwLifecycle, acl: ownerAcl }).map(formatCheck)[4]).toBe(
      "FAIL rgw         bucket iceberg-warehouse-dev: policy: expected 6 statements, found no policy",
    );
  });

  it("expects an adopted user under its own uid, in the policies too, with any number of keys", () => {
    const adopted = expectedRgw(
      config({
        buckets: JSON.stringify([{ key: "warehouse", name: "iceberg-test", readWrite: ["nessie", "spark"], read: ["trino"] }]),
        adopt: JSON.stringify({
          buckets: { warehouse: { name: "iceberg-test", policy: false } },
          users: { nessie: { uid: "iceberg", accessKey: "HANDMADE1" } },
        }),
      }),
    );
    expect(adopted.users.find((u) => u.app === "nessie")).toMatchObject({ uid: "iceberg", minKeys: 1, maxKeys: Number.POSITIVE_INFINITY });
    expect(adopted.access.filter((a) => a.app === "nessie").every((a) => a.uid === "iceberg")).toBe(true);
    const adoptedWarehouse = adopted.buckets.find((b) => b.key === "warehouse");
    expect(JSON.stringify(adoptedWarehouse && expectedPolicy(adoptedWarehouse, OWNER))).toContain("arn:aws:iam:::user/iceberg");
    expect(adopted.buckets.find((b) => b.key === "warehouse")?.keepsOthersRules).toBe(true);
    expect(adopted.buckets.find((b) => b.key === "nessie-backup")?.keepsOthersRules).toBeUndefined();
  });

  it("an adopted bucket keeps the rules the stack did not write: listed, not failed (only there)", () => {
    const handMade: LifecycleRule = { ID: "hand-made-expire-tmp", Prefix: "tmp/", Status: "Enabled", Expiration: { Days: 1 } };
    const lifecycle = [...rgwLifecycle, handMade];
    const adopted = { ...warehouse, keepsOthersRules: true };
    expect(formatCheck(bucketChecks(adopted, { exists: true, versioning: "Enabled", lifecycle })[2])).toBe(
      "ok   rgw         bucket iceberg-warehouse-dev: lifecycle (2 rules (expire-noncurrent-versions, abort-incomplete-multipart-uploads)) [kept 1 rule the stack did not write: hand-made-expire-tmp]",
    );
    expect(bucketChecks(warehouse, { exists: true, versioning: "Enabled", lifecycle })[2].status).toBe("fail");
    // The stack's own rules are still compared on an adopted bucket.
    const edited = [{ ...rgwLifecycle[0] }, { ...rgwLifecycle[1], NoncurrentVersionExpiration: { NoncurrentDays: 5 } }, handMade];
    expect(bucketChecks(adopted, { exists: true, versioning: "Enabled", lifecycle: edited })[2].status).toBe("fail");
  });

  it("compare policies by content: statement order, single-string values and key order do not matter", () => {
    const doc = warehousePolicy;
    if (!doc) throw new Error("no policy");
    const reordered = {
      Statement: [...doc.Statement]
        .reverse()
        .map((s) => ({ Resource: s.Resource[0], Action: [...s.Action].reverse(), Principal: s.Principal, Effect: s.Effect, Sid: s.Sid })),
      Version: doc.Version,
    };
    expect(policyView(JSON.stringify(reordered))).toEqual(policyView(doc));
  });
});

describe("user checks", () => {
  const nessie = expected.users[0];
  const spark = expected.users[1];
  it("want one key before a rotation and up to two after it, not suspended, with the 1Password key among them", () => {
    expect(
      userChecks(
        nessie,
        { exists: true, suspended: false, accessKeys: ["AKIAONE000"] },
        { title: "nessie-s3-credentials", accessKey: "AKIAONE000", secretMatches: true },
      ).map((c) => c.status),
    ).toEqual(["ok", "ok", "ok", "ok"]);
    expect(userChecks(spark, { exists: true, suspended: false, accessKeys: ["AKIAOLD000", "AKIANEW000"] }).every((c) => c.status === "ok")).toBe(true);
    expect(
      userChecks(
        nessie,
        { exists: true, suspended: true, accessKeys: ["AKIAONE000", "AKIAHAND00"] },
        { title: "i", accessKey: "AKIAGONE00", secretMatches: false },
      ).map(formatCheck),
    ).toEqual([
      "ok   rgw         user data-platform-dev-nessie: exists",
      "FAIL rgw         user data-platform-dev-nessie: suspended: expected not suspended, found suspended",
      "FAIL rgw         user data-platform-dev-nessie: keys: expected 1 key(s), found 2 (AKIA…00, AKIA…00)",
      "FAIL rgw         user data-platform-dev-nessie: key in 1Password item i: expected one of the user's keys, found access key AKIA…00, which the user does not have",
    ]);
    expect(userChecks(spark, { exists: true, suspended: false, accessKeys: ["A1", "A2", "A3"] }).map(formatCheck)[2]).toContain(
      "expected 1-2 (after a rotation the replaced key stays valid until the next one) key(s), found 3",
    );
    expect(userChecks(nessie, { exists: false, suspended: false, accessKeys: [] }).map(formatCheck)).toEqual([
      "FAIL rgw         user data-platform-dev-nessie: exists: expected the user, found no such user",
    ]);
    expect(
      userChecks(nessie, { exists: true, suspended: false, accessKeys: ["AKIAONE000"] }, { title: "i", accessKey: "AKIAONE000", secretMatches: false }).map(
        formatCheck,
      )[3],
    ).toContain("expected the user's secret key, found a different secret key");
  });
});

describe("probes", () => {
  it("allow what the grant gives and refuse one thing it does not", () => {
    expect(probePlan("readWrite").map((s) => `${s.operation}:${s.want}`)).toEqual([
      "put:allowed",
      "get:allowed",
      "list:allowed",
      "delete-version:denied",
      "delete:allowed",
    ]);
    expect(probePlan("read").map((s) => `${s.operation}:${s.want}`)).toEqual(["get-seed:allowed", "list:allowed", "put:denied"]);
    expect(probePlan("none").map((s) => `${s.operation}:${s.want}`)).toEqual(["get-seed:denied", "list:denied"]);
  });

  it("say which operation went the wrong way", () => {
    const access = { app: "trino", uid: "u", bucket: "b", access: "read" as const };
    const plan = probePlan("read");
    expect(
      formatCheck(
        probeCheck(
          access,
          plan.map((step) => ({ step, outcome: step.want })),
          "keys from 1Password item x",
        ),
      ),
    ).toBe("ok   rgw         app trino on b: read grant (get-seed, list allowed; put refused) [keys from 1Password item x]");
    expect(
      formatCheck(
        probeCheck(
          access,
          plan.map((step) => ({ step, outcome: step.operation === "put" ? "allowed" : step.operation === "list" ? "error InvalidAccessKeyId" : "allowed" })),
          "k",
        ),
      ),
    ).toBe(
      "FAIL rgw         app trino on b: read grant: expected get-seed, list allowed; put refused; list: expected allowed, found error InvalidAccessKeyId; put: expected refused, found allowed [k]",
    );
  });
});

describe("S3 errors", () => {
  it("are read by their fields, and say what to check", () => {
    expect(s3ErrorCode({ name: "AccessDenied", Code: "AccessDenied", $metadata: { httpStatusCode: 403 } })).toBe("AccessDenied");
    // HEAD answers have no body: the SDK only knows the status.
    expect(s3ErrorCode({ name: "403", $metadata: { httpStatusCode: 403 } })).toBe("AccessDenied");
    expect(s3ErrorCode({ name: "Forbidden", $metadata: { httpStatusCode: 403 } })).toBe("AccessDenied");
    const where = { endpoint: "http://rgw:7480", keys: "config rgwAdminAccessKey and config rgwAdminSecretKey" };
    expect(s3ErrorCode({ name: "NotFound", $metadata: { httpStatusCode: 404 } })).toBe("NotFound");
    expect(s3ErrorCode(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe("ECONNREFUSED");
    // RGW's own code, the endpoint and where the keys came from (regression: "AccessDenied" for a
    // SignatureDoesNotMatch, the environment's names for keys from config, no endpoint).
    expect(s3ErrorText({ name: "SignatureDoesNotMatch", Code: "SignatureDoesNotMatch", $metadata: { httpStatusCode: 403 } }, where)).toBe(
      "RGW at http://rgw:7480 answered SignatureDoesNotMatch (HTTP 403) — check config rgwAdminAccessKey and config rgwAdminSecretKey (the keys of the user that owns the buckets)",
    );
    expect(s3ErrorText({ name: "InvalidAccessKeyId", $metadata: { httpStatusCode: 403 } }, where)).toContain(
      "answered InvalidAccessKeyId (HTTP 403) — check config rgwAdminAccessKey",
    );
    expect(s3ErrorText(new Error("AWS SDK error wrapper for Error: getaddrinfo ENOTFOUND rgw.example.com"), where)).toBe(
      "cannot reach RGW at http://rgw:7480: ENOTFOUND — check rgw.endpoint (config rgwEndpoint)",
    );
    const rejected = rgwError("x", { kind: "credentialsRejected", endpoint: "http://rgw:7480", status: 403, code: "SignatureDoesNotMatch" });
    expect(adminErrorText(rejected, where)).toBe(
      "the RGW admin API at http://rgw:7480 answered SignatureDoesNotMatch (HTTP 403) — check config rgwAdminAccessKey and config rgwAdminSecretKey",
    );
    const refused = rgwError("x", { kind: "unreachable", endpoint: "http://rgw:7480", code: "ECONNREFUSED" });
    expect(adminErrorText(refused, where)).toBe("cannot reach the RGW admin API at http://rgw:7480: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)");
  });
});
