// Validate raw config as Pulumi hands it to the program (flat strings) and build the typed model, or
// return every problem, each with its key path. Pure: `load.ts` does the reading from Pulumi.
import { z } from "zod";
import { crossChecks } from "./crossChecks";
import { CONFIG_KEYS, ConfigKey, ConfigKeySpec, configKeyPath, formatPath } from "./keys";
import {
  PlatformConfig,
  ScalarConfig,
  bucketSchema,
  credentialSchema,
  defaultBuckets,
  defaultCredentials,
  defaultKustomizations,
  kustomizationSchema,
  scalarSchema,
  show,
  toModel,
} from "./schema";

/** Raw values as Pulumi passes them: strings, with JSON for lists, objects, booleans and numbers. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export type ConfigResult = { ok: true; config: PlatformConfig } | { ok: false, errors: string[] };

export interface SecretKeyState {
  /** Secret keys that have a value. */
  present: ReadonlySet<string>;
  /** Keys that have a value but were not set with `--secret`. */
  plaintext?: ReadonlySet<string>;
}

/** Turn raw strings into typed JSON values per the key's declared type; collect what does not parse. */
function decodeRaw(raw: RawConfig, errors: string[]): Record<string, unknown> {
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
      errors.push(`${configKeyPath(key)}: must be ${expected}, got ${show(text)}`);
    }
  }
  const known = new Set(Object.keys(CONFIG_KEYS));
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) errors.push(`${configKeyPath(key)}: unknown key (known keys are listed in README's config reference)`);
  }
  return decoded;
}

/** Validate raw Pulumi config and build the typed model; every problem is returned, none thrown. */
export function parsePlatformConfig(raw: RawConfig, secrets: SecretKeyState): ConfigResult {
  const errors: string[] = [];
  const decoded = decodeRaw(raw, errors);

  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [ConfigKey, ConfigKeySpec][]) {
    if (!spec.secret) continue;
    if (secrets.plaintext?.has(key)) errors.push(`${configKeyPath(key)}: must be set as a secret: pulumi config set --secret ${key} ...`);
    else if (!spec.optionalSecret && !secrets.present.has(key)) errors.push(`${configKeyPath(key)}: is required: pulumi config set --secret ${key} ...`);
  }

  // Each key (and each list entry) is parsed on its own so that one mistake does not hide the others.
  const failed = new Set<string>();
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(scalarSchema.shape)) {
    const result = schema.safeParse(decoded[key]);
    if (result.success) values[key] = result.data;
    else {
      failed.add(key);
      for (const issue of result.error.issues) errors.push(`${formatPath([key, ...issue.path])}: ${issue.message}`);
    }
  }
  const c = values as ScalarConfig;
  const environment = failed.has("environment") ? "env" : c.environment;
  const namespace = failed.has("dataPlatformNamespace") ? "data-platform" : c.dataPlatformNamespace;
  // Entries stay at their index (undefined where invalid) so later messages name the right one.
  const entries = <S extends z.ZodType>(key: string, schema: S, given: unknown[] | undefined, fallback: unknown[]): (z.output<S> | undefined)[] => {
    const parsed: (z.output<S> | undefined)[] = [];
    (given ?? fallback).forEach((item, index) => {
      const result = schema.safeParse(item);
      if (result.success) parsed.push(result.data);
      else {
        parsed.push(undefined);
        failed.add(key);
        const origin = given === undefined ? " (from the default)" : "";
        for (const issue of result.error.issues) errors.push(`${formatPath([key, index, ...issue.path])}: ${issue.message}${origin}`);
      }
    });
    return parsed;
  };
  const given = (key: "buckets" | "credentials" | "fluxKustomizations") => (failed.has(key) ? [] : c[key]);
  const buckets = entries("buckets", bucketSchema, given("buckets"), defaultBuckets(environment));
  const credentials = entries("credentials", credentialSchema, given("credentials"), defaultCredentials(namespace));
  const fluxKustomizations = entries("fluxKustomizations", kustomizationSchema, given("fluxKustomizations"), defaultKustomizations(namespace));

  errors.push(...crossChecks(c, buckets, credentials, fluxKustomizations, secrets, failed));
  if (errors.length > 0) return { ok: false, errors: unique(errors) };
  const defined = <T>(items: (T | undefined)[]): T[] => items.filter((item): item is T => item !== undefined);

  return { ok: true, config: toModel({ ...c, buckets: defined(buckets), credentials: defined(credentials), fluxKustomizations: defined(fluxKustomizations) }) };
}

const unique = (items: string[]): string[] => [...new Set(items)];
