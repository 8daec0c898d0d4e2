// Generated credentials written to 1Password, the bootstrap Secret External Secrets needs, and the
// GitOps manifests (ClusterSecretStore + ExternalSecrets) that read them back.
import * as onepassword from "@1password/pulumi-onepassword";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { CredentialConfig } from "../../config/schema";
import { ITEM_TAGS, PLATFORM_LABELS, renameAliases } from "../conventions";
import {
  GitOpsManifest,
  OnePasswordMode,
  S3_SECTION_LABEL,
  TOKEN_SECRET_KEY,
  clusterSecretStoreManifest,
  externalSecretManifest,
  generatesPassword,
  itemCategory,
  itemFields,
} from "./items";

/** S3 details of one app, filled into its `s3` credential items. */
export interface S3Access {
  accessKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
}

export interface CredentialsArgs {
  /** Vault name; looked up and passed by UUID (by name, every `up` replaces the items: pulumi-onepassword #62). */
  vault: string;
  mode: OnePasswordMode;
  connectUrl?: pulumi.Input<string>;
  /** Connect token or service-account token. */
  token: pulumi.Input<string>;
  credentials: CredentialConfig[];
  /** Per app, its S3 keys (from the object-storage component). */
  s3Access: Record<string, S3Access>;
  s3Endpoint: pulumi.Input<string>;
  s3Region: pulumi.Input<string>;
  /** Bucket key to bucket name. */
  bucketNames: Record<string, pulumi.Input<string>>;
  /** Where the ExternalSecrets and their Kubernetes Secrets live. */
  workloadNamespace: string;
  externalSecretsNamespace: string;
  tokenSecretName: string;
  clusterSecretStoreName: string;
  /** Connect URL as the cluster sees it. */
  clusterConnectUrl?: string;
}

export interface ItemReference {
  title: string;
  vault: string;
  category: string;
  fields: string[];
  kubernetesSecret: string;
}

export class Credentials extends pulumi.ComponentResource {
  /** Vault, title and field labels of each item: references only, never values. */
  declare public readonly items: pulumi.Output<ItemReference[]>;
  declare public readonly vaultUuid: pulumi.Output<string>;
  /** ClusterSecretStore and ExternalSecrets for the GitOps repository. */
  declare public readonly gitopsManifests: pulumi.Output<GitOpsManifest[]>;
  /** The configured 1Password provider, for other items that belong in the same vault. */
  declare public readonly onepasswordProvider: onepassword.Provider;

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:credentials:Credentials", name, {}, opts);

    const token = pulumi.secret(args.token);
    const provider = new onepassword.Provider(
      `${name}-onepassword`,
      args.mode === "connect" ? { url: args.connectUrl, token } : { serviceAccountToken: token },
      { parent: this },
    );
    const vault = onepassword.getVaultOutput({ name: args.vault }, { provider, parent: this });

    // Nothing here may be lost by a config mistake: items are protected and outlive the stack.
    const keep = { protect: true, retainOnDelete: true };
    const references: ItemReference[] = [];
    for (const credential of args.credentials) {
      const itemName = `${name}-${credential.title}`;
      const renamedFrom = (suffix: string) => renameAliases(name, credential.previousTitles, suffix);
      const fields = itemFields(credential);
      const common = { vault: vault.uuid, title: credential.title, category: itemCategory(credential), tags: [...ITEM_TAGS] };

      let item: onepassword.ItemArgs;
      if (generatesPassword(credential)) {
        const policy = credential.password;
        const password = new random.RandomPassword(
          `${itemName}-password`,
          {
            length: policy.length,
            special: policy.special,
            upper: policy.upper,
            lower: policy.lower,
            numeric: policy.numeric,
            // Changing `rotation` in config replaces this password, and only this one.
            keepers: { rotation: credential.rotation },
          },
          { parent: this, aliases: renamedFrom("-password"), additionalSecretOutputs: ["result"] },
        );
        item = {
          ...common,
          username: credential.username,
          password: password.result,
          ...(credential.kind === "database"
            ? { hostname: credential.hostname, port: credential.port?.toString(), database: credential.database, type: "postgresql" }
            : { url: credential.url }),
        };
      } else {
        const app = credential.app ?? "";
        const access = args.s3Access[app];
        if (access === undefined) throw new Error(`credentials: no S3 keys for app ${app} (is it in s3Apps?)`);
        item = {
          ...common,
          username: pulumi.secret(access.accessKey),
          password: pulumi.secret(access.secretKey),
          sections: [
            {
              label: S3_SECTION_LABEL,
              fields: [
                { label: "endpoint", type: "URL", value: args.s3Endpoint },
                { label: "region", type: "STRING", value: args.s3Region },
                { label: "bucket", type: "STRING", value: args.bucketNames[credential.bucket ?? ""] },
              ],
            },
          ],
        };
      }
      new onepassword.Item(itemName, item, { parent: this, provider, aliases: renamedFrom(""), ...keep });
      references.push({
        title: credential.title,
        vault: args.vault,
        category: itemCategory(credential),
        fields: fields.map((f) => f.label),
        kubernetesSecret: `${args.workloadNamespace}/${credential.title}`,
      });
    }

    // External Secrets reads 1Password with this token; it is the one secret that cannot come from Git.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-external-secrets-namespace`,
      { metadata: { name: args.externalSecretsNamespace } },
      // Flux's External Secrets release lives here too: destroying the stack must not delete it.
      { parent: this, retainOnDelete: true },
    );
    new k8s.core.v1.Secret(
      `${name}-onepassword-token`,
      {
        metadata: {
          name: args.tokenSecretName,
          namespace: namespace.metadata.name,
          labels: { ...PLATFORM_LABELS },
        },
        type: "Opaque",
        stringData: { [TOKEN_SECRET_KEY]: token },
      },
      { parent: this },
    );

    const manifests: GitOpsManifest[] = [
      clusterSecretStoreManifest({
        storeName: args.clusterSecretStoreName,
        mode: args.mode,
        vault: args.vault,
        connectHost: args.clusterConnectUrl,
        tokenSecret: { name: args.tokenSecretName, namespace: args.externalSecretsNamespace },
      }),
      ...args.credentials.map((credential) =>
        externalSecretManifest(credential, { storeName: args.clusterSecretStoreName, mode: args.mode, namespace: args.workloadNamespace }),
      ),
    ];

    this.onepasswordProvider = provider;
    this.items = pulumi.output(references);
    this.vaultUuid = vault.uuid;
    this.gitopsManifests = pulumi.output(manifests) as pulumi.Output<GitOpsManifest[]>;
    this.registerOutputs({
      items: this.items,
      vaultUuid: this.vaultUuid,
      gitopsManifests: this.gitopsManifests,
    });
  }
}
