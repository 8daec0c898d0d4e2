// Validates Kubernetes objects against the published schemas copied into tests/schemas/ (see PROVENANCE.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { ValidateFunction } from "ajv";
import { parse } from "yaml";

const schemasDir = join(__dirname, "..", "schemas");

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
    schema = version.schema.openAPIV3Schema;
  }
  const validate = ajv.compile(schema);
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
