// Every key the stack reads, as Pulumi names it: the one list Pulumi.yaml, docs/configuration.md's config table and
// the parser are all derived from.
import { redact } from "./messages";

export const PROJECT = "data-platform";

/** How a key is declared in Pulumi.yaml. Lists of objects cannot be declared there (Pulumi's project
 * schema only knows string, integer, boolean and arrays of those), so they are documented in docs/configuration.md. */
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

export const DEFAULT_APPS = ["nessie", "spark", "trino"];

/** Every key the stack reads. Pulumi.yaml's `config:` block and docs/configuration.md's table are checked against it. */
export const CONFIG_KEYS = {
  environment: { type: "string", description: "Environment name (dev, prod, ...): used in bucket names and labels." },
  kubeContext: { type: "string", default: "", description: "kubeconfig context for the Kubernetes provider; empty = current context." },
  dataPlatformNamespace: { type: "string", default: "data-platform", description: "Namespace of the platform workloads (Kustomization target)." },
  externalSecretsNamespace: {
    type: "string",
    default: "external-secrets",
    description: "Namespace of External Secrets; holds the 1Password bootstrap secret.",
  },

  onepasswordVault: { type: "string", default: "data-platform", description: "1Password vault (by name; looked up and passed by UUID)." },
  onepasswordMode: { type: "string", default: "connect", description: "How the stack and External Secrets reach 1Password: connect | serviceAccount." },
  onepasswordConnectUrl: { type: "string", default: "", description: "1Password Connect URL the stack uses (required in connect mode)." },
  onepasswordClusterConnectUrl: {
    type: "string",
    default: "",
    description: "Connect URL as seen from the cluster (ClusterSecretStore); empty = onepasswordConnectUrl.",
  },
  onepasswordToken: { type: "string", secret: true, description: "Connect token or service-account token (secret)." },
  clusterSecretStoreName: { type: "string", default: "onepassword", description: "Name of the ClusterSecretStore the ExternalSecrets in Git reference." },
  onepasswordTokenSecretName: {
    type: "string",
    default: "onepassword-token",
    description: "Name of the bootstrap Secret holding the 1Password token for External Secrets.",
  },
  credentials: {
    type: "object[]",
    description:
      "Credentials generated and written to 1Password, merged with the defaults by title ({title: x, remove: true} drops one); default nessie-postgres and <app>-s3-credentials for each app in s3Apps.",
  },

  rgwEndpoint: { type: "string", description: "Ceph RGW S3 endpoint the stack talks to (http(s)://host[:port])." },
  rgwInClusterEndpoint: { type: "string", default: "", description: "S3 endpoint as the apps see it in-cluster; empty = rgwEndpoint." },
  rgwRegion: { type: "string", default: "us-east-1", description: "S3 region (RGW zonegroup api_name)." },
  rgwAdminAccessKey: { type: "string", secret: true, description: "Access key of the RGW user that owns the buckets and has caps users=* (secret)." },
  rgwAdminSecretKey: { type: "string", secret: true, description: "Secret key of that RGW admin user (secret)." },
  s3Apps: { type: "string[]", default: DEFAULT_APPS, description: "Applications that get their own RGW user and S3 keys." },
  s3AppsRemoved: {
    type: "string[]",
    default: [],
    description: "Apps removed from s3Apps on purpose: lets their grants, user and item go (docs/operations.md); an app dropped without it stops the run.",
  },
  s3KeyRotation: {
    type: "object",
    description:
      'Per-app key rotation trigger, e.g. {nessie: "2026-11"} or `pulumi config set --path s3KeyRotation.nessie 2` (a number reads as its string): changing a value issues a new key. Keys must be apps in s3Apps.',
  },
  rgwPurgeUserDataOnDelete: { type: "boolean", default: false, description: "Let `pulumi destroy` purge an app user's data; default keeps it." },
  buckets: {
    type: "object[]",
    description:
      "Buckets with versioning, lifecycle and per-app access, merged with the defaults by key ({key: x, remove: true} drops one); default warehouse + nessie backup.",
  },

  imageRegistry: { type: "string", description: "Registry host[:port] the spark-iceberg image is pushed to." },
  imageRepository: { type: "string", default: "data-platform/spark-iceberg", description: "Repository of the spark-iceberg image." },
  imageTag: { type: "string", default: "", description: "Tag pushed alongside the digest; empty = derived from the jar lock." },
  imagePlatform: { type: "string", default: "linux/amd64", description: "Build platform (linux/amd64 or linux/arm64)." },
  imageBaseImage: { type: "string", default: "", description: "Base image override; empty = the Dockerfile's pinned apache/spark." },
  imageMavenRepository: { type: "string", default: "", description: "Maven repository the build fetches jars from; empty = Maven Central." },
  imageSourceUrl: { type: "string", default: "", description: "URL of this repository, for the image's org.opencontainers.image.source label." },
  imagePush: {
    type: "boolean",
    default: true,
    description: "Push the image; false builds it only (SPARK_ICEBERG_IMAGE is then the unpushed registry/repository:tag).",
  },
  imageRegistryUsername: { type: "string", default: "", description: "Registry user; empty = anonymous push." },
  imageRegistryPassword: {
    type: "string",
    secret: true,
    optionalSecret: true,
    description: "Registry password or token (secret; needed with imageRegistryUsername).",
  },

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
  fluxWaitForReady: {
    type: "boolean",
    default: true,
    description: "`up` waits until the GitRepository and every Kustomization are Ready (fails naming the one that is not).",
  },
  fluxReadyTimeout: {
    type: "string",
    default: "5m",
    description: "How long `up` waits for each Flux object to be Ready (Go duration; with fluxWaitForReady).",
  },
  fluxKustomizations: {
    type: "object[]",
    description: "Flux Kustomizations, merged with the defaults by name ({name: x, remove: true} drops one); default the platform's layout.",
  },

  adopt: {
    type: "object",
    description: "What already exists and is taken over instead of created: buckets, RGW users, 1Password items, Kubernetes objects (see docs/adoption.md).",
  },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Object keys whose keys are app names (from s3Apps): any other key, `__proto__` included, is refused. */
export const APP_KEYED_MAPS: readonly ConfigKey[] = ["s3KeyRotation"];

/**
 * When an optional secret is needed, from the other keys' values: config validation requires it then, and
 * the offline render names only these among its placeholders.
 */
export const OPTIONAL_SECRET_NEEDS: Readonly<Record<string, { needed: (value: (key: ConfigKey) => string) => boolean; when: string }>> = {
  fluxGitToken: { needed: (value) => value("fluxGitAuth") === "https", when: "with https auth" },
  imageRegistryPassword: { needed: (value) => value("imageRegistryUsername") !== "", when: "when imageRegistryUsername is set" },
};

export const configKeyPath = (key: string): string => `${PROJECT}:${key}`;

/** `["buckets", 0, "name"]` -> `data-platform:buckets[0].name`: the path a user finds in the stack file. A
 * default entry the stack file does not name is `{default: "warehouse"}` -> `buckets[default warehouse]`. */
export const formatPath = (path: readonly (PropertyKey | { default: string })[]): string =>
  path
    .reduce<string>((acc, part) => {
      if (typeof part === "number") return `${acc}[${part}]`;
      if (typeof part === "object") return `${acc}[default ${part.default}]`;
      // A map key is user text like a value (adopt.buckets.<key>, s3KeyRotation.<app>): redacted the same way.
      return `${acc}.${redact(String(part))}`;
    }, PROJECT)
    .replace(`${PROJECT}.`, `${PROJECT}:`);

/** Which secret keys a stack sets, and how (their values are never parsed). */
export interface SecretKeyState {
  /** Secret keys that have a value. */
  present: ReadonlySet<string>;
  /** Keys that have a value but were not set with `--secret`. */
  plaintext?: ReadonlySet<string>;
}
