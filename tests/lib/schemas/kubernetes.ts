// Validates Kubernetes objects against the published schemas copied into tests/schemas/ (see PROVENANCE.md),
// strictly: a field the schema does not know is an error, as with `kubectl apply --validate=strict`. A real
// API server prunes unknown fields of a custom resource silently, so a misspelt optional field (`postbuild`)
// would vanish without a word; here it fails the test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import { parse } from "yaml";

const schemasDir = join(__dirname, "..", "..", "schemas");

interface CustomResourceDefinition {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: object } }[] };
}

/** apiVersion/kind to schema file. */
const SCHEMA_FILES: Record<string, string> = {
  "source.toolkit.fluxcd.io/v1/GitRepository": "flux/source.toolkit.fluxcd.io_gitrepositories.yaml",
  "kustomize.toolkit.fluxcd.io/v1/Kustomization": "flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml",
  "external-secrets.io/v1/ExternalSecret": "external-secrets/external-secrets.io_externalsecrets.yaml",
  "external-secrets.io/v1/ClusterSecretStore": "external-secrets/external-secrets.io_clustersecretstores.yaml",
  "v1/Secret": "kubernetes/secret-v1.json",
  "v1/Namespace": "kubernetes/namespace-v1.json",
  "v1/ConfigMap": "kubernetes/configmap-v1.json",
};

// OpenAPI keywords (nullable, x-kubernetes-*) are not JSON Schema: strict off lets Ajv skip them.
// Formats such as int32 are Kubernetes' own; CEL rules are not evaluated here.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

type Schema = Record<string, unknown>;
const isSchema = (value: unknown): value is Schema => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A copy of an OpenAPI schema in which every object with declared `properties` refuses other properties,
 * unless it says otherwise (`additionalProperties`, `x-kubernetes-preserve-unknown-fields`). Objects
 * without declared properties (free-form maps) stay open.
 */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (!isSchema(schema)) return schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isSchema(value)) copy[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strictSchema(sub)]));
    else if (key === "items" || key === "additionalProperties" || key === "not") copy[key] = strictSchema(value);
    else if (key === "allOf" || key === "anyOf" || key === "oneOf") copy[key] = strictSchema(value);
    else copy[key] = value;
  }
  const open = "additionalProperties" in schema || schema["x-kubernetes-preserve-unknown-fields"] === true;
  // allOf/anyOf/oneOf may spread an object's properties over branches: leave such objects as they are.
  const combined = "allOf" in schema || "anyOf" in schema || "oneOf" in schema;
  if (isSchema(schema.properties) && !open && !combined) copy.additionalProperties = false;
  return copy;
}

/**
 * CRDs declare `metadata` as a bare object (the API server validates it as ObjectMeta itself): use the
 * ObjectMeta schema of the Kubernetes JSON schemas, so a misspelt metadata field fails here too.
 */
function withObjectMeta(crdSchema: Schema): Schema {
  const configMap = JSON.parse(readFileSync(join(schemasDir, SCHEMA_FILES["v1/ConfigMap"]), "utf8")) as { properties: { metadata: Schema } };
  const properties = isSchema(crdSchema.properties) ? crdSchema.properties : {};
  return { ...crdSchema, properties: { ...properties, metadata: configMap.properties.metadata } };
}

function schemaFor(apiVersion: string, kind: string): ValidateFunction {
  const id = `${apiVersion}/${kind}`;
  const cached = compiled.get(id);
  if (cached) return cached;
  const file = SCHEMA_FILES[id];
  if (!file) throw new Error(`no schema for ${id}: add it to tests/schemas/ and SCHEMA_FILES`);
  const text = readFileSync(join(schemasDir, file), "utf8");
  let schema: object;
  if (file.endsWith(".json")) schema = JSON.parse(text) as object;
  else {
    const crd = parse(text) as CustomResourceDefinition;
    const version = crd.spec.versions.find((v) => `${crd.spec.group}/${v.name}` === apiVersion);
    if (!version) throw new Error(`${file} has no version ${apiVersion}`);
    schema = withObjectMeta(version.schema.openAPIV3Schema as Schema);
  }
  const validate = ajv.compile(strictSchema(schema) as object);
  compiled.set(id, validate);
  return validate;
}

export const knownKinds = (): string[] => Object.keys(SCHEMA_FILES);

/** Problems with an object, as "path: message"; empty when it is valid. */
export function schemaProblems(object: { apiVersion?: unknown; kind?: unknown }): string[] {
  const validate = schemaFor(String(object.apiVersion), String(object.kind));
  if (validate(object)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? "invalid"} ${JSON.stringify(e.params)}`);
}
