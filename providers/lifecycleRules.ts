/**
 * A bucket lifecycle rule as BucketLifecycle stores it, and its S3 form. Pure: the provider is
 * serialized with this module, and the builders (components/objectStorage/policies.ts) and verify
 * use the same shapes.
 */

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
