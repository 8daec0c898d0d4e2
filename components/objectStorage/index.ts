// Object storage on Ceph RGW: an AWS provider pointed at RGW, the platform's buckets (versioning,
// lifecycle, per-app policy) and one RGW user with its own S3 key per application.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BucketLifecycle } from "../../providers/bucketLifecycle";
import type { BucketConfig } from "../../config/schema";
import { renameAliases } from "../conventions";
import { BucketGrant, bucketLifecycleRules, bucketPolicyDocument } from "./policies";
import { RgwUser } from "../../providers/rgwUser";

export interface ObjectStorageArgs {
  /** RGW S3 endpoint the stack talks to. */
  endpoint: pulumi.Input<string>;
  region: pulumi.Input<string>;
  adminAccessKey: pulumi.Input<string>;
  adminSecretKey: pulumi.Input<string>;
  environment: string;
  buckets: BucketConfig[];
  apps: { name: string; keyRotation: string }[];
  /** Let `pulumi destroy` purge a user's objects; default keeps them. */
  purgeUserDataOnDelete: boolean;
}

export interface AppS3Access {
  uid: pulumi.Output<string>;
  accessKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
}

/** RGW uid of an application's user: one per app and environment. */
export const rgwUserId = (environment: string, app: string): string => `data-platform-${environment}-${app}`;

/** Who gets what on a bucket, from its config. */
export function bucketGrants(bucket: BucketConfig, environment: string): BucketGrant[] {
  return [
    ...bucket.readWrite.map((app) => ({ uid: rgwUserId(environment, app), access: "readWrite" as const })),
    ...bucket.read.map((app) => ({ uid: rgwUserId(environment, app), access: "read" as const })),
  ];
}

/** Provider settings every S3-compatible store needs (no AWS account, STS, IMDS or region list behind RGW). */
export function rgwProviderArgs(args: Pick<ObjectStorageArgs, "endpoint" | "region" | "adminAccessKey" | "adminSecretKey">): aws.ProviderArgs {
  return {
    region: args.region as pulumi.Input<aws.Region>,
    accessKey: pulumi.secret(args.adminAccessKey),
    secretKey: pulumi.secret(args.adminSecretKey),
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
    endpoints: [{ s3: args.endpoint }],
  };
}

export class ObjectStorage extends pulumi.ComponentResource {
  /** Bucket key to bucket name. */
  declare public readonly bucketNames: pulumi.Output<Record<string, string>>;
  /** The same, one Output per bucket key, for inputs that need a single bucket. */
  declare public readonly bucketName: Record<string, pulumi.Output<string>>;
  /** Per app: its RGW uid and S3 keys (keys are secrets). */
  declare public readonly appAccess: Record<string, AppS3Access>;

  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:storage:ObjectStorage", name, {}, opts);

    const provider = new aws.Provider(`${name}-rgw`, rgwProviderArgs(args), { parent: this });

    const appAccess: Record<string, AppS3Access> = {};
    const users: RgwUser[] = [];
    for (const app of args.apps) {
      const uid = rgwUserId(args.environment, app.name);
      const user = new RgwUser(
        `${name}-user-${app.name}`,
        {
          endpoint: args.endpoint,
          region: args.region,
          adminAccessKey: args.adminAccessKey,
          adminSecretKey: args.adminSecretKey,
          uid,
          displayName: `data-platform ${args.environment} ${app.name}`,
          keyRotation: app.keyRotation,
          purgeDataOnDelete: args.purgeUserDataOnDelete,
        },
        { parent: this },
      );
      users.push(user);
      appAccess[app.name] = { uid: user.uid, accessKey: user.accessKey, secretKey: user.secretKey };
    }

    const bucketNames: Record<string, pulumi.Output<string>> = {};
    for (const config of args.buckets) {
      const base = `${name}-${config.key}`;
      const renamedFrom = (suffix: string) => renameAliases(name, config.previousKeys, suffix);
      // A bucket holds the warehouse: neither a destroy nor a config slip may delete it.
      const bucket = new aws.s3.Bucket(
        base,
        { bucket: config.name, forceDestroy: false },
        { parent: this, provider, protect: true, retainOnDelete: true, aliases: renamedFrom("") },
      );
      new aws.s3.BucketVersioning(
        `${base}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: config.versioning ? "Enabled" : "Suspended" } },
        { parent: this, provider, aliases: renamedFrom("-versioning") },
      );
      new BucketLifecycle(
        `${base}-lifecycle`,
        {
          endpoint: args.endpoint,
          region: args.region,
          accessKey: args.adminAccessKey,
          secretKey: args.adminSecretKey,
          bucket: bucket.id,
          rules: bucketLifecycleRules({
            noncurrentVersionDays: config.noncurrentVersionDays,
            abortIncompleteMultipartDays: config.abortIncompleteMultipartDays,
          }),
        },
        { parent: this, aliases: renamedFrom("-lifecycle") },
      );
      const policy = bucketPolicyDocument(config.name, bucketGrants(config, args.environment));
      if (policy !== undefined) {
        new aws.s3.BucketPolicy(
          `${base}-policy`,
          { bucket: bucket.id, policy: JSON.stringify(policy) },
          // The principals must exist before RGW accepts a policy naming them.
          { parent: this, provider, dependsOn: users, aliases: renamedFrom("-policy") },
        );
      }
      bucketNames[config.key] = bucket.bucket;
    }

    this.bucketNames = pulumi.output(bucketNames);
    this.bucketName = bucketNames;
    this.appAccess = appAccess;
    this.registerOutputs({ bucketNames: this.bucketNames });
  }
}
