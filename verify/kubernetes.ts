// Kubernetes (kubeconfig context from the stack's kubeContext): Flux's GitRepository and Kustomizations
// are Ready and match the stack's manifests, the prerequisites ConfigMap holds the values the stack
// wrote, the ExternalSecrets in the workload namespace are Ready, and every object there belongs to Flux.
import type { PlatformConfig } from "../config";
import { type JarLock, defaultImageTag } from "../components/sparkIcebergImage/jarLock";
import { fluxHandoffSettings, prerequisiteValues } from "../platform/prerequisites";
import { GIT_REPOSITORY_NAME, PREREQUISITES_CONFIGMAP, gitRepositoryManifest, kustomizationManifest, prerequisitesData } from "../components/flux/manifests";
import { type CheckResult, compared, errorText, failure, notChecked, pass } from "./checks";
import { type Bounded, Deadlines } from "./deadline";
import { differences } from "./diff";
import type { StackOutputs } from "./outputs";

/** A Kubernetes object as the API returns it (only the parts verify reads). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; labels?: Record<string, string>; ownerReferences?: unknown[] };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  type?: string;
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

export interface ExpectedKubernetes {
  context?: string;
  fluxNamespace: string;
  workloadNamespace: string;
  gitRepository: { name: string; spec: Record<string, unknown> };
  kustomizations: { name: string; spec: Record<string, unknown> }[];
  configMap: { name: string; data: Record<string, string> };
  externalSecrets: string[];
}

/** The specs the stack applies to its GitRepository and Kustomizations: from config alone (verify, adopt plan). */
export function expectedFluxSpecs(flux: PlatformConfig["flux"]): Pick<ExpectedKubernetes, "gitRepository" | "kustomizations"> {
  const settings = fluxHandoffSettings(flux);
  const git = gitRepositoryManifest({ namespace: settings.namespace, ...settings.git });
  return {
    gitRepository: { name: GIT_REPOSITORY_NAME, spec: (git.spec ?? {}) as Record<string, unknown> },
    kustomizations: settings.kustomizations.map((k) => ({
      name: k.name,
      spec: (kustomizationManifest(k, settings.namespace).spec ?? {}) as Record<string, unknown>,
    })),
  };
}

export function expectedKubernetes(config: PlatformConfig, outputs: StackOutputs, lock: JarLock): ExpectedKubernetes {
  const flux = config.flux;
  return {
    ...(config.kubernetes.context !== undefined && { context: config.kubernetes.context }),
    fluxNamespace: flux.namespace,
    workloadNamespace: config.kubernetes.dataPlatformNamespace,
    ...expectedFluxSpecs(flux),
    configMap: {
      name: PREREQUISITES_CONFIGMAP,
      // The names and image the stack exported are what it wrote into the ConfigMap.
      // Unpushed, the image is published as the registry/repository:tag the stack built it as.
      data: prerequisitesData(
        prerequisiteValues(config, {
          imageRef: outputs.sparkIcebergImage ?? "",
          imageName: `${config.image.registry}/${config.image.repository}:${config.image.tag ?? defaultImageTag(lock)}`,
          buckets: outputs.buckets,
        }),
      ),
    },
    externalSecrets: config.credentials.map((c) => c.title),
  };
}

/** Ready=True, and for the generation the object has now (not a stale Ready of an older spec). */
export function readiness(object: KubeObject): { ready: boolean; text: string } {
  const ready = object.status?.conditions?.find((c) => c.type === "Ready");
  if (!ready) return { ready: false, text: "no Ready condition yet" };
  const generation = object.metadata?.generation;
  const observed = object.status?.observedGeneration;
  if (ready.status === "True" && generation !== undefined && observed !== undefined && observed < generation) {
    return { ready: false, text: `Ready=True is for generation ${observed}, the object is at ${generation} (not reconciled yet)` };
  }
  const why = [ready.reason, ready.message].filter(Boolean).join(": ");
  return { ready: ready.status === "True", text: `Ready=${ready.status}${why ? ` (${why})` : ""}` };
}

/** The fields the stack sets, picked from what the cluster holds (controllers add defaults). */
export function specDifferences(expected: Record<string, unknown>, found: Record<string, unknown> | undefined): string[] {
  const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, found?.[k]]));
  return differences(expected, picked, "spec");
}

function fluxObjectChecks(subject: string, expectedSpec: Record<string, unknown>, object: KubeObject | undefined): CheckResult[] {
  const base = (check: string) => ({ system: "kubernetes" as const, subject, check });
  if (!object) return [failure(base("exists"), "the object", "not found")];
  const ready = readiness(object);
  return [
    ready.ready ? pass(base("Ready"), ready.text) : failure(base("Ready"), "Ready=True", ready.text),
    compared(base("spec"), "as the stack applies it", specDifferences(expectedSpec, object.spec)),
  ];
}

