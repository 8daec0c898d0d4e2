// Validate raw config as Pulumi hands it to the program (flat strings) and build the typed model, or
// return every problem, each with its key path. Pure: `load.ts` does the reading from Pulumi.
import { z } from "zod";
import { adoptCrossChecks, emittedKubernetesObjects, parseAdopt } from "./adopt";
import { crossChecks } from "./crossChecks";
import { APP_KEYED_MAPS, CONFIG_KEYS, ConfigKey, ConfigKeySpec, PROJECT, type SecretKeyState, configKeyPath, formatPath } from "./keys";
import { type Entry, type EntrySource, LIST_ID, type ListKey, type MergedList, defaultHint, mergeList } from "./lists";
import { didYouMean, show, suggest } from "./messages";
import {
  PlatformConfig,
  ScalarConfig,
  bucketSchema,
  bucketShape,
  credentialSchema,
  credentialShape,
  defaultBuckets,
  defaultCredentials,
  defaultKustomizations,
  kustomizationSchema,
  kustomizationShape,
  scalarSchema,
  toModel,
} from "./schema";

/** Raw values as Pulumi passes them: strings, with JSON for lists, objects, booleans and numbers. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** The validated model, with where each list entry came from and what the stack file removed. */
export type StackModel = PlatformConfig & {
  lists: Record<ListKey, { id: string; source: EntrySource }[]>;
  /** What the stack file lets go on purpose: list entries with `remove: true`, and s3AppsRemoved. */
  removed: Record<ListKey | "s3Apps", string[]>;
};

export type ConfigResult = { ok: true; config: StackModel } | { ok: false; errors: string[] };

/** Turn raw strings into typed JSON values per the key's declared type. A key that does not decode is
 * reported here, once, and marked failed so that its schema does not report it again. */
function decodeRaw(raw: RawConfig, errors: string[], failed: Set<string>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (spec.secret) continue;
    const text = raw[key];
    if (text === undefined) {
      decoded[key] = spec.default;
      continue;
    }
    if (spec.type === "string") {
      decoded[key] = text;
      continue;
    }
    try {
      decoded[key] = JSON.parse(text);
    } catch {
      const expected = { integer: "a number", boolean: "true or false", "string[]": "a list", "object[]": "a list", object: "an object" }[spec.type];
      const hint = spec.type === "string[]" && text.includes(",") ? " (write a YAML list: [a, b])" : "";
      errors.push(`${configKeyPath(key)}: must be ${expected}, got ${text === "" ? "an empty value" : show(text)}${hint}`);
      failed.add(key);
    }
  }
  const known = Object.keys(CONFIG_KEYS);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      const suggestion = didYouMean(key, known);
      errors.push(`${configKeyPath(key)}: unknown key${suggestion === "" ? " (known keys are listed in docs/configuration.md)" : suggestion}`);
    }
  }
  return decoded;
}

/**
 * Keys under another namespace that look meant for this project (`dataplatform:fluxGitBranch`): Pulumi
 * passes them on, and the program would silently ignore them. Provider keys (`aws:region`) are left
 * alone: only a namespace close to the project name, or a key this project declares, is flagged.
 */
export function foreignKeyWarnings(qualifiedKeys: readonly string[]): string[] {
  const known = Object.keys(CONFIG_KEYS);
  return qualifiedKeys.flatMap((qualified) => {
    const colon = qualified.indexOf(":");
    if (colon < 0) return [];
    const namespace = qualified.slice(0, colon);
    const key = qualified.slice(colon + 1).split(".")[0];
    if (namespace === PROJECT) return [];
    const nearProject = suggest(namespace, [PROJECT]) !== undefined;
    if (!nearProject && !known.includes(key)) return [];
    const meant = known.includes(key) ? key : suggest(key, known);
    const instead = meant === undefined ? `this project reads only ${PROJECT}:<key>` : `did you mean ${configKeyPath(meant)}?`;
    return [`${qualified} is ignored: it is not in this project's namespace ${PROJECT} (${instead})`];
  });
}

function validFields<T>(shape: Record<string, z.ZodType>, item: unknown): Partial<T> {
  if (typeof item !== "object" || item === null || Array.isArray(item)) return {};
  const fields: Record<string, unknown> = {};
  for (const [field, schema] of Object.entries(shape)) {
    const result = schema.safeParse((item as Record<string, unknown>)[field]);
    if (result.success && result.data !== undefined) fields[field] = result.data;
  }
  return fields as Partial<T>;
}

