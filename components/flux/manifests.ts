// Pure builders for the Flux handoff: the GitRepository, the Kustomizations and the variables they
// substitute from the prerequisites ConfigMap (so no endpoint, bucket or digest is hardcoded in Git).
// Types only: the @kubernetes-models packages are ESM-only (no `require` export), the program is CommonJS.
import type { IKustomization } from "@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization";
import type { IGitRepository } from "@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository";
import { PLATFORM_LABELS } from "../conventions";

/** The ConfigMap every Kustomization substitutes `${VARIABLE}`s from. */
export const PREREQUISITES_CONFIGMAP = "platform-prerequisites";

/**
 * Label that makes kustomize-controller reconcile every Kustomization substituting from the ConfigMap as soon
 * as it changes (measured: 1 s), instead of at each Kustomization's interval (10 min of the old values).
 */
export const FLUX_WATCH_LABEL: Readonly<Record<string, string>> = { "reconcile.fluxcd.io/watch": "Enabled" };

/** Name of the Secret holding the Git credentials (SSH deploy key or HTTPS token). */
export const GIT_AUTH_SECRET = "data-platform-git-auth";

/** Keys of the Git auth Secret that are public (shown in full by the offline render); the rest are secret. */
export const GIT_AUTH_PUBLIC_KEYS: readonly string[] = ["identity.pub", "known_hosts", "username"];

/** Name of the GitRepository all Kustomizations read. */
export const GIT_REPOSITORY_NAME = "data-platform";

/** Type of the Flux objects the stack applies (they name the Pulumi resource type, so they are constants). */
export const GIT_REPOSITORY_TYPE = { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "GitRepository" } as const;
export const KUSTOMIZATION_TYPE = { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization" } as const;

/** Title of the 1Password item the SSH deploy key is kept in. */
export const DEPLOY_KEY_ITEM_TITLE = "flux-deploy-key";

/** The repository Flux follows. */
export interface GitSource {
  /** Namespace of Flux's objects. */
  namespace: string;
  /** ssh:// or https:// URL. */
  url: string;
  branch: string;
  /** How often Flux fetches (Go duration). */
  interval: string;
}

/** One Flux Kustomization reading a path of the repository. */
export interface KustomizationSpec {
  name: string;
  path: string;
  dependsOn: string[];
  targetNamespace?: string;
  interval: string;
  /** How soon a failed reconciliation (a variable not set, a ConfigMap briefly missing) is retried, instead of the interval. */
  retryInterval: string;
  timeout: string;
  wait: boolean;
  prune: boolean;
}

/** `S3_BUCKET_<KEY>`: bucket keys are lowercase with hyphens; variables are upper snake case. */
export const variableSuffix = (key: string): string => key.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
/** The Flux variables named after a config entry: its key or title as a variable suffix. */
export const bucketVariable = (key: string): string => `S3_BUCKET_${variableSuffix(key)}`;
export const itemVariable = (title: string): string => `OP_ITEM_${variableSuffix(title)}`;
export const jdbcUrlVariable = (title: string): string => `JDBC_URL_${variableSuffix(title)}`;

export interface PrerequisiteValues {
  environment: string;
  /**
   * The image workloads run: by registry digest when pushed, else the `registry/repository:tag` it was built
   * as. Always set: substitution is strict, so a missing variable would fail every Kustomization using it.
   */
  image: string;
  s3Endpoint: string;
  s3Region: string;
  /** Bucket key to name. */
  buckets: Record<string, string>;
  /** Credential titles (1Password items and the Kubernetes Secrets their ExternalSecrets create). */
  itemTitles: string[];
  /** PostgreSQL databases by credential title: what a JDBC client (Nessie) connects to. */
  databases?: Record<string, { hostname: string; port: number; database: string }>;
  clusterSecretStore: string;
  dataPlatformNamespace: string;
}

/**
 * Flux's documented way to keep a value that reads as a boolean or number a string: kustomize re-serialises
 * the manifests before substitution, so `'${VAR}'` loses its quotes; `${quote}${VAR}${quote}` does not.
 */
export const QUOTE_VARIABLE = "quote";

/** A whole YAML value that stays a string after strict substitution, whatever the variable holds. */
export const quotedUse = (variable: string): string => `\${${QUOTE_VARIABLE}}\${${variable}}\${${QUOTE_VARIABLE}}`;

/** What each substitution variable means, for docs/flux.md and for the GitOps repository's authors. */
export const SUBSTITUTION_VARIABLES: Record<string, string> = {
  PLATFORM_ENVIRONMENT: "Environment name (dev, prod).",
  DATA_PLATFORM_NAMESPACE: "Namespace of the platform workloads.",
  SPARK_ICEBERG_IMAGE:
    "The spark-iceberg image by digest (registry/repository@sha256:...); with imagePush false the registry/repository:tag it was built as (a cluster pulls it only once it is pushed).",
  S3_ENDPOINT: "Ceph RGW S3 endpoint as the workloads reach it.",
  S3_REGION: "S3 region for SigV4.",
  S3_PATH_STYLE_ACCESS:
    "Always true: RGW is addressed path-style (http://host/bucket/key), as the stack itself does. As a whole value write ${quote}${S3_PATH_STYLE_ACCESS}${quote}: plain, the API server gets a boolean where a string is expected.",
  "JDBC_URL_<TITLE>":
    "JDBC URL of each database credential's PostgreSQL (JDBC_URL_NESSIE_POSTGRES), from its hostname, port and database; user and password come from its Secret.",
  "S3_BUCKET_<KEY>": "Name of each bucket, by its config key (S3_BUCKET_WAREHOUSE, S3_BUCKET_NESSIE_BACKUP).",
  "OP_ITEM_<TITLE>": "Each credential's 1Password item title, which is also the name of the Secret its ExternalSecret creates (OP_ITEM_NESSIE_POSTGRES).",
  CLUSTER_SECRET_STORE: "Name of the ClusterSecretStore the ExternalSecrets use.",
  quote:
    'A double quote ("), for ${quote}${VAR}${quote}: a whole value that stays a string (S3_PATH_STYLE_ACCESS, or any value that could read as a number or boolean).',
};

export function prerequisitesData(values: PrerequisiteValues): Record<string, string> {
  const data: Record<string, string> = {
    PLATFORM_ENVIRONMENT: values.environment,
    DATA_PLATFORM_NAMESPACE: values.dataPlatformNamespace,
    SPARK_ICEBERG_IMAGE: values.image,
    S3_ENDPOINT: values.s3Endpoint,
    S3_REGION: values.s3Region,
    S3_PATH_STYLE_ACCESS: "true",
    CLUSTER_SECRET_STORE: values.clusterSecretStore,
    [QUOTE_VARIABLE]: '"',
  };
  for (const [key, name] of Object.entries(values.buckets)) data[bucketVariable(key)] = name;
  for (const title of values.itemTitles) data[itemVariable(title)] = title;
  for (const [title, db] of Object.entries(values.databases ?? {})) data[jdbcUrlVariable(title)] = jdbcUrl(db);
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b)));
}

