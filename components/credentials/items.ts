// Pure builders for the 1Password side of the platform: which fields each item holds, and the GitOps
// contract that reads them back (ClusterSecretStore + one ExternalSecret per item).
// Types only: the @kubernetes-models packages are ESM-only (no `require` export), the program is CommonJS.
import type { IClusterSecretStore } from "@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore";
import type { IExternalSecret } from "@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret";

/** How the generated password of a database, login or password item is made. */
export interface PasswordPolicy {
  length: number;
  special: boolean;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
}

/** The password policy when an item names none. */
export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = { length: 32, special: false, upper: true, lower: true, numeric: true };

/**
 * One 1Password item the stack writes. `database`, `login` and `password` items get a generated
 * password; `s3` items hold an app's RGW keys and the endpoint, region and bucket it uses.
 */
export interface CredentialItem {
  /** Item title; also the name of the Kubernetes Secret its ExternalSecret creates. */
  title: string;
  kind: "database" | "login" | "password" | "s3";
  username?: string;
  hostname?: string;
  port?: number;
  database?: string;
  url?: string;
  /** s3: the app whose keys fill the item, and the key of the bucket it uses. */
  app?: string;
  bucket?: string;
  /** Generated-password items: the policy, and a value whose change generates a new password. */
  password?: PasswordPolicy;
  rotation?: string;
  /** Titles this item had before a rename: its resources are aliased, not replaced. */
  previousTitles?: string[];
  /** The item exists (typed by hand) and is taken over; see ItemAdoption. Default none. */
  adopt?: ItemAdoption;
}

/**
 * A hand-made item the stack takes over: imported by `id` (vaults/<vault uuid>/items/<item uuid>),
 * protected, kept on delete. `keep`: its fields whose live value stays (ignoreChanges), while no rotation
 * is asked for; a kept password has no RandomPassword behind it.
 */
export interface ItemAdoption {
  id: string;
  keep: readonly ("password" | "username")[];
}

/** Every input of onepassword.Item that holds item content (the rest: title, category, vault). */
const ITEM_CONTENT_INPUTS = ["username", "password", "hostname", "port", "database", "type", "url", "sections", "noteValue", "tags", "passwordRecipe"] as const;

/** The content inputs the stack writes for a credential's item. */
function writtenInputs(credential: CredentialItem): string[] {
  switch (credential.kind) {
    case "database":
      return ["username", "password", "hostname", "port", "database", "type"];
    case "login":
      return ["username", "password", "url"];
    case "password":
      return ["password"];
    case "s3":
      return ["username", "password", "sections"];
  }
}

/**
 * ignoreChanges of an adopted item: its kept fields, and everything the stack does not write (notes,
 * sections of non-s3 items, tags, ...). The provider's update rewrites the whole item from the plan
 * (terraform-provider-onepassword's dataToItem drops undeclared fields and clears the notes); with these
 * ignored, the plan holds their live values, so nothing typed by hand is lost.
 */
export function adoptedItemIgnoreChanges(credential: CredentialItem, keep: readonly string[]): string[] {
  const written = writtenInputs(credential);
  return ITEM_CONTENT_INPUTS.filter((input) => keep.includes(input) || !written.includes(input));
}

/** What the GitOps repository must hold for External Secrets. */
export type GitOpsManifest = IClusterSecretStore | IExternalSecret;

/** 1Password item categories the provider supports. */
export type ItemCategory = "database" | "login" | "password";

/** A field of an item: the label 1Password stores, and the key it becomes in the Kubernetes Secret. */
export interface ItemField {
  label: string;
  secretKey: string;
  /** Where the value is written: one of the category's built-in fields, or the item's `s3` section. */
  placement: "builtin" | "section";
  concealed: boolean;
}

/** The section holding S3 connection details; its fields' labels are unique within the item. */
export const S3_SECTION_LABEL = "s3";

/** The key of the bootstrap Secret that holds the 1Password token. */
export const TOKEN_SECRET_KEY = "token";

export function itemCategory(credential: CredentialItem): ItemCategory {
  // S3 keys are a login: 1Password shows the access key as username and conceals the secret key.
  return credential.kind === "s3" ? "login" : credential.kind;
}

/** The fields the stack writes for a credential, with labels as the Terraform-bridged provider stores them. */
export function itemFields(credential: CredentialItem): ItemField[] {
  const builtin = (label: string, secretKey: string, concealed = false): ItemField => ({ label, secretKey, placement: "builtin", concealed });
  const section = (label: string, secretKey: string): ItemField => ({ label, secretKey, placement: "section", concealed: false });
  switch (credential.kind) {
    case "database":
      return [
        builtin("username", "username"),
        builtin("password", "password", true),
        builtin("hostname", "hostname"),
        builtin("port", "port"),
        builtin("database", "database"),
      ];
    case "login":
      return [builtin("username", "username"), builtin("password", "password", true)];
    case "password":
      return [builtin("password", "password", true)];
    case "s3":
      // Key names follow the Nessie Helm chart's defaults for its S3 secret.
      return [
        builtin("username", "awsAccessKeyId", true),
        builtin("password", "awsSecretAccessKey", true),
        section("endpoint", "endpoint"),
        section("region", "region"),
        section("bucket", "bucket"),
      ];
  }
}

/** Whether the item's password comes from a RandomPassword the stack owns. */
export const generatesPassword = (credential: CredentialItem): boolean => credential.kind !== "s3";

export type OnePasswordMode = "connect" | "serviceAccount";

export interface SecretStoreSettings {
  storeName: string;
  mode: OnePasswordMode;
  vault: string;
  /** Connect URL as the cluster reaches it (connect mode). */
  connectHost?: string;
  tokenSecret: { name: string; namespace: string };
}

/** The ClusterSecretStore that lets ExternalSecrets read the vault, for the chosen 1Password mode. */
export function clusterSecretStoreManifest(settings: SecretStoreSettings): IClusterSecretStore {
  const tokenRef = { name: settings.tokenSecret.name, namespace: settings.tokenSecret.namespace, key: TOKEN_SECRET_KEY };
  const provider =
    settings.mode === "connect"
      ? {
          onepassword: {
            connectHost: settings.connectHost ?? "",
            vaults: { [settings.vault]: 1 },
            auth: { secretRef: { connectTokenSecretRef: tokenRef } },
          },
        }
      : { onepasswordSDK: { vault: settings.vault, auth: { serviceAccountSecretRef: tokenRef } } };
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: settings.storeName },
    spec: { provider },
  };
}

/** How an ExternalSecret names a field: Connect takes item title + field label, the SDK one path. */
export function remoteRef(mode: OnePasswordMode, title: string, field: ItemField): { key: string; property?: string } {
  if (mode === "connect") return { key: title, property: field.label };
  return { key: field.placement === "section" ? `${title}/${S3_SECTION_LABEL}/${field.label}` : `${title}/${field.label}` };
}

export interface ExternalSecretSettings {
  storeName: string;
  mode: OnePasswordMode;
  namespace: string;
  refreshInterval?: string;
}

/** One ExternalSecret per item: a Kubernetes Secret named like the item, one key per field. */
export function externalSecretManifest(credential: CredentialItem, settings: ExternalSecretSettings): IExternalSecret {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: credential.title, namespace: settings.namespace },
    spec: {
      refreshInterval: settings.refreshInterval ?? "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: settings.storeName },
      target: { name: credential.title, creationPolicy: "Owner" },
      data: itemFields(credential).map((field) => ({ secretKey: field.secretKey, remoteRef: remoteRef(settings.mode, credential.title, field) })),
    },
  };
}
