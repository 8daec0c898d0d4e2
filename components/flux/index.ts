// The stack's last step: hand the platform to Flux. Optionally installs Flux, then creates the Git
// credentials, the prerequisites ConfigMap, the GitRepository and the Kustomizations, all of them
// only after every prerequisite exists. The Kubernetes (and, for the deploy key item, 1Password)
// providers arrive through opts.
import * as onepassword from "@1password/pulumi-onepassword";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ITEM_TAGS, PLATFORM_LABELS, adoptedOptions } from "../conventions";
import {
  FLUX_WATCH_LABEL,
  GIT_AUTH_SECRET,
  GIT_REPOSITORY_TYPE,
  KUSTOMIZATION_TYPE,
  PREREQUISITES_CONFIGMAP,
  type KustomizationSpec,
  type PrerequisiteValues,
  gitAuthData,
  gitRepositoryManifest,
  kustomizationManifest,
  prerequisitesData,
  providerAnnotations,
} from "./manifests";

/** Default of FluxHandoffArgs.readyTimeoutSeconds: how long `up` waits for each Flux object to be Ready. */
export const DEFAULT_READY_TIMEOUT_SECONDS = 300;

/**
 * The Kubernetes provider the handoff needs (pass it in opts.providers). Server-side apply, so Pulumi owns
 * only the fields it sets and the controllers keep status. Mutable ConfigMaps: otherwise a changed
 * prerequisite REPLACES the fixed-name ConfigMap (delete, then create), and a Kustomization reconciling in
 * that gap fails `configmaps "platform-prerequisites" not found` (measured with real Flux).
 */
export function kubernetesProviderArgs(context?: string): k8s.ProviderArgs {
  return { ...(context === undefined ? {} : { context }), enableServerSideApply: true, enableConfigMapMutable: true };
}

/** Flux's community Helm chart (controllers + CRDs in one release); see docs/flux.md for why not flux-operator. */
export const FLUX_CHART = { chart: "flux2", repo: "https://fluxcd-community.github.io/helm-charts" };

/** SSH: the stack generates a deploy key (add its public half to the repository as a read-only key). */
export interface FluxSshAuth {
  /** known_hosts line(s) for the Git host. */
  knownHosts: pulumi.Input<string>;
  /** Any string; changing it generates a new deploy key. Default "1". */
  keyRotation?: pulumi.Input<string>;
  /**
   * A deploy key made elsewhere (OpenSSH private and public key) instead of the one the stack generates:
   * then no tls.PrivateKey exists and keyRotation does nothing. Default: generated.
   */
  deployKey?: { privateKey: pulumi.Input<string>; publicKey: pulumi.Input<string> };
  /** Keep the private key in this 1Password vault (needs a 1Password provider in opts.providers). */
  deployKeyItem?: { vaultUuid: pulumi.Input<string>; title: pulumi.Input<string> };
}

/** HTTPS: a token with read access to the repository. */
export interface FluxHttpsAuth {
  username: pulumi.Input<string>;
  /** Always handled as a secret. */
  token: pulumi.Input<string>;
}

export interface FluxHandoffArgs {
  /** Install Flux's controllers with the flux2 chart first. Decides whether the release exists, so plain. Default false. */
  install?: boolean;
  /** flux2 chart version (with install). */
  chartVersion?: pulumi.Input<string>;
  /** Namespace of Flux and of its objects. */
  namespace: pulumi.Input<string>;
  /** The platform repository: ssh:// or https:// URL, branch, fetch interval (Go duration). */
  git: { url: pulumi.Input<string>; branch: pulumi.Input<string>; interval: pulumi.Input<string> };
  /** Which kind decides which resources exist, so the choice is plain. */
  auth: { ssh: FluxSshAuth } | { https: FluxHttpsAuth };
  /** The Kustomizations. The list decides which exist, so it is plain. */
  kustomizations: KustomizationSpec[];
  /** Values Flux substitutes into the GitOps manifests. */
  prerequisites: pulumi.Input<PrerequisiteValues>;
  /**
   * `up` waits until the GitRepository and each Kustomization are Ready, at most this many seconds per
   * object, and fails naming the one that is not; 0: `up` returns once the objects are applied. Plain (an
   * annotation on each object). Default DEFAULT_READY_TIMEOUT_SECONDS.
   */
  readyTimeoutSeconds?: number;
  /** Everything Flux's workloads need to exist first (1Password items, bootstrap secret, buckets, users, image). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * Objects that exist and are taken over (imported, protected, kept on delete): their import IDs
   * (namespace/name); Kustomizations by name. Never Flux's own objects (config refuses them). Default none.
   */
  adopt?: { gitAuthSecret?: string; prerequisites?: string; source?: string; kustomizations?: Readonly<Record<string, string>> };
}

export class FluxHandoff extends pulumi.ComponentResource {
  /** Add this as a read-only deploy key to the platform repository (SSH auth); undefined with HTTPS. */
  declare public readonly deployKeyPublic: pulumi.Output<string | undefined>;
  declare public readonly kustomizations: pulumi.Output<string[]>;

