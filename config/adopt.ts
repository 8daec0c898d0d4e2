// `data-platform:adopt`: what already exists (built by hand) and which of the stack's own keys it maps to.
// Parsed here entry by entry (every problem in one pass), checked against the rest of the config, and
// turned into per-resource adoption facts (import IDs, kept fields) for the program, the planner and the
// preview gate. Pure: no Pulumi, no network.
import { z } from "zod";
import {
  DEPLOY_KEY_ITEM_TITLE,
  GIT_AUTH_SECRET,
  GIT_REPOSITORY_NAME,
  GIT_REPOSITORY_TYPE,
  KUSTOMIZATION_TYPE,
  PREREQUISITES_CONFIGMAP,
} from "../components/flux/manifests";
import { rgwUserId, validateBucketName } from "../components/objectStorage/policies";
import { formatPath } from "./keys";
import type { EntryRef } from "./lists";
import { didYouMean, show } from "./messages";

/** Fields of a 1Password item whose live value an adopted item keeps (never written by the stack). */
export const KEPT_FIELDS = ["password", "username"] as const;
export type KeptField = (typeof KEPT_FIELDS)[number];

export interface AdoptedBucket {
  /** The live bucket; equals the bucket entry's name (config refuses otherwise). */
  name: string;
  /** A bucket policy exists and is imported; false: the stack creates one. */
  policy: boolean;
  /** Rules the stack did not write are kept beside its own (the only mode: BucketLifecycle never drops a foreign rule). */
  lifecycle: "merge";
}

export interface AdoptedUser {
  /** The live RGW uid; used instead of data-platform-<environment>-<app>. */
  uid: string;
  /** The access key the running apps use: kept as the user's current key. */
  accessKey: string;
}

export interface AdoptedItem {
  /** Import ID: vaults/<vault uuid>/items/<item uuid>. */
  id: string;
  /** Fields kept as they are (at least password; username too for s3 items). */
  keep: KeptField[];
}

/** A Kubernetes object the stack emits that already exists. */
export interface AdoptedObject {
  kind: string;
  /** Absent for cluster-scoped objects (Namespace). */
  namespace?: string;
  name: string;
  /** As written in config: Kind/namespace/name or Kind/name. */
  ref: string;
  /** The Kubernetes provider's import ID: namespace/name, or name. */
  importId: string;
}

export interface AdoptConfig {
  /** By the stack's bucket key. */
  buckets: Record<string, AdoptedBucket>;
  /** By app name. */
  users: Record<string, AdoptedUser>;
  /** By credential title. */
  items: Record<string, AdoptedItem>;
  kubernetes: AdoptedObject[];
}

export const emptyAdopt = (): AdoptConfig => ({ buckets: {}, users: {}, items: {}, kubernetes: [] });

// ---------------------------------------------------------------------------------------------
// Shape of each entry.

const KEY = "adopt";
/** 1Password (Connect) ids: 26 lowercase letters and digits. */
const ONEPASSWORD_ID = "[a-z0-9]{26}";
const ITEM_ID_RE = new RegExp(`^vaults/${ONEPASSWORD_ID}/items/${ONEPASSWORD_ID}$`);
/** The uids RgwUser accepts (its validateInputs). */
const RGW_UID_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** radosgw-admin accepts any --access-key; these are the characters keys are made of in practice. */
const ACCESS_KEY_RE = /^[A-Za-z0-9._+/=-]{1,128}$/;
const OBJECT_REF_RE = /^([A-Za-z]+)\/(?:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

const required = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined || issue.input === null ? "is required" : `must be ${what}, got ${show(issue.input)}`) })
    .min(1, { error: "is required, got an empty value", abort: true });
const matching = (re: RegExp, what: string) => required(what).refine((s) => re.test(s), { error: (issue) => `${show(issue.input)} is not ${what}` });

const entry = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => `unknown field ${key}${didYouMean(key, Object.keys(shape))}`).join("; ")
        : `must be an object, got ${show(issue.input)}`,
  });