export const FLUX_OWNER_LABELS = ["kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace"] as const;
const HELM_OWNER_LABELS = ["helm.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/namespace"] as const;

/**
 * Objects in the workload namespace that no Flux Kustomization (or Flux HelmRelease) owns. Objects with
 * an ownerReference belong to their owner (ReplicaSets, Pods, the Secrets ExternalSecrets create), and
 * Kubernetes' own per-namespace objects are not anyone's to own.
 */
export function unownedObjects(objects: readonly KubeObject[]): string[] {
  const builtIn = (o: KubeObject) =>
    (o.kind === "ConfigMap" && o.metadata?.name === "kube-root-ca.crt") ||
    (o.kind === "ServiceAccount" && o.metadata?.name === "default") ||
    (o.kind === "Secret" && o.type === "kubernetes.io/service-account-token");
  const has = (o: KubeObject, labels: readonly string[]) => labels.every((l) => (o.metadata?.labels ?? {})[l] !== undefined);
  return objects
    .filter((o) => (o.metadata?.ownerReferences ?? []).length === 0 && !builtIn(o) && !has(o, FLUX_OWNER_LABELS) && !has(o, HELM_OWNER_LABELS))
    .map((o) => `${o.kind}/${o.metadata?.name}`)
    .sort();
}

export interface ObservedKubernetes {
  gitRepository?: KubeObject;
  kustomizations: Record<string, KubeObject | undefined>;
  configMap?: KubeObject;
  externalSecrets: KubeObject[];
  /** Every object of the listed kinds in the workload namespace. */
  namespaceObjects: KubeObject[];
}

