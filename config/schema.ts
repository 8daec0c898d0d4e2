// The stack's one typed config model. Pulumi hands the program flat `data-platform:<key>` strings;
// this file turns them into `PlatformConfig` or a list of every problem, each naming its key path.
// Everything here is pure: `stackConfig.ts` does the reading from Pulumi.
import { z } from "zod";
import { validateBucketName } from "../components/objectStorage/policies";

export const PROJECT = "data-platform";

/** How a key is declared in Pulumi.yaml. Lists of objects cannot be declared there (Pulumi's project
 * schema only knows string, integer, boolean and arrays of those), so they are documented in README. */
export type ConfigKeyType = "string" | "integer" | "boolean" | "string[]" | "object[]" | "object";

export interface ConfigKeySpec {
  type: ConfigKeyType;
  description: string;
  /** Present for optional keys; `""` means "unset" (derived or not used). */
  default?: string | number | boolean | string[];
  /** Only ever read as a Pulumi secret. */
  secret?: boolean;
  /** A secret needed only in some modes: not declared in Pulumi.yaml, where it would become required. */
  optionalSecret?: boolean;
}

const DEFAULT_APPS = ["nessie", "spark", "trino"];

/** Every key the stack reads. Pulumi.yaml's `config:` block and README's table are checked against it. */
export const CONFIG_KEYS = {
  environment: { type: "string", description: "Environment name (dev, prod, ...): used in bucket names and labels." },
  kubeContext: { type: "string", default: "", description: "kubeconfig context for the Kubernetes provider; empty = current context." },
  dataPlatformNamespace: { type: "string", default: "data-platform", description: "Namespace of the platform workloads (Kustomization target)." },
  externalSecretsNamespace: { type: "string", default: "external-secrets", description: "Namespace of External Secrets; holds the 1Password bootstrap secret." },

  onepasswordVault: { type: "string", default: "data-platform", description: "1Password vault (by name; looked up and passed by UUID)." },
  onepasswordMode: { type: "string", default: "connect", description: "How the stack and External Secrets reach 1Password: connect | serviceAccount." },
  onepasswordConnectUrl: { type: "string", default: "", description: "1Password Connect URL the stack uses (required in connect mode)." },
  onepasswordClusterConnectUrl: { type: "string", default: "", description: "Connect URL as seen from the cluster (ClusterSecretStore); empty = onepasswordConnectUrl." },
  onepasswordToken: { type: "string", secret: true, description: "Connect token or service-account token (secret)." },
  clusterSecretStoreName: { type: "string", default: "onepassword", description: "Name of the ClusterSecretStore the ExternalSecrets in Git reference." },
  onepasswordTokenSecretName: { type: "string", default: "onepassword-token", description: "Name of the bootstrap Secret holding the 1Password token for External Secrets." },
  credentials: { type: "object[]", description: "Credentials generated and written to 1Password (see README); default nessie-postgres and nessie-s3-credentials." },

  rgwEndpoint: { type: "string", description: "Ceph RGW S3 endpoint the stack talks to (http(s)://host[:port])." },
  rgwInClusterEndpoint: { type: "string", default: "", description: "S3 endpoint as the apps see it in-cluster; empty = rgwEndpoint." },
  rgwRegion: { type: "string", default: "us-east-1", description: "S3 region (RGW zonegroup api_name)." },
  rgwAdminAccessKey: { type: "string", secret: true, description: "Access key of the RGW user that owns the buckets and has caps users=* (secret)." },
  rgwAdminSecretKey: { type: "string", secret: true, description: "Secret key of that RGW admin user (secret)." },
  s3Apps: { type: "string[]", default: DEFAULT_APPS, description: "Applications that get their own RGW user and S3 keys." },
  s3KeyRotation: { type: "object", description: "Per-app key rotation trigger, e.g. {nessie: \"2026-11\"}: changing a value issues a new key." },
  rgwPurgeUserDataOnDelete: { type: "boolean", default: false, description: "Let `pulumi destroy` purge an app user's data; default keeps it." },
  buckets: { type: "object[]", description: "Buckets with versioning, lifecycle and per-app access (see README); default warehouse + nessie backup." },

  imageRegistry: { type: "string", description: "Registry host[:port] the spark-iceberg image is pushed to." },
  imageRepository: { type: "string", default: "data-platform/spark-iceberg", description: "Repository of the spark-iceberg image." },
  imageTag: { type: "string", default: "", description: "Tag pushed alongside the digest; empty = derived from the jar lock." },
  imagePlatform: { type: "string", default: "linux/amd64", description: "Build platform (linux/amd64 or linux/arm64)." },
  imageBaseImage: { type: "string", default: "", description: "Base image override; empty = the Dockerfile's pinned apache/spark." },
  imageMavenRepository: { type: "string", default: "", description: "Maven repository the build fetches jars from; empty = Maven Central." },
  imageSourceUrl: { type: "string", default: "", description: "URL of this repository, for the image's org.opencontainers.image.source label." },
  imagePush: { type: "boolean", default: true, description: "Push the image; false builds it only, and Flux gets no SPARK_ICEBERG_IMAGE." },
  imageRegistryUsername: { type: "string", default: "", description: "Registry user; empty = anonymous push." },
  imageRegistryPassword: { type: "string", secret: true, optionalSecret: true, description: "Registry password or token (secret; needed with imageRegistryUsername)." },

  fluxInstall: { type: "boolean", default: false, description: "Install Flux's controllers (flux2 Helm chart) before the Flux objects." },
  fluxChartVersion: { type: "string", default: "2.16.2", description: "Version of the flux2 Helm chart installed with fluxInstall." },
  fluxNamespace: { type: "string", default: "flux-system", description: "Namespace of Flux and of its GitRepository/Kustomizations." },
  fluxGitUrl: { type: "string", description: "Platform Git repository: ssh://git@host/org/repo.git or https://..." },
  fluxGitBranch: { type: "string", default: "main", description: "Branch Flux follows (set explicitly: Flux defaults to master)." },
  fluxGitAuth: { type: "string", default: "ssh", description: "Git auth: ssh (deploy key generated by the stack) | https (token)." },
  fluxGitInterval: { type: "string", default: "1m", description: "How often Flux fetches the repository (Go duration)." },
  fluxKnownHosts: { type: "string", default: "", description: "known_hosts line(s) for the Git host (required with ssh auth)." },
  fluxDeployKeyRotation: { type: "string", default: "1", description: "Change to generate a new SSH deploy key." },
  fluxGitUsername: { type: "string", default: "git", description: "Username for https auth." },
  fluxGitToken: { type: "string", secret: true, optionalSecret: true, description: "Git token for https auth (secret)." },
  fluxKustomizations: { type: "object[]", description: "Flux Kustomizations (see README); default the platform's layout." },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

export const configKeyPath = (key: string): string => `${PROJECT}:${key}`;

// ---------------------------------------------------------------------------------------------
// Building blocks with messages that say what a valid value looks like.

const NAME_RE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DURATION_RE = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** Item titles are also the names of the Kubernetes Secrets External Secrets creates from them. */
const ITEM_TITLE_RE = DNS_LABEL_RE;
/** The item the Flux handoff writes its SSH deploy key to. */
export const DEPLOY_KEY_ITEM_TITLE = "flux-deploy-key";

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

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

const bucketSchema = z.strictObject(
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

const credentialSchema = z
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

const kustomizationSchema = z.strictObject(
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

const scalarSchema = z.object({
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

type ScalarConfig = z.output<typeof scalarSchema>;

export interface PlatformConfig {
  project: string;
  environment: string;
  kubernetes: { context?: string; dataPlatformNamespace: string; externalSecretsNamespace: string };
  onepassword: {
    vault: string;
    mode: "connect" | "serviceAccount";
    connectUrl?: string;
    clusterConnectUrl?: string;
    clusterSecretStoreName: string;
    tokenSecretName: string;
  };
  rgw: { endpoint: string; inClusterEndpoint: string; region: string; purgeUserDataOnDelete: boolean };
  apps: { name: string; keyRotation: string }[];
  buckets: BucketConfig[];
  credentials: CredentialConfig[];
  image: {
    registry: string;
    repository: string;
    tag?: string;
    platform: "linux/amd64" | "linux/arm64";
    baseImage?: string;
    mavenRepository?: string;
    sourceUrl?: string;
    push: boolean;
    registryUsername?: string;
  };
  flux: {
    install: boolean;
    chartVersion: string;
    namespace: string;
    gitUrl: string;
    branch: string;
    auth: "ssh" | "https";
    interval: string;
    knownHosts?: string;
    deployKeyRotation: string;
    gitUsername: string;
    kustomizations: KustomizationConfig[];
  };
}

/** Raw values as Pulumi passes them: strings, with JSON for lists, objects, booleans and numbers. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export type ConfigResult = { ok: true; config: PlatformConfig } | { ok: false, errors: string[] };

export interface SecretKeyState {
  /** Secret keys that have a value. */
  present: ReadonlySet<string>;
  /** Keys that have a value but were not set with `--secret`. */
  plaintext?: ReadonlySet<string>;
}

export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`), PROJECT).replace(`${PROJECT}.`, `${PROJECT}:`);

/** Turn raw strings into typed JSON values per the key's declared type; collect what does not parse. */
function decodeRaw(raw: RawConfig, errors: string[]): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (spec.secret) continue;
    const text = raw[key];
    if (text === undefined) {
      decoded[key] = spec.default;
      continue;
    }
    if (spec.type === "string") {
      decoded[key] = text;
      continue;
    }
    try {
      decoded[key] = JSON.parse(text);
    } catch {
      const expected = { integer: "a number", boolean: "true or false", "string[]": "a list", "object[]": "a list", object: "an object" }[spec.type];
      errors.push(`${configKeyPath(key)}: must be ${expected}, got ${show(text)}`);
    }
  }
  const known = new Set(Object.keys(CONFIG_KEYS));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) errors.push(`${configKeyPath(key)}: unknown key (known keys are listed in README's config reference)`);
  }
  return decoded;
}

function findCycle(kustomizations: readonly KustomizationConfig[]): string[] | undefined {
  const edges = new Map(kustomizations.map((k) => [k.name, k.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = edges.has(next) ? visit(next) : undefined;
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const k of kustomizations) {
    const cycle = visit(k.name);
    if (cycle) return cycle;
  }
  return undefined;
}

function duplicates<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((item, index) => seen.set(keyOf(item), [...(seen.get(keyOf(item)) ?? []), index]));
  return new Map([...seen].filter(([, indexes]) => indexes.length > 1));
}

/** Cross-key rules zod cannot see one key at a time. */
function crossChecks(
  c: Partial<ScalarConfig>,
  bucketEntries: (BucketConfig | undefined)[],
  credentialEntries: (CredentialConfig | undefined)[],
  kustomizationEntries: (KustomizationConfig | undefined)[],
  secrets: SecretKeyState,
  failed: ReadonlySet<string>,
): string[] {
  // Entries keep their config index; invalid ones (already reported) are skipped.
  const indexed = <T>(items: (T | undefined)[]) => items.flatMap((item, index) => (item === undefined ? [] : [{ item, index }]));
  const buckets = indexed(bucketEntries);
  const credentials = indexed(credentialEntries);
  const kustomizations = indexed(kustomizationEntries);
  const errors: string[] = [];
  // A reference is only judged when the list it points into parsed completely (no false "unknown" errors).
  const judge = (key: string) => !failed.has(key);
  const at = (path: PropertyKey[], message: string) => errors.push(`${formatPath(path)}: ${message}`);
  const appList = c.s3Apps ?? [];
  const apps = new Set(appList);
  const bucketKeys = new Set(buckets.map(({ item }) => item.key));

  for (const [name, indexes] of duplicates(appList, (a) => a)) at(["s3Apps", indexes[1]], `duplicate app ${show(name)}`);
  if (judge("s3Apps")) for (const app of Object.keys(c.s3KeyRotation ?? {})) if (!apps.has(app)) at(["s3KeyRotation", app], `unknown app ${show(app)} (not in s3Apps)`);

  const original = (list: { index: number }[], at: number[]) => at.map((i) => list[i].index);
  for (const [name, positions] of duplicates(buckets, ({ item }) => item.name)) {
    const [first, second] = original(buckets, positions);
    at(["buckets", second, "name"], `duplicate bucket name ${show(name)} (also buckets[${first}])`);
  }
  for (const [key, positions] of duplicates(buckets, ({ item }) => item.key)) {
    const [first, second] = original(buckets, positions);
    at(["buckets", second, "key"], `duplicate bucket key ${show(key)} (also buckets[${first}])`);
  }
  buckets.forEach(({ item: bucket, index: i }) => {
    for (const field of ["readWrite", "read"] as const) {
      bucket[field].forEach((app, j) => {
        if (judge("s3Apps") && !apps.has(app)) at(["buckets", i, field, j], `unknown app ${show(app)} (s3Apps is ${show(appList)})`);
      });
    }
    for (const app of bucket.read) if (bucket.readWrite.includes(app)) at(["buckets", i, "read"], `app ${show(app)} is listed in both read and readWrite`);
  });

  for (const [title, positions] of duplicates(credentials, ({ item }) => item.title)) {
    const [first, second] = original(credentials, positions);
    at(["credentials", second, "title"], `duplicate item title ${show(title)} (also credentials[${first}])`);
  }
  credentials.forEach(({ item: cred, index: i }) => {
    if (cred.app !== undefined && judge("s3Apps") && !apps.has(cred.app)) at(["credentials", i, "app"], `unknown app ${show(cred.app)} (not in s3Apps)`);
    if (cred.bucket !== undefined && judge("buckets") && !bucketKeys.has(cred.bucket)) {
      at(["credentials", i, "bucket"], `unknown bucket key ${show(cred.bucket)} (buckets are ${show([...bucketKeys])})`);
    }
  });

  const names = new Set(kustomizations.map(({ item }) => item.name));
  for (const [name, positions] of duplicates(kustomizations, ({ item }) => item.name)) {
    at(["fluxKustomizations", original(kustomizations, positions)[1], "name"], `duplicate Kustomization ${show(name)}`);
  }
  kustomizations.forEach(({ item: k, index: i }) =>
    k.dependsOn.forEach((dep, j) => {
      if (!names.has(dep)) {
        if (judge("fluxKustomizations")) at(["fluxKustomizations", i, "dependsOn", j], `unknown Kustomization ${show(dep)} (known: ${[...names].join(", ")})`);
      } else if (dep === k.name) at(["fluxKustomizations", i, "dependsOn", j], "a Kustomization cannot depend on itself");
    }),
  );
  const cycle = findCycle(kustomizations.map(({ item: k }) => ({ ...k, dependsOn: k.dependsOn.filter((d) => d !== k.name) })));
  if (cycle) at(["fluxKustomizations"], `dependsOn cycle ${cycle.join(" -> ")}`);

  // An old name may alias only one entry, and never a name in use: Pulumi rejects duplicate aliases.
  const renames = (list: "buckets" | "credentials", entries: { item: { name: string; previous: string[] }; index: number }[], field: string) => {
    const current = new Set(entries.map(({ item }) => item.name));
    const claimed = new Map<string, number>();
    for (const { item, index } of entries) {
      item.previous.forEach((old, j) => {
        if (current.has(old)) at([list, index, field, j], `${show(old)} is the name of a current entry`);
        else if (claimed.has(old)) at([list, index, field, j], `${show(old)} is also listed by ${list}[${claimed.get(old)}]`);
        else claimed.set(old, index);
      });
    }
  };
  renames("buckets", buckets.map(({ item, index }) => ({ item: { name: item.key, previous: item.previousKeys }, index })), "previousKeys");
  renames("credentials", credentials.map(({ item, index }) => ({ item: { name: item.title, previous: item.previousTitles }, index })), "previousTitles");

  if (c.onepasswordMode === "connect" && c.onepasswordConnectUrl === "" && judge("onepasswordConnectUrl")) at(["onepasswordConnectUrl"], "is required when onepasswordMode is connect");
  const gitScheme = c.fluxGitUrl?.startsWith("https://") ? "https" : "ssh";
  if (c.fluxGitUrl !== undefined && c.fluxGitAuth !== undefined && gitScheme !== c.fluxGitAuth) at(["fluxGitAuth"], `is ${c.fluxGitAuth} but fluxGitUrl is an ${gitScheme} URL`);
  if (c.fluxGitAuth === "ssh" && c.fluxKnownHosts?.trim() === "") at(["fluxKnownHosts"], "is required with ssh auth (the Git host's known_hosts line, e.g. from ssh-keyscan)");
  if (c.fluxGitAuth === "https" && !secrets.present.has("fluxGitToken")) at(["fluxGitToken"], "is required with https auth: pulumi config set --secret fluxGitToken ...");
  if (c.imageRegistryUsername && !secrets.present.has("imageRegistryPassword")) {
    at(["imageRegistryPassword"], "is required when imageRegistryUsername is set: pulumi config set --secret imageRegistryPassword ...");
  }
  return errors;
}

/** Validate raw Pulumi config and build the typed model; every problem is returned, none thrown. */
export function parsePlatformConfig(raw: RawConfig, secrets: SecretKeyState): ConfigResult {
  const errors: string[] = [];
  const decoded = decodeRaw(raw, errors);

  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (!spec.secret) continue;
    if (secrets.plaintext?.has(key)) errors.push(`${configKeyPath(key)}: must be set as a secret: pulumi config set --secret ${key} ...`);
    else if (!spec.optionalSecret && !secrets.present.has(key)) errors.push(`${configKeyPath(key)}: is required: pulumi config set --secret ${key} ...`);
  }

  // Each key (and each list entry) is parsed on its own so that one mistake does not hide the others.
  const failed = new Set<string>();
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(scalarSchema.shape)) {
    const result = schema.safeParse(decoded[key]);
    if (result.success) values[key] = result.data;
    else {
      failed.add(key);
      for (const issue of result.error.issues) errors.push(`${formatPath([key, ...issue.path])}: ${issue.message}`);
    }
  }
  const c = values as ScalarConfig;
  const environment = failed.has("environment") ? "env" : c.environment;
  const namespace = failed.has("dataPlatformNamespace") ? "data-platform" : c.dataPlatformNamespace;
  // Entries stay at their index (undefined where invalid) so later messages name the right one.
  const entries = <S extends z.ZodType>(key: string, schema: S, given: unknown[] | undefined, fallback: unknown[]): (z.output<S> | undefined)[] => {
    const parsed: (z.output<S> | undefined)[] = [];
    (given ?? fallback).forEach((item, index) => {
      const result = schema.safeParse(item);
      if (result.success) parsed.push(result.data);
      else {
        parsed.push(undefined);
        failed.add(key);
        const origin = given === undefined ? " (from the default)" : "";
        for (const issue of result.error.issues) errors.push(`${formatPath([key, index, ...issue.path])}: ${issue.message}${origin}`);
      }
    });
    return parsed;
  };
  const given = (key: "buckets" | "credentials" | "fluxKustomizations") => (failed.has(key) ? [] : c[key]);
  const buckets = entries("buckets", bucketSchema, given("buckets"), defaultBuckets(environment));
  const credentials = entries("credentials", credentialSchema, given("credentials"), defaultCredentials(namespace));
  const fluxKustomizations = entries("fluxKustomizations", kustomizationSchema, given("fluxKustomizations"), defaultKustomizations(namespace));

  errors.push(...crossChecks(c, buckets, credentials, fluxKustomizations, secrets, failed));
  if (errors.length > 0) return { ok: false, errors: unique(errors) };
  const defined = <T>(items: (T | undefined)[]): T[] => items.filter((item): item is T => item !== undefined);

  const orUndefined = (s: string) => (s === "" ? undefined : s);
  return {
    ok: true,
    config: {
      project: PROJECT,
      environment: c.environment,
      kubernetes: { context: orUndefined(c.kubeContext), dataPlatformNamespace: c.dataPlatformNamespace, externalSecretsNamespace: c.externalSecretsNamespace },
      onepassword: {
        vault: c.onepasswordVault,
        mode: c.onepasswordMode,
        connectUrl: orUndefined(c.onepasswordConnectUrl),
        clusterConnectUrl: orUndefined(c.onepasswordClusterConnectUrl) ?? orUndefined(c.onepasswordConnectUrl),
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
      buckets: defined(buckets),
      credentials: defined(credentials),
      image: {
        registry: c.imageRegistry,
        repository: c.imageRepository,
        tag: orUndefined(c.imageTag),
        platform: c.imagePlatform,
        baseImage: orUndefined(c.imageBaseImage),
        mavenRepository: orUndefined(c.imageMavenRepository),
        sourceUrl: orUndefined(c.imageSourceUrl),
        push: c.imagePush,
        registryUsername: orUndefined(c.imageRegistryUsername),
      },
      flux: {
        install: c.fluxInstall,
        chartVersion: c.fluxChartVersion,
        namespace: c.fluxNamespace,
        gitUrl: c.fluxGitUrl,
        branch: c.fluxGitBranch,
        auth: c.fluxGitAuth,
        interval: c.fluxGitInterval,
        knownHosts: orUndefined(c.fluxKnownHosts.trim()),
        deployKeyRotation: c.fluxDeployKeyRotation,
        gitUsername: c.fluxGitUsername,
        kustomizations: defined(fluxKustomizations),
      },
    },
  };
}

const unique = (items: string[]): string[] => [...new Set(items)];
