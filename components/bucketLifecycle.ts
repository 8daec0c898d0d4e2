/**
 * BucketLifecycle: a bucket's lifecycle rules, put through the plain S3 API by a Pulumi dynamic provider.
 *
 * Why not aws.s3.BucketLifecycleConfiguration: since hashicorp/terraform-provider-aws #41159 the
 * resource waits until `transition_default_minimum_object_size` reads back, and Ceph RGW never
 * returns that header, so every apply times out after 3 minutes (terraform-provider-aws #46021, open).
 * PutBucketLifecycleConfiguration itself works on RGW; this provider calls it directly.
 *
 * Like RgwUser, the provider object is serialized (closure capture) and run in a separate process:
 * it references only this module's pure functions and @aws-sdk/client-s3 (serialized as a require).
 */
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { BucketLifecycleRule, toS3LifecycleConfiguration } from "./objectStoragePolicies";

export interface BucketLifecycleInputs {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  rules: BucketLifecycleRule[];
}

export interface BucketLifecycleArgs {
  endpoint: pulumi.Input<string>;
  region: pulumi.Input<string>;
  /** Keys of a user that owns the bucket (the stack's RGW admin user). */
  accessKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  bucket: pulumi.Input<string>;
  rules: pulumi.Input<BucketLifecycleRule[]>;
}

/** RGW answers GetBucketLifecycleConfiguration with a legacy top-level Prefix; AWS with Filter.Prefix. */
export function fromS3LifecycleRules(rules: readonly LifecycleRule[]): BucketLifecycleRule[] {
  return rules.map((rule) => {
    const legacyPrefix = (rule as LifecycleRule & { Prefix?: string }).Prefix;
    const converted: BucketLifecycleRule = {
      id: rule.ID ?? "",
      status: "Enabled",
      filter: { prefix: rule.Filter?.Prefix ?? legacyPrefix ?? "" },
    };
    if (rule.Status !== "Enabled") (converted as { status: string }).status = rule.Status ?? "Disabled";
    if (rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined) {
      converted.noncurrentVersionExpiration = { noncurrentDays: rule.NoncurrentVersionExpiration.NoncurrentDays };
    }
    if (rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation !== undefined) {
      converted.abortIncompleteMultipartUpload = { daysAfterInitiation: rule.AbortIncompleteMultipartUpload.DaysAfterInitiation };
    }
    return converted;
  });
}

/** Rules compared by content, whatever order RGW lists them in. */
export function sameRules(a: readonly BucketLifecycleRule[], b: readonly BucketLifecycleRule[]): boolean {
  const canonical = (rules: readonly BucketLifecycleRule[]) => JSON.stringify([...rules].sort((x, y) => x.id.localeCompare(y.id)));
  return canonical(a) === canonical(b);
}

export function diffLifecycle(olds: BucketLifecycleInputs, news: BucketLifecycleInputs): { changes: boolean; replaces: string[] } {
  const replaces = olds.bucket !== news.bucket ? ["bucket"] : [];
  const connectionChanged = olds.endpoint !== news.endpoint || olds.region !== news.region || olds.accessKey !== news.accessKey || olds.secretKey !== news.secretKey;
  return { changes: replaces.length > 0 || !sameRules(olds.rules, news.rules) || connectionChanged, replaces };
}

function clientFor(inputs: BucketLifecycleInputs): S3Client {
  return new S3Client({
    endpoint: inputs.endpoint,
    region: inputs.region,
    forcePathStyle: true,
    credentials: { accessKeyId: inputs.accessKey, secretAccessKey: inputs.secretKey },
    // RGW rejects the SDK's default flexible checksums on some calls.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const errorName = (error: unknown) => (error instanceof S3ServiceException ? error.name : undefined);

async function apply(inputs: BucketLifecycleInputs): Promise<void> {
  const client = clientFor(inputs);
  try {
    if (inputs.rules.length === 0) await client.send(new DeleteBucketLifecycleCommand({ Bucket: inputs.bucket }));
    else {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: inputs.bucket, LifecycleConfiguration: toS3LifecycleConfiguration(inputs.rules) }),
      );
    }
  } catch (error) {
    throw new Error(`cannot set the lifecycle of bucket ${inputs.bucket} at ${inputs.endpoint}: ${errorName(error) ?? ""} ${String(error)}`);
  } finally {
    client.destroy();
  }
}

export const bucketLifecycleProvider: pulumi.dynamic.ResourceProvider<BucketLifecycleInputs, BucketLifecycleInputs> = {
  async diff(_id, olds, news) {
    const result = diffLifecycle(olds, news);
    return { changes: result.changes, replaces: result.replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    await apply(inputs);
    return { id: inputs.bucket, outs: inputs };
  },

  async read(id, props) {
    const state = props as BucketLifecycleInputs;
    const client = clientFor(state);
    try {
      const answer = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: id }));
      return { id, props: { ...state, rules: fromS3LifecycleRules(answer.Rules ?? []) } };
    } catch (error) {
      if (errorName(error) === "NoSuchLifecycleConfiguration") return { id, props: { ...state, rules: [] } };
      if (errorName(error) === "NoSuchBucket") return {};
      throw error;
    } finally {
      client.destroy();
    }
  },

  async update(_id, _olds, news) {
    await apply(news);
    return { outs: news };
  },

  async delete(id, props) {
    const state = props as BucketLifecycleInputs;
    const client = clientFor(state);
    try {
      await client.send(new DeleteBucketLifecycleCommand({ Bucket: id }));
    } catch (error) {
      if (errorName(error) !== "NoSuchBucket") throw error;
    } finally {
      client.destroy();
    }
  },
};

export class BucketLifecycle extends pulumi.dynamic.Resource {
  declare public readonly bucket: pulumi.Output<string>;
  declare public readonly rules: pulumi.Output<BucketLifecycleRule[]>;

  constructor(name: string, args: BucketLifecycleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      bucketLifecycleProvider,
      name,
      { ...args, accessKey: pulumi.secret(args.accessKey), secretKey: pulumi.secret(args.secretKey) },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accessKey", "secretKey"] }),
      "s3",
      "BucketLifecycle",
    );
  }
}