const adoptedBucketSchema = entry({
  name: required("an S3 bucket name").superRefine((name, ctx) => {
    const problem = validateBucketName(name);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${show(name)} is not a valid S3 bucket name: ${problem}` });
  }),
  // Required, not defaulted: creating a policy over an existing one would replace it, importing a missing one fails.
  policy: z.boolean({
    error: (issue) =>
      issue.input === undefined
        ? "is required: true when the bucket has a policy (it is imported), false when it has none (the stack creates one)"
        : `must be true or false, got ${show(issue.input)}`,
  }),
  lifecycle: z
    .literal("merge", {
      error: (issue) =>
        `must be merge, got ${show(issue.input)}: the stack never drops a lifecycle rule it did not write (remove a hand-made rule by hand if it must go)`,
    })
    .default("merge"),
});

const adoptedUserSchema = entry({
  uid: matching(RGW_UID_RE, "an RGW uid (1-64 letters, digits, . _ @ -, starting alphanumeric)"),
  accessKey: matching(ACCESS_KEY_RE, "an S3 access key id (the one the running apps use)"),
});

const adoptedItemSchema = entry({
  id: matching(
    ITEM_ID_RE,
    "an item's import ID: vaults/<vault uuid>/items/<item uuid> (26 lowercase letters and digits each; from the planner or `op item get <title> --format json`)",
  ),
  keep: z
    .array(
      z.enum(KEPT_FIELDS, {
        error: (issue) =>
          typeof issue.input === "string"
            ? `unknown field ${show(issue.input)}${didYouMean(issue.input, KEPT_FIELDS)}: only the secret fields ${KEPT_FIELDS.join(" and ")} can be kept (the others are written from the credential's config: set them to the live values)`
            : `must be a field name, got ${show(issue.input)}`,
      }),
      { error: (issue) => `must be a list of fields to keep, e.g. [password], got ${show(issue.input)}` },
    )
    .superRefine((keep, ctx) => {
      keep.forEach((field, index) => {
        if (keep.indexOf(field) !== index) ctx.addIssue({ code: "custom", path: [index], message: `${show(field)} is listed twice` });
      });
      if (!keep.includes("password")) {
        ctx.addIssue({
          code: "custom",
          message: "must include password: the live password is what the running services use; it changes only by a deliberate rotation",
        });
      }
    }),
});

const objectRefSchema = required("Kind/namespace/name or Kind/name").refine((s) => OBJECT_REF_RE.test(s), {
  error: (issue) => `${show(issue.input)} is not Kind/namespace/name or Kind/name (e.g. Secret/external-secrets/onepassword-token, Namespace/external-secrets)`,
});

const SECTIONS = { buckets: adoptedBucketSchema, users: adoptedUserSchema, items: adoptedItemSchema } as const;
type Section = keyof typeof SECTIONS;

