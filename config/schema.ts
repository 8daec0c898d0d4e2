// Schemas and defaults of the stack's config model: what each key and list entry may hold, with messages
// that say what a valid value looks like. `PlatformConfig` is the output of `platformConfigSchema`.
import { z } from "zod";
import { DEFAULT_PASSWORD_POLICY } from "../components/credentials/items";
import { DEPLOY_KEY_ITEM_TITLE } from "../components/flux/manifests";
import { validateBucketName } from "../components/objectStorage/policies";
import { MAX_LIFECYCLE_DAYS } from "../providers/lifecycleRules";
import { type AdoptConfig, emptyAdopt } from "./adopt";
import { DEFAULT_APPS, PROJECT } from "./keys";
import { didYouMean, redact, show } from "./messages";

// ---------------------------------------------------------------------------------------------
// Building blocks with messages that say what a valid value looks like. Values are quoted with `show`,
// which redacts credentials: a message may end up in CI logs.

export const NAME_RE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** Item titles are also the names of the Kubernetes Secrets External Secrets creates from them. */
const ITEM_TITLE_RE = DNS_LABEL_RE;

/** A number or boolean written in quotes in YAML arrives as a string: say so, it is easy to miss. */
const quotedHint = (input: unknown, parsesAs: "number" | "boolean"): string => {
  if (typeof input !== "string") return "";
  const looksLike = parsesAs === "number" ? /^-?[0-9]+(\.[0-9]+)?$/.test(input.trim()) : /^(true|false)$/i.test(input.trim());
  return looksLike ? ` (a quoted string: write it without quotes)` : "";
};

const requiredString = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? "is required" : `must be ${what}, got ${show(issue.input)}`) })
    // An empty value (`key:` with nothing after it) is a missing value, not a short one.
    .min(1, { error: "is required, got an empty value", abort: true });

const matching = (re: RegExp, what: string) => requiredString(what).refine((s) => re.test(s), { error: (issue) => `${show(issue.input)} is not ${what}` });

const appName = matching(NAME_RE, "a valid app name (lowercase letters, digits, hyphens; starts with a letter)");
const dnsLabel = matching(DNS_LABEL_RE, "a valid Kubernetes name (lowercase letters, digits, hyphens; at most 63 chars)");

/** Go duration, as Flux parses it; zero would make the controller spin, so it must be positive. */
export const goDurationMs = (text: string): number => {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
};
const duration = matching(DURATION_RE, "a Go duration like 30s, 5m or 1h").refine((s) => !DURATION_RE.test(s) || goDurationMs(s) > 0, {
  error: (issue) => `${show(issue.input)} is zero: Flux needs a positive interval, e.g. 1m`,
});

const bool = z.boolean({ error: (issue) => `must be true or false, got ${show(issue.input)}${quotedHint(issue.input, "boolean")}` });
const positiveInt = (what: string, max = Number.MAX_SAFE_INTEGER) => {
  const limit = max < Number.MAX_SAFE_INTEGER ? ` (at most ${max})` : "";
  const message = (issue: { input?: unknown }) => `must be ${what}${limit}, got ${show(issue.input)}${quotedHint(issue.input, "number")}`;
  return (
    z
      .number({ error: message })
      // abort: one message per value (1e21 is neither a safe integer nor at most max: said once).
      .int({ error: message, abort: true })
      .positive({ error: message, abort: true })
      .max(max, { error: message })
  );
};
const lifecycleDays = positiveInt("a positive number of days", MAX_LIFECYCLE_DAYS);

/**
 * A rotation trigger: any value, compared as a string. `pulumi config set --path 's3KeyRotation.trino' 2`
 * (and `rotation: 2` in YAML) stores a number, so a number is read as its decimal form: 2 and "2" are the
 * same trigger, and the state keeps the string either way.
 */
const rotationValue = z
  .union([z.string(), z.number()], { error: (issue) => `must be a string or a number (any value; changing it rotates), got ${show(issue.input)}` })
  .transform((value) => String(value));

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/**
 * URLs end up in ConfigMaps, outputs and state: they must not carry credentials (userinfo, or a query
 * or fragment, where signed URLs keep them). The URL parser trims spaces silently, while the providers
 * get the value as written, so whitespace is refused. `endpoint` (an S3 or Connect endpoint the clients
 * append their own paths to) also refuses a path.
 */
