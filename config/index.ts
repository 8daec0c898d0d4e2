// The config's public API: key declarations, the model's types and schema, parsing and loading.
export { redact } from "./messages";
export { CONFIG_KEYS, DEFAULT_APPS, PROJECT, configKeyPath, formatPath } from "./keys";
export type { ConfigKey, ConfigKeySpec, ConfigKeyType, SecretKeyState } from "./keys";
export { MAX_LIFECYCLE_DAYS } from "../providers/lifecycleRules";
export { defaultBuckets, defaultCredentials, defaultKustomizations, platformConfigSchema } from "./schema";
export type { BucketConfig, CredentialConfig, KustomizationConfig, PlatformConfig } from "./schema";
export { foreignKeyWarnings, parsePlatformConfig } from "./parse";
export type { ConfigResult, RawConfig } from "./parse";
export { loadStackConfig } from "./load";
export type { PlatformSecrets, StackConfig } from "./load";
export { ADOPTED_TYPES, FLUX_OWN_NAME, KEPT_FIELDS, KUBERNETES_TYPES, adoptionFacts, emittedKubernetesObjects } from "./adopt";
export type { AdoptConfig, AdoptedBucket, AdoptedItem, AdoptedObject, AdoptedUser, AdoptionFact, KeptField } from "./adopt";
