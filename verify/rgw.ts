// Ceph RGW: buckets (existence, versioning, lifecycle, policy), app users (admin API) and, with each
// app's own keys, what its grants allow and refuse. Pure comparisons first, then the thin I/O.
import {
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import { ENDPOINT_HINT } from "../providers/connection";
import { isRgwError, s3ErrorKind, s3Failure } from "../providers/errors";
import { fromS3LifecycleRules, splitRuleId } from "../providers/lifecycleRules";
import { rgwS3Client } from "../providers/s3Client";
import { type Bounded, Deadlines, isNoAnswer } from "./deadline";
import { type CheckResult, compared, errorText, failure, maskKey, notChecked, pass } from "./checks";
import { differences, keyed } from "./diff";
import {
  type BucketAccess,
  type ExpectedAccess,
  type ExpectedBucket,
  type ExpectedRgw,
  type ExpectedUser,
  type LifecycleRuleView,
  expectedPolicy,
} from "./expected";

// ---------------------------------------------------------------------------------------------
// Pure: what was read, compared with what was declared.

/** What verify read about one bucket with the bucket owner's (admin) keys. */
export interface ObservedBucket {
  exists: boolean;
  /** GetBucketVersioning Status; undefined when versioning was never configured. */
  versioning?: string;
  /** As the SDK returns them; [] for NoSuchLifecycleConfiguration. */
  lifecycle: LifecycleRule[];
  /** The policy text; undefined for NoSuchBucketPolicy. */
  policy?: string;
  /** GetBucketAcl: the owner's uid and every grant (absent when not read). */
  acl?: { owner: string; grants: BucketAclGrant[] };
}

/** One ACL grant: a user (its uid) or a group (AllUsers, AuthenticatedUsers), and the permission. */
export interface BucketAclGrant {
  grantee: string;
  permission: string;
}

const GROUP_NAMES: Record<string, string> = {
  "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers (public)",
  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers (every user of this RGW)",
};

/**
 * The bucket's ACL must grant its owner and nobody else: a grant to a group makes the bucket public (or
 * open to every RGW user), a grant to another user bypasses the policy's per-app grants.
 */
export function aclCheck(bucket: string, acl: { owner: string; grants: readonly BucketAclGrant[] }): CheckResult {
  const base = { system: "rgw" as const, subject: `bucket ${bucket}`, check: "acl" };
  const extra = acl.grants.filter((g) => !(g.grantee === acl.owner && g.permission === "FULL_CONTROL"));
  return extra.length === 0
    ? pass(base, `owner ${acl.owner} only`)
    : failure(
        base,
        `only the owner ${acl.owner} (apps get access through the bucket policy)`,
        "more grants",
        extra.map((g) => `${GROUP_NAMES[g.grantee] ?? (g.grantee === acl.owner ? `owner ${g.grantee}` : `user ${g.grantee}`)}: ${g.permission}`),
      );
}

/**
 * Rules as RGW returns them (read the way BucketLifecycle reads them: fromS3LifecycleRules), flattened
 * like the declared ones. A rule ID BucketLifecycle wrote as `<id>.<ownerToken>` shows as its declared
 * ID, so the rule compares by content; every field the stack does not set is kept under `other`.
 */
export function lifecycleView(rules: readonly LifecycleRule[], declaredIds: readonly string[]): LifecycleRuleView[] {
  return fromS3LifecycleRules(rules).map((rule) => {
    const { id: written, status, filter, noncurrentVersionExpiration, abortIncompleteMultipartUpload, ...rest } = rule;
    const { id: declared } = splitRuleId(written);
    const { prefix, ...filterRest } = filter;
    const { noncurrentDays, ...noncurrentRest } = noncurrentVersionExpiration ?? {};
    const { daysAfterInitiation } = abortIncompleteMultipartUpload ?? {};
    const other: Record<string, unknown> = {
      ...rest,
      ...(Object.keys(filterRest).length > 0 && { filter: filterRest }),
      ...(Object.keys(noncurrentRest).length > 0 && { noncurrentVersionExpiration: noncurrentRest }),
    };
    return {
      id: declaredIds.includes(declared) ? declared : written,
      status,
      prefix,
      ...(noncurrentDays !== undefined && { noncurrentDays }),
      ...(daysAfterInitiation !== undefined && { abortIncompleteMultipartDays: daysAfterInitiation }),
      ...(Object.keys(other).length > 0 && { other }),
    };
  });
}

/** A policy document in a comparable shape: statements keyed by Sid, single values as lists. */
export function policyView(policy: unknown): Record<string, unknown> {
  const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as { Version?: unknown; Statement?: unknown };
  const list = (value: unknown): unknown => (typeof value === "string" ? [value] : Array.isArray(value) ? [...(value as unknown[])].map(String).sort() : value);
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement]) as Record<string, unknown>[];
  const normalized = statements.map((s) => {
    const principal = s.Principal;
    const principalView =
      typeof principal === "object" && principal !== null ? Object.fromEntries(Object.entries(principal).map(([k, v]) => [k, list(v)])) : principal;
    const { Sid: _sid, ...rest } = s;
    void _sid;
    return {
      ...rest,
      Principal: principalView,
      Action: list(s.Action),
      Resource: list(s.Resource),
      ...(s.NotAction !== undefined && { NotAction: list(s.NotAction) }),
    };
  });
  return { Version: doc.Version, Statement: keyed(normalized, (_, i) => String(statements[i].Sid ?? `#${i}`)) };
}