const checkUrl = (what: string, endpoint: boolean) => (value: string, ctx: z.core.$RefinementCtx<string>) => {
  const fail = (message: string) => ctx.addIssue({ code: "custom", message });
  const url = parseUrl(value);
  if (!url || !["http:", "https:"].includes(url.protocol) || url.hostname === "") fail(`${show(value)} is not ${what}`);
  else if (/\s/.test(value)) fail(`${show(value)} contains whitespace`);
  else if (url.username || url.password) fail(`${show(value)} must not contain credentials (they would be stored in plaintext); use the secret config keys`);
  else if (url.search || url.hash || value.includes("?") || value.includes("#")) fail(`${show(value)} must not have a query or fragment`);
  else if (endpoint && url.pathname !== "/") fail(`${show(value)} must not have a path (${show(url.pathname)}): write the endpoint as http(s)://host[:port]`);
};
const httpUrl = requiredString("an http(s) URL").superRefine(checkUrl("an http(s) URL", false));
const endpointUrl = requiredString("an http(s) URL").superRefine(checkUrl("an http(s) URL", true));
/** Optional keys: `""` means unset. */
const optionalUrl = (endpoint: boolean) => {
  const what = "an http(s) URL";
  return z
    .string({ error: (issue) => `must be ${what}, got ${show(issue.input)}` })
    .superRefine((value, ctx) => (value === "" ? undefined : checkUrl(what, endpoint)(value, ctx)));
};

const bucketName = requiredString("an S3 bucket name").superRefine((name, ctx) => {
  const problem = validateBucketName(name);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: `${show(name)} is not a valid S3 bucket name: ${problem} (lowercase letters, digits, dots, hyphens; 3-63 chars)` });
  }
});

/** Git URL Flux can use: `ssh://` (not scp form `git@host:org/repo`) or `https://`, without credentials. */
const gitUrl = requiredString("a Git URL").superRefine((value, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: "custom", message });
  if (/^[^/:@\s]+@[\w.-]+:(?!\/\/)/.test(value)) {
    return fail(`${show(value)} is an scp-style SSH address, which Flux does not accept: write it as ${redact(`ssh://${value.replace(":", "/")}`)}`);
  }
  const url = parseUrl(value);
  if (!url || !["ssh:", "https:"].includes(url.protocol) || url.hostname === "") fail(`${show(value)} is not an ssh:// or https:// Git URL`);
  else if (/\s/.test(value)) fail(`${show(value)} contains whitespace`);
  else if (url.protocol === "https:" && (url.username || url.password)) {
    fail(
      `${show(value)} must not contain credentials (they would be stored in plaintext): put the token in fluxGitToken (pulumi config set --secret fluxGitToken ...) and the user in fluxGitUsername`,
    );
  } else if (url.password) fail(`${show(value)} must not contain a password or token (it would be stored in plaintext); use the SSH deploy key`);
  else if (url.search || url.hash || value.includes("?") || value.includes("#")) fail(`${show(value)} must not have a query or fragment`);
});

