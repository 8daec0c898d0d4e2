// The data platform's prerequisites, in the order Flux needs them. Pulumi's Node.js host calls the
// exported function; what it returns becomes the stack outputs (references only, never secret values).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "./components/credentials";
import { FluxHandoff } from "./components/flux";
import { ObjectStorage } from "./components/objectStorage";
import { SparkIcebergImage } from "./components/sparkIcebergImage";
import { loadStackConfig } from "./config/load";

function dataPlatform() {
  // Invalid config stops here, listing every problem, before any resource is registered.
  const { config, secrets } = loadStackConfig();

  // 1. Buckets and one least-privilege RGW user per application.
  const storage = new ObjectStorage("storage", {
    endpoint: config.rgw.endpoint,
    region: config.rgw.region,
    adminAccessKey: secrets.rgwAdminAccessKey,
    adminSecretKey: secrets.rgwAdminSecretKey,
    environment: config.environment,
    buckets: config.buckets,
    apps: config.apps,
    purgeUserDataOnDelete: config.rgw.purgeUserDataOnDelete,
  });

  // 2. Generated passwords and S3 keys in 1Password, plus the token External Secrets reads them with.
  const kubernetes = new k8s.Provider("kubernetes", { context: config.kubernetes.context, enableServerSideApply: true });
  const credentials = new Credentials(
    "credentials",
    {
      vault: config.onepassword.vault,
      mode: config.onepassword.mode,
      connectUrl: config.onepassword.connectUrl,
      token: secrets.onepasswordToken,
      credentials: config.credentials,
      s3Access: storage.appAccess,
      s3Endpoint: config.rgw.inClusterEndpoint,
      s3Region: config.rgw.region,
      bucketNames: storage.bucketName,
      workloadNamespace: config.kubernetes.dataPlatformNamespace,
      externalSecretsNamespace: config.kubernetes.externalSecretsNamespace,
      tokenSecretName: config.onepassword.tokenSecretName,
      clusterSecretStoreName: config.onepassword.clusterSecretStoreName,
      clusterConnectUrl: config.onepassword.clusterConnectUrl,
    },
    { providers: { kubernetes } },
  );

  // 3. The spark-iceberg image with its jars baked in, referenced by digest.
  const image = new SparkIcebergImage("spark-iceberg", {
    ...config.image,
    registryPassword: secrets.imageRegistryPassword,
  });

  if (!config.image.push) pulumi.log.warn("imagePush is false: the image is built but not pushed, so Flux gets no SPARK_ICEBERG_IMAGE");

  // 4. Flux takes over once everything above exists.
  const flux = new FluxHandoff(
    "flux",
    {
      flux: config.flux,
      prerequisites: pulumi.all([image.imageRef, storage.bucketNames]).apply(([imageRef, buckets]) => ({
        environment: config.environment,
        imageRef: config.image.push ? imageRef : undefined,
        s3Endpoint: config.rgw.inClusterEndpoint,
        s3Region: config.rgw.region,
        buckets,
        itemTitles: config.credentials.map((c) => c.title),
        clusterSecretStore: config.onepassword.clusterSecretStoreName,
        dataPlatformNamespace: config.kubernetes.dataPlatformNamespace,
      })),
      dependsOn: [storage, credentials, image],
      gitToken: secrets.fluxGitToken,
      deployKeyVault: { provider: credentials.onepasswordProvider, vaultUuid: credentials.vaultUuid, title: "flux-deploy-key" },
    },
    { providers: { kubernetes } },
  );

  return {
    environment: config.environment,
    s3Endpoint: config.rgw.inClusterEndpoint,
    buckets: storage.bucketNames,
    sparkIcebergImage: image.imageRef,
    onepasswordItems: credentials.items,
    fluxDeployKeyPublic: flux.deployKeyPublic,
    fluxKustomizations: flux.kustomizations,
    gitopsManifests: credentials.gitopsManifests,
  };
}

export = dataPlatform;