export function bucketChecks(expected: ExpectedBucket, observed: ObservedBucket): CheckResult[] {
  const base = (check: string) => ({ system: "rgw" as const, subject: `bucket ${expected.name}`, check });
  if (!observed.exists) return [failure(base("exists"), "the bucket", "no such bucket")];
  const results: CheckResult[] = [pass(base("exists"))];
  const versioning = observed.versioning ?? "(never enabled)";
  results.push(versioning === expected.versioning ? pass(base("versioning"), versioning) : failure(base("versioning"), expected.versioning, versioning));
  // An adopted bucket keeps the rules the stack did not write (BucketLifecycle merges): listed, not failed.
  const declaredIds = expected.lifecycle.map((r) => r.id);
  const others = (expected.keepsOthersRules ? observed.lifecycle : []).filter((rule) => {
    const { id, ownerToken } = splitRuleId(rule.ID ?? "");
    return ownerToken === "" && !declaredIds.includes(id);
  });
  const found = lifecycleView(
    observed.lifecycle.filter((rule) => !others.includes(rule)),
    declaredIds,
  );
  results.push(
    compared(
      base("lifecycle"),
      `${expected.lifecycle.length} rules (${declaredIds.join(", ")})`,
      differences(
        keyed(expected.lifecycle, (r) => r.id),
        keyed(found, (r) => r.id),
        "rule",
      ),
      others.length > 0
        ? `kept ${others.length} rule${others.length === 1 ? "" : "s"} the stack did not write: ${others.map((r) => r.ID ?? "").join(", ")}`
        : undefined,
    ),
  );
  if (observed.acl) results.push(aclCheck(expected.name, observed.acl));
  // The policy names the owner (its recovery statement): without the owner read, it cannot be compared.
  const policy = observed.acl ? expectedPolicy(expected, observed.acl.owner) : undefined;
  if (expected.grants.length === 0) {
    results.push(
      observed.policy === undefined ? pass(base("policy"), "none (no grants)") : failure(base("policy"), "no policy (no grants in config)", "a policy"),
    );
  } else if (policy === undefined) {
    results.push(notChecked(base("policy"), "the bucket's owner could not be read (GetBucketAcl)"));
  } else if (observed.policy === undefined) {
    results.push(failure(base("policy"), `${policy.Statement.length} statements`, "no policy"));
  } else {
    let found: Record<string, unknown> | undefined;
    try {
      found = policyView(observed.policy);
    } catch (error) {
      results.push(failure(base("policy"), "a JSON policy", `unparseable: ${errorText(error)}`));
    }
    if (found) results.push(compared(base("policy"), `${policy.Statement.length} statements`, differences(policyView(policy), found, "policy")));
  }
  return results;
}

/** What the admin API says about an app's user (secret keys stay inside the I/O layer). */
export interface ObservedUser {
  exists: boolean;
  suspended: boolean;
  accessKeys: string[];
}

/** The app's keys as its 1Password item holds them, checked against the user's keys. */
export interface ItemKeyMatch {
  title: string;
  accessKey: string;
  /** The item's secret equals RGW's secret for that access key. */
  secretMatches: boolean;
}

