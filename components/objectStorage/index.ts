// Object storage on Ceph RGW: the platform's buckets (versioning, lifecycle, per-app policy) and one
// RGW user with its own S3 key per application. The AWS provider pointed at RGW arrives through opts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RGW_REGION, type RgwConnectionArgs } from "../../providers/connection";
import { BucketLifecycle } from "../../providers/bucketLifecycle";
import { RgwUser } from "../../providers/rgwUser";
import { type AppS3Access, renameAliases } from "../conventions";
import { bucketGrants, bucketLifecycleRules, bucketPolicyDocument, rgwUserId } from "./policies";

// The pure builders callers need with this component (no Pulumi resources in them).
export { bucketGrants, rgwUserId } from "./policies";

/** One bucket. The list decides which buckets exist, so it is plain; the values may be Inputs. */
export interface ObjectStorageBucket {
  /** Stable key: names the child resources (`<name>-<key>`) and the Flux variable. */
  key: string;
  /** S3 bucket name. */
  name: pulumi.Input<string>;
  /** Object versioning; Suspended when false. */
  versioning: pulumi.Input<boolean>;
  /** Days a replaced or deleted object version is kept. */
  noncurrentVersionDays: pulumi.Input<number>;
  /** Days before an unfinished multipart upload is aborted. */
  abortIncompleteMultipartDays: pulumi.Input<number>;
  /** Apps (names in `apps`) that may read and write objects; default none. */
  readWrite?: string[];
  /** Apps that may only read; default none. */
  read?: string[];
  /** Keys this bucket had before a rename: its resources are aliased, not replaced. Default none. */
  previousKeys?: string[];
}

/** One application with its own RGW user. */
export interface ObjectStorageApp {
  name: string;
  /** Any string; changing it issues a new S3 key (see RgwUser). Default "1". */
  keyRotation?: pulumi.Input<string>;
}

export interface ObjectStorageArgs {
  /** RGW as the stack's admin user reaches it (Admin Ops for users, S3 for lifecycle rules). */
  connection: RgwConnectionArgs;
  /** Environment name; users are `data-platform-<environment>-<app>`. */
  environment: pulumi.Input<string>;
  buckets: ObjectStorageBucket[];
  apps: ObjectStorageApp[];
  /** Let `pulumi destroy` purge an app user's objects. Default false: they are kept. */
  purgeUserDataOnDelete?: pulumi.Input<boolean>;
}

/** AWS provider settings for RGW: path style, and no AWS account, STS, IMDS or region list behind it. */
export function rgwProviderArgs(connection: RgwConnectionArgs): aws.ProviderArgs {
  return {
    region: (connection.region ?? DEFAULT_RGW_REGION) as pulumi.Input<aws.Region>,
    accessKey: pulumi.secret(connection.accessKey),
    secretKey: pulumi.secret(connection.secretKey),
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
    endpoints: [{ s3: connection.endpoint }],
  };
}

export class ObjectStorage extends pulumi.ComponentResource {
  /** Bucket key to bucket name. */
  declare public readonly bucketNames: pulumi.Output<Record<string, string>>;
  /** Per app: its RGW uid and S3 keys (the secret key is a secret). */
  declare public readonly appAccess: Record<string, AppS3Access<pulumi.Output<string>>>;

  /** opts.providers must hold an AWS provider for RGW (see rgwProviderArgs); the default one would talk to AWS. */
  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:storage:ObjectStorage", name, {}, opts);
    if (this.getProvider("aws:s3/bucket:Bucket") === undefined) {
      throw new pulumi.ResourceError("ObjectStorage needs an AWS provider for RGW in opts.providers (see rgwProviderArgs)", this);
    }
    const environment = pulumi.output(args.environment);

    const appAccess: Record<string, AppS3Access<pulumi.Output<string>>> = {};
    const users: RgwUser[] = [];
    for (const app of args.apps) {
      const user = new RgwUser(
        `${name}-user-${app.name}`,
        {
          connection: args.connection,
          uid: environment.apply((env) => rgwUserId(env, app.name)),
          displayName: pulumi.interpolate`data-platform ${environment} ${app.name}`,
          keyRotation: app.keyRotation ?? "1",
          purgeDataOnDelete: args.purgeUserDataOnDelete ?? false,
        },
        // Dropping or renaming an app would delete its user and keys at once: stop instead.
        { parent: this, protect: true },
      );
      users.push(user);
      appAccess[app.name] = { uid: user.uid, accessKey: user.accessKey, secretKey: user.secretKey };
    }

    const bucketNames: Record<string, pulumi.Output<string>> = {};
    for (const config of args.buckets) {
      const base = `${name}-${config.key}`;
      const renamedFrom = (suffix: string) => renameAliases(name, config.previousKeys ?? [], suffix);
      // A bucket holds the warehouse: neither a destroy nor a config slip may delete it.
      const bucket = new aws.s3.Bucket(
        base,
        { bucket: config.name, forceDestroy: false },
        { parent: this, protect: true, retainOnDelete: true, aliases: renamedFrom("") },
      );
      new aws.s3.BucketVersioning(
        `${base}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: pulumi.output(config.versioning).apply((on) => (on ? "Enabled" : "Suspended")) } },
        // Removing an entry must not strip versioning or lifecycle from a bucket that stays (the bucket
        // itself is kept): protected like the bucket, so the update stops before any of them changes.
        { parent: this, protect: true, aliases: renamedFrom("-versioning") },
      );
      new BucketLifecycle(
        `${base}-lifecycle`,
        {
          connection: args.connection,
          bucket: bucket.id,
          rules: pulumi
            .all([config.noncurrentVersionDays, config.abortIncompleteMultipartDays])
            .apply(([noncurrentVersionDays, abortIncompleteMultipartDays]) => bucketLifecycleRules({ noncurrentVersionDays, abortIncompleteMultipartDays })),
        },
        { parent: this, protect: true, aliases: renamedFrom("-lifecycle") },
      );
      // The grant lists decide whether there is a policy at all; the uids only its content.
      if ((config.readWrite ?? []).length + (config.read ?? []).length > 0) {
        new aws.s3.BucketPolicy(
          `${base}-policy`,
          {
            bucket: bucket.id,
            policy: pulumi.all([config.name, environment]).apply(([bucketName, env]) => JSON.stringify(bucketPolicyDocument(bucketName, bucketGrants(config, env)))),
          },
          // The principals must exist before RGW accepts a policy naming them.
          { parent: this, dependsOn: users, aliases: renamedFrom("-policy") },
        );
      }
      bucketNames[config.key] = bucket.bucket;
    }

    this.bucketNames = pulumi.output(bucketNames);
    this.appAccess = appAccess;
    this.registerOutputs({ bucketNames: this.bucketNames, appAccess: this.appAccess });
  }
}
