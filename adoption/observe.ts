// What the adoption plan reads, through verify's clients: RGW (admin API: bucket owner and usage, users; S3
// with the stack's keys: versioning, lifecycle, policy), 1Password Connect (items by title), Kubernetes
// (each object the stack emits). Only GET and HEAD requests: tests/adopt/plan.test.ts runs it against
// stand-ins that fail on any other method.
import type { S3Client } from "@aws-sdk/client-s3";
import type { PlatformConfig } from "../config";
import type { RgwBucketInfo } from "../providers/rgwAdmin";
import type { KubeObject } from "../verify/kubernetes";
import type { ConnectClient } from "../verify/onepassword";
import { type RgwAdminReader, observeBucket } from "../verify/rgw";
import {
  type EmittedObject,
  type ObservedKubernetesForPlan,
  type ObservedOnePasswordForPlan,
  type ObservedRgwForPlan,
  emittedObjects,
  uidsToRead,
} from "./plan";
import type { AdoptConfig } from "../config";

export type PlanRgwAdmin = RgwAdminReader & { getBucket(bucket: string): Promise<RgwBucketInfo | undefined> };

export async function observeRgwForPlan(
  config: PlatformConfig,
  adopt: AdoptConfig,
  admin: PlanRgwAdmin,
  s3: S3Client,
  stackAccessKey: string,
): Promise<ObservedRgwForPlan> {
  const observed: ObservedRgwForPlan = { buckets: {}, users: {} };
  const owners = new Map<string, boolean>();
  for (const bucket of config.buckets) {
    const info = await admin.getBucket(bucket.name);
    if (info === undefined) {
      observed.buckets[bucket.name] = undefined;
      continue;
    }
    if (!owners.has(info.owner)) owners.set(info.owner, (await admin.getUser(info.owner))?.keys.some((k) => k.accessKey === stackAccessKey) ?? false);
    const ownerIsStack = owners.get(info.owner) ?? false;
    if (ownerIsStack) observed.stackUid = info.owner;
    const base = { owner: info.owner, ownerIsStack, objects: info.objects, sizeBytes: info.sizeBytes };
    // Only the owner's keys may read a bucket's settings (anyone else gets 403, admin caps or not).
    if (!ownerIsStack) observed.buckets[bucket.name] = base;
    else {
      const settings = await observeBucket(s3, bucket.name);
      observed.buckets[bucket.name] = { ...base, versioning: settings.versioning, lifecycle: settings.lifecycle, policy: settings.policy };
    }
  }
  for (const uid of uidsToRead(config, adopt)) {
    const user = await admin.getUser(uid);
    observed.users[uid] = user === undefined ? undefined : { suspended: user.suspended, accessKeys: user.keys.map((k) => k.accessKey) };
  }
  return observed;
}

export async function observeOnePasswordForPlan(config: PlatformConfig, client: ConnectClient): Promise<ObservedOnePasswordForPlan> {
  const vaults = await client.vaults();
  const matches = vaults.filter((v) => v.name === config.onepassword.vault);
  const observed: ObservedOnePasswordForPlan = { vaults: vaults.map((v) => v.name), items: {} };
  if (matches.length !== 1) return observed;
  observed.vault = matches[0];
  for (const credential of config.credentials) {
    const summaries = (await client.itemsByTitle(matches[0].id, credential.title)).filter((s) => s.title === credential.title);
    observed.items[credential.title] = { summaries, ...(summaries.length === 1 && { item: await client.item(matches[0].id, summaries[0].id) }) };
  }
  return observed;
}

/** Reads one object; undefined when the API server answers 404. */
export type KubeReader = (object: Pick<EmittedObject, "apiVersion" | "kind" | "namespace" | "name">) => Promise<KubeObject | undefined>;

const FLUX_CRD = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name: "kustomizations.kustomize.toolkit.fluxcd.io" };

export async function observeKubernetesForPlan(config: PlatformConfig, read: KubeReader): Promise<ObservedKubernetesForPlan> {
  const objects: Record<string, KubeObject | undefined> = {};
  for (const object of emittedObjects(config)) objects[object.ref] = await read(object);
  return { objects, fluxInstalled: (await read(FLUX_CRD)) !== undefined };
}

/** The Kubernetes client verify uses (kubeconfig, the stack's kubeContext), GET only. */
export async function kubeReader(context: string | undefined): Promise<KubeReader> {
  const k8s = await import("@kubernetes/client-node");
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromDefault();
  if (context !== undefined) {
    if (!kubeconfig.getContextObject(context))
      throw new Error(`kubeconfig has no context ${context} (config kubeContext; KUBECONFIG=${process.env.KUBECONFIG ?? "~/.kube/config"})`);
    kubeconfig.setCurrentContext(context);
  }
  const api = k8s.KubernetesObjectApi.makeApiClient(kubeconfig);
  return async ({ apiVersion, kind, namespace, name }) => {
    try {
      return (await api.read({ apiVersion, kind, metadata: { name, ...(namespace !== undefined && { namespace }) } })) as KubeObject;
    } catch (error) {
      const code = (error as { code?: number }).code;
      // 404: no such object, or a kind the cluster does not serve (no Flux CRDs yet): nothing to adopt.
      if (code === 404 || /Unrecognized API version and kind/.test(String((error as { message?: unknown }).message))) return undefined;
      throw error;
    }
  };
}