export function userChecks(expected: ExpectedUser, observed: ObservedUser, itemKey?: ItemKeyMatch): CheckResult[] {
  const base = (check: string) => ({ system: "rgw" as const, subject: `user ${expected.uid}`, check });
  if (!observed.exists) return [failure(base("exists"), "the user", "no such user")];
  const count = observed.accessKeys.length;
  const want =
    expected.minKeys === expected.maxKeys
      ? `${expected.minKeys}`
      : `${expected.minKeys}-${expected.maxKeys} (after a rotation the replaced key stays valid until the next one)`;
  const results = [
    pass(base("exists")),
    observed.suspended ? failure(base("suspended"), "not suspended", "suspended") : pass(base("suspended"), "no"),
    count >= expected.minKeys && count <= expected.maxKeys
      ? pass(base("keys"), `${count} key${count === 1 ? "" : "s"}`)
      : failure(base("keys"), `${want} key(s)`, `${count}${count > 0 ? ` (${observed.accessKeys.map(maskKey).join(", ")})` : ""}`),
  ];
  if (itemKey) {
    const check = base(`key in 1Password item ${itemKey.title}`);
    if (!observed.accessKeys.includes(itemKey.accessKey))
      results.push(failure(check, "one of the user's keys", `access key ${maskKey(itemKey.accessKey)}, which the user does not have`));
    else if (!itemKey.secretMatches) results.push(failure(check, "the user's secret key", `a different secret key for ${maskKey(itemKey.accessKey)}`));
    else results.push(pass(check, maskKey(itemKey.accessKey)));
  }
  return results;
}

export type ProbeOperation = "put" | "get" | "list" | "delete" | "delete-version" | "get-seed";
export type ProbeOutcome = "allowed" | "denied" | `error ${string}`;

export interface ProbeStep {
  operation: ProbeOperation;
  /** What the grant means for this operation. */
  want: "allowed" | "denied";
}

/**
 * What an app's key must be able to do on a bucket, and one thing it must not: read-write apps write,
 * read back, list and delete their probe object, but cannot delete an object version (no *Version
 * actions); read-only apps read and list but cannot write; apps without a grant cannot read or list.
 */
export function probePlan(access: BucketAccess): ProbeStep[] {
  switch (access) {
    case "readWrite":
      return [
        { operation: "put", want: "allowed" },
        { operation: "get", want: "allowed" },
        { operation: "list", want: "allowed" },
        { operation: "delete-version", want: "denied" },
        { operation: "delete", want: "allowed" },
      ];
    case "read":
      return [
        { operation: "get-seed", want: "allowed" },
        { operation: "list", want: "allowed" },
        { operation: "put", want: "denied" },
      ];
    case "none":
      return [
        { operation: "get-seed", want: "denied" },
        { operation: "list", want: "denied" },
      ];
  }
}

export function probeCheck(expected: ExpectedAccess, outcomes: readonly { step: ProbeStep; outcome: ProbeOutcome }[], keySource: string): CheckResult {
  const base = { system: "rgw" as const, subject: `app ${expected.app} on ${expected.bucket}`, check: `${expected.access} grant` };
  const describe = (want: "allowed" | "denied") =>
    outcomes
      .filter((o) => o.step.want === want)
      .map((o) => o.step.operation)
      .join(", ");
  const wanted = [describe("allowed") && `${describe("allowed")} allowed`, describe("denied") && `${describe("denied")} refused`].filter(Boolean).join("; ");
  const wrong = outcomes
    .filter((o) => o.outcome !== o.step.want)
    .map(
      (o) =>
        `${o.step.operation}: expected ${o.step.want === "allowed" ? "allowed" : "refused"}, found ${o.outcome === "denied" ? "refused (AccessDenied)" : o.outcome}`,
    );
  return wrong.length === 0 ? pass(base, wanted, keySource) : failure(base, wanted, "different", wrong, keySource);
}

// ---------------------------------------------------------------------------------------------
// I/O

export interface S3Keys {
  accessKey: string;
  secretKey: string;
}

export function s3Client(endpoint: string, region: string, keys: S3Keys, timeoutMs?: number): S3Client {
  return rgwS3Client({ endpoint, region, ...keys, ...(timeoutMs !== undefined && { timeoutMs }) });
}

/** How verify names RGW when it does not answer: the endpoint, and the config key that sets it. */
export const rgwSystem = (endpoint: string): string => `RGW at ${endpoint}`;

