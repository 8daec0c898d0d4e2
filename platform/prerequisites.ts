// What Flux substitutes into the GitOps manifests, from the config and what the stack created. Pure and
// light (types only from the SDKs), so verify computes the same ConfigMap without loading the providers.
import type { PlatformConfig } from "../config";
import type { PrerequisiteValues } from "../components/flux/manifests";

/** The ConfigMap's values: config, plus the image reference and bucket names the stack created. */
export function prerequisiteValues(config: PlatformConfig, created: { imageRef: string; buckets: Record<string, string> }): PrerequisiteValues {
  const databases: NonNullable<PrerequisiteValues["databases"]> = {};
  for (const c of config.credentials) {
    if (c.kind === "database" && c.hostname !== undefined && c.port !== undefined && c.database !== undefined) {
      databases[c.title] = { hostname: c.hostname, port: c.port, database: c.database };
    }
  }
  return {
    environment: config.environment,
    imageRef: config.image.push ? created.imageRef : undefined,
    s3Endpoint: config.rgw.inClusterEndpoint,
    s3Region: config.rgw.region,
    buckets: created.buckets,
    itemTitles: config.credentials.map((c) => c.title),
    databases,
    clusterSecretStore: config.onepassword.clusterSecretStoreName,
    dataPlatformNamespace: config.kubernetes.dataPlatformNamespace,
  };
}