/** Validate raw Pulumi config and build the typed model; every problem is returned, none thrown. */
export function parsePlatformConfig(raw: RawConfig, secrets: SecretKeyState): ConfigResult {
  const errors: string[] = [];
  // Keys whose value is invalid: reported once, and not used to judge references into them.
  const failed = new Set<string>();
  const decoded = decodeRaw(raw, errors, failed);

  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (!spec.secret) continue;
    if (secrets.plaintext?.has(key)) errors.push(`${configKeyPath(key)}: must be set as a secret: pulumi config set --secret ${key} ...`);
    else if (!spec.optionalSecret && !secrets.present.has(key)) errors.push(`${configKeyPath(key)}: is required: pulumi config set --secret ${key} ...`);
  }

  // Each key (and each list entry) is parsed on its own so that one mistake does not hide the others.
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(scalarSchema.shape)) {
    if (failed.has(key)) continue;
    const result = schema.safeParse(decoded[key]);
    if (result.success) values[key] = result.data;
    else {
      failed.add(key);
      for (const issue of result.error.issues) errors.push(`${formatPath([key, ...issue.path])}: ${issue.message}`);
    }
  }
  const c = values as Partial<ScalarConfig>;
  // The keys as written: zod's record drops `__proto__` (it becomes the prototype), so they are read here.
  const appKeys: Record<string, string[]> = {};
  for (const key of APP_KEYED_MAPS) {
    const value = decoded[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value)) appKeys[key] = Object.keys(value);
  }
  const environment = c.environment ?? "env";
  const namespace = c.dataPlatformNamespace ?? "data-platform";
  // Stack entries merge with the defaults by key; each keeps its place in the stack file (or names its
  // default) and which fields came from the default, so that messages point where the value was written.
  const entries = <S extends z.ZodType>(key: ListKey, schema: S, shape: Record<string, z.ZodType>, merged: MergedList): Entry<z.output<S>>[] =>
    merged.items.map(({ ref, raw, source, defaultFields, defaultId }) => {
      const entry = { index: ref, source, defaultFields, defaultId };
      const result = schema.safeParse(raw);
      if (result.success) return { ...entry, value: result.data, valid: true };
      failed.add(key);
      for (const issue of result.error.issues)
        errors.push(`${formatPath([key, ref, ...issue.path])}: ${issue.message}${defaultHint(key, entry, issue.path[0])}`);
      return { ...entry, value: validFields<z.output<S>>(shape, raw), valid: false };
    });
  const given = (key: ListKey) => (failed.has(key) ? undefined : c[key]);
  const mergedBuckets = mergeList("buckets", given("buckets"), defaultBuckets(environment), errors);
  const buckets = entries("buckets", bucketSchema, bucketShape, mergedBuckets);
  // An app's default item names a bucket the app can read (the first it is granted), not always the warehouse.
  const grantedBuckets = (app: string) =>
    buckets.flatMap(({ value: b }) => (b.key !== undefined && [...(b.readWrite ?? []), ...(b.read ?? [])].includes(app) ? [b.key] : []));
  const mergedCredentials = mergeList("credentials", given("credentials"), defaultCredentials(namespace, c.s3Apps, grantedBuckets), errors);
  const credentials = entries("credentials", credentialSchema, credentialShape, mergedCredentials);
  const mergedKustomizations = mergeList("fluxKustomizations", given("fluxKustomizations"), defaultKustomizations(namespace), errors);
  const fluxKustomizations = entries("fluxKustomizations", kustomizationSchema, kustomizationShape, mergedKustomizations);
  const removed = {
    buckets: mergedBuckets.removed,
    credentials: mergedCredentials.removed,
    fluxKustomizations: mergedKustomizations.removed,
    s3Apps: c.s3AppsRemoved ?? [],
  };

  errors.push(...crossChecks(c, appKeys, buckets, credentials, fluxKustomizations, secrets, failed));

  // What already exists, mapped to the entries above: judged only against what parsed.
  const adopt = parseAdopt(failed.has("adopt") ? undefined : decoded.adopt);
  errors.push(...adopt.errors);
  const listKnown = (key: string, list: readonly Entry<{ [field: string]: unknown }>[], field: string) =>
    !failed.has(key) || list.every(({ value }) => value[field] !== undefined);
  const named = <T>(list: readonly Entry<T>[], field: keyof T) =>
    list.flatMap((e) => (e.value[field] === undefined ? [] : [{ ...e.value, [field]: e.value[field], index: e.index }]));
  const namespaces = [c.externalSecretsNamespace, c.onepasswordTokenSecretName, c.fluxNamespace];
  errors.push(
    ...adoptCrossChecks(adopt, {
      environment: c.environment,
      apps: c.s3Apps,
      buckets: listKnown("buckets", buckets, "key") ? named(buckets, "key").map((b) => ({ key: String(b.key), name: b.name, index: b.index })) : undefined,
      credentials: listKnown("credentials", credentials, "title")
        ? named(credentials, "title").map((cr) => ({ title: String(cr.title), kind: cr.kind, app: cr.app, index: cr.index }))
        : undefined,
      kubernetesObjects:
        namespaces.every((n) => n !== undefined) && listKnown("fluxKustomizations", fluxKustomizations, "name")
          ? emittedKubernetesObjects({
              externalSecretsNamespace: c.externalSecretsNamespace as string,
              tokenSecretName: c.onepasswordTokenSecretName as string,
              fluxNamespace: c.fluxNamespace as string,
              kustomizations: named(fluxKustomizations, "name").map((k) => String(k.name)),
            })
          : undefined,
    }),
  );
  if (errors.length > 0) return { ok: false, errors: unique(errors) };
  // No errors: every key parsed and every entry is valid.
  const valid = <T>(list: Entry<T>[]): T[] => list.map((entry) => entry.value as T);
  const scalars = c as ScalarConfig;
  const sources = (list: ListKey, items: Entry<Record<string, unknown>>[]) => items.map((e) => ({ id: String(e.value[LIST_ID[list].id]), source: e.source }));
  const lists = {
    buckets: sources("buckets", buckets),
    credentials: sources("credentials", credentials),
    fluxKustomizations: sources("fluxKustomizations", fluxKustomizations),
  };
  return {
    ok: true,
    config: {
      ...toModel({ ...scalars, buckets: valid(buckets), credentials: valid(credentials), fluxKustomizations: valid(fluxKustomizations), adopt: adopt.adopt }),
      lists,
      removed,
    },
  };
}

const unique = (items: string[]): string[] => [...new Set(items)];