/** Calls to RGW with a deadline of their own, for callers outside a verify run. */
export const rgwCalls = (endpoint: string): Bounded => new Deadlines().for(rgwSystem(endpoint), ENDPOINT_HINT);

/** One S3 call under a deadline: the signal reaches the SDK (retries included), and reading the body counts. */
const s3Call = <T>(bounded: Bounded, what: string, run: (options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> =>
  bounded(what, (signal) => run({ abortSignal: signal }));

/** The S3 error code of a failed call (AccessDenied, NoSuchBucket, ...), or the network code: read as the provider reads it. */
export function s3ErrorCode(error: unknown): string {
  return s3Failure(error).code || errorText(error);
}

/** One line for a failed S3 call of the bucket owner (admin) keys, with what to check. */
export function s3ErrorText(error: unknown, where: RgwWhere = DEFAULT_WHERE): string {
  const failure = s3Failure(error);
  const code = failure.code || errorText(error);
  const said = `${code}${failure.status !== undefined && !code.includes(String(failure.status)) ? ` (HTTP ${failure.status})` : ""}`;
  const kind = s3ErrorKind(failure);
  if (kind === "credentialsRejected" || kind === "accessDenied")
    return `RGW at ${where.endpoint} answered ${said} — check ${where.keys} (the keys of the user that owns the buckets)`;
  if (kind === "unreachable") return `cannot reach RGW at ${where.endpoint}: ${code} — ${ENDPOINT_HINT}`;
  return said;
}

/** Where verify talks to RGW and where the admin keys came from, for hints. */
export interface RgwWhere {
  endpoint: string;
  /** The variables or config keys the admin keys were read from, e.g. "RGW_ADMIN_ACCESS_KEY/RGW_ADMIN_SECRET_KEY". */
  keys: string;
}
const DEFAULT_WHERE: RgwWhere = {
  endpoint: "(rgwEndpoint)",
  keys: "RGW_ADMIN_ACCESS_KEY/RGW_ADMIN_SECRET_KEY or the stack's secrets rgwAdminAccessKey/rgwAdminSecretKey",
};

/** One line for a failed Admin Ops call, with the same hints as the S3 calls (the provider's name config keys). */
export function adminErrorText(error: unknown, where: RgwWhere): string {
  if (isRgwError(error, "credentialsRejected"))
    return `the RGW admin API at ${where.endpoint} answered ${error.code ?? "an error"} (HTTP ${error.status ?? "?"}) — check ${where.keys}`;
  if (isRgwError(error, "unreachable") && error.code !== undefined)
    return `cannot reach the RGW admin API at ${where.endpoint}: ${error.code} — ${ENDPOINT_HINT}`;
  return errorText(error);
}

async function optional<T>(call: Promise<T>, absent: readonly string[]): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (absent.includes(s3ErrorCode(error))) return undefined;
    throw error;
  }
}

export async function observeBucket(client: S3Client, name: string, bounded: Bounded = rgwCalls("RGW")): Promise<ObservedBucket> {
  const call = <T>(what: string, run: (options: { abortSignal: AbortSignal }) => Promise<T>) => s3Call(bounded, `${what} ${name}`, run);
  // A GET first, not HeadBucket: a HEAD answer has no body, so a refusal would hide RGW's error code
  // (SignatureDoesNotMatch, InvalidAccessKeyId) behind a bare 403.
  const versioning = await optional(
    call("GetBucketVersioning", (o) => client.send(new GetBucketVersioningCommand({ Bucket: name }), o)),
    ["NotFound", "NoSuchBucket"],
  );
  if (versioning === undefined) return { exists: false, lifecycle: [] };
  const lifecycle = await optional(
    call("GetBucketLifecycleConfiguration", (o) => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: name }), o)),
    ["NoSuchLifecycleConfiguration"],
  );
  const policy = await optional(
    call("GetBucketPolicy", (o) => client.send(new GetBucketPolicyCommand({ Bucket: name }), o)),
    ["NoSuchBucketPolicy"],
  );
  const acl = await call("GetBucketAcl", (o) => client.send(new GetBucketAclCommand({ Bucket: name }), o));
  const grants = (acl.Grants ?? []).map((g) => ({
    grantee: g.Grantee?.ID ?? g.Grantee?.URI ?? g.Grantee?.EmailAddress ?? "(unknown)",
    permission: g.Permission ?? "(none)",
  }));
  return {
    exists: true,
    versioning: versioning.Status,
    lifecycle: lifecycle?.Rules ?? [],
    policy: policy?.Policy,
    acl: { owner: acl.Owner?.ID ?? "", grants },
  };
}

