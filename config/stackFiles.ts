// Reads Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program:
// project defaults first, stack values over them, objects and lists as JSON, secrets flagged.
// The one reader of stack files: the offline render, verify and the tests all go through it.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, type ConfigKeySpec, PROJECT } from "./keys";
import { type ConfigResult, foreignKeyWarnings, parsePlatformConfig } from "./parse";
import type { PlatformConfig } from "./schema";

export interface StackConfigInput {
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  /** Secret keys the stack file does not hold, filled with placeholders for an offline run. */
  placeholders: string[];
  /** Keys the program will ignore (another project's namespace), for the render to print. */
  warnings: string[];
}

const qualify = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

const isSecure = (v: unknown): v is { secure: string } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

/** Secure values cannot be decrypted offline: they become placeholders, and their key is marked secret. */
function replaceSecure(value: unknown, key: string, found: { secret: boolean }): unknown {
  if (isSecure(value)) {
    found.secret = true;
    return `[secret:${key}]`;
  }
  if (Array.isArray(value)) return value.map((v) => replaceSecure(v, key, found));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, key, found)]));
  }
  return value;
}

// An empty YAML value (`key:`) is null; the Pulumi CLI passes it to the program as "", not "null".
const asConfigString = (value: unknown): string => (typeof value === "string" ? value : value === null ? "" : JSON.stringify(value));

/** A YAML syntax error names the file it is in; the parser's own message only has line and column. */
function parseYamlFile(file: string): unknown {
  try {
    return parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function listStacks(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function readStackConfig(root: string, stack: string): StackConfigInput {
  const stackFile = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    throw new Error(`no stack file ${stackFile} (stacks here: ${listStacks(root).join(", ") || "none"})`);
  }
  const project = (parseYamlFile(join(root, "Pulumi.yaml")) ?? {}) as { config?: Record<string, unknown> };
  const stackDoc = (parseYamlFile(stackFile) ?? {}) as { config?: Record<string, unknown> };

  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (typeof declaration === "object" && declaration !== null && "default" in declaration) {
      config[qualify(key)] = asConfigString((declaration as { default: unknown }).default);
    }
  }
  for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
    const found = { secret: false };
    const plain = replaceSecure(value, qualify(key), found);
    config[qualify(key)] = asConfigString(plain);
    if (found.secret) secretKeys.add(qualify(key));
    else secretKeys.delete(qualify(key));
  }
  // Secrets are set per machine with `pulumi config set --secret`, so a checkout usually lacks them:
  // an offline run stands in placeholders and says so.
  const placeholders: string[] = [];
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKeySpec][]) {
    if (!spec.secret || qualify(key) in config) continue;
    config[qualify(key)] = `[secret:${qualify(key)}]`;
    secretKeys.add(qualify(key));
    placeholders.push(key);
  }
  const warnings = foreignKeyWarnings(Object.keys(stackDoc.config ?? {}).map(qualify)).map((w) => `${stackFile}: ${w}`);
  return { stack, config, secretKeys: [...secretKeys].sort(), placeholders, warnings };
}

/** The parsed config of a stack file. Secret keys count as present (their values are read elsewhere, if at all). */
export function configFromStackFile(input: StackConfigInput): ConfigResult {
  const raw: Record<string, string> = {};
  const present = new Set<string>();
  const specs = CONFIG_KEYS as Record<string, ConfigKeySpec>;
  for (const [qualified, value] of Object.entries(input.config)) {
    if (!qualified.startsWith(`${PROJECT}:`)) continue;
    const key = qualified.slice(PROJECT.length + 1);
    if (specs[key]?.secret) present.add(key);
    else raw[key] = value;
  }
  return parsePlatformConfig(raw, { present });
}

/** A stack file's parsed config, for tools and tests that need a valid one: throws with every problem otherwise. */
export function stackFilePlatformConfig(root: string, stack: string): PlatformConfig {
  const result = configFromStackFile(readStackConfig(root, stack));
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml does not parse:\n${result.errors.join("\n")}`);
  return result.config;
}
