// Object storage on Ceph RGW: the platform's buckets (versioning, lifecycle, per-app policy) and one
// RGW user with its own S3 key per application. The AWS provider pointed at RGW arrives through opts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RGW_REGION, type RgwConnectionArgs } from "../../providers/connection";
import { BucketLifecycle } from "../../providers/bucketLifecycle";
import { RgwUser } from "../../providers/rgwUser";
import { type AppS3Access, adoptedOptions, renameAliases } from "../conventions";
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
  /**
   * The bucket exists (made by hand) and is taken over: imported, protected, kept on delete. `name` is the
   * live bucket (the import ID, plain); `policy`: it has a bucket policy, imported too (else one is created).
   * Lifecycle rules already on it are kept beside the stack's (BucketLifecycle always merges). Default none.
   */
  adopt?: { name: string; policy: boolean };
}

/** One application with its own RGW user. */
export interface ObjectStorageApp {
  name: string;
  /** Any string; changing it issues a new S3 key (see RgwUser). Default "1". */
  keyRotation?: pulumi.Input<string>;
  /**
   * The app's user exists (made by hand) and is taken over (RgwUser's adopt): `uid` replaces
   * data-platform-<environment>-<app>, `accessKey` (the key the running apps use) stays its current key.
   * `readSecret`: read that key's secret for the app's 1Password item (only when the item is not adopted,
   * which keeps its own). Default none.
   */
  adopt?: { uid: string; accessKey: string; readSecret: boolean };
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
    // Bucket policies name each app's user: an adopted one by its own uid.
    const uids = Object.fromEntries(args.apps.flatMap((app) => (app.adopt ? [[app.name, app.adopt.uid]] : [])));
    for (const app of args.apps) {
      const user = new RgwUser(
        `${name}-user-${app.name}`,
        {
          connection: args.connection,
          uid: app.adopt?.uid ?? environment.apply((env) => rgwUserId(env, app.name)),
          displayName: pulumi.interpolate`data-platform ${environment} ${app.name}`,
          keyRotation: app.keyRotation ?? "1",
          purgeDataOnDelete: args.purgeUserDataOnDelete ?? false,
          ...(app.adopt && { adopt: { accessKey: app.adopt.accessKey, readSecret: app.adopt.readSecret } }),
        },
        // Dropping or renaming an app would delete its user and keys at once: stop instead. An adopted
        // user (which the engine cannot import, pulumi/pulumi#16175) also outlives the stack.
        { parent: this, protect: true, ...(app.adopt && { retainOnDelete: true }) },
      );
      users.push(user);
      appAccess[app.name] = { uid: user.uid, accessKey: user.accessKey, secretKey: user.secretKey };
    }

    // The uid the stack's S3 keys belong to (S3 ListBuckets' Owner.ID; on RGW the uid): it owns the buckets
    // it creates, and each policy lets it read every object and version the apps write (recovery).
    const owner = aws.s3.getCanonicalUserIdOutput({ parent: this });
    const bucketNames: Record<string, pulumi.Output<string>> = {};
    for (const config of args.buckets) {
      const base = `${name}-${config.key}`;
      const renamedFrom = (suffix: string) => renameAliases(name, config.previousKeys ?? [], suffix);
      // Bucket, versioning and policy share the bucket name as import ID (terraform-provider-aws).
      const adopted = (suffix: string, imported = true) => ({
        parent: this,
        aliases: renamedFrom(suffix),
        ...(config.adopt && { ...adoptedOptions(imported ? config.adopt.name : undefined), protect: true, retainOnDelete: true }),
      });
      // A bucket holds the warehouse: neither a destroy nor a config slip may delete it.
      const bucket = new aws.s3.Bucket(base, { bucket: config.name, forceDestroy: false }, { protect: true, retainOnDelete: true, ...adopted("") });
      new aws.s3.BucketVersioning(
        `${base}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: pulumi.output(config.versioning).apply((on) => (on ? "Enabled" : "Suspended")) } },
        // Removing an entry must not strip versioning or lifecycle from a bucket that stays (the bucket
        // itself is kept): protected like the bucket, so the update stops before any of them changes.
        { protect: true, ...adopted("-versioning") },
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
        // Nothing to import (a dynamic resource): its create keeps the rules already on the bucket.
        { protect: true, ...adopted("-lifecycle", false) },
      );
      // The grant lists decide whether there is a policy at all; the uids only its content.
      if ((config.readWrite ?? []).length + (config.read ?? []).length > 0) {
        new aws.s3.BucketPolicy(
          `${base}-policy`,
          {
            bucket: bucket.id,
            policy: pulumi
              .all([config.name, environment, owner.id])
              .apply(([bucketName, env, ownerUid]) => JSON.stringify(bucketPolicyDocument(bucketName, bucketGrants(config, env, uids), ownerUid))),
          },
          // The principals must exist before RGW accepts a policy naming them. An adopted bucket's policy
          // is imported when it has one (its document is then replaced by the stack's), else created.
          // Protected like the bucket: without it every app loses access, and an unprotected policy was
          // deleted before the protected versioning stopped an update that removed the entry.
          { dependsOn: users, protect: true, ...adopted("-policy", config.adopt?.policy === true) },
        );
      }
      bucketNames[config.key] = bucket.bucket;
    }

    this.bucketNames = pulumi.output(bucketNames);
    this.appAccess = appAccess;
    this.registerOutputs({ bucketNames: this.bucketNames, appAccess: this.appAccess });
  }
}
