// The state the live systems should be in, derived from the same typed model the stack is built from:
// the parsed stack config, the builders the components use, and what the stack exported. Pure.
import type { CredentialConfig, PlatformConfig } from "../config";
import { type BucketGrant, bucketGrants, rgwUserId } from "../components/objectStorage/policies";
import { type PolicyDocument, bucketLifecycleRules, bucketPolicyDocument } from "../components/objectStorage/policies";
import { toS3LifecycleConfiguration } from "../providers/lifecycleRules";
import { type ItemField, externalSecretManifest, itemCategory, itemFields } from "../components/credentials/items";
import { dockerfileFinalStage } from "../components/sparkIcebergImage/dockerfile";
import { type JarLock, defaultImageTag, dockerBuildArgs, jarFileName, parseDockerfileArgDefaults } from "../components/sparkIcebergImage/jarLock";
import { type CheckResult, compared, pass } from "./checks";
import { differences } from "./diff";
import type { StackOutputs } from "./outputs";

export type BucketAccess = "read" | "readWrite" | "none";

/** A lifecycle rule in one flat, comparable shape (declared or read back). */
export interface LifecycleRuleView {
  id: string;
  status: string;
  prefix: string;
  noncurrentDays?: number;
  abortIncompleteMultipartDays?: number;
  /** Anything else a rule on the bucket has (expiration, transitions, tag filters, ...), as JSON in the provider's camelCase. */
  other?: Record<string, unknown>;
}

export interface ExpectedBucket {
  key: string;
  name: string;
  versioning: "Enabled" | "Suspended";
  lifecycle: LifecycleRuleView[];
  /**
   * The bucket was adopted (config adopt.buckets, lifecycle merge): rules BucketLifecycle did not write
   * (no owner token) are kept by the stack, so they are listed, not failed.
   */
  keepsOthersRules?: boolean;
  /** Who may do what; the policy is built from these and the bucket's owner (read from RGW): expectedPolicy. */
  grants: BucketGrant[];
}

/** The policy the stack puts on a bucket owned by `ownerUid`; undefined: no grants, so no policy. */
export const expectedPolicy = (bucket: Pick<ExpectedBucket, "name" | "grants">, ownerUid: string): PolicyDocument | undefined =>
  bucketPolicyDocument(bucket.name, bucket.grants, ownerUid);

export interface ExpectedUser {
  app: string;
  uid: string;
  /** 1 until the app's key is rotated; after a rotation the replaced key stays valid until the next one (RgwUser). */
  minKeys: number;
  maxKeys: number;
}

export interface ExpectedAccess {
  app: string;
  uid: string;
  bucket: string;
  access: BucketAccess;
}

/** An s3 item: where an app's keys are kept for the app. */
export interface AppKeyItem {
  app: string;
  title: string;
}

export interface ExpectedRgw {
  endpoint: string;
  region: string;
  buckets: ExpectedBucket[];
  users: ExpectedUser[];
  access: ExpectedAccess[];
  keyItems: AppKeyItem[];
}

