// What the removal guard holds for a stack: the entries apps depend on, and what the config lets go on
// purpose. Pure, so the program, its tests and the engine test build the guard from one definition.
import type { StackModel } from "../config/parse";
import { RemovalGuard, guardEntry, type RemovalGuardInputs } from "../providers/removalGuard";

export function removalGuardInputs(config: Pick<StackModel, "apps" | "buckets" | "credentials" | "flux" | "removed">): RemovalGuardInputs {
  const entries = [
    ...config.apps.map((app) => guardEntry("app", app.name)),
    ...config.buckets.map((bucket) => guardEntry("bucket", bucket.key)),
    ...config.credentials.map((credential) => guardEntry("item", credential.title)),
    ...config.flux.kustomizations.map((k) => guardEntry("kustomization", k.name)),
  ];
  const released = [
    ...config.removed.s3Apps.map((app) => guardEntry("app", app)),
    // An app removed on purpose takes its default item with it.
    ...config.removed.s3Apps.map((app) => guardEntry("item", `${app}-s3-credentials`)),
    ...config.removed.buckets.map((key) => guardEntry("bucket", key)),
    ...config.buckets.flatMap((bucket) => (bucket.previousKeys ?? []).map((key) => guardEntry("bucket", key))),
    ...config.removed.credentials.map((title) => guardEntry("item", title)),
    ...config.credentials.flatMap((credential) => (credential.previousTitles ?? []).map((title) => guardEntry("item", title))),
    ...config.removed.fluxKustomizations.map((name) => guardEntry("kustomization", name)),
  ];
  return { entries, bucketNames: Object.fromEntries(config.buckets.map((b) => [b.key, b.name])), released: [...new Set(released)] };
}

/**
 * Registers the removal guard and resolves once the engine has checked and applied it (the URN arrives
 * with the registration's answer), so that a refused removal stops the run before any other resource.
 */
export async function removalGuard(config: Parameters<typeof removalGuardInputs>[0]): Promise<RemovalGuard> {
  const guard = new RemovalGuard("removal-guard", removalGuardInputs(config));
  await new Promise<void>((resolve) => guard.urn.apply(() => resolve()));
  return guard;
}
