// What Flux substitutes into the GitOps manifests, from the config and what the stack created. Pure and
// light (types only from the SDKs), so verify computes the same ConfigMap without loading the providers.
import type { PlatformConfig } from "../config";
import type { PrerequisiteValues } from "../components/flux/manifests";

/**
 * What SPARK_ICEBERG_IMAGE holds: the pushed image by digest, or, unpushed, the `registry/repository:tag` it
 * was built as. Always a value, because a variable the stack does not publish fails every Kustomization
 * that uses it (`variable not set (strict mode)`) and with it every Kustomization that depends on those.
 * Not a `${SPARK_ICEBERG_IMAGE:=default}` in Git: a default there would silently run another image on a
 * stack that should have published one.
 */
export const publishedImage = (config: Pick<PlatformConfig, "image">, created: { imageRef: string; imageName: string }): string =>
  config.image.push ? created.imageRef : created.imageName;

/** The ConfigMap's values: config, plus the image reference and bucket names the stack created. */
export function prerequisiteValues(
  config: PlatformConfig,
  created: { imageRef: string; imageName: string; buckets: Record<string, string> },
): PrerequisiteValues {
  const databases: NonNullable<PrerequisiteValues["databases"]> = {};
  for (const c of config.credentials) {
    if (c.kind === "database" && c.hostname !== undefined && c.port !== undefined && c.database !== undefined) {
      databases[c.title] = { hostname: c.hostname, port: c.port, database: c.database };
    }
  }
  return {
    environment: config.environment,
    image: publishedImage(config, created),
    s3Endpoint: config.rgw.inClusterEndpoint,
    s3Region: config.rgw.region,
    buckets: created.buckets,
    itemTitles: config.credentials.map((c) => c.title),
    databases,
    clusterSecretStore: config.onepassword.clusterSecretStoreName,
    dataPlatformNamespace: config.kubernetes.dataPlatformNamespace,
  };
}

/**
 * FluxHandoff's args that come straight from the config (all but auth, prerequisites, dependencies and
 * adoption): one mapping for the program and the real-cluster test that runs the component on its own.
 */
export function fluxHandoffSettings(flux: PlatformConfig["flux"]) {
  return {
    install: flux.install,
    chartVersion: flux.chartVersion,
    namespace: flux.namespace,
    git: { url: flux.gitUrl, branch: flux.branch, interval: flux.interval },
    kustomizations: flux.kustomizations,
    readyTimeoutSeconds: flux.readyTimeoutSeconds,
  };
}
