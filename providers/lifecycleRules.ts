/**
 * A bucket lifecycle rule as BucketLifecycle stores it, and its S3 form. Pure: the provider is
 * serialized with this module, and the builders (components/objectStorage/policies.ts) and verify
 * use the same shapes.
 */

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
    if (rule.noncurrentVersionExpiration !== undefined) days.push(["noncurrentVersionExpiration.noncurrentDays", rule.noncurrentVersionExpiration.noncurrentDays]);
    if (rule.abortIncompleteMultipartUpload !== undefined) days.push(["abortIncompleteMultipartUpload.daysAfterInitiation", rule.abortIncompleteMultipartUpload.daysAfterInitiation]);
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
