// Generated credentials written to 1Password, the bootstrap Secret External Secrets needs, and the
// GitOps manifests (ClusterSecretStore + ExternalSecrets) that read them back. The 1Password and
// Kubernetes providers arrive through opts.
import * as onepassword from "@1password/pulumi-onepassword";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ItemTitleGuard } from "../../providers/itemTitleGuard";
import { type AppS3Access, ITEM_TAGS, PLATFORM_LABELS, adoptedOptions, renameAliases } from "../conventions";
import {
  type CredentialItem,
  type GitOpsManifest,
  type OnePasswordMode,
  DEFAULT_PASSWORD_POLICY,
  S3_SECTION_LABEL,
  TOKEN_SECRET_KEY,
  adoptedItemIgnoreChanges,
  clusterSecretStoreManifest,
  externalSecretManifest,
  generatesPassword,
  itemCategory,
  itemFields,
} from "./items";

export interface CredentialsArgs {
  /** Vault name; looked up and passed by UUID (by name, every `up` replaces the items: pulumi-onepassword #62). */
  vault: pulumi.Input<string>;
  /** How External Secrets reaches 1Password (shapes the ClusterSecretStore): connect or serviceAccount. */
  mode: pulumi.Input<OnePasswordMode>;
  /** The Connect or service-account token External Secrets reads 1Password with; always a secret. */
  token: pulumi.Input<string>;
  /** The items. The list decides which items exist, so it is plain. */
  credentials: CredentialItem[];
  /** Per app, its RGW identity (from ObjectStorage); every `s3` item's app must be here. */
  s3Access: Record<string, AppS3Access>;
  /** S3 endpoint and region as the apps reach them, written into `s3` items. */
  s3Endpoint: pulumi.Input<string>;
  s3Region: pulumi.Input<string>;
  /** Bucket key to bucket name (ObjectStorage.bucketNames). */
  bucketNames: pulumi.Input<Record<string, string>>;
  /** Where the ExternalSecrets and their Kubernetes Secrets live. */
  workloadNamespace: pulumi.Input<string>;
  /** Namespace of External Secrets; created (and kept on destroy) with the bootstrap Secret in it. */
  externalSecretsNamespace: pulumi.Input<string>;
  /** Name of the bootstrap Secret holding the token. */
  tokenSecretName: pulumi.Input<string>;
  /** Name of the ClusterSecretStore the ExternalSecrets reference. */
  clusterSecretStoreName: pulumi.Input<string>;
  /** Connect URL as the cluster reaches it (connect mode). */
  clusterConnectUrl?: pulumi.Input<string | undefined>;
  /**
   * Connect URL as the stack reaches it (connect mode): before an item is created, the vault is searched
   * for its title (ItemTitleGuard), and an existing one stops the run. Without it (service accounts) no
   * search is made.
   */
  connectUrl?: pulumi.Input<string>;
  /** Kubernetes objects that exist and are taken over: their import IDs (namespace/name, or name). Default none. */
  adopt?: { namespace?: string; tokenSecret?: string };
}

export interface ItemReference {
  title: string;
  vault: string;
  category: string;
  fields: string[];
  kubernetesSecret: string;
}

/** 1Password provider settings for the chosen mode (Connect server, or a service account through the op CLI). */
export function onepasswordProviderArgs(mode: OnePasswordMode, token: pulumi.Input<string>, connectUrl?: pulumi.Input<string>): onepassword.ProviderArgs {
  const secretToken = pulumi.secret(token);
  return mode === "connect" ? { url: connectUrl, token: secretToken } : { serviceAccountToken: secretToken };
}

export class Credentials extends pulumi.ComponentResource {
  /** Vault, title and field labels of each item: references only, never values. */
  declare public readonly items: pulumi.Output<ItemReference[]>;
  declare public readonly vaultUuid: pulumi.Output<string>;
  /** ClusterSecretStore and ExternalSecrets for the GitOps repository. */
  declare public readonly gitopsManifests: pulumi.Output<GitOpsManifest[]>;

  /** opts.providers must hold the 1Password provider (see onepasswordProviderArgs) and the Kubernetes one. */
  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:credentials:Credentials", name, {}, opts);
    if (this.getProvider("onepassword:index/item:Item") === undefined) {
      throw new pulumi.ResourceError("Credentials needs a 1Password provider in opts.providers (see onepasswordProviderArgs)", this);
    }

    const token = pulumi.secret(args.token);
    const vault = onepassword.getVaultOutput({ name: args.vault }, { parent: this });
    const bucketNames = pulumi.output(args.bucketNames);