/** The reserved prefix of one run's probe objects. */
export const probePrefix = (runId: string): string => `.verify/${runId}/`;

async function outcomeOf(call: () => Promise<unknown>): Promise<ProbeOutcome> {
  try {
    await call();
    return "allowed";
  } catch (error) {
    // A system that stopped answering is not an outcome of the grant: the probe cannot be made.
    if (isNoAnswer(error)) throw error;
    const code = s3ErrorCode(error);
    return code === "AccessDenied" ? "denied" : `error ${code}`;
  }
}

/** Runs one app's probe plan on one bucket with the app's own keys. */
export async function runProbe(
  app: S3Client,
  bucket: string,
  appName: string,
  runId: string,
  plan: readonly ProbeStep[],
  bounded: Bounded = rgwCalls("RGW"),
): Promise<{ step: ProbeStep; outcome: ProbeOutcome }[]> {
  const key = `${probePrefix(runId)}${appName}`;
  const seed = `${probePrefix(runId)}seed`;
  const body = `verify ${runId} ${appName}`;
  let versionId: string | undefined;
  const results: { step: ProbeStep; outcome: ProbeOutcome }[] = [];
  for (const step of plan) {
    const outcome = await outcomeOf(() =>
      s3Call(bounded, `${step.operation} by app ${appName} on ${bucket}`, async (o) => {
        switch (step.operation) {
          case "put":
            versionId = (await app.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), o)).VersionId ?? "null";
            return;
          case "get": {
            const text = await (await app.send(new GetObjectCommand({ Bucket: bucket, Key: key }), o)).Body?.transformToString();
            if (text !== body) throw Object.assign(new Error("read back different content"), { name: "ContentMismatch" });
            return;
          }
          case "get-seed":
            await (await app.send(new GetObjectCommand({ Bucket: bucket, Key: seed }), o)).Body?.transformToString();
            return;
          case "list":
            await app.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: probePrefix(runId) }), o);
            return;
          case "delete-version":
            await app.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId ?? "null" }), o);
            return;
          case "delete":
            await app.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), o);
            return;
        }
      }),
    );
    results.push({ step, outcome });
  }
  return results;
}

/** With the owner's keys: the seed object read-only and unauthorized apps probe for. */
export async function putSeed(owner: S3Client, bucket: string, runId: string, bounded: Bounded = rgwCalls("RGW")): Promise<void> {
  await s3Call(bounded, `PutObject ${bucket}/${probePrefix(runId)}seed`, (o) =>
    owner.send(new PutObjectCommand({ Bucket: bucket, Key: `${probePrefix(runId)}seed`, Body: `verify ${runId}` }), o),
  );
}

/** With the owner's keys: every version and delete marker under this run's prefix, removed. */
export async function removeProbeObjects(owner: S3Client, bucket: string, runId: string, bounded: Bounded = rgwCalls("RGW")): Promise<number> {
  const listed = await s3Call(bounded, `ListObjectVersions ${bucket}/${probePrefix(runId)}`, (o) =>
    owner.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: probePrefix(runId) }), o),
  );
  const versions = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])];
  for (const v of versions)
    await s3Call(bounded, `DeleteObject ${bucket}/${v.Key}`, (o) =>
      owner.send(new DeleteObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId }), o),
    );
  return versions.length;
}

export interface RgwAdminReader {
  getUser(uid: string): Promise<{ suspended: boolean; keys: { accessKey: string; secretKey: string }[] } | undefined>;
}

export interface RgwVerifyInput {
  expected: ExpectedRgw;
  admin: RgwAdminReader;
  owner: S3Keys;
  /** Where the owner's keys came from (environment variables or config keys), for hints. */
  ownerKeysFrom?: string;
  /** Per app, its keys as its 1Password item holds them (absent: no item, or 1Password skipped/unreachable). */
  itemKeys: Record<string, { title: string; keys: S3Keys }>;
  runId: string;
  probes: boolean;
  /** The run's deadlines (absent: verify's defaults). */
  deadlines?: Deadlines;
}

