// Schemas and defaults of the stack's config model: what each key and list entry may hold, with messages
// that say what a valid value looks like. `PlatformConfig` is the output of `platformConfigSchema`.
import { z } from "zod";
import { validateBucketName } from "../components/objectStorage/policies";
import { PROJECT } from "./keys";

// ---------------------------------------------------------------------------------------------
// Building blocks with messages that say what a valid value looks like.

const NAME_RE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** Item titles are also the names of the Kubernetes Secrets External Secrets creates from them. */
const ITEM_TITLE_RE = DNS_LABEL_RE;
/** The item the Flux handoff writes its SSH deploy key to. */
export const DEPLOY_KEY_ITEM_TITLE = "flux-deploy-key";

export const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

const requiredString = (what: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? "is required" : `must be ${what}, got ${show(issue.input)}`) });

const matching = (re: RegExp, what: string) =>
  requiredString(what).refine((s) => re.test(s), { error: (issue) => `${show(issue.input)} is not ${what}` });

const appName = matching(NAME_RE, "a valid app name (lowercase letters, digits, hyphens; starts with a letter)");
const dnsLabel = matching(DNS_LABEL_RE, "a valid Kubernetes name (lowercase letters, digits, hyphens; at most 63 chars)");
const duration = matching(DURATION_RE, "a Go duration like 30s, 5m or 1h");
const bool = z.boolean({ error: (issue) => `must be true or false, got ${show(issue.input)}` });
const positiveInt = (what: string) =>
  z.number({ error: (issue) => `must be ${what}, got ${show(issue.input)}` })
    .int({ error: (issue) => `must be ${what}, got ${show(issue.input)}` })
    .positive({ error: (issue) => `must be ${what}, got ${show(issue.input)}` });

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** Endpoints end up in ConfigMaps, outputs and state: they must not carry credentials. */
const httpUrl = requiredString("an http(s) URL").superRefine((value, ctx) => {
  const url = parseUrl(value);
  if (!url || !["http:", "https:"].includes(url.protocol) || url.hostname === "") {
    ctx.addIssue({ code: "custom", message: `${show(value)} is not an http(s) URL` });
  } else if (url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "must not contain credentials (they would be stored in plaintext); use the secret config keys" });
  } else if (url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: `${show(value)} must not have a query or fragment` });
  }
});

const bucketName = requiredString("an S3 bucket name").superRefine((name, ctx) => {
  const problem = validateBucketName(name);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: `${show(name)} is not a valid S3 bucket name: ${problem} (lowercase letters, digits, dots, hyphens; 3-63 chars)` });
  }
});

/** Git URL Flux can use: `ssh://` (not scp form `git@host:org/repo`) or `https://`. */
const gitUrl = requiredString("a Git URL").superRefine((value, ctx) => {
  if (/^[\w.-]+@[\w.-]+:(?!\/\/)/.test(value)) {
    ctx.addIssue({
      code: "custom",
      message: `${show(value)} is an scp-style SSH address, which Flux does not accept: write it as ssh://${value.replace(":", "/")}`,
    });
    return;
  }
  const url = parseUrl(value);
  if (!url || !["ssh:", "https:"].includes(url.protocol) || url.hostname === "") {
    ctx.addIssue({ code: "custom", message: `${show(value)} is not an ssh:// or https:// Git URL` });
  } else if (url.password) {
    ctx.addIssue({ code: "custom", message: "must not contain a password or token (it would be stored in plaintext); use fluxGitToken" });
  } else if (url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: `${show(value)} must not have a query or fragment` });
  }
});

// ---------------------------------------------------------------------------------------------
// List entries.

const entryError: z.core.$ZodErrorMap = (issue) =>
  issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : `must be an object, got ${show(issue.input)}`;

const accessList = z.array(appName, { error: (issue) => `must be a list of app names, got ${show(issue.input)}` }).default([]);

export const bucketSchema = z.strictObject(
  {
    key: matching(NAME_RE, "a valid bucket key (lowercase letters, digits, hyphens; names the resource and the Flux variable)"),
    name: bucketName,
    versioning: bool.default(true),
    noncurrentVersionDays: positiveInt("a positive number of days").default(30),
    abortIncompleteMultipartDays: positiveInt("a positive number of days").default(7),
    readWrite: accessList,
    read: accessList,
    /** Keys this entry had before a rename: its resources are aliased, not replaced. */
    previousKeys: z.array(matching(NAME_RE, "a valid bucket key"), { error: "must be a list of bucket keys" }).default([]),
  },
  { error: entryError },
);

