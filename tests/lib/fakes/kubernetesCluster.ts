// The dev stack's cluster as the API server would return it once Flux has reconciled: the stack's own Flux
// objects and ConfigMap (from the builders, with server-side defaults and the controllers' recorded status),
// ExternalSecrets and a namespace listing. Every custom object is validated against its CRD schema
// (tests/schemas), so the Ready conditions have the controllers' shapes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadJarLock } from "../../../components/sparkIcebergImage/jarLock";
import { stackFilePlatformConfig } from "../../../config/stackFiles";
import { type KubeObject, type ObservedKubernetes, expectedKubernetes } from "../../../verify/kubernetes";
import { type StackOutputs, parseStackOutputs } from "../../../verify/outputs";
import { schemaProblems } from "../schemas/kubernetes";

export const root = join(__dirname, "..", "..", "..");
export type Status = NonNullable<KubeObject["status"]> & Record<string, unknown>;
export const recorded = JSON.parse(readFileSync(join(root, "tests", "verify", "fixtures", "kubernetes-status.json"), "utf8")) as Record<string, Status> & {
  namespaceObjects: KubeObject[];
};

export const config = stackFilePlatformConfig(root, "dev");
const inventory = JSON.parse(readFileSync(join(root, "tests", "golden", "dev", "inventory.json"), "utf8")) as { outputs: unknown };
const parsedOutputs = parseStackOutputs(inventory.outputs);
if (!parsedOutputs.ok) throw new Error(parsedOutputs.error);
export const outputs: StackOutputs = parsedOutputs.outputs;
export const expected = expectedKubernetes(config, outputs, loadJarLock(root));

function validated<T extends KubeObject>(object: T): T {
  const problems = schemaProblems(object);
  if (problems.length > 0) throw new Error(`${object.kind} ${object.metadata?.name} does not match its CRD schema: ${problems.join("; ")}`);
  return object;
}

/** An object as the API server returns it: what the stack applied, server fields, defaults, status. */
export function served(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  status: Status,
  defaults: Record<string, unknown> = {},
): KubeObject {
  return validated({
    apiVersion,
    kind,
    metadata: {
      name,
      namespace,
      generation: status.observedGeneration ?? 1,
      resourceVersion: "48213",
      uid: "3c9e1d2a-4b5f-4e6a-9c8d-7e6f5a4b3c2d",
      labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "data-platform" },
    },
    spec: { ...spec, ...defaults },
    status,
  });
}

export function externalSecret(name: string, status: Status): KubeObject {
  return validated({
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: {
      name,
      namespace: expected.workloadNamespace,
      generation: 1,
      labels: { "kustomize.toolkit.fluxcd.io/name": "data-platform", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" },
    },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: "onepassword" },
      target: { name, creationPolicy: "Owner" },
      data: [{ secretKey: "password", remoteRef: { key: name, property: "password" } }],
    },
    status,
  });
}

export const gitRepository = (spec = expected.gitRepository.spec, status = recorded.gitRepositoryReady): KubeObject =>
  served("source.toolkit.fluxcd.io/v1", "GitRepository", expected.fluxNamespace, expected.gitRepository.name, spec, status, { timeout: "60s" });

export const kustomization = (name: string, status = recorded.kustomizationReady): KubeObject => {
  const k = expected.kustomizations.find((candidate) => candidate.name === name);
  if (!k) throw new Error(`no Kustomization ${name}`);
  return served("kustomize.toolkit.fluxcd.io/v1", "Kustomization", expected.fluxNamespace, name, k.spec, status, { force: false });
};

export const prerequisitesConfigMap = (data = expected.configMap.data): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: expected.configMap.name, namespace: expected.fluxNamespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
  data: { ...data },
});

/** The reconciled cluster, as ObservedKubernetes. */
export function reconciled(overrides: Partial<ObservedKubernetes> = {}): ObservedKubernetes {
  return {
    gitRepository: gitRepository(),
    kustomizations: Object.fromEntries(expected.kustomizations.map((k) => [k.name, kustomization(k.name)])),
    configMap: prerequisitesConfigMap(),
    externalSecrets: expected.externalSecrets.map((name) => externalSecret(name, { ...recorded.externalSecretReady, binding: { name } })),
    namespaceObjects: recorded.namespaceObjects,
    ...overrides,
  };
}
