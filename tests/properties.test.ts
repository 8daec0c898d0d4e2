// Property-based tests (fast-check) of the pure builders' invariants: every bucket policy keeps the
// outsider out and the owner in; every lifecycle rule a builder emits holds days RGW can store (or the
// builder refuses); config parsing never echoes a credential placed where credentials go. numRuns is kept
// modest so the whole file runs in about a second.
import fc from "fast-check";
import { CONFIG_KEYS, type ConfigKeySpec, MAX_LIFECYCLE_DAYS, parsePlatformConfig } from "../config";
import { bucketGrants, bucketLifecycleRules, bucketPolicyDocument, rgwUserArn, rgwUserId } from "../components/objectStorage/policies";
import { lifecycleRulesProblems, toS3LifecycleConfiguration } from "../providers/lifecycleRules";

const RUNS = { numRuns: 200 };

/** fc.assert inside an expectation (jest counts it; a failure reports the shrunk counterexample). */
function holds<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts> = RUNS): void {
  const details = fc.check(property, params);
  expect(details.failed ? fc.defaultReportMessage(details) : "holds").toBe("holds");
}

describe("bucket policies", () => {
  const apps = ["nessie", "spark", "trino", "airflow", "flink"];
  const appLists = fc.record({ readWrite: fc.subarray(apps), read: fc.subarray(apps) });

  it("name only granted users, never a wildcard; the only Deny keeps apps off old versions, never the owner", () => {
    holds(
      fc.property(appLists, fc.constantFrom("dev", "prod", "t1"), (lists, environment) => {
        const grants = bucketGrants(lists, environment);
        const owner = `data-platform-${environment}-admin`;
        const doc = bucketPolicyDocument(`bucket-${environment}`, grants, owner);
        const granted = new Set(grants.map((g) => rgwUserArn(g.uid)));
        if (grants.length === 0) return doc === undefined;
        if (doc === undefined) return false;
        const apps = doc.Statement.filter((s) => s.Sid !== "OwnerRecovery");
        const principals = apps.flatMap((s) => s.Principal.AWS);
        const outsider = rgwUserArn(rgwUserId(environment, "outsider"));
        const allows = apps.filter((s) => s.Effect === "Allow");
        const denies = apps.filter((s) => s.Effect === "Deny");
        const recovery = doc.Statement.filter((s) => s.Sid === "OwnerRecovery");
        return (
          principals.every((p) => granted.has(p)) &&
          !principals.includes(outsider) &&
          // The owner (the stack's admin) is named only by OwnerRecovery: it keeps every right S3 gives an
          // owner, and may read every object and version whoever wrote it; no Deny names it.
          !principals.includes(rgwUserArn(owner)) &&
          recovery.length === 1 &&
          recovery[0].Effect === "Allow" &&
          JSON.stringify(recovery[0].Principal.AWS) === JSON.stringify([rgwUserArn(owner)]) &&
          JSON.stringify(recovery[0].Action) === JSON.stringify(["s3:GetObject", "s3:GetObjectVersion"]) &&
          !JSON.stringify(doc).includes('"*"') &&
          // No app is allowed old versions or the bucket's settings...
          allows.every((s) => s.Action.every((a) => !/Version|Policy|Lifecycle|Acl/.test(a))) &&
          // ...and every app is denied reading or deleting old versions (the uploader's ACL would allow it).
          denies.length === 1 &&
          denies[0].Action.join() === "s3:DeleteObjectVersion,s3:GetObjectVersion" &&
          [...granted].every((p) => denies[0].Principal.AWS.includes(p))
        );
      }),
      RUNS,
    );
  });

  it("give writers write and readers read only, the wider access winning", () => {
    holds(
      fc.property(appLists, (lists) => {
        const doc = bucketPolicyDocument("b-dev", bucketGrants(lists, "dev"), "admin");
        const writers = new Set(doc?.Statement.filter((s) => s.Action.includes("s3:PutObject")).flatMap((s) => s.Principal.AWS) ?? []);
        const readers = new Set(
          doc?.Statement.filter((s) => s.Sid !== "OwnerRecovery" && s.Action.includes("s3:GetObject")).flatMap((s) => s.Principal.AWS) ?? [],
        );
        const arn = (app: string) => rgwUserArn(rgwUserId("dev", app));
        return (
          apps.every((app) => writers.has(arn(app)) === lists.readWrite.includes(app)) &&
          apps.every((app) => readers.has(arn(app)) === (lists.readWrite.includes(app) || lists.read.includes(app)))
        );
      }),
      RUNS,
    );
  });
});

