// Small conventions every component shares, so they stay the same everywhere.
import type * as pulumi from "@pulumi/pulumi";

/** Labels on every Kubernetes object the stack applies. */
export const PLATFORM_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "pulumi",
  "app.kubernetes.io/part-of": "data-platform",
};

/** Tags on every 1Password item the stack writes. */
export const ITEM_TAGS: readonly string[] = ["data-platform", "managed-by-pulumi"];

/** Aliases for a child whose config entry was renamed: the name it had under each previous entry name. */
export const renameAliases = (component: string, previousNames: readonly string[], suffix = ""): { name: string }[] =>
  previousNames.map((old) => ({ name: `${component}-${old}${suffix}` }));

/** One application's S3 identity on RGW: ObjectStorage creates it, Credentials writes it to 1Password. */
export interface AppS3Access<T = pulumi.Input<string>> {
  /** RGW user id. */
  uid: T;
  accessKey: T;
  /** Always a secret. */
  secretKey: T;
}

/**
 * Options of a resource that takes over something that already exists (config `adopt`): the engine imports
 * it (`import`: the ID must be a plain string, known when the resource is declared), and from then on it is
 * protected (a replace would delete the original: measured, pulumi/pulumi#19339) and outlives the stack.
 * No options when `importId` is undefined: the resource is the stack's own, as before.
 */
export function adoptedOptions(importId: string | undefined): pulumi.CustomResourceOptions {
  return importId === undefined ? {} : { import: importId, protect: true, retainOnDelete: true };
}