export function kubernetesChecks(expected: ExpectedKubernetes, observed: ObservedKubernetes): CheckResult[] {
  const results: CheckResult[] = [];
  results.push(
    ...fluxObjectChecks(`GitRepository ${expected.fluxNamespace}/${expected.gitRepository.name}`, expected.gitRepository.spec, observed.gitRepository),
  );
  for (const k of expected.kustomizations)
    results.push(...fluxObjectChecks(`Kustomization ${expected.fluxNamespace}/${k.name}`, k.spec, observed.kustomizations[k.name]));

  const cm = { system: "kubernetes" as const, subject: `ConfigMap ${expected.fluxNamespace}/${expected.configMap.name}`, check: "data" };
  results.push(
    observed.configMap
      ? compared(cm, `${Object.keys(expected.configMap.data).length} variables`, differences(expected.configMap.data, observed.configMap.data ?? {}, "data"))
      : failure({ ...cm, check: "exists" }, "the ConfigMap", "not found"),
  );

  const byName = new Map(observed.externalSecrets.map((o) => [o.metadata?.name ?? "", o]));
  const names = [...new Set([...expected.externalSecrets, ...byName.keys()])].sort();
  for (const name of names) {
    const base = { system: "kubernetes" as const, subject: `ExternalSecret ${expected.workloadNamespace}/${name}`, check: "Ready" };
    const object = byName.get(name);
    if (!object) {
      results.push(failure({ ...base, check: "exists" }, "the ExternalSecret (its Secret is what the app mounts)", "not found"));
      continue;
    }
    const ready = readiness(object);
    results.push(ready.ready ? pass(base, ready.text) : failure(base, "Ready=True", ready.text));
  }

  const unowned = unownedObjects(observed.namespaceObjects);
  const base = { system: "kubernetes" as const, subject: `namespace ${expected.workloadNamespace}`, check: "Flux ownership labels" };
  results.push(
    unowned.length === 0
      ? pass(base, `${observed.namespaceObjects.length} objects checked`)
      : failure(base, `${FLUX_OWNER_LABELS.join(" and ")} on every object`, `${unowned.length} without: ${unowned.join(", ")}`),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// I/O

/** The kinds listed in the workload namespace for the ownership check (documented in docs/verify.md). */
export const NAMESPACE_KINDS: readonly [string, string][] = [
  ["v1", "ConfigMap"],
  ["v1", "Secret"],
  ["v1", "Service"],
  ["v1", "ServiceAccount"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "Pod"],
  ["apps/v1", "Deployment"],
  ["apps/v1", "StatefulSet"],
  ["apps/v1", "DaemonSet"],
  ["batch/v1", "Job"],
  ["batch/v1", "CronJob"],
  ["networking.k8s.io/v1", "Ingress"],
  ["networking.k8s.io/v1", "NetworkPolicy"],
  ["rbac.authorization.k8s.io/v1", "Role"],
  ["rbac.authorization.k8s.io/v1", "RoleBinding"],
  ["policy/v1", "PodDisruptionBudget"],
  ["external-secrets.io/v1", "ExternalSecret"],
];

/** How verify names the API server when it does not answer. */
export const apiServerSystem = (server: string, context: string | undefined): string =>
  `the Kubernetes API server at ${server} (context ${context ?? "(current)"})`;
export const KUBE_CONTEXT_HINT = "check config kubeContext and KUBECONFIG";

/**
 * Reads what kubernetesChecks compares, with the given kubeconfig context (undefined: current context).
 * Every request (discovery included) carries the deadline's signal, set by a middleware: calls run one
 * at a time, so the signal of the call in flight is the one to use.
 */
export async function observeKubernetes(expected: ExpectedKubernetes, deadlines: Deadlines = new Deadlines()): Promise<ObservedKubernetes> {
  const k8s = await import("@kubernetes/client-node");
  const kubeconfig = new k8s.KubeConfig();
  kubeconfig.loadFromDefault();
  if (expected.context !== undefined) {
    if (!kubeconfig.getContextObject(expected.context))
      throw new Error(`kubeconfig has no context ${expected.context} (config kubeContext; KUBECONFIG=${process.env.KUBECONFIG ?? "~/.kube/config"})`);
    kubeconfig.setCurrentContext(expected.context);
  }
  const cluster = kubeconfig.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig context ${expected.context ?? "(current)"} has no cluster (${KUBE_CONTEXT_HINT})`);
  let inFlight: AbortSignal | undefined;
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeconfig },
    promiseMiddleware: [
      {
        pre: async (context) => {
          if (inFlight) context.setSignal(inFlight);
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  const api = new k8s.KubernetesObjectApi(configuration);
  const bounded: Bounded = deadlines.for(apiServerSystem(cluster.server, expected.context), KUBE_CONTEXT_HINT);
  const call = <T>(what: string, run: () => Promise<T>): Promise<T> =>
    bounded(what, async (signal) => {
      inFlight = signal;
      try {
        return await run();
      } finally {
        inFlight = undefined;
      }
    });
  const read = async (apiVersion: string, kind: string, namespace: string, name: string): Promise<KubeObject | undefined> => {
    try {
      return (await call(`GET ${kind} ${namespace}/${name}`, () => api.read({ apiVersion, kind, metadata: { name, namespace } }))) as KubeObject;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
  const list = async (apiVersion: string, kind: string, namespace: string): Promise<KubeObject[]> => {
    try {
      return ((await call(`LIST ${kind} in ${namespace}`, () => api.list(apiVersion, kind, namespace))).items as KubeObject[]).map((o) => ({
        ...o,
        apiVersion,
        kind,
      }));
    } catch (error) {
      // A kind the cluster does not serve (no External Secrets CRD yet): nothing of it to check.
      if ((error as { code?: number }).code === 404 || /Unrecognized API version and kind/.test(errorText(error))) return [];
      throw error;
    }
  };
  const kustomizations: Record<string, KubeObject | undefined> = {};
  for (const k of expected.kustomizations)
    kustomizations[k.name] = await read("kustomize.toolkit.fluxcd.io/v1", "Kustomization", expected.fluxNamespace, k.name);
  const namespaceObjects: KubeObject[] = [];
  for (const [apiVersion, kind] of NAMESPACE_KINDS) namespaceObjects.push(...(await list(apiVersion, kind, expected.workloadNamespace)));
  return {
    gitRepository: await read("source.toolkit.fluxcd.io/v1", "GitRepository", expected.fluxNamespace, expected.gitRepository.name),
    kustomizations,
    configMap: await read("v1", "ConfigMap", expected.fluxNamespace, expected.configMap.name),
    externalSecrets: namespaceObjects.filter((o) => o.kind === "ExternalSecret"),
    namespaceObjects,
  };
}

export async function verifyKubernetes(
  expected: ExpectedKubernetes,
  observe: (expected: ExpectedKubernetes, deadlines: Deadlines) => Promise<ObservedKubernetes> = observeKubernetes,
  deadlines: Deadlines = new Deadlines(),
): Promise<CheckResult[]> {
  try {
    return kubernetesChecks(expected, await observe(expected, deadlines));
  } catch (error) {
    return [notChecked({ system: "kubernetes", subject: `context ${expected.context ?? "(current)"}`, check: "read" }, errorText(error))];
  }
}