    // Nothing here may be lost by a config mistake: items are protected and outlive the stack.
    const keep = { protect: true, retainOnDelete: true };
    const references: pulumi.Output<ItemReference>[] = [];
    for (const credential of args.credentials) {
      const itemName = `${name}-${credential.title}`;
      const renamedFrom = (suffix: string) => renameAliases(name, credential.previousTitles ?? [], suffix);
      const common = { vault: vault.uuid, title: credential.title, category: itemCategory(credential), tags: [...ITEM_TAGS] };

      // An adopted item keeps these fields as they are (ignoreChanges: never written, not even at import).
      const kept = credential.adopt?.keep ?? [];
      let item: onepassword.ItemArgs;
      if (generatesPassword(credential)) {
        const policy = credential.password ?? DEFAULT_PASSWORD_POLICY;
        // A kept password is the one the running services use: no RandomPassword until a rotation asks for one.
        const password = kept.includes("password")
          ? undefined
          : new random.RandomPassword(
              `${itemName}-password`,
              {
                length: policy.length,
                special: policy.special,
                upper: policy.upper,
                lower: policy.lower,
                numeric: policy.numeric,
                // Changing `rotation` replaces this password, and only this one.
                keepers: { rotation: credential.rotation ?? "1" },
              },
              {
                parent: this,
                aliases: renamedFrom("-password"),
                additionalSecretOutputs: ["result"],
                // The database already has this password: a policy change must not regenerate it. The new
                // policy applies at the next rotation. Protected, so removing the entry stops the update.
                ignoreChanges: ["length", "special", "upper", "lower", "numeric"],
                protect: true,
              },
            );
        item = {
          ...common,
          username: credential.username,
          ...(password && { password: password.result }),
          ...(credential.kind === "database"
            ? { hostname: credential.hostname, port: credential.port?.toString(), database: credential.database, type: "postgresql" }
            : { url: credential.url }),
        };
      } else {
        const app = credential.app ?? "";
        const access = args.s3Access[app];
        if (access === undefined)
          throw new pulumi.InputPropertyError({ propertyPath: "s3Access", reason: `no S3 access for app ${app} (item ${credential.title})` });
        item = {
          ...common,
          username: pulumi.secret(access.accessKey),
          ...(!kept.includes("password") && { password: pulumi.secret(access.secretKey) }),
          sections: [
            {
              label: S3_SECTION_LABEL,
              fields: [
                { label: "endpoint", type: "URL", value: args.s3Endpoint },
                { label: "region", type: "STRING", value: args.s3Region },
                { label: "bucket", type: "STRING", value: bucketNames.apply((names) => names[credential.bucket ?? ""]) },
              ],
            },
          ],
        };
      }
      const adoption = credential.adopt;
      // 1Password allows two items with one title (External Secrets then fails on both): look before creating.
      const guard =
        adoption === undefined && args.connectUrl !== undefined
          ? new ItemTitleGuard(
              `${itemName}-title`,
              {
                connectUrl: args.connectUrl,
                token,
                vaultUuid: vault.uuid,
                vaultName: args.vault,
                title: credential.title,
                keep: credential.kind === "s3" ? ["username", "password"] : ["password"],
              },
              { parent: this },
            )
          : undefined;
      new onepassword.Item(itemName, item, {
        parent: this,
        aliases: renamedFrom(""),
        ...keep,
        ...(guard && { dependsOn: [guard] }),
        ...(adoption && { ...adoptedOptions(adoption.id), ignoreChanges: adoptedItemIgnoreChanges(credential, kept) }),
      });
      references.push(
        pulumi.all([args.vault, args.workloadNamespace]).apply(([vaultName, namespace]) => ({
          title: credential.title,
          vault: vaultName,
          category: itemCategory(credential),
          fields: itemFields(credential).map((f) => f.label),
          kubernetesSecret: `${namespace}/${credential.title}`,
        })),
      );
    }

    // External Secrets reads 1Password with this token; it is the one secret that cannot come from Git.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-external-secrets-namespace`,
      { metadata: { name: args.externalSecretsNamespace, labels: { ...PLATFORM_LABELS } } },
      // Flux's External Secrets release lives here too: destroying the stack must not delete it.
      { parent: this, retainOnDelete: true, ...adoptedOptions(args.adopt?.namespace) },
    );
    new k8s.core.v1.Secret(
      `${name}-onepassword-token`,
      {
        metadata: { name: args.tokenSecretName, namespace: namespace.metadata.name, labels: { ...PLATFORM_LABELS } },
        type: "Opaque",
        stringData: { [TOKEN_SECRET_KEY]: token },
      },
      // Retained: a renamed Secret or namespace leaves the old one in place, so the ClusterSecretStore in
      // Git keeps reading its token until the new manifests are committed.
      { parent: this, retainOnDelete: true, ...adoptedOptions(args.adopt?.tokenSecret) },
    );

    this.items = pulumi.all(references);
    this.vaultUuid = vault.uuid;
    this.gitopsManifests = pulumi
      .all([
        args.mode,
        args.vault,
        args.clusterSecretStoreName,
        args.clusterConnectUrl,
        args.tokenSecretName,
        args.externalSecretsNamespace,
        args.workloadNamespace,
      ])
      .apply(([mode, vaultName, storeName, connectHost, tokenSecretName, externalSecretsNamespace, workloadNamespace]): GitOpsManifest[] => [
        clusterSecretStoreManifest({
          storeName,
          mode,
          vault: vaultName,
          connectHost,
          tokenSecret: { name: tokenSecretName, namespace: externalSecretsNamespace },
        }),
        ...args.credentials.map((credential) => externalSecretManifest(credential, { storeName, mode, namespace: workloadNamespace })),
      ]);
    this.registerOutputs({ items: this.items, vaultUuid: this.vaultUuid, gitopsManifests: this.gitopsManifests });
  }
}
