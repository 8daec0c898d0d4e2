// The stack's last step: hand the platform to Flux. Optionally installs Flux, then creates the Git
// credentials, the prerequisites ConfigMap, the GitRepository and the Kustomizations, all of them
// only after every prerequisite exists.
import * as onepassword from "@1password/pulumi-onepassword";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PlatformConfig } from "../../config/schema";
import { ITEM_TAGS, PLATFORM_LABELS } from "../conventions";
import {
  GIT_AUTH_SECRET,
  PREREQUISITES_CONFIGMAP,
  PrerequisiteValues,
  gitAuthData,
  gitRepositoryManifest,
  kustomizationManifest,
  prerequisitesData,
} from "./manifests";

/** Flux's community Helm chart (controllers + CRDs in one release); see README for why not flux-operator. */
export const FLUX_CHART = { chart: "flux2", repo: "https://fluxcd-community.github.io/helm-charts" };

export interface FluxHandoffArgs {
  flux: PlatformConfig["flux"];
  /** Values Flux substitutes into the GitOps manifests. */
  prerequisites: pulumi.Input<PrerequisiteValues>;
  /** Everything Flux's workloads need to exist first (1Password items, bootstrap secret, buckets, users, image). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
  /** HTTPS auth only. */
  gitToken?: pulumi.Input<string>;
  /** Where the SSH deploy key is kept (1Password), with the provider that writes there. */
  deployKeyVault?: { provider: onepassword.Provider; vaultUuid: pulumi.Input<string>; title: string };
}

export class FluxHandoff extends pulumi.ComponentResource {
  /** Add this as a read-only deploy key to the platform repository (SSH auth). */
  declare public readonly deployKeyPublic: pulumi.Output<string | undefined>;
  declare public readonly kustomizations: pulumi.Output<string[]>;

  constructor(name: string, args: FluxHandoffArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:flux:FluxHandoff", name, {}, opts);
    const { flux } = args;

    // The CRDs come with Flux: every Flux object waits for the install when the stack does it.
    const install = flux.install
      ? new k8s.helm.v3.Release(
          `${name}-install`,
          {
            name: "flux",
            chart: FLUX_CHART.chart,
            version: flux.chartVersion,
            repositoryOpts: { repo: FLUX_CHART.repo },
            namespace: flux.namespace,
            createNamespace: true,
            atomic: true,
          },
          { parent: this },
        )
      : undefined;
    const after = [...args.dependsOn, ...(install ? [install] : [])];

    let deployKeyPublic: pulumi.Output<string> | undefined;
    let gitAuth: Record<string, pulumi.Input<string>>;
    if (flux.auth === "ssh") {
      const key = new tls.PrivateKey(
        `${name}-deploy-key`,
        { algorithm: "ED25519" },
        // Changing fluxDeployKeyRotation generates a new key (then add its public half to the repository).
        { parent: this, replacementTrigger: flux.deployKeyRotation, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem"] },
      );
      deployKeyPublic = key.publicKeyOpenssh;
      gitAuth = gitAuthData<pulumi.Input<string>>({ ssh: { privateKey: key.privateKeyOpenssh, publicKey: key.publicKeyOpenssh, knownHosts: flux.knownHosts ?? "" } });
      if (args.deployKeyVault) {
        new onepassword.Item(
          `${name}-deploy-key-item`,
          {
            vault: args.deployKeyVault.vaultUuid,
            title: args.deployKeyVault.title,
            category: "secureNote",
            noteValue: key.privateKeyOpenssh,
            tags: [...ITEM_TAGS],
            sections: [{ label: "ssh", fields: [{ label: "public key", type: "STRING", value: key.publicKeyOpenssh }] }],
          },
          { parent: this, provider: args.deployKeyVault.provider, protect: true, retainOnDelete: true },
        );
      }
    } else {
      if (args.gitToken === undefined) throw new Error("flux: https auth needs a Git token (fluxGitToken)");
      gitAuth = gitAuthData<pulumi.Input<string>>({ https: { username: flux.gitUsername, token: args.gitToken } });
    }

    const labels = { ...PLATFORM_LABELS };
    const secret = new k8s.core.v1.Secret(
      `${name}-git-auth`,
      {
        metadata: { name: GIT_AUTH_SECRET, namespace: flux.namespace, labels },
        type: "Opaque",
        stringData: pulumi.secret(gitAuth),
      },
      { parent: this, dependsOn: after },
    );
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-prerequisites`,
      {
        metadata: { name: PREREQUISITES_CONFIGMAP, namespace: flux.namespace, labels },
        data: pulumi.output(args.prerequisites).apply(prerequisitesData),
      },
      { parent: this, dependsOn: after },
    );

    const custom = (resourceName: string, manifest: k8s.apiextensions.CustomResourceArgs, dependsOn: pulumi.Input<pulumi.Resource>[]) =>
      new k8s.apiextensions.CustomResource(resourceName, manifest, { parent: this, dependsOn });

    const source = custom(`${name}-source`, gitRepositoryManifest(flux), [...after, secret]);
    for (const kustomization of flux.kustomizations) {
      custom(`${name}-${kustomization.name}`, kustomizationManifest(kustomization, flux.namespace), [...after, source, configMap]);
    }

    this.deployKeyPublic = deployKeyPublic ? deployKeyPublic : pulumi.output(undefined);
    this.kustomizations = pulumi.output(flux.kustomizations.map((k) => k.name));
    this.registerOutputs({ deployKeyPublic: this.deployKeyPublic, kustomizations: this.kustomizations });
  }
}
