// What config `adopt` means for each component, as the plain adoption args they take (never the config
// slice). Pure: the wiring (index.ts) calls these; tests call them directly.
import type { AdoptConfig, PlatformConfig } from "../config";
import { GIT_AUTH_SECRET, GIT_REPOSITORY_NAME, PREREQUISITES_CONFIGMAP } from "../components/flux/manifests";
import type { ItemAdoption } from "../components/credentials/items";

/** The value every rotation trigger starts from (config's default for `rotation` and `s3KeyRotation`). */
export const INITIAL_ROTATION = "1";

type Credential = PlatformConfig["credentials"][number];
type App = PlatformConfig["apps"][number];

/**
 * The fields an adopted item keeps, while no rotation is asked for. A rotation is the trigger moving off
 * its initial value: the credential's `rotation` for a generated password (a RandomPassword is then made
 * and written), the app's `s3KeyRotation` for an s3 item (RgwUser makes a new key, written to the item).
 */
export function itemAdoption(adopt: AdoptConfig, credential: Credential, apps: readonly App[]): ItemAdoption | undefined {
  const entry = Object.hasOwn(adopt.items, credential.title) ? adopt.items[credential.title] : undefined;
  if (entry === undefined) return undefined;
  const rotated =
    credential.kind === "s3"
      ? (apps.find((app) => app.name === credential.app)?.keyRotation ?? INITIAL_ROTATION) !== INITIAL_ROTATION
      : (credential.rotation ?? INITIAL_ROTATION) !== INITIAL_ROTATION;
  // After a rotation the stack writes the new secret: an s3 item's access key id with it.
  const keep = !rotated ? entry.keep : credential.kind === "s3" ? [] : entry.keep.filter((field) => field !== "password");
  return { id: entry.id, keep };
}

/**
 * An adopted app user: its uid and key, and whether RgwUser reads the key's secret (only for an item the
 * stack writes; an adopted s3 item keeps its own).
 */
export function userAdoption(
  adopt: AdoptConfig,
  app: string,
  credentials: readonly Credential[],
): { uid: string; accessKey: string; readSecret: boolean } | undefined {
  const entry = Object.hasOwn(adopt.users, app) ? adopt.users[app] : undefined;
  if (entry === undefined) return undefined;
  const itemsKept = credentials.filter((c) => c.kind === "s3" && c.app === app).every((c) => Object.hasOwn(adopt.items, c.title));
  return { uid: entry.uid, accessKey: entry.accessKey, readSecret: !itemsKept };
}

/** Import ID of an adopted Kubernetes object (`Kind/namespace/name` or `Kind/name`), or undefined. */
export function kubernetesImportId(adopt: AdoptConfig, ref: string): string | undefined {
  return adopt.kubernetes.find((object) => object.ref === ref)?.importId;
}

/** The Kubernetes objects of Credentials and FluxHandoff that are adopted, by their import IDs. */
export function kubernetesAdoption(config: Pick<PlatformConfig, "adopt" | "kubernetes" | "onepassword" | "flux">) {
  const id = (ref: string) => kubernetesImportId(config.adopt, ref);
  const { externalSecretsNamespace } = config.kubernetes;
  const flux = config.flux.namespace;
  const kustomizations = Object.fromEntries(
    config.flux.kustomizations.flatMap((k) => {
      const importId = id(`Kustomization/${flux}/${k.name}`);
      return importId === undefined ? [] : [[k.name, importId]];
    }),
  );
  return {
    credentials: {
      namespace: id(`Namespace/${externalSecretsNamespace}`),
      tokenSecret: id(`Secret/${externalSecretsNamespace}/${config.onepassword.tokenSecretName}`),
    },
    flux: {
      gitAuthSecret: id(`Secret/${flux}/${GIT_AUTH_SECRET}`),
      prerequisites: id(`ConfigMap/${flux}/${PREREQUISITES_CONFIGMAP}`),
      source: id(`GitRepository/${flux}/${GIT_REPOSITORY_NAME}`),
      kustomizations,
    },
  };
}