const passwordPolicySchema = z
  .strictObject(
    {
      length: positiveInt("a length between 16 and 128").refine((n) => n >= 16 && n <= 128, { error: "must be between 16 and 128" }).default(32),
      special: bool.default(false),
      upper: bool.default(true),
      lower: bool.default(true),
      numeric: bool.default(true),
    },
    { error: entryError },
  )
  .refine((p) => p.special || p.upper || p.lower || p.numeric, { error: "enables no character class (special, upper, lower, numeric)" });

type CredentialKind = "database" | "login" | "password" | "s3";
type CredentialField = "username" | "hostname" | "port" | "database" | "url" | "app" | "bucket" | "password" | "rotation";
/** Which optional fields each kind requires and allows; anything else would be silently ignored. */
const CREDENTIAL_FIELDS: Record<CredentialKind, { required: CredentialField[]; allowed: CredentialField[] }> = {
  database: { required: ["username", "hostname", "port", "database"], allowed: ["password", "rotation"] },
  login: { required: ["username"], allowed: ["url", "password", "rotation"] },
  password: { required: [], allowed: ["password", "rotation"] },
  s3: { required: ["app", "bucket"], allowed: [] },
};

export const credentialSchema = z
  .strictObject(
    {
      title: matching(ITEM_TITLE_RE, "a valid item title: lowercase letters, digits, hyphens, at most 63 chars (it also names the Kubernetes Secret)"),
      kind: z.enum(["database", "login", "password", "s3"], { error: (issue) => `must be one of database, login, password, s3, got ${show(issue.input)}` }),
      username: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
      hostname: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
      port: positiveInt("a port number").refine((n) => n <= 65535, { error: "must be a port number (1-65535)" }).optional(),
      database: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
      url: httpUrl.optional(),
      /** s3 kind: the app whose RGW keys fill the item, and the bucket key it uses. */
      app: appName.optional(),
      bucket: z.string({ error: "must be a bucket key" }).optional(),
      password: passwordPolicySchema.optional(),
      rotation: z.string({ error: "must be a string" }).optional(),
      /** Titles this entry had before a rename: its resources are aliased, not replaced. */
      previousTitles: z.array(matching(ITEM_TITLE_RE, "a valid item title"), { error: "must be a list of item titles" }).default([]),
    },
    { error: entryError },
  )
  .superRefine((credential, ctx) => {
    const rules = CREDENTIAL_FIELDS[credential.kind];
    for (const field of rules.required) {
      if (credential[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required for kind ${credential.kind}` });
    }
    for (const field of ["username", "hostname", "port", "database", "url", "app", "bucket", "password", "rotation"] as const) {
      if (credential[field] === undefined || rules.required.includes(field) || rules.allowed.includes(field)) continue;
      const hint = credential.kind === "s3" && field === "rotation" ? " (rotate an app's S3 keys with s3KeyRotation)" : "";
      ctx.addIssue({ code: "custom", path: [field], message: `does not apply to kind ${credential.kind}${hint}` });
    }
    if (credential.title === DEPLOY_KEY_ITEM_TITLE) ctx.addIssue({ code: "custom", path: ["title"], message: `${show(DEPLOY_KEY_ITEM_TITLE)} is reserved for the Flux deploy key` });
  })
  .transform((credential) => ({ ...credential, password: credential.password ?? passwordPolicySchema.parse({}), rotation: credential.rotation ?? "1" }));

export const kustomizationSchema = z.strictObject(
  {
    name: dnsLabel,
    path: matching(/^\.\/[A-Za-z0-9._/-]*$/, "a repository path starting with ./"),
    dependsOn: z.array(z.string(), { error: "must be a list of Kustomization names" }).default([]),
    targetNamespace: dnsLabel.optional(),
    interval: duration.default("10m"),
    timeout: duration.default("5m"),
    wait: bool.default(true),
    prune: bool.default(true),
  },
  { error: entryError },
);

export type BucketConfig = z.output<typeof bucketSchema>;
export type CredentialConfig = z.output<typeof credentialSchema>;
export type KustomizationConfig = z.output<typeof kustomizationSchema>;

// ---------------------------------------------------------------------------------------------
// Defaults that depend on other keys.

export const defaultBuckets = (environment: string): z.input<typeof bucketSchema>[] => [
  { key: "warehouse", name: `iceberg-warehouse-${environment}`, readWrite: ["nessie", "spark", "trino"] },
  { key: "nessie-backup", name: `nessie-backup-${environment}`, readWrite: ["nessie"] },
];

export const defaultCredentials = (namespace: string): z.input<typeof credentialSchema>[] => [
  { title: "nessie-postgres", kind: "database", username: "nessie", hostname: `nessie-postgres-rw.${namespace}.svc`, port: 5432, database: "nessie" },
  { title: "nessie-s3-credentials", kind: "s3", app: "nessie", bucket: "warehouse" },
];

export const defaultKustomizations = (namespace: string): z.input<typeof kustomizationSchema>[] => [
  { name: "data-platform", path: "./kubernetes/apps/data-platform" },
  { name: "spark-operator", path: "./kubernetes/apps/data-platform/spark-operator", dependsOn: ["data-platform"], targetNamespace: namespace },
  { name: "nessie", path: "./kubernetes/apps/data-platform/nessie", dependsOn: ["data-platform"], targetNamespace: namespace },
  { name: "nessie-backup", path: "./kubernetes/apps/data-platform/nessie-backup", dependsOn: ["nessie"], targetNamespace: namespace },
  {
    name: "spark-iceberg-client",
    path: "./kubernetes/apps/data-platform/spark-iceberg-client",
    dependsOn: ["spark-operator", "nessie"],
    targetNamespace: namespace,
  },
];

// ---------------------------------------------------------------------------------------------
// The whole model.

export const scalarSchema = z.object({
  environment: matching(/^[a-z][a-z0-9-]{0,15}$/, "a valid environment name (lowercase letters, digits, hyphens; at most 16 chars)"),
  kubeContext: z.string(),
  dataPlatformNamespace: dnsLabel,
  externalSecretsNamespace: dnsLabel,
  onepasswordVault: requiredString("a vault name").min(1, { error: "must not be empty" }),
  onepasswordMode: z.enum(["connect", "serviceAccount"], { error: (issue) => `must be connect or serviceAccount, got ${show(issue.input)}` }),
  onepasswordConnectUrl: z.union([z.literal(""), httpUrl]),
  onepasswordClusterConnectUrl: z.union([z.literal(""), httpUrl]),
  clusterSecretStoreName: dnsLabel,
  onepasswordTokenSecretName: dnsLabel,
  rgwEndpoint: httpUrl,
  rgwInClusterEndpoint: z.union([z.literal(""), httpUrl]),
  rgwRegion: matching(/^[a-z0-9-]+$/, "a region name like us-east-1"),
  s3Apps: z.array(appName, { error: (issue) => `must be a list of app names, got ${show(issue.input)}` }),
  s3KeyRotation: z.record(z.string(), z.string({ error: "must be a string" }), { error: "must be an object of app name to rotation value" }).default({}),
  rgwPurgeUserDataOnDelete: bool,
  imageRegistry: matching(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$/, "a registry host[:port] without a scheme"),
  imageRepository: matching(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "a valid image repository (lowercase path)"),
  imageTag: z.union([z.literal(""), matching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "a valid image tag")]),
  imagePlatform: z.enum(["linux/amd64", "linux/arm64"], { error: (issue) => `must be linux/amd64 or linux/arm64, got ${show(issue.input)}` }),
  imageBaseImage: z.string(),
  imageMavenRepository: z.union([z.literal(""), httpUrl]),
  imageSourceUrl: z.union([z.literal(""), httpUrl]),
  imagePush: bool,
  imageRegistryUsername: z.string(),
  fluxInstall: bool,
  fluxChartVersion: matching(/^[0-9]+\.[0-9]+\.[0-9]+$/, "a chart version like 2.16.2"),
  fluxNamespace: dnsLabel,
  fluxGitUrl: gitUrl,
  fluxGitBranch: matching(/^[A-Za-z0-9._/-]+$/, "a branch name"),
  fluxGitAuth: z.enum(["ssh", "https"], { error: (issue) => `must be ssh or https, got ${show(issue.input)}` }),
  fluxGitInterval: duration,
  fluxKnownHosts: z.string(),
  fluxDeployKeyRotation: z.string(),
  fluxGitUsername: z.string(),
  // Lists are checked here for shape only; their entries are parsed one by one below.
  buckets: z.array(z.unknown(), { error: (issue) => `must be a list of buckets, got ${show(issue.input)}` }).optional(),
  credentials: z.array(z.unknown(), { error: (issue) => `must be a list of credentials, got ${show(issue.input)}` }).optional(),
  fluxKustomizations: z.array(z.unknown(), { error: (issue) => `must be a list of Kustomizations, got ${show(issue.input)}` }).optional(),
});

export type ScalarConfig = z.output<typeof scalarSchema>;

/** The validated whole: the scalar keys and the three lists with their entries parsed. */
export const validatedSchema = scalarSchema.omit({ buckets: true, credentials: true, fluxKustomizations: true }).extend({
  buckets: z.array(bucketSchema),
  credentials: z.array(credentialSchema),
  fluxKustomizations: z.array(kustomizationSchema),
});

// `""` means unset in Pulumi config; in the model such a value is absent rather than empty.
const orUndefined = (s: string) => (s === "" ? undefined : s);

/** The shape the program uses: grouped by capability, with derived values (in-cluster endpoints) filled in. */
export function toModel(c: z.output<typeof validatedSchema>) {
  const tag = orUndefined(c.imageTag);
  const baseImage = orUndefined(c.imageBaseImage);
  const mavenRepository = orUndefined(c.imageMavenRepository);
  const sourceUrl = orUndefined(c.imageSourceUrl);
  const registryUsername = orUndefined(c.imageRegistryUsername);
  const context = orUndefined(c.kubeContext);
  const connectUrl = orUndefined(c.onepasswordConnectUrl);
  const clusterConnectUrl = orUndefined(c.onepasswordClusterConnectUrl) ?? connectUrl;
  const knownHosts = orUndefined(c.fluxKnownHosts.trim());
  return {
    project: PROJECT as string,
    environment: c.environment,
    kubernetes: { ...(context === undefined ? {} : { context }), dataPlatformNamespace: c.dataPlatformNamespace, externalSecretsNamespace: c.externalSecretsNamespace },
    onepassword: {
      vault: c.onepasswordVault,
      mode: c.onepasswordMode,
      ...(connectUrl === undefined ? {} : { connectUrl }),
      ...(clusterConnectUrl === undefined ? {} : { clusterConnectUrl }),
      clusterSecretStoreName: c.clusterSecretStoreName,
      tokenSecretName: c.onepasswordTokenSecretName,
    },
    rgw: {
      endpoint: c.rgwEndpoint,
      inClusterEndpoint: orUndefined(c.rgwInClusterEndpoint) ?? c.rgwEndpoint,
      region: c.rgwRegion,
      purgeUserDataOnDelete: c.rgwPurgeUserDataOnDelete,
    },
    apps: c.s3Apps.map((name) => ({ name, keyRotation: c.s3KeyRotation[name] ?? "1" })),
    buckets: c.buckets,
    credentials: c.credentials,
    image: {
      registry: c.imageRegistry,
      repository: c.imageRepository,
      ...(tag === undefined ? {} : { tag }),
      platform: c.imagePlatform,
      ...(baseImage === undefined ? {} : { baseImage }),
      ...(mavenRepository === undefined ? {} : { mavenRepository }),
      ...(sourceUrl === undefined ? {} : { sourceUrl }),
      push: c.imagePush,
      ...(registryUsername === undefined ? {} : { registryUsername }),
    },
    flux: {
      install: c.fluxInstall,
      chartVersion: c.fluxChartVersion,
      namespace: c.fluxNamespace,
      gitUrl: c.fluxGitUrl,
      branch: c.fluxGitBranch,
      auth: c.fluxGitAuth,
      interval: c.fluxGitInterval,
      ...(knownHosts === undefined ? {} : { knownHosts }),
      deployKeyRotation: c.fluxDeployKeyRotation,
      gitUsername: c.fluxGitUsername,
      kustomizations: c.fluxKustomizations,
    },
  };
}

/** The model schema: parsing a whole decoded config with it gives `PlatformConfig`. The parser applies
 * the same schemas key by key and entry by entry, so that it can report every problem at once. */
export const platformConfigSchema = validatedSchema.transform(toModel);

export type PlatformConfig = z.output<typeof platformConfigSchema>;