/** Every RGW check. Errors of one subject become a failed check for it; the others still run. */
export async function verifyRgw(input: RgwVerifyInput): Promise<CheckResult[]> {
  const { expected } = input;
  const deadlines = input.deadlines ?? new Deadlines();
  const bounded = deadlines.for(rgwSystem(expected.endpoint), ENDPOINT_HINT);
  const where: RgwWhere = { endpoint: expected.endpoint, keys: input.ownerKeysFrom ?? DEFAULT_WHERE.keys };
  const owner = s3Client(expected.endpoint, expected.region, input.owner, deadlines.callMs);
  const results: CheckResult[] = [];
  const existing = new Set<string>();
  for (const bucket of expected.buckets) {
    try {
      const observed = await observeBucket(owner, bucket.name, bounded);
      if (observed.exists) existing.add(bucket.name);
      results.push(...bucketChecks(bucket, observed));
    } catch (error) {
      results.push(
        notChecked({ system: "rgw", subject: `bucket ${bucket.name}`, check: "read" }, isNoAnswer(error) ? error.message : s3ErrorText(error, where)),
      );
    }
  }
  // Every key of every user is probed: after a rotation the replaced key still works until the next one,
  // so it must be held to the same grant.
  const probeKeys: Record<string, { keys: S3Keys; source: string }[]> = {};
  for (const user of expected.users) {
    try {
      const info = await bounded(`GET /admin/user uid=${user.uid}`, () => input.admin.getUser(user.uid));
      const item = input.itemKeys[user.app];
      const match = item && info ? info.keys.find((k) => k.accessKey === item.keys.accessKey) : undefined;
      results.push(
        ...userChecks(
          user,
          { exists: info !== undefined, suspended: info?.suspended ?? false, accessKeys: info?.keys.map((k) => k.accessKey) ?? [] },
          item && info ? { title: item.title, accessKey: item.keys.accessKey, secretMatches: match?.secretKey === item.keys.secretKey } : undefined,
        ),
      );
      const keys: { keys: S3Keys; source: string }[] = item ? [{ keys: item.keys, source: `keys from 1Password item ${item.title}` }] : [];
      for (const key of info?.keys ?? []) {
        if (key.accessKey === item?.keys.accessKey) continue;
        const why = item ? "another key of the user (after a rotation the replaced key stays valid)" : "no 1Password item read for this app";
        keys.push({ keys: { accessKey: key.accessKey, secretKey: key.secretKey }, source: `key ${maskKey(key.accessKey)} from the RGW admin API: ${why}` });
      }
      if (keys.length > 0) probeKeys[user.app] = keys;
    } catch (error) {
      results.push(notChecked({ system: "rgw", subject: `user ${user.uid}`, check: "read" }, adminErrorText(error, where)));
    }
  }
  if (!input.probes) return results;

  const buckets = expected.buckets.filter((b) => existing.has(b.name));
  try {
    for (const bucket of buckets) await putSeed(owner, bucket.name, input.runId, bounded);
    for (const access of expected.access) {
      if (!existing.has(access.bucket)) continue;
      const keys = probeKeys[access.app];
      const base = { system: "rgw" as const, subject: `app ${access.app} on ${access.bucket}`, check: `${access.access} grant` };
      if (!keys) {
        results.push(notChecked(base, "no key to probe with (user missing or without keys)"));
        continue;
      }
      for (const [index, key] of keys.entries()) {
        const client = s3Client(expected.endpoint, expected.region, key.keys, deadlines.callMs);
        try {
          // Each key writes its own probe object, so two keys of one app never meet.
          const objectName = index === 0 ? access.app : `${access.app}.${index + 1}`;
          results.push(probeCheck(access, await runProbe(client, access.bucket, objectName, input.runId, probePlan(access.access), bounded), key.source));
        } catch (error) {
          results.push(notChecked(base, errorText(error)));
        } finally {
          client.destroy();
        }
      }
    }
  } catch (error) {
    results.push(notChecked({ system: "rgw", subject: "probes", check: "seed objects" }, errorText(error)));
  } finally {
    for (const bucket of buckets) {
      try {
        await removeProbeObjects(owner, bucket.name, input.runId, bounded);
      } catch (error) {
        results.push(
          failure(
            { system: "rgw", subject: `bucket ${bucket.name}`, check: `probe cleanup ${probePrefix(input.runId)}` },
            "removed",
            `left behind: ${errorText(error)}`,
          ),
        );
      }
    }
    owner.destroy();
  }
  return results;
}