/** Raw `adopt` as far as it parsed: invalid entries are left out, their problems reported. */
export interface ParsedAdopt {
  adopt: AdoptConfig;
  errors: string[];
  /** Entries that failed (section.key): not used to judge other references. */
  failed: ReadonlySet<string>;
  /** Every key given per section, valid entry or not: references are judged for all of them. */
  keys: Readonly<Record<Section, readonly string[]>>;
  /** The config index of each entry of adopt.kubernetes (invalid entries are left out of it). */
  objectIndexes: readonly number[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export function parseAdopt(raw: unknown): ParsedAdopt {
  const errors: string[] = [];
  const failed = new Set<string>();
  const adopt = emptyAdopt();
  const keys: Record<Section, string[]> = { buckets: [], users: [], items: [] };
  const objectIndexes: number[] = [];
  const result = () => ({ adopt, errors, failed, keys, objectIndexes });
  const at = (path: PropertyKey[], message: string) => errors.push(`${formatPath([KEY, ...path])}: ${message}`);
  if (raw === undefined || raw === null) return result();
  if (!isObject(raw)) {
    at([], `must be an object with buckets, users, items and kubernetes, got ${show(raw)}`);
    return result();
  }
  const known = [...Object.keys(SECTIONS), "kubernetes"];
  for (const key of Object.keys(raw)) if (!known.includes(key)) at([key], `unknown field${didYouMean(key, known)} (adopt has ${known.join(", ")})`);

  for (const section of Object.keys(SECTIONS) as Section[]) {
    const given = raw[section];
    if (given === undefined || given === null) continue;
    if (!isObject(given)) {
      at(
        [section],
        `must be an object keyed by ${section === "buckets" ? "bucket key" : section === "users" ? "app name" : "credential title"}, got ${show(given)}`,
      );
      failed.add(section);
      continue;
    }
    const parsed: [string, unknown][] = [];
    for (const [name, value] of Object.entries(given)) {
      keys[section].push(name);
      const entryResult = SECTIONS[section].safeParse(value);
      if (entryResult.success) parsed.push([name, entryResult.data]);
      else {
        failed.add(`${section}.${name}`);
        for (const issue of entryResult.error.issues) at([section, name, ...issue.path], issue.message);
      }
    }
    // fromEntries defines own properties: a key like __proto__ stays a key (and is refused as unknown).
    (adopt as unknown as Record<Section, Record<string, unknown>>)[section] = Object.fromEntries(parsed);
  }

  const objects = raw.kubernetes;
  if (objects !== undefined && objects !== null) {
    if (!Array.isArray(objects)) {
      at(["kubernetes"], `must be a list of Kind/namespace/name or Kind/name, got ${show(objects)}`);
      failed.add("kubernetes");
    } else {
      objects.forEach((ref, index) => {
        const refResult = objectRefSchema.safeParse(ref);
        if (!refResult.success) {
          failed.add("kubernetes");
          for (const issue of refResult.error.issues) at(["kubernetes", index], issue.message);
          return;
        }
        const [, kind, namespace, , name] = OBJECT_REF_RE.exec(refResult.data) ?? [];
        objectIndexes.push(index);
        adopt.kubernetes.push({
          kind,
          ...(namespace === undefined ? {} : { namespace }),
          name,
          ref: refResult.data,
          importId: namespace === undefined ? name : `${namespace}/${name}`,
        });
      });
    }
  }
  return result();
}

// ---------------------------------------------------------------------------------------------
// Against the rest of the config.

/** Kinds of Kubernetes objects the stack emits, with the Pulumi type that declares them. */
export const KUBERNETES_TYPES: Readonly<Record<string, string>> = {
  Namespace: "kubernetes:core/v1:Namespace",
  Secret: "kubernetes:core/v1:Secret",
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  [GIT_REPOSITORY_TYPE.kind]: `kubernetes:${GIT_REPOSITORY_TYPE.apiVersion}:${GIT_REPOSITORY_TYPE.kind}`,
  [KUSTOMIZATION_TYPE.kind]: `kubernetes:${KUSTOMIZATION_TYPE.apiVersion}:${KUSTOMIZATION_TYPE.kind}`,
};

/** Flux's own objects (bootstrap names them flux-system) are reconciled from Git by Flux itself. */
export const FLUX_OWN_NAME = "flux-system";

/** What the stack emits that adoption can refer to. */
export interface AdoptContext {
  environment?: string;
  /** s3Apps; undefined when that key is invalid (references are then not judged). */
  apps?: readonly string[];
  /** Bucket entries by key (name undefined when it did not parse); undefined when unknown. */
  buckets?: readonly { key: string; name?: string; index: EntryRef }[];
  /** Credential entries by title; undefined when unknown. */
  credentials?: readonly { title: string; kind?: string; app?: string; index: EntryRef }[];
  /** "Kind/namespace/name" or "Kind/name" of every Kubernetes object the stack emits; undefined when unknown. */
  kubernetesObjects?: readonly string[];
}

/** The Kubernetes objects the stack emits, as adopt names them. */
export function emittedKubernetesObjects(c: {
  externalSecretsNamespace: string;
  tokenSecretName: string;
  fluxNamespace: string;
  kustomizations: readonly string[];
}): string[] {
  return [
    `Namespace/${c.externalSecretsNamespace}`,
    `Secret/${c.externalSecretsNamespace}/${c.tokenSecretName}`,
    `Secret/${c.fluxNamespace}/${GIT_AUTH_SECRET}`,
    `ConfigMap/${c.fluxNamespace}/${PREREQUISITES_CONFIGMAP}`,
    `${GIT_REPOSITORY_TYPE.kind}/${c.fluxNamespace}/${GIT_REPOSITORY_NAME}`,
    ...c.kustomizations.map((name) => `${KUSTOMIZATION_TYPE.kind}/${c.fluxNamespace}/${name}`),
  ];
}

/** Problems of an `adopt` block that only the rest of the config shows; each names its keys. */
export function adoptCrossChecks(parsed: ParsedAdopt, context: AdoptContext): string[] {
  const errors: string[] = [];
  const at = (path: PropertyKey[], message: string) => errors.push(`${formatPath([KEY, ...path])}: ${message}`);
  const { adopt } = parsed;

  const bucketKeys = context.buckets?.map((b) => b.key) ?? [];
  for (const key of parsed.keys.buckets) {
    if (context.buckets === undefined) continue;
    const bucket = adopt.buckets[key] as AdoptedBucket | undefined;
    const target = context.buckets.find((b) => b.key === key);
    if (!target) at(["buckets", key], `unknown bucket key ${show(key)} (buckets are ${show(bucketKeys)})${didYouMean(key, bucketKeys)}`);
    else if (bucket !== undefined && target.name !== undefined && target.name !== bucket.name) {
      at(
        ["buckets", key, "name"],
        `is ${show(bucket.name)} but ${formatPath(["buckets", target.index, "name"])} (key ${key}) is ${show(target.name)}: they must be the same bucket (set name: ${show(bucket.name)} on the buckets entry with key ${key})`,
      );
    }
  }

  const apps = context.apps;
  const uids = new Map<string, string>();
  for (const app of parsed.keys.users) {
    if (apps !== undefined && !apps.includes(app)) {
      at(["users", app], `unknown app ${show(app)} (s3Apps is ${show(apps)})${didYouMean(app, apps)}`);
      continue;
    }
    const user = adopt.users[app] as AdoptedUser | undefined;
    if (user === undefined) continue;
    const other = uids.get(user.uid);
    if (other !== undefined)
      at(
        ["users", app, "uid"],
        `${show(user.uid)} is also adopted for app ${other}: every app has its own RGW user (two resources on one user would fight over its keys)`,
      );
    uids.set(user.uid, app);
    if (apps !== undefined && context.environment !== undefined) {
      const taken = apps.find((a) => a !== app && !parsed.keys.users.includes(a) && rgwUserId(context.environment as string, a) === user.uid);
      if (taken !== undefined) at(["users", app, "uid"], `${show(user.uid)} is the uid the stack gives app ${taken}: choose the hand-made user's uid`);
    }
  }

  const titles = context.credentials?.map((c) => c.title) ?? [];
  for (const title of parsed.keys.items) {
    if (context.credentials === undefined) continue;
    const item = adopt.items[title] as AdoptedItem | undefined;
    const credential = context.credentials.find((c) => c.title === title);
    if (!credential) {
      const why =
        title === DEPLOY_KEY_ITEM_TITLE
          ? `${show(title)} holds the Flux deploy key the stack generates (a new key needs a new item): rename or remove the hand-made item instead`
          : `unknown credential title ${show(title)} (credentials are ${show(titles)})${didYouMean(title, titles)}`;
      at(["items", title], why);
      continue;
    }
    if (item === undefined) continue;
    if (credential.kind === "password" && item.keep.includes("username"))
      at(["items", title, "keep"], `${show("username")} does not apply: credential ${title} is of kind password (it has no username)`);
    if (credential.kind === "s3") {
      if (!item.keep.includes("username"))
        at(["items", title, "keep"], "must include username for an s3 item: the access key and its secret are one credential, kept together");
      const app = credential.app;
      if (app !== undefined && !parsed.keys.users.includes(app)) {
        at(
          ["items", title],
          `keeps the S3 keys of app ${app}, whose RGW user is not adopted: add ${formatPath([KEY, "users", app])} with the uid and access key this item holds (the stack would otherwise make a new user whose keys the item never gets)`,
        );
      }
    }
  }

  const objects = context.kubernetesObjects;
  const seen = new Map<string, number>();
  adopt.kubernetes.forEach((object, position) => {
    const index = parsed.objectIndexes[position];
    const first = seen.get(object.ref);
    if (first !== undefined) {
      at(["kubernetes", index], `${show(object.ref)} is listed twice (also kubernetes[${first}])`);
      return;
    }
    seen.set(object.ref, index);
    if (object.name === FLUX_OWN_NAME) {
      at(
        ["kubernetes", index],
        `${show(object.ref)} is Flux's own object and can never be adopted: Flux applies it from Git and reverts every change on each reconcile (a permanent fight), and deleting it would remove Flux's own source. Objects other Flux Kustomizations apply (labelled kustomize.toolkit.fluxcd.io/name) are refused by the planner for the same reason: hand one over only after kustomize.toolkit.fluxcd.io/prune: disabled and its removal from Git`,
      );
      return;
    }
    const kinds = Object.keys(KUBERNETES_TYPES);
    if (!kinds.includes(object.kind)) {
      at(["kubernetes", index], `unknown kind ${show(object.kind)}: the stack emits ${kinds.join(", ")}${didYouMean(object.kind, kinds)}`);
      return;
    }
    if (objects !== undefined && !objects.includes(object.ref)) {
      at(["kubernetes", index], `the stack emits no ${show(object.ref)} (it emits ${objects.join(", ")})${didYouMean(object.ref, objects)}`);
    }
  });
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Per-resource facts.

/** One resource the stack declares for something that already exists. */
export interface AdoptionFact {
  /** What it is, as the stack keys it: bucket key, app, credential title, or the object's Kind/namespace/name. */
  key: string;
  /** The Pulumi type the stack declares it with. */
  type: string;
  /**
   * The `import` ID (bridged resources). Absent for the dynamic ones (RgwUser, BucketLifecycle), which
   * take over in their create (the engine cannot import them: pulumi/pulumi#16175), and for a bucket policy
   * the stack creates (policy: false).
   */
  importId?: string;
  /** Input properties whose live value is kept (ignoreChanges), while no rotation is asked for. */
  kept: string[];
}

export const ADOPTED_TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  bucketVersioning: "aws:s3/bucketVersioning:BucketVersioning",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  bucketLifecycle: "pulumi-nodejs:dynamic/s3:BucketLifecycle",
  rgwUser: "pulumi-nodejs:dynamic/rgw:RgwUser",
  item: "onepassword:index/item:Item",
} as const;

/** Every resource an adopt block makes the stack take over rather than create. Pure. */
export function adoptionFacts(adopt: AdoptConfig): AdoptionFact[] {
  return [
    ...Object.entries(adopt.buckets).flatMap(([key, bucket]) => [
      { key, type: ADOPTED_TYPES.bucket, importId: bucket.name, kept: [] },
      { key, type: ADOPTED_TYPES.bucketVersioning, importId: bucket.name, kept: [] },
      { key, type: ADOPTED_TYPES.bucketPolicy, ...(bucket.policy ? { importId: bucket.name } : {}), kept: [] },
      { key, type: ADOPTED_TYPES.bucketLifecycle, kept: [] },
    ]),
    ...Object.keys(adopt.users).map((app) => ({ key: app, type: ADOPTED_TYPES.rgwUser, kept: [] })),
    ...Object.entries(adopt.items).map(([title, item]) => ({ key: title, type: ADOPTED_TYPES.item, importId: item.id, kept: [...item.keep] })),
    ...adopt.kubernetes.map((object) => ({ key: object.ref, type: KUBERNETES_TYPES[object.kind], importId: object.importId, kept: [] })),
  ];
}
