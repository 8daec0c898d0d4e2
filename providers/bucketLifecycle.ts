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
 * So: no Error subclass (a serialized `class X extends Error` loses its message), no module-level
 * Set/Map (serialized as plain objects), errors recognised by their fields rather than `instanceof`.
 * tests/integration/rgw/bucketLifecycle.test.ts runs the serialized provider in a fresh node process.
 */
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import { BucketLifecycleRule, toS3LifecycleConfiguration } from "../components/objectStorage/policies";
import { displayEndpoint } from "./rgwAdmin";

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
    const converted: BucketLifecycleRule = {
      id: rule.ID ?? "",
      status: "Enabled",
      filter: { prefix: rule.Filter?.Prefix ?? rule.Prefix ?? "" },
    };
    // A rule disabled by hand must show up as drift, so keep RGW's status even though the type says "Enabled".
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

/**
 * One rule as a string that depends on its values only. Not JSON.stringify(rule): key order differs
 * between rules built by bucketLifecycleRules, rules read back from RGW and rules that went through
 * Pulumi's state (protobuf Struct, keys sorted), so equal rules would compare unequal.
 */
function canonicalRule(rule: BucketLifecycleRule): string {
  return JSON.stringify([
    rule.id,
    rule.status,
    rule.filter?.prefix ?? "",
    rule.noncurrentVersionExpiration?.noncurrentDays ?? null,
    rule.abortIncompleteMultipartUpload?.daysAfterInitiation ?? null,
  ]);
}

/** Rules compared by content, whatever order RGW lists them in and whatever order their keys are in. */
export function sameRules(a: readonly BucketLifecycleRule[], b: readonly BucketLifecycleRule[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(canonicalRule).sort();
  const right = b.map(canonicalRule).sort();
  return left.every((rule, index) => rule === right[index]);
}

/**
 * Rules read from RGW (which lists them sorted by ID) put in the order of the rules in the state,
 * unknown IDs last: a refresh of unchanged rules then shows no reordering diff.
 */
export function inStateOrder(read: readonly BucketLifecycleRule[], state: readonly BucketLifecycleRule[]): BucketLifecycleRule[] {
  const position = (rule: BucketLifecycleRule) => {
    const index = state.findIndex((candidate) => candidate.id === rule.id);
    return index < 0 ? state.length : index;
  };
  return [...read].sort((x, y) => position(x) - position(y) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export function diffLifecycle(olds: BucketLifecycleInputs, news: BucketLifecycleInputs): { changes: boolean; replaces: string[] } {
  const replaces = olds.bucket !== news.bucket ? ["bucket"] : [];
  const connectionChanged = olds.endpoint !== news.endpoint || olds.region !== news.region || olds.accessKey !== news.accessKey || olds.secretKey !== news.secretKey;
  return { changes: replaces.length > 0 || !sameRules(olds.rules ?? [], news.rules ?? []) || connectionChanged, replaces };
}

/** What a failed S3 call says about itself: the S3 error code (or Node's network error code) and HTTP status. */
export interface S3Failure {
  code: string;
  status?: number;
  /** The server's message, when it sent one (RGW usually doesn't; the SDK then says "UnknownError"). */
  detail?: string;
}

/** Reads an error thrown by @aws-sdk/client-s3 by its fields (no instanceof: the provider runs serialized). */
export function s3Failure(error: unknown): S3Failure {
  if (typeof error !== "object" || error === null) return { code: "", detail: String(error) };
  const fields = error as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof fields.$metadata?.httpStatusCode === "number" ? fields.$metadata.httpStatusCode : undefined;
  const message = typeof fields.message === "string" ? fields.message.trim() : "";
  // Node's code (ECONNREFUSED, ENOTFOUND, ...). When the error comes from another realm (jest's VM),
  // the SDK's retry middleware rewraps it as "AWS SDK error wrapper for Error: connect ECONNREFUSED ..."
  // and only the message keeps the code.
  const networkCode =
    typeof fields.code === "string" && /^E[A-Z_]{3,}$/.test(fields.code)
      ? fields.code
      : status === undefined
        ? /\b(E[A-Z_]{3,})\b/.exec(message)?.[1]
        : undefined;
  const name = typeof fields.name === "string" ? fields.name : "";
  const code = networkCode ?? name;
  const detail = message === "" || message === "UnknownError" || message === code ? undefined : message;
  return { code, ...(status !== undefined && { status }), ...(detail !== undefined && { detail }) };
}

/** The endpoint as shown in messages: scheme, host and path only (never a userinfo part). */
/**
 * One line saying what failed, on which bucket and endpoint, RGW's answer and what to check.
 * No stack trace, no keys. `action` is e.g. "set the lifecycle of".
 */
export function lifecycleErrorMessage(action: string, bucket: string, endpoint: string, error: unknown): string {
  const where = `cannot ${action} bucket "${bucket}" at ${displayEndpoint(endpoint)}`;
  const { code, status, detail } = s3Failure(error);
  if (/^E[A-Z_]{3,}$/.test(code)) {
    return `${where}: cannot reach the endpoint (${code}) — check rgw.endpoint (config rgwEndpoint)`;
  }
  const answer = [status, code].filter((part) => part !== undefined && part !== "").join(" ");
  const said = `${answer === "" ? "failed" : answer}${detail === undefined ? "" : `: ${detail}`}`;
  switch (code) {
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
      return `${where}: credentials rejected (${said}) — check rgwAdminAccessKey/rgwAdminSecretKey`;
    case "AccessDenied":
      return `${where}: access denied (${said}) — the key must belong to the bucket's owner (the stack's RGW admin user)`;
    case "NoSuchBucket":
      return `${where}: the bucket does not exist (${said})`;
    default:
      return `${where}: ${said}`;
  }
}

/** A plain Error (serializes intact) whose message and stack are that one line. */
function lifecycleError(action: string, bucket: string, endpoint: string, cause: unknown): Error {
  const message = lifecycleErrorMessage(action, bucket, endpoint, cause);
  const error = new Error(message);
  error.name = "BucketLifecycleError";
  // Pulumi prints `${error}: ${error.stack}` for failed reads/deletes: SDK frames would only be noise.
  error.stack = `BucketLifecycleError: ${message}`;
  return error;
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

async function apply(inputs: BucketLifecycleInputs): Promise<void> {
  const client = clientFor(inputs);
  const removing = inputs.rules.length === 0;
  try {
    if (removing) await client.send(new DeleteBucketLifecycleCommand({ Bucket: inputs.bucket }));
    else {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: inputs.bucket, LifecycleConfiguration: toS3LifecycleConfiguration(inputs.rules) }),
      );
    }
  } catch (error) {
    throw lifecycleError(removing ? "remove the lifecycle of" : "set the lifecycle of", inputs.bucket, inputs.endpoint, error);
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
      return { id, props: { ...state, rules: inStateOrder(fromS3LifecycleRules(answer.Rules ?? []), state.rules ?? []) } };
    } catch (error) {
      const { code } = s3Failure(error);
      // No lifecycle: the rules were removed behind Pulumi's back; [] shows it as drift.
      if (code === "NoSuchLifecycleConfiguration") return { id, props: { ...state, rules: [] } };
      // No bucket: the resource is gone.
      if (code === "NoSuchBucket") return {};
      throw lifecycleError("read the lifecycle of", id, state.endpoint, error);
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
      if (s3Failure(error).code !== "NoSuchBucket") throw lifecycleError("remove the lifecycle of", id, state.endpoint, error);
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
