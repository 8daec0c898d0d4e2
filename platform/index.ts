// Wiring: maps the stack's typed config to the components' arguments and providers, in the order Flux
// needs them. The components know nothing of this config model; this is the one place that does.
import * as onepassword from "@1password/pulumi-onepassword";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, PlatformSecrets } from "../config";
import { Credentials, onepasswordProviderArgs } from "../components/credentials";
import { FluxHandoff, kubernetesProviderArgs } from "../components/flux";
import { DEPLOY_KEY_ITEM_TITLE } from "../components/flux/manifests";
import { ObjectStorage, rgwProviderArgs } from "../components/objectStorage";
import { SparkIcebergImage } from "../components/sparkIcebergImage";
import type { RgwConnectionArgs } from "../providers/connection";
import { itemAdoption, kubernetesAdoption, userAdoption } from "./adoption";
import { fluxHandoffSettings, prerequisiteValues } from "./prerequisites";

export { removalGuard } from "./removals";

/** Providers that were children of the components before they arrived through opts: aliased, not replaced. */
const formerChildOf = (component: string, type: string) => [{ parent: pulumi.createUrn(component, type) }];

export function dataPlatform(config: PlatformConfig, secrets: PlatformSecrets) {
  // 1. Buckets and one least-privilege RGW user per application.
  const rgw: RgwConnectionArgs = {
    endpoint: config.rgw.endpoint,
    region: config.rgw.region,
    accessKey: secrets.rgwAdminAccessKey,
    secretKey: secrets.rgwAdminSecretKey,
  };
  const rgwProvider = new aws.Provider("storage-rgw", rgwProviderArgs(rgw), { aliases: formerChildOf("storage", "dataplatform:storage:ObjectStorage") });
  const storage = new ObjectStorage(
    "storage",
    {
      connection: rgw,
      environment: config.environment,
      buckets: config.buckets.map((bucket) => {
        const adopted = Object.hasOwn(config.adopt.buckets, bucket.key) ? config.adopt.buckets[bucket.key] : undefined;
        return adopted ? { ...bucket, adopt: { name: adopted.name, policy: adopted.policy } } : bucket;
      }),
      apps: config.apps.map((app) => {
        const adopt = userAdoption(config.adopt, app.name, config.credentials);
        return adopt ? { ...app, adopt } : app;
      }),
      purgeUserDataOnDelete: config.rgw.purgeUserDataOnDelete,
    },
    { providers: [rgwProvider] },
  );

  // What already exists and is taken over instead of created (config adopt).
  const adopted = kubernetesAdoption(config);

  // 2. Generated passwords and S3 keys in 1Password, plus the token External Secrets reads them with.
  const kubernetes = new k8s.Provider("kubernetes", kubernetesProviderArgs(config.kubernetes.context));
  const onepasswordProvider = new onepassword.Provider(
    "credentials-onepassword",
    onepasswordProviderArgs(config.onepassword.mode, secrets.onepasswordToken, config.onepassword.connectUrl),
    { aliases: formerChildOf("credentials", "dataplatform:credentials:Credentials") },
  );
  const credentials = new Credentials(
    "credentials",
    {
      vault: config.onepassword.vault,
      mode: config.onepassword.mode,
      token: secrets.onepasswordToken,
      credentials: config.credentials.map((credential) => {
        const adopt = itemAdoption(config.adopt, credential, config.apps);
        return adopt ? { ...credential, adopt } : credential;
      }),
      s3Access: storage.appAccess,
      s3Endpoint: config.rgw.inClusterEndpoint,
      s3Region: config.rgw.region,
      bucketNames: storage.bucketNames,
      workloadNamespace: config.kubernetes.dataPlatformNamespace,
      externalSecretsNamespace: config.kubernetes.externalSecretsNamespace,
      tokenSecretName: config.onepassword.tokenSecretName,
      clusterSecretStoreName: config.onepassword.clusterSecretStoreName,
      clusterConnectUrl: config.onepassword.clusterConnectUrl,
      ...(config.onepassword.mode === "connect" && { connectUrl: config.onepassword.connectUrl }),
      adopt: adopted.credentials,
    },
    { providers: [onepasswordProvider, kubernetes] },
  );

  // 3. The spark-iceberg image with its jars baked in, referenced by digest.
  const image = new SparkIcebergImage("spark-iceberg", { ...config.image, registryPassword: secrets.imageRegistryPassword });
  const imageName = pulumi.interpolate`${image.repository}:${image.tag}`;
  if (!config.image.push) {
    imageName.apply((name) =>
      pulumi.log.warn(
        `imagePush is false: the image is built but not pushed; Flux gets SPARK_ICEBERG_IMAGE=${name}, which a cluster can pull only once it is pushed`,
      ),
    );
  }

  // 4. Flux takes over once everything above exists.
  const { flux } = config;
  const handoff = new FluxHandoff(
    "flux",
    {
      ...fluxHandoffSettings(flux),
      auth:
        flux.auth === "ssh"
          ? {
              ssh: {
                knownHosts: flux.knownHosts ?? "",
                keyRotation: flux.deployKeyRotation,
                deployKeyItem: { vaultUuid: credentials.vaultUuid, title: DEPLOY_KEY_ITEM_TITLE },
              },
            }
          : { https: { username: flux.gitUsername, token: requireSecret(secrets.fluxGitToken, "fluxGitToken") } },
      prerequisites: pulumi
        .all([image.imageRef, imageName, storage.bucketNames])
        .apply(([imageRef, builtAs, buckets]) => prerequisiteValues(config, { imageRef, imageName: builtAs, buckets })),
      dependsOn: [storage, credentials, image],
      adopt: adopted.flux,
    },
    { providers: [kubernetes, onepasswordProvider] },
  );

  // Stack outputs are references only, never secret values.
  return {
    environment: config.environment,
    s3Endpoint: config.rgw.inClusterEndpoint,
    buckets: storage.bucketNames,
    sparkIcebergImage: image.imageRef,
    onepasswordItems: credentials.items,
    // Only with SSH auth: an undefined output makes every HTTPS run warn "Undefined value (fluxDeployKeyPublic)".
    ...(flux.auth === "ssh" ? { fluxDeployKeyPublic: handoff.deployKeyPublic } : {}),
    fluxKustomizations: handoff.kustomizations,
    gitopsManifests: credentials.gitopsManifests,
  };
}

/** Config validation guarantees the secret in the modes that need it; this keeps the type honest. */
function requireSecret(value: pulumi.Output<string> | undefined, key: string): pulumi.Output<string> {
  if (value === undefined) throw new pulumi.RunError(`${key} is required here (config validation should have said so)`);
  return value;
}