/** Branch names as `git check-ref-format --branch` accepts them (Flux passes the name to Git as is). */
export function branchProblem(name: string): string | undefined {
  if (name.startsWith("-")) return "must not start with -";
  if (name === "@") return "must not be @";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return "must not contain spaces, control characters or any of ~ ^ : ? * [ \\";
  if (name.startsWith("/") || name.endsWith("/") || name.includes("//")) return "must not start or end with / or contain //";
  if (name.includes("..")) return "must not contain ..";
  if (name.includes("@{")) return "must not contain @{";
  if (name.endsWith(".")) return "must not end with .";
  for (const part of name.split("/")) {
    if (part.startsWith(".")) return `must not have a component starting with . (${show(part)})`;
    if (part.endsWith(".lock")) return `must not have a component ending with .lock (${show(part)})`;
  }
  return undefined;
}
const branch = requiredString("a branch name").superRefine((name, ctx) => {
  const problem = branchProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${show(name)} is not a valid Git branch name: ${problem} (git check-ref-format)` });
});

/** A path inside the Git repository: `./` first, and no `..` segment that would climb out of it. */
const repositoryPath = matching(/^\.\/[A-Za-z0-9._/-]*$/, "a repository path starting with ./").refine((p) => !p.split("/").includes(".."), {
  error: (issue) => `${show(issue.input)} must not contain .. segments (the path stays inside the repository)`,
});

// ---------------------------------------------------------------------------------------------
// List entries. Each entry's shape is exported: when an entry is invalid, the parser still reads its
// valid fields one by one, so that cross-references in it are checked in the same pass.

/** Not an object, or fields the schema does not know (with the nearest known name). */
const entryError =
  (known: readonly string[]): z.core.$ZodErrorMap =>
  (issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => `unknown field ${key}${didYouMean(key, known)}`).join("; ")
      : `must be an object, got ${show(issue.input)}`;

const strictEntry = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, { error: entryError(Object.keys(shape)) });

const accessList = z.array(appName, { error: (issue) => `must be a list of app names, got ${show(issue.input)}` }).default([]);

export const bucketShape = {
  key: matching(NAME_RE, "a valid bucket key (lowercase letters, digits, hyphens; names the resource and the Flux variable)"),
  name: bucketName,
  versioning: bool.default(true),
  noncurrentVersionDays: lifecycleDays.default(30),
  abortIncompleteMultipartDays: lifecycleDays.default(7),
  readWrite: accessList,
  read: accessList,
  /** Keys this entry had before a rename: its resources are aliased, not replaced. */
  previousKeys: z.array(matching(NAME_RE, "a valid bucket key"), { error: "must be a list of bucket keys" }).default([]),
};
export const bucketSchema = strictEntry(bucketShape);

const passwordPolicySchema = strictEntry({
  length: positiveInt("a length between 16 and 128")
    .refine((n) => n >= 16 && n <= 128, { error: "must be between 16 and 128" })
    .default(DEFAULT_PASSWORD_POLICY.length),
  special: bool.default(DEFAULT_PASSWORD_POLICY.special),
  upper: bool.default(DEFAULT_PASSWORD_POLICY.upper),
  lower: bool.default(DEFAULT_PASSWORD_POLICY.lower),
  numeric: bool.default(DEFAULT_PASSWORD_POLICY.numeric),
}).refine((p) => p.special || p.upper || p.lower || p.numeric, { error: "enables no character class (special, upper, lower, numeric)" });

type CredentialKind = "database" | "login" | "password" | "s3";
type CredentialField = "username" | "hostname" | "port" | "database" | "url" | "app" | "bucket" | "password" | "rotation";
/** Which optional fields each kind requires and allows; anything else would be silently ignored. */
const CREDENTIAL_FIELDS: Record<CredentialKind, { required: CredentialField[]; allowed: CredentialField[] }> = {
  database: { required: ["username", "hostname", "port", "database"], allowed: ["password", "rotation"] },
  login: { required: ["username"], allowed: ["url", "password", "rotation"] },
  password: { required: [], allowed: ["password", "rotation"] },
  s3: { required: ["app", "bucket"], allowed: [] },
};

export const credentialShape = {
  title: matching(ITEM_TITLE_RE, "a valid item title: lowercase letters, digits, hyphens, at most 63 chars (it also names the Kubernetes Secret)"),
  kind: z.enum(["database", "login", "password", "s3"], { error: (issue) => `must be one of database, login, password, s3, got ${show(issue.input)}` }),
  username: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
  hostname: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
  port: positiveInt("a port number")
    .refine((n) => n <= 65535, { error: "must be a port number (1-65535)" })
    .optional(),
  database: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
  url: httpUrl.optional(),
  /** s3 kind: the app whose RGW keys fill the item, and the bucket key it uses. */
  app: appName.optional(),
  bucket: z.string({ error: "must be a bucket key" }).optional(),
  password: passwordPolicySchema.optional(),
  rotation: rotationValue.optional(),
  /** Titles this entry had before a rename: its resources are aliased, not replaced. */
  previousTitles: z.array(matching(ITEM_TITLE_RE, "a valid item title"), { error: "must be a list of item titles" }).default([]),
};
export const credentialSchema = strictEntry(credentialShape)
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
    if (credential.title === DEPLOY_KEY_ITEM_TITLE)
      ctx.addIssue({ code: "custom", path: ["title"], message: `${show(DEPLOY_KEY_ITEM_TITLE)} is reserved for the Flux deploy key` });
  })
  .transform((credential) => ({ ...credential, password: credential.password ?? passwordPolicySchema.parse({}), rotation: credential.rotation ?? "1" }));

export const kustomizationShape = {
  name: dnsLabel,
  path: repositoryPath,
  dependsOn: z.array(dnsLabel, { error: "must be a list of Kustomization names" }).default([]),
  targetNamespace: dnsLabel.optional(),
  interval: duration.default("10m"),
  // A failed reconciliation (a variable not set, the ConfigMap briefly missing) retries after this, not after the interval.
  retryInterval: duration.default("1m"),
  timeout: duration.default("5m"),
  wait: bool.default(true),
  prune: bool.default(true),
};
export const kustomizationSchema = strictEntry(kustomizationShape);

export type BucketConfig = z.output<typeof bucketSchema>;
export type CredentialConfig = z.output<typeof credentialSchema>;
export type KustomizationConfig = z.output<typeof kustomizationSchema>;

// ---------------------------------------------------------------------------------------------
// Defaults that depend on other keys.

/** Least privilege: trino only queries the warehouse; only nessie writes its own backups. */
export const defaultBuckets = (environment: string): z.input<typeof bucketSchema>[] => [
  { key: "warehouse", name: `iceberg-warehouse-${environment}`, readWrite: ["nessie", "spark"], read: ["trino"] },
  { key: "nessie-backup", name: `nessie-backup-${environment}`, readWrite: ["nessie"] },
];

/**
 * Every app's S3 keys go to 1Password (`<app>-s3-credentials`): keys no item holds would reach no one.
 * The item names the first bucket the app is granted (`grantedBuckets`), the warehouse when it has none.
 */
export const defaultCredentials = (
  namespace: string,
  apps: readonly string[] = DEFAULT_APPS,
  grantedBuckets: (app: string) => readonly string[] = () => [],
): z.input<typeof credentialSchema>[] => [
  { title: "nessie-postgres", kind: "database", username: "nessie", hostname: `nessie-postgres-rw.${namespace}.svc`, port: 5432, database: "nessie" },
  ...apps.map((app) => ({ title: `${app}-s3-credentials`, kind: "s3" as const, app, bucket: grantedBuckets(app)[0] ?? "warehouse" })),
];

/**
 * The root's path is a sibling of its children's, not their parent: Flux builds everything below a path
 * that has no kustomization.yaml, so a parent path would apply its children's manifests too (real Flux:
 * `namespace not specified`, and the whole dependsOn chain stalls behind the root).
 */
export const defaultKustomizations = (namespace: string): z.input<typeof kustomizationSchema>[] => [
  { name: "data-platform", path: "./kubernetes/apps/data-platform/core" },
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
  onepasswordConnectUrl: optionalUrl(true),
  onepasswordClusterConnectUrl: optionalUrl(true),
  clusterSecretStoreName: dnsLabel,
  onepasswordTokenSecretName: dnsLabel,
  rgwEndpoint: endpointUrl,
  rgwInClusterEndpoint: optionalUrl(true),
  rgwRegion: matching(/^[a-z0-9-]+$/, "a region name like us-east-1"),
  s3Apps: z.array(appName, { error: (issue) => `must be a list of app names, got ${show(issue.input)}` }),
  s3AppsRemoved: z.array(appName, { error: (issue) => `must be a list of app names, got ${show(issue.input)}` }),
  s3KeyRotation: z.record(z.string(), rotationValue, { error: "must be an object of app name to rotation value" }).default({}),
  rgwPurgeUserDataOnDelete: bool,
  imageRegistry: matching(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?$/, "a registry host[:port] without a scheme"),
  imageRepository: matching(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, "a valid image repository (lowercase path)"),
  imageTag: z.union([z.literal(""), matching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "a valid image tag")]),
  imagePlatform: z.enum(["linux/amd64", "linux/arm64"], { error: (issue) => `must be linux/amd64 or linux/arm64, got ${show(issue.input)}` }),
  imageBaseImage: z.string(),
  imageMavenRepository: optionalUrl(false),
  imageSourceUrl: optionalUrl(false),
  imagePush: bool,
  imageRegistryUsername: z.string(),
  fluxInstall: bool,
  fluxChartVersion: matching(/^[0-9]+\.[0-9]+\.[0-9]+$/, "a chart version like 2.16.2"),
  fluxNamespace: dnsLabel,
  fluxGitUrl: gitUrl,
  fluxGitBranch: branch,
  fluxGitAuth: z.enum(["ssh", "https"], { error: (issue) => `must be ssh or https, got ${show(issue.input)}` }),
  fluxGitInterval: duration,
  fluxKnownHosts: z.string(),
  fluxDeployKeyRotation: z.string(),
  fluxGitUsername: z.string(),
  fluxWaitForReady: bool,
  fluxReadyTimeout: duration,
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
  // Parsed and checked entry by entry in ./adopt (parseAdopt, adoptCrossChecks); here only carried over.
  adopt: z.custom<AdoptConfig>((value) => typeof value === "object" && value !== null).default(() => emptyAdopt()),
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
    kubernetes: {
      ...(context === undefined ? {} : { context }),
      dataPlatformNamespace: c.dataPlatformNamespace,
      externalSecretsNamespace: c.externalSecretsNamespace,
    },
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
    // Own keys only: an app named like an Object.prototype member ("constructor") has no inherited rotation.
    apps: c.s3Apps.map((name) => ({ name, keyRotation: Object.hasOwn(c.s3KeyRotation, name) ? c.s3KeyRotation[name] : "1" })),
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
      /** 0: `up` does not wait for Flux to report Ready. */
      readyTimeoutSeconds: c.fluxWaitForReady ? Math.ceil(goDurationMs(c.fluxReadyTimeout) / 1000) : 0,
    },
    adopt: c.adopt,
  };
}

/** The model schema: parsing a whole decoded config with it gives `PlatformConfig`. The parser applies
 * the same schemas key by key and entry by entry, so that it can report every problem at once. */
export const platformConfigSchema = validatedSchema.transform(toModel);

export type PlatformConfig = z.output<typeof platformConfigSchema>;