  constructor(name: string, args: FluxHandoffArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:flux:FluxHandoff", name, {}, opts);

    // The CRDs come with Flux: every Flux object waits for the install when the stack does it.
    const install = args.install
      ? new k8s.helm.v3.Release(
          `${name}-install`,
          {
            name: "flux",
            chart: FLUX_CHART.chart,
            version: args.chartVersion,
            repositoryOpts: { repo: FLUX_CHART.repo },
            namespace: args.namespace,
            createNamespace: true,
            atomic: true,
          },
          { parent: this },
        )
      : undefined;
    const after = [...(args.dependsOn ?? []), ...(install ? [install] : [])];

    let deployKeyPublic: pulumi.Output<string | undefined> = pulumi.output(undefined);
    let gitAuth: Record<string, pulumi.Input<string>>;
    if ("ssh" in args.auth) {
      const ssh = args.auth.ssh;
      const key = ssh.deployKey
        ? { privateKeyOpenssh: pulumi.secret(ssh.deployKey.privateKey), publicKeyOpenssh: pulumi.output(ssh.deployKey.publicKey) }
        : new tls.PrivateKey(
            `${name}-deploy-key`,
            { algorithm: "ED25519" },
            { parent: this, replacementTrigger: ssh.keyRotation ?? "1", additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem"] },
          );
      deployKeyPublic = key.publicKeyOpenssh;
      gitAuth = gitAuthData<pulumi.Input<string>>({ ssh: { privateKey: key.privateKeyOpenssh, publicKey: key.publicKeyOpenssh, knownHosts: ssh.knownHosts } });
      if (ssh.deployKeyItem) {
        new onepassword.Item(
          `${name}-deploy-key-item`,
          {
            vault: ssh.deployKeyItem.vaultUuid,
            title: ssh.deployKeyItem.title,
            category: "secureNote",
            noteValue: key.privateKeyOpenssh,
            tags: [...ITEM_TAGS],
            sections: [{ label: "ssh", fields: [{ label: "public key", type: "STRING", value: key.publicKeyOpenssh }] }],
          },
          { parent: this, protect: true, retainOnDelete: true },
        );
      }
    } else {
      gitAuth = gitAuthData<pulumi.Input<string>>({ https: { username: args.auth.https.username, token: args.auth.https.token } });
    }

    const labels = { ...PLATFORM_LABELS };
    const readyTimeoutSeconds = args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
    const annotations = providerAnnotations(undefined);
    const awaited = providerAnnotations(readyTimeoutSeconds > 0 ? { readyTimeoutSeconds } : undefined);
    const secret = new k8s.core.v1.Secret(
      `${name}-git-auth`,
      {
        metadata: { name: GIT_AUTH_SECRET, namespace: args.namespace, labels, annotations },
        type: "Opaque",
        stringData: pulumi.secret(gitAuth),
      },
      { parent: this, dependsOn: after, ...adoptedOptions(args.adopt?.gitAuthSecret) },
    );
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-prerequisites`,
      {
        metadata: { name: PREREQUISITES_CONFIGMAP, namespace: args.namespace, labels: { ...labels, ...FLUX_WATCH_LABEL }, annotations },
        data: pulumi.output(args.prerequisites).apply(prerequisitesData),
      },
      { parent: this, dependsOn: after, ...adoptedOptions(args.adopt?.prerequisites) },
    );

    // apiVersion and kind name the resource type, so they stay plain; the rest may wait for Inputs.
    const custom = (
      resourceName: string,
      type: { apiVersion: string; kind: string },
      manifest: pulumi.Output<{ metadata?: k8s.types.input.meta.v1.ObjectMeta; spec?: object }>,
      dependsOn: pulumi.Input<pulumi.Resource>[],
      protect = false,
      importId?: string,
    ) =>
      new k8s.apiextensions.CustomResource(
        resourceName,
        { ...type, metadata: manifest.apply((m) => ({ ...m.metadata, annotations: { ...m.metadata?.annotations, ...awaited } })), spec: manifest.spec },
        { parent: this, dependsOn, protect, ...adoptedOptions(importId) },
      );

    const source = custom(
      `${name}-source`,
      GIT_REPOSITORY_TYPE,
      pulumi
        .all([args.namespace, args.git.url, args.git.branch, args.git.interval])
        .apply(([namespace, url, branch, interval]) => gitRepositoryManifest({ namespace, url, branch, interval })),
      [...after, secret],
      false,
      args.adopt?.source,
    );
    for (const kustomization of args.kustomizations) {
      custom(
        `${name}-${kustomization.name}`,
        KUSTOMIZATION_TYPE,
        pulumi.output(args.namespace).apply((namespace) => kustomizationManifest(kustomization, namespace)),
        [...after, source, configMap],
        // prune: true: deleting a Kustomization makes Flux delete everything it applied, data volumes
        // included. Removing or renaming one stops the update; see docs/operations.md for doing it on purpose.
        true,
        args.adopt?.kustomizations?.[kustomization.name],
      );
    }

    this.deployKeyPublic = deployKeyPublic;
    this.kustomizations = pulumi.output(args.kustomizations.map((k) => k.name));
    this.registerOutputs({ deployKeyPublic: this.deployKeyPublic, kustomizations: this.kustomizations });
  }
}
