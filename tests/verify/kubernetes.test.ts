// The Kubernetes checks on recorded API objects: the stack's own Flux objects and ConfigMap as the API
// server returns them (with server-side defaults and the controllers' status), ExternalSecrets and a
// namespace listing. Every object is validated against its CRD schema (tests/schemas) first, so the
// Ready conditions have the controllers' shapes. No cluster runs here.
import { type ObservedKubernetes, kubernetesChecks, readiness, unownedObjects, verifyKubernetes } from "../../verify/kubernetes";
import { formatCheck } from "../../verify/report";
import { expected, externalSecret, gitRepository, kustomization, outputs, recorded, reconciled } from "../lib/fakes/kubernetesCluster";

const cluster = (overrides: Partial<ObservedKubernetes> = {}) => reconciled(overrides);

describe("Kubernetes checks", () => {
  it("pass on a reconciled cluster: server defaults, controller-owned and built-in objects do not count", () => {
    const lines = kubernetesChecks(expected, cluster()).map(formatCheck);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(lines).toContain(
      "ok   kubernetes  GitRepository flux-system/data-platform: Ready (Ready=True (Succeeded: stored artifact for revision 'main@sha1:6b1e2f0c9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c'))",
    );
    expect(lines).toContain("ok   kubernetes  namespace data-platform: Flux ownership labels (6 objects checked)");
    expect(lines.length).toBe(2 + 2 * expected.kustomizations.length + 1 + expected.externalSecrets.length + 1);
  });

  it("name what is not Ready, a changed spec, a drifted ConfigMap, a missing ExternalSecret and unowned objects", () => {
    const [first, second] = expected.kustomizations;
    const observed = cluster({
      gitRepository: gitRepository({ ...expected.gitRepository.spec, ref: { branch: "master" } }, recorded.gitRepositoryAuthFailed),
      configMap: { kind: "ConfigMap", data: { ...expected.configMap.data, S3_REGION: "eu-west-1", EXTRA: "x" } },
      externalSecrets: [externalSecret(expected.externalSecrets[0], recorded.externalSecretError)],
      namespaceObjects: [...recorded.namespaceObjects, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "debug", namespace: "data-platform" } }],
    });
    observed.kustomizations[first.name] = kustomization(first.name, recorded.kustomizationDependencyNotReady);
    observed.kustomizations[second.name] = undefined;
    const failed = kubernetesChecks(expected, observed)
      .map(formatCheck)
      .filter((l) => l.startsWith("FAIL"));
    expect(failed).toEqual([
      expect.stringMatching(
        /^FAIL kubernetes {2}GitRepository flux-system\/data-platform: Ready: expected Ready=True, found Ready=False \(GitOperationFailed: failed to checkout .*unable to authenticate/,
      ),
      'FAIL kubernetes  GitRepository flux-system/data-platform: spec: expected as the stack applies it; spec.ref.branch: expected "main", found "master"',
      `FAIL kubernetes  Kustomization flux-system/${first.name}: Ready: expected Ready=True, found Ready=False (DependencyNotReady: Dependencies do not meet ready condition, retrying in 30s)`,
      `FAIL kubernetes  Kustomization flux-system/${second.name}: exists: expected the object, found not found`,
      `FAIL kubernetes  ConfigMap flux-system/platform-prerequisites: data: expected ${Object.keys(expected.configMap.data).length} variables; data.EXTRA: unexpected "x"; data.S3_REGION: expected "us-east-1", found "eu-west-1"`,
      `FAIL kubernetes  ExternalSecret data-platform/${expected.externalSecrets[0]}: Ready: expected Ready=True, found Ready=False (SecretSyncedError: could not get secret data from provider)`,
      ...expected.externalSecrets
        .slice(1)
        .map(
          (name) =>
            `FAIL kubernetes  ExternalSecret data-platform/${name}: exists: expected the ExternalSecret (its Secret is what the app mounts), found not found`,
        ),
      "FAIL kubernetes  namespace data-platform: Flux ownership labels: expected kustomize.toolkit.fluxcd.io/name and kustomize.toolkit.fluxcd.io/namespace on every object, found 1 without: Deployment/debug",
    ]);
  });

  it("does not take a Ready=True of an older generation as ready", () => {
    expect(
      readiness({
        metadata: { generation: 3 },
        status: { observedGeneration: 2, conditions: [{ type: "Ready", status: "True", reason: "ReconciliationSucceeded" }] },
      }),
    ).toEqual({
      ready: false,
      text: "Ready=True is for generation 2, the object is at 3 (not reconciled yet)",
    });
    expect(readiness({ status: {} }).text).toBe("no Ready condition yet");
    expect(unownedObjects([{ kind: "Secret", type: "kubernetes.io/service-account-token", metadata: { name: "t" } }])).toEqual([]);
  });

  it("expects what the stack applies: the ConfigMap from config and outputs, the context from kubeContext", () => {
    expect(expected.context).toBe("dev");
    expect(expected.configMap.data.SPARK_ICEBERG_IMAGE).toBe(outputs.sparkIcebergImage);
    expect(expected.configMap.data.S3_BUCKET_WAREHOUSE).toBe("iceberg-warehouse-dev");
  });

  it("turns a cluster it cannot read into one failed check", async () => {
    const results = await verifyKubernetes(expected, async () => {
      throw new Error("kubeconfig has no context dev");
    });
    expect(results.map(formatCheck)).toEqual(["FAIL kubernetes  context dev: read: cannot check: kubeconfig has no context dev"]);
  });
});
