/**
 * A bucket lifecycle rule as BucketLifecycle stores it, its S3 form both ways, and the owner token in
 * the rule IDs it writes. Pure: the provider is serialized with this module, and the builders
 * (components/objectStorage/policies.ts) and verify use the same shapes and rules.
 */
import type { LifecycleRule } from "@aws-sdk/client-s3";
import { isRecord } from "./errors";

/**
 * The most days a lifecycle rule can hold. RGW reads Days/NoncurrentDays/DaysAfterInitiation as a signed
 * 32-bit integer and keeps only the low bits of a larger value: 4294967297 days is stored as 1, so
 * noncurrent versions would expire after one day (measured on RGW 16.2; 1e21 the same). Config, the
 * builders and the provider all refuse more than this.
 */
export const MAX_LIFECYCLE_DAYS = 2_147_483_647;

/** Why a number of days cannot be stored as written, or undefined when it can. */
export function lifecycleDaysProblem(days: unknown): string | undefined {
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > MAX_LIFECYCLE_DAYS) {
    return `must be a whole number of days from 1 to ${MAX_LIFECYCLE_DAYS} (RGW reads days as a 32-bit integer: a larger value wraps, 4294967297 becomes 1), got ${String(days)}`;
  }
  return undefined;
}

/** Every day count in the rules RGW could not store as written: `rules[0].noncurrentVersionExpiration.noncurrentDays: ...`. */
export function lifecycleRulesProblems(rules: readonly BucketLifecycleRule[]): string[] {
  return rules.flatMap((rule, index) => {
    const days: [string, unknown][] = [];
    if (rule.noncurrentVersionExpiration !== undefined)
      days.push(["noncurrentVersionExpiration.noncurrentDays", rule.noncurrentVersionExpiration.noncurrentDays]);
    if (rule.abortIncompleteMultipartUpload !== undefined)
      days.push(["abortIncompleteMultipartUpload.daysAfterInitiation", rule.abortIncompleteMultipartUpload.daysAfterInitiation]);
    return days.flatMap(([field, value]) => {
      const problem = lifecycleDaysProblem(value);
      return problem === undefined ? [] : [`rules[${index}].${field}: ${problem}`];
    });
  });
}

/** Lifecycle rule in the shape of @pulumi/aws `s3.BucketLifecycleConfiguration` rules. */
export interface BucketLifecycleRule {
  id: string;
  status: "Enabled";
  filter: { prefix: string };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}

/**
 * The @aws-sdk/client-s3 `BucketLifecycleConfiguration` shape (PutBucketLifecycleConfiguration's
 * LifecycleConfiguration), declared structurally so the pure builders need not import the SDK.
 */
export interface S3LifecycleConfiguration {
  Rules: {
    ID: string;
    Status: "Enabled";
    Filter: { Prefix: string };
    NoncurrentVersionExpiration?: { NoncurrentDays: number };
    AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  }[];
}

export function toS3LifecycleConfiguration(rules: readonly BucketLifecycleRule[]): S3LifecycleConfiguration {
  return {
    Rules: rules.map((rule) => ({
      ID: rule.id,
      Status: rule.status,
      Filter: { Prefix: rule.filter.prefix },
      ...(rule.noncurrentVersionExpiration && {
        NoncurrentVersionExpiration: { NoncurrentDays: rule.noncurrentVersionExpiration.noncurrentDays },
      }),
      ...(rule.abortIncompleteMultipartUpload && {
        AbortIncompleteMultipartUpload: {
          DaysAfterInitiation: rule.abortIncompleteMultipartUpload.daysAfterInitiation,
        },
      }),
    })),
  };
}

/**
 * A rule as read back from RGW: the declared fields plus every other field RGW holds for it, in the
 * declared rules' camelCase shape (expiration, transitions, filter.tag, ...).
 */
export type ObservedLifecycleRule = Omit<BucketLifecycleRule, "status" | "filter"> & {
  status: string;
  filter: { prefix: string; [field: string]: unknown };
  [field: string]: unknown;
};

/** "ID" -> "id", "NoncurrentDays" -> "noncurrentDays": the declared rules' key style. */
function camelKey(key: string): string {
  return key === "ID" ? "id" : key.charAt(0).toLowerCase() + key.slice(1);
}

/** An SDK value as plain JSON with camelCase keys: Dates as ISO strings, undefined fields left out. */
function camelJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(camelJson);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== undefined) out[camelKey(key)] = camelJson(field);
  }
  return out;
}

/**
 * Rules as RGW returns them, in the declared rules' shape with every other field kept. RGW answers with
 * a legacy top-level Prefix, AWS with Filter.Prefix; both become filter.prefix.
 */
export function fromS3LifecycleRules(rules: readonly LifecycleRule[]): ObservedLifecycleRule[] {
  return rules.map((rule) => {
    const { prefix: legacyPrefix, filter, id, status, ...rest } = camelJson(rule) as Record<string, unknown>;
    const filterFields = isRecord(filter) ? filter : {};
    const prefix = typeof filterFields.prefix === "string" ? filterFields.prefix : typeof legacyPrefix === "string" ? legacyPrefix : "";
    return {
      ...rest,
      id: typeof id === "string" ? id : "",
      // A rule disabled by hand must show up as drift, so keep RGW's status as it is.
      status: typeof status === "string" ? status : "Disabled",
      filter: { ...filterFields, prefix },
    };
  });
}

/** Bytes of randomness in BucketLifecycle's owner token (written as hex, at create, kept in the state). */
export const OWNER_TOKEN_BYTES = 5;

/** A rule ID as written to the bucket: the declared ID with the owner's token. */
export function ownedRuleId(id: string, ownerToken: string): string {
  return ownerToken === "" ? id : `${id}.${ownerToken}`;
}

/**
 * A rule ID as read from a bucket, split into the declared ID and the owner token BucketLifecycle wrote
 * after it (ownerToken "" when the ID carries none: a rule by hand, or from a state before tokens).
 */
export function splitRuleId(written: string): { id: string; ownerToken: string } {
  const dot = written.lastIndexOf(".");
  const token = dot < 0 ? "" : written.slice(dot + 1);
  const isToken = token.length === OWNER_TOKEN_BYTES * 2 && /^[0-9a-f]+$/.test(token);
  return isToken ? { id: written.slice(0, dot), ownerToken: token } : { id: written, ownerToken: "" };
}