/** PostgreSQL's JDBC URL (the item's `type` is postgresql). */
export const jdbcUrl = (db: { hostname: string; port: number; database: string }): string => `jdbc:postgresql://${db.hostname}:${db.port}/${db.database}`;

export function gitRepositoryManifest(source: GitSource): IGitRepository {
  return {
    ...GIT_REPOSITORY_TYPE,
    metadata: { name: GIT_REPOSITORY_NAME, namespace: source.namespace, labels: { ...PLATFORM_LABELS } },
    spec: {
      url: source.url,
      // Without an explicit ref Flux follows `master`.
      ref: { branch: source.branch },
      interval: source.interval,
      secretRef: { name: GIT_AUTH_SECRET },
      // Explicit, so the field is Pulumi's: a `flux suspend` shows as drift (verify, refresh) and is undone.
      suspend: false,
    },
  };
}

export function kustomizationManifest(kustomization: KustomizationSpec, namespace: string): IKustomization {
  return {
    ...KUSTOMIZATION_TYPE,
    metadata: { name: kustomization.name, namespace, labels: { ...PLATFORM_LABELS } },
    spec: {
      interval: kustomization.interval,
      retryInterval: kustomization.retryInterval,
      path: kustomization.path,
      prune: kustomization.prune,
      wait: kustomization.wait,
      timeout: kustomization.timeout,
      sourceRef: { kind: "GitRepository", name: GIT_REPOSITORY_NAME },
      ...(kustomization.targetNamespace ? { targetNamespace: kustomization.targetNamespace } : {}),
      ...(kustomization.dependsOn.length > 0 ? { dependsOn: kustomization.dependsOn.map((name) => ({ name })) } : {}),
      // optional: false is the CRD's default, written out: the API server stores it, and verify compares
      // the spec it holds with this one field by field (found on a real API server).
      postBuild: { substituteFrom: [{ kind: "ConfigMap", name: PREREQUISITES_CONFIGMAP, optional: false }] },
      // Explicit, so the field is Pulumi's: a `flux suspend` shows as drift (verify, refresh) and is undone.
      suspend: false,
    },
  };
}

/**
 * Annotations the Kubernetes provider reads on the stack's Flux objects. patchForce: an operator's edit of
 * a field the stack owns is overwritten by the next `up` instead of failing it with a server-side-apply
 * conflict. waitFor/timeoutSeconds (GitRepository and Kustomizations, when the stack waits): `up` returns
 * only once Flux reports Ready, or fails after the timeout naming the object that is not.
 */
export function providerAnnotations(wait: { readyTimeoutSeconds: number } | undefined): Record<string, string> {
  return {
    "pulumi.com/patchForce": "true",
    ...(wait ? { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": String(wait.readyTimeoutSeconds) } : {}),
  };
}

/** The Git auth Secret's data as source-controller reads it: SSH deploy key or HTTPS basic auth. */
export function gitAuthData<T>(auth: { ssh: { privateKey: T; publicKey: T; knownHosts: T } } | { https: { username: T; token: T } }): Record<string, T> {
  if ("ssh" in auth) return { identity: auth.ssh.privateKey, "identity.pub": auth.ssh.publicKey, known_hosts: auth.ssh.knownHosts };
  return { username: auth.https.username, password: auth.https.token };
}