export function expectedRgw(config: PlatformConfig): ExpectedRgw {
  // Adopted users (config adopt.users) keep their own uid.
  const adoptedUids = Object.fromEntries(Object.entries(config.adopt.users).map(([app, user]) => [app, user.uid]));
  const uidOf = (app: string) => (Object.hasOwn(adoptedUids, app) ? adoptedUids[app] : rgwUserId(config.environment, app));
  const buckets = config.buckets.map((bucket): ExpectedBucket => ({
    key: bucket.key,
    name: bucket.name,
    versioning: bucket.versioning ? "Enabled" : "Suspended",
    lifecycle: declaredLifecycle(
      bucketLifecycleRules({ noncurrentVersionDays: bucket.noncurrentVersionDays, abortIncompleteMultipartDays: bucket.abortIncompleteMultipartDays }),
    ),
    grants: bucketGrants(bucket, config.environment, adoptedUids),
    ...(Object.hasOwn(config.adopt.buckets, bucket.key) && { keepsOthersRules: true }),
  }));
  const users = config.apps.map((app): ExpectedUser => ({
    app: app.name,
    uid: uidOf(app.name),
    minKeys: 1,
    // keyRotation "1" is the value every user is created with: never rotated, exactly one key. An adopted
    // user keeps every key it had (the stack removes none it did not make): any number.
    maxKeys: Object.hasOwn(adoptedUids, app.name) ? Number.POSITIVE_INFINITY : app.keyRotation === "1" ? 1 : 2,
  }));
  const access = config.apps.flatMap((app) =>
    config.buckets.map((bucket): ExpectedAccess => ({
      app: app.name,
      uid: uidOf(app.name),
      bucket: bucket.name,
      access: bucket.readWrite.includes(app.name) ? "readWrite" : bucket.read.includes(app.name) ? "read" : "none",
    })),
  );
  const keyItems = config.credentials.flatMap((c) => (c.kind === "s3" && c.app ? [{ app: c.app, title: c.title }] : []));
  return { endpoint: config.rgw.endpoint, region: config.rgw.region, buckets, users, access, keyItems };
}

function declaredLifecycle(rules: ReturnType<typeof bucketLifecycleRules>): LifecycleRuleView[] {
  return toS3LifecycleConfiguration(rules).Rules.map((rule) => ({
    id: rule.ID,
    status: rule.Status,
    prefix: rule.Filter.Prefix,
    ...(rule.NoncurrentVersionExpiration && { noncurrentDays: rule.NoncurrentVersionExpiration.NoncurrentDays }),
    ...(rule.AbortIncompleteMultipartUpload && { abortIncompleteMultipartDays: rule.AbortIncompleteMultipartUpload.DaysAfterInitiation }),
  }));
}

// ---------------------------------------------------------------------------------------------
// 1Password

export interface ExpectedItem {
  title: string;
  /** Connect's category name (LOGIN, DATABASE, PASSWORD). */
  category: string;
  /** Labels the ExternalSecret reads (remoteRef.property), with where the stack puts them. */
  fields: ItemField[];
  /** Non-secret values the stack writes, by label (hostname, port, endpoint, bucket, ...). */
  values: Record<string, string>;
  /** s3 items: the app whose keys they hold. */
  app?: string;
}

export interface ExpectedOnePassword {
  vault: string;
  items: ExpectedItem[];
}

export function expectedOnePassword(config: PlatformConfig): ExpectedOnePassword {
  const bucketNames = Object.fromEntries(config.buckets.map((b) => [b.key, b.name]));
  const items = config.credentials.map((credential): ExpectedItem => {
    // The labels the ExternalSecret references: the contract the items must keep.
    const manifest = externalSecretManifest(credential, {
      storeName: config.onepassword.clusterSecretStoreName,
      mode: "connect",
      namespace: config.kubernetes.dataPlatformNamespace,
    });
    const referenced = new Set((manifest.spec?.data ?? []).map((d) => d.remoteRef.property ?? ""));
    const fields = itemFields(credential).filter((f) => referenced.has(f.label));
    return {
      title: credential.title,
      category: itemCategory(credential).toUpperCase(),
      fields,
      values: knownValues(credential, config, bucketNames),
      ...(credential.kind === "s3" && credential.app ? { app: credential.app } : {}),
    };
  });
  return { vault: config.onepassword.vault, items };
}

