// What an `adopt` block means in the preview: config's adoption facts (type, import ID, kept fields) with the
// name each resource has in the program (the names the components give their children), how each is taken
// over (the engine's `import`, or the dynamic provider's own create for RgwUser and BucketLifecycle, which
// cannot be imported: pulumi/pulumi#16175), and the inputs whose live value must never change. Pure.
// tests/adopt/gate.test.ts holds these names to what the program registers under the mock engine.
import { ADOPTED_TYPES, type AdoptConfig, adoptionFacts } from "../config";

/** Component names the program (platform/index.ts) gives ObjectStorage and Credentials. */
export const COMPONENT_NAMES = { storage: "storage", credentials: "credentials" } as const;

export const RANDOM_PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";

/** The dynamic providers' input that tells their create to take over what exists (set by the program). */
export const ADOPT_INPUT = "adopt";

export interface AdoptTarget {
  /** What the config and the plan call it, e.g. `bucket warehouse (iceberg-test)`. */
  label: string;
  type: string;
  /** Its name in the program (the URN's last part); absent: matched by `importId` or Kubernetes metadata. */
  name?: string;
  /** Kubernetes objects: metadata namespace and name. */
  object?: { namespace?: string; name: string };
  /** "import": the engine's `import` option; "create": the resource's create takes it over (or makes it). */
  via: "import" | "create";
  importId?: string;
  /** Input fields whose live value the first `up` must keep. */
  keep: string[];
}

/** A resource the program must not declare while something is adopted, and why. */
export interface ForbiddenResource {
  type: string;
  name: string;
  why: string;
}

/** Inputs a replace would follow from anyway; named so the gate says which kept value would change. */
const IDENTITY_INPUTS: Record<string, string[]> = {
  [ADOPTED_TYPES.bucket]: ["bucket"],
  [ADOPTED_TYPES.bucketVersioning]: ["bucket"],
  [ADOPTED_TYPES.bucketPolicy]: ["bucket"],
  [ADOPTED_TYPES.bucketLifecycle]: ["bucket"],
  [ADOPTED_TYPES.rgwUser]: ["uid"],
  [ADOPTED_TYPES.item]: ["vault", "category"],
};

export function adoptTargets(adopt: AdoptConfig): { targets: AdoptTarget[]; forbidden: ForbiddenResource[] } {
  const { storage, credentials } = COMPONENT_NAMES;
  const targets: AdoptTarget[] = [];
  const forbidden: ForbiddenResource[] = [];
  for (const fact of adoptionFacts(adopt)) {
    const keep = [...(IDENTITY_INPUTS[fact.type] ?? []), ...fact.kept];
    const via = fact.importId !== undefined ? "import" : "create";
    const common = { type: fact.type, via, keep, ...(fact.importId !== undefined && { importId: fact.importId }) } as const;
    const bucket = adopt.buckets[fact.key];
    switch (fact.type) {
      case ADOPTED_TYPES.bucket:
        targets.push({ ...common, label: `bucket ${fact.key} (${bucket.name})`, name: `${storage}-${fact.key}` });
        break;
      case ADOPTED_TYPES.bucketVersioning:
        targets.push({ ...common, label: `bucket ${fact.key} (${bucket.name}) versioning`, name: `${storage}-${fact.key}-versioning` });
        break;
      case ADOPTED_TYPES.bucketPolicy:
        // policy: false: the stack creates the policy (the bucket has none), so its create is expected.
        targets.push({ ...common, label: `bucket ${fact.key} (${bucket.name}) policy`, name: `${storage}-${fact.key}-policy` });
        break;
      case ADOPTED_TYPES.bucketLifecycle:
        targets.push({ ...common, label: `bucket ${fact.key} (${bucket.name}) lifecycle`, name: `${storage}-${fact.key}-lifecycle` });
        break;
      case ADOPTED_TYPES.rgwUser:
        targets.push({ ...common, label: `rgw user ${fact.key} (${adopt.users[fact.key].uid})`, name: `${storage}-user-${fact.key}` });
        break;
      case ADOPTED_TYPES.item:
        targets.push({ ...common, label: `item ${fact.key}`, name: `${credentials}-${fact.key}` });
        if (fact.kept.includes("password")) {
          forbidden.push({
            type: RANDOM_PASSWORD_TYPE,
            name: `${credentials}-${fact.key}-password`,
            why: `item ${fact.key} keeps its password: no password may be generated for it until a rotation is asked for`,
          });
        }
        break;
      default: {
        const object = adopt.kubernetes.find((o) => o.ref === fact.key);
        targets.push({
          ...common,
          label: `kubernetes ${fact.key}`,
          ...(object && { object: { ...(object.namespace !== undefined && { namespace: object.namespace }), name: object.name } }),
        });
      }
    }
  }
  return { targets, forbidden };
}

/**
 * Whether a `create` step is how this target is taken over: a bucket policy with policy: false is new (the
 * bucket has none); BucketLifecycle's create merges into the rules it finds; RgwUser's create takes the user
 * over only when the program gives it the adopt input.
 */
export function createAllowed(target: AdoptTarget, inputs: Record<string, unknown> | undefined): boolean {
  if (target.type === ADOPTED_TYPES.bucketPolicy) return target.importId === undefined;
  if (target.type === ADOPTED_TYPES.bucketLifecycle) return true;
  if (target.type === ADOPTED_TYPES.rgwUser) return inputs?.[ADOPT_INPUT] !== undefined && inputs?.[ADOPT_INPUT] !== null;
  return false;
}