describe("lifecycle days", () => {
  // Whole numbers around every edge RGW has (its int32 wraps 2^32 + 1 to 1), fractions, and non-numbers.
  const days = fc.oneof(
    fc.integer({ min: -5, max: 400 }),
    fc.integer({ min: MAX_LIFECYCLE_DAYS - 3, max: MAX_LIFECYCLE_DAYS + 3 }),
    fc.constantFrom(2 ** 32 + 1, 2 ** 31, 1e21, Number.MAX_SAFE_INTEGER, Infinity, NaN),
    fc.double({ min: -10, max: 1e12 }),
  );
  const inRange = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 1 && n <= MAX_LIFECYCLE_DAYS);

  it("every rule the builder emits holds days RGW stores as written, or the builder refuses", () => {
    holds(
      fc.property(fc.option(days, { nil: undefined }), fc.option(days, { nil: undefined }), (noncurrentVersionDays, abortIncompleteMultipartDays) => {
        let rules;
        try {
          rules = bucketLifecycleRules({ noncurrentVersionDays, abortIncompleteMultipartDays });
        } catch {
          // Refused: only when a value was out of range.
          return !(inRange(noncurrentVersionDays) && inRange(abortIncompleteMultipartDays));
        }
        const s3 = toS3LifecycleConfiguration(rules).Rules;
        return (
          inRange(noncurrentVersionDays) &&
          inRange(abortIncompleteMultipartDays) &&
          s3.every((r) => inRange(r.NoncurrentVersionExpiration?.NoncurrentDays) && inRange(r.AbortIncompleteMultipartUpload?.DaysAfterInitiation)) &&
          lifecycleRulesProblems(rules).length === 0
        );
      }),
      RUNS,
    );
  });

  it("config accepts a bucket's days only within RGW's range", () => {
    holds(
      fc.property(days, (value) => {
        const raw = { ...MINIMAL, buckets: JSON.stringify([{ key: "warehouse", noncurrentVersionDays: value }]) };
        const result = parsePlatformConfig(raw, SECRETS);
        if (!Number.isFinite(value)) return true; // JSON has no NaN/Infinity: they read as null
        if (result.ok) return inRange(value) && result.config.buckets.every((b) => inRange(b.noncurrentVersionDays));
        return !inRange(value) && result.errors.every((e) => e.startsWith("data-platform:buckets[0].noncurrentVersionDays: "));
      }),
      { numRuns: 100 },
    );
  });
});

/** The smallest valid stack, secrets present (their values never reach the parser). */
const MINIMAL: Record<string, string> = {
  environment: "dev",
  rgwEndpoint: "https://rgw.example.com",
  onepasswordConnectUrl: "https://op-connect.example.com",
  imageRegistry: "registry.example.com",
  fluxGitUrl: "ssh://git@github.com/example/platform.git",
  fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
};
const SECRETS = { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) };

describe("config messages", () => {
  // What a leaked key looks like: a long run mixing letters and digits (RGW keys, tokens, passwords).
  const secret = fc
    .tuple(fc.stringMatching(/^[A-Za-z]{8,20}$/), fc.stringMatching(/^[0-9]{2,6}$/), fc.stringMatching(/^[A-Za-z0-9]{8,20}$/))
    .map(([a, b, c]) => `${a}${b}${c}`);
  /** The value `key` gets, with the secret where a credential sits in it: URL userinfo, query, fragment. */
  const carrying = (s: string) => [
    `https://user:${s}@host.example.com/p?token=${s}#${s}`,
    `ssh://git:${s}@host.example.com/r.git`,
    `https://${s}@host.example.com`,
  ];
  const nonSecretKeys = (Object.entries(CONFIG_KEYS) as [string, ConfigKeySpec][]).filter(([, spec]) => !spec.secret).map(([key]) => key);

  it("never quote a credential, whatever key it is in and whatever else is wrong", () => {
    holds(
      fc.property(secret, fc.subarray(nonSecretKeys, { minLength: 1 }), fc.nat(2), fc.boolean(), (s, keys, shape, asSecretKey) => {
        const url = carrying(s)[shape];
        const raw: Record<string, string> = { ...MINIMAL };
        for (const key of keys) {
          const type = (CONFIG_KEYS as Record<string, ConfigKeySpec>)[key].type;
          raw[key] =
            type === "string"
              ? url
              : type === "object[]"
                ? JSON.stringify([{ key: url, name: url, title: url, path: url, url }])
                : type === "object"
                  ? JSON.stringify({ [url]: url })
                  : type === "string[]"
                    ? JSON.stringify([url])
                    : url;
        }
        // A secret key given as plain config (not --secret): reported, never shown.
        const plaintext = asSecretKey ? new Set(["rgwAdminSecretKey"]) : undefined;
        const result = parsePlatformConfig(asSecretKey ? { ...raw, rgwAdminSecretKey: s } : raw, { ...SECRETS, plaintext });
        const messages = result.ok ? "" : result.errors.join("\n");
        return !messages.includes(s);
      }),
      RUNS,
    );
  });
});