function knownValues(credential: CredentialConfig, config: PlatformConfig, bucketNames: Record<string, string>): Record<string, string> {
  const values: Record<string, string | undefined> =
    credential.kind === "s3"
      ? { endpoint: config.rgw.inClusterEndpoint, region: config.rgw.region, bucket: bucketNames[credential.bucket ?? ""] }
      : { username: credential.username, hostname: credential.hostname, port: credential.port?.toString(), database: credential.database };
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

// ---------------------------------------------------------------------------------------------
// Registry

export interface ExpectedJar {
  file: string;
  sizeBytes: number;
  sha256: string;
}

export interface ExpectedImage {
  registry: string;
  repository: string;
  digest: string;
  /** The informative tag pushed alongside; it must point at the same digest. */
  tag: string;
  platform: string;
  labels: Record<string, string>;
  /** ENV of the last stage, and its USER. */
  env: Record<string, string>;
  user?: string;
  /** Directory of the jar layer in the image. */
  jarDir: string;
  jars: ExpectedJar[];
}

export type ExpectedImageResult = { ok: true; image: ExpectedImage } | { ok: false; reason: string };

/** `registry/repo@sha256:...` split; undefined when the reference is not by digest. */
export function parseImageRef(ref: string): { registry: string; repository: string; digest: string } | undefined {
  const match = /^([^/@]+)\/([^@]+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  return match ? { registry: match[1], repository: match[2], digest: match[3] } : undefined;
}

export function expectedImage(config: PlatformConfig, outputs: StackOutputs, lock: JarLock, dockerfile: string): ExpectedImageResult {
  if (!config.image.push) return { ok: false, reason: "imagePush is false: nothing was pushed" };
  const ref = outputs.sparkIcebergImage;
  const parsed = ref === undefined ? undefined : parseImageRef(ref);
  if (!parsed) return { ok: false, reason: `stack output sparkIcebergImage is ${JSON.stringify(ref ?? null)}, not registry/repository@sha256:...` };
  const args = { ...parseDockerfileArgDefaults(dockerfile), ...dockerBuildArgs(lock, config.image) };
  return {
    ok: true,
    image: {
      ...parsed,
      tag: config.image.tag ?? defaultImageTag(lock),
      platform: config.image.platform,
      ...dockerfileFinalStage(dockerfile, args),
      jarDir: "opt/spark/jars",
      jars: lock.jars.map((jar) => ({ file: jarFileName(jar), sizeBytes: jar.sizeBytes, sha256: jar.sha256 })),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The stack outputs themselves: written by the last `pulumi up`, they must still match the config.

export function outputChecks(config: PlatformConfig, outputs: StackOutputs): CheckResult[] {
  const base = (check: string) => ({ system: "stack" as const, subject: "outputs", check });
  const buckets = Object.fromEntries(config.buckets.map((b) => [b.key, b.name]));
  const items = config.credentials.map((c) => ({
    title: c.title,
    vault: config.onepassword.vault,
    category: itemCategory(c),
    fields: itemFields(c).map((f) => f.label),
    kubernetesSecret: `${config.kubernetes.dataPlatformNamespace}/${c.title}`,
  }));
  const image = config.image.push ? (outputs.sparkIcebergImage ?? "") : "";
  const imageRepository = `${config.image.registry}/${config.image.repository}@`;
  return [
    compared(base("environment"), config.environment, differences(config.environment, outputs.environment, "environment")),
    compared(base("s3Endpoint"), config.rgw.inClusterEndpoint, differences(config.rgw.inClusterEndpoint, outputs.s3Endpoint, "s3Endpoint")),
    compared(base("buckets"), `${Object.keys(buckets).length} buckets`, differences(buckets, outputs.buckets, "buckets")),
    compared(base("onepasswordItems"), `${items.length} items`, differences(items, outputs.onepasswordItems, "onepasswordItems")),
    compared(
      base("fluxKustomizations"),
      config.flux.kustomizations.map((k) => k.name).join(", "),
      differences(
        config.flux.kustomizations.map((k) => k.name),
        outputs.fluxKustomizations,
        "fluxKustomizations",
      ),
    ),
    config.image.push
      ? compared(
          base("sparkIcebergImage"),
          `${imageRepository}sha256:...`,
          image.startsWith(imageRepository) ? [] : [`sparkIcebergImage: expected ${imageRepository}sha256:..., found ${JSON.stringify(image)}`],
        )
      : pass(base("sparkIcebergImage"), "imagePush is false: not pushed"),
  ];
}
