// Reads the stack's config from Pulumi and fails the program, before any resource exists, when it is invalid.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, ConfigKey, PROJECT, configKeyPath } from "./keys";
import { describeList } from "./lists";
import { type StackModel, foreignKeyWarnings, parsePlatformConfig } from "./parse";

/** Secret config, only ever held as Pulumi secrets. */
export interface PlatformSecrets {
  onepasswordToken: pulumi.Output<string>;
  rgwAdminAccessKey: pulumi.Output<string>;
  rgwAdminSecretKey: pulumi.Output<string>;
  imageRegistryPassword?: pulumi.Output<string>;
  fluxGitToken?: pulumi.Output<string>;
}

export interface StackConfig {
  config: StackModel;
  secrets: PlatformSecrets;
}

/** The keys Pulumi marks secret (`secure:` in the stack file); the language host passes them in this variable. */
function configSecretKeys(): ReadonlySet<string> | undefined {
  const listed = process.env.PULUMI_CONFIG_SECRET_KEYS;
  if (listed === undefined) return undefined;
  const parsed: unknown = JSON.parse(listed);
  return Array.isArray(parsed) ? new Set(parsed.map(String)) : undefined;
}

export function loadStackConfig(): StackConfig {
  const secretKeys = configSecretKeys();
  const prefix = `${PROJECT}:`;
  const allKeys = Object.keys(pulumi.runtime.allConfig());
  // Pulumi passes keys of every namespace; one meant for this project but misspelt would do nothing.
  for (const warning of foreignKeyWarnings(allKeys)) void pulumi.log.warn(warning);
  const setKeys = allKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  const isSecret = (key: string) => (CONFIG_KEYS as Record<string, { secret?: boolean }>)[key]?.secret === true;

  const bag = new pulumi.Config(PROJECT);
  const raw: Record<string, string | undefined> = {};
  for (const key of setKeys) if (!isSecret(key)) raw[key] = bag.get(key);

  const present = new Set(setKeys.filter(isSecret));
  const plaintext = new Set([...present].filter((key) => secretKeys !== undefined && !secretKeys.has(configKeyPath(key))));
  const result = parsePlatformConfig(raw, { present, plaintext });
  if (!result.ok) {
    // RunError prints the message without a stack trace: the list is what the user needs.
    throw new pulumi.RunError(
      `invalid configuration for stack ${pulumi.getStack()} (${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}):\n` +
        result.errors.map((e) => `  - ${e}`).join("\n"),
    );
  }
  // What the lists hold once merged with the defaults, and where each entry came from: preview and up
  // print it, so a stack file that adds one entry shows the whole list it gets.
  for (const list of ["buckets", "credentials", "fluxKustomizations"] as const) {
    void pulumi.log.info(describeList(list, result.config.lists[list], result.config.removed[list]));
  }
  const optional = (key: ConfigKey) => (present.has(key) ? bag.requireSecret(key) : undefined);
  return {
    config: result.config,
    secrets: {
      onepasswordToken: bag.requireSecret("onepasswordToken"),
      rgwAdminAccessKey: bag.requireSecret("rgwAdminAccessKey"),
      rgwAdminSecretKey: bag.requireSecret("rgwAdminSecretKey"),
      imageRegistryPassword: optional("imageRegistryPassword"),
      fluxGitToken: optional("fluxGitToken"),
    },
  };
}
