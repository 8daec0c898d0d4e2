// verify's expected model (verify/expected.ts, verify/kubernetes.ts) against what the program actually
// registers under the mock engine, for every stack. The two are derived independently: verify from the
// stack file through its own config path and builders; the program's side read back from the recorded
// resource inputs and exports. verify's own tests build their fixtures from the model, so without this
// test both could drift together unnoticed.
import { join } from "node:path";
import type { PlatformConfig } from "../../config";
import { loadJarLock } from "../../components/sparkIcebergImage/jarLock";
import { MOCK_RGW_OWNER_UID, type MockRun, type RecordedResource, evaluateProgram, isSecretValue, reveal } from "../../scripts/lib/mockEngine";
import { gitopsManifests } from "../../scripts/lib/inventory";
import { configFromStackFile, listStacks, readStackConfig } from "../../config/stackFiles";
import { type ExpectedOnePassword, type ExpectedRgw, type LifecycleRuleView, expectedOnePassword, expectedPolicy, expectedRgw } from "../../verify/expected";
import { type ExpectedKubernetes, expectedKubernetes } from "../../verify/kubernetes";
import { parseStackOutputs } from "../../verify/outputs";

const root = join(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadProgram = () => require("../../index");
const stacks = listStacks(root);
const lock = loadJarLock(root);

interface Models {
  run: MockRun;
  rgw: ExpectedRgw;
  onePassword: ExpectedOnePassword;
  kubernetes: ExpectedKubernetes;
}
const models = new Map<string, Models>();

beforeAll(async () => {
  for (const stack of stacks) {
    const input = readStackConfig(root, stack);
    const run = await evaluateProgram({ ...input, loadProgram });
    const parsed = configFromStackFile(input);
    if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
    const config: PlatformConfig = parsed.config;
    const outputs = parseStackOutputs(reveal(run.outputs));
    if (!outputs.ok) throw new Error(outputs.error);
    models.set(stack, {
      run,
      rgw: expectedRgw(config),
      onePassword: expectedOnePassword(config),
      kubernetes: expectedKubernetes(config, outputs.outputs, lock),
    });
  }
});

const ofType = (run: MockRun, type: string) => run.resources.filter((r) => r.type === type);
const inputs = (r: RecordedResource) => reveal(r.inputs) as Record<string, unknown>;
const sortBy = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));

/** The registered resources of one bucket: its name, and what refers to it by the bucket's id. */
function registeredBuckets(run: MockRun) {
  // The mock engine gives each resource the id `<name>-id`; versioning, lifecycle and policy take the bucket's id.
  const byId = new Map(ofType(run, "aws:s3/bucket:Bucket").map((b) => [`${b.name}-id`, String(inputs(b).bucket)]));
  const onBucket = (type: string) =>
    new Map(ofType(run, type).map((r) => [byId.get(String(inputs(r).bucket)) ?? `unknown bucket ${String(inputs(r).bucket)}`, inputs(r)]));
  return {
    names: [...byId.values()],
    versioning: onBucket("aws:s3/bucketVersioning:BucketVersioning"),
    lifecycle: onBucket("pulumi-nodejs:dynamic/s3:BucketLifecycle"),
    policy: onBucket("aws:s3/bucketPolicy:BucketPolicy"),
  };
}

/** A rule as BucketLifecycle receives it, in verify's flat view (written here, not with verify's code). */
interface ProviderRule {
  id: string;
  status: string;
  filter?: { prefix?: string };
  noncurrentVersionExpiration?: { noncurrentDays: number };
  abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
}
const ruleView = (rule: ProviderRule): LifecycleRuleView => ({
  id: rule.id,
  status: rule.status,
  prefix: rule.filter?.prefix ?? "",
  ...(rule.noncurrentVersionExpiration && { noncurrentDays: rule.noncurrentVersionExpiration.noncurrentDays }),
  ...(rule.abortIncompleteMultipartUpload && { abortIncompleteMultipartDays: rule.abortIncompleteMultipartUpload.daysAfterInitiation }),
});

interface Statement {
  Sid: string;
  Principal: { AWS: string[] };
  Action: string[];
  Resource: string[];
}
/** What a registered policy lets a user do with the bucket's objects. */
function accessIn(policy: { Statement: Statement[] } | undefined, uid: string, bucket: string): "read" | "readWrite" | "none" {
  const allowed = (action: string) =>
    (policy?.Statement ?? []).some(
      (s) => s.Principal.AWS.includes(`arn:aws:iam:::user/${uid}`) && s.Action.includes(action) && s.Resource.includes(`arn:aws:s3:::${bucket}/*`),
    );
  return allowed("s3:PutObject") ? "readWrite" : allowed("s3:GetObject") ? "read" : "none";
}

it("covers every stack file", () => {
  expect(stacks).toEqual(expect.arrayContaining(["dev", "prod"]));
});

describe.each(stacks)("stack %s: verify's expected model is what the program registers", (stack) => {
  const model = () => models.get(stack) as Models;

  it("buckets: the same names, versioning, lifecycle rules field by field, and policy documents", () => {
    const { run, rgw } = model();
    const registered = registeredBuckets(run);
    expect(sortBy(registered.names, String)).toEqual(
      sortBy(
        rgw.buckets.map((b) => b.name),
        String,
      ),
    );
    for (const bucket of rgw.buckets) {
      const versioning = registered.versioning.get(bucket.name) as { versioningConfiguration: { status: string } } | undefined;
      const lifecycle = registered.lifecycle.get(bucket.name) as { rules: ProviderRule[] } | undefined;
      const policy = registered.policy.get(bucket.name) as { policy: string } | undefined;
      expect({
        bucket: bucket.name,
        versioning: versioning?.versioningConfiguration.status,
        lifecycle: lifecycle?.rules.map(ruleView),
        policy: policy ? (JSON.parse(policy.policy) as unknown) : undefined,
      }).toEqual({ bucket: bucket.name, versioning: bucket.versioning, lifecycle: bucket.lifecycle, policy: expectedPolicy(bucket, MOCK_RGW_OWNER_UID) });
    }
    // Every registered lifecycle and policy belongs to a declared bucket.
    expect(
      [...registered.lifecycle.keys(), ...registered.policy.keys(), ...registered.versioning.keys()].filter((name) => !registered.names.includes(name)),
    ).toEqual([]);
  });

  it("users: one RgwUser per expected uid, with the key count its rotation allows", () => {
    const { run, rgw } = model();
    const users = ofType(run, "pulumi-nodejs:dynamic/rgw:RgwUser").map(inputs);
    expect(
      sortBy(
        users.map((u) => ({ uid: String(u.uid), maxKeys: u.keyRotation === "1" ? 1 : 2 })),
        (u) => u.uid,
      ),
    ).toEqual(
      sortBy(
        rgw.users.map((u) => ({ uid: u.uid, maxKeys: u.maxKeys })),
        (u) => u.uid,
      ),
    );
    expect(rgw.users.every((u) => u.minKeys === 1)).toBe(true);
  });

  it("access: what verify probes for every app and bucket is what the registered policies grant", () => {
    const { run, rgw } = model();
    const policies = registeredBuckets(run).policy;
    const uids = ofType(run, "pulumi-nodejs:dynamic/rgw:RgwUser").map((u) => String(inputs(u).uid));
    const granted = uids.flatMap((uid) =>
      registeredBuckets(run).names.map((bucket) => {
        const policy = policies.get(bucket) as { policy: string } | undefined;
        return { uid, bucket, access: accessIn(policy ? (JSON.parse(policy.policy) as { Statement: Statement[] }) : undefined, uid, bucket) };
      }),
    );
    const key = (a: { uid: string; bucket: string }) => `${a.uid} ${a.bucket}`;
    expect(
      sortBy(
        rgw.access.map(({ uid, bucket, access }) => ({ uid, bucket, access })),
        key,
      ),
    ).toEqual(sortBy(granted, key));
    // Not vacuous: every stack grants some app write access somewhere.
    expect(granted.some((g) => g.access === "readWrite")).toBe(true);
  });

  it("items: vault, titles, categories, field placement and the non-secret values the stack writes", () => {
    const { run, onePassword } = model();
    const vaultLookups = run.invokes.filter((i) => i.token.startsWith("onepassword:")).map((i) => i.args.name);
    expect(vaultLookups).toEqual([onePassword.vault]);
    const items = new Map(ofType(run, "onepassword:index/item:Item").map((r) => [String(inputs(r).title), r]));
    for (const expected of onePassword.items) {
      const item = items.get(expected.title);
      if (!item) throw new Error(`verify expects item ${expected.title}; the program registers ${[...items.keys()].join(", ")}`);
      const raw = item.inputs;
      const section = (reveal(raw.sections) as { label: string; fields: { label: string; value: unknown }[] }[] | undefined)?.find((s) => s.label === "s3");
      // Where each field verify reads is, in the registered item: a built-in input or the s3 section.
      const placed = expected.fields.map((field) => ({
        label: field.label,
        placement: raw[field.label] !== undefined ? "builtin" : section?.fields.some((f) => f.label === field.label) ? "section" : "absent",
        concealed: raw[field.label] !== undefined ? isSecretValue(raw[field.label]) : false,
      }));
      const values = Object.fromEntries(
        Object.keys(expected.values).map((label) => [
          label,
          raw[label] !== undefined ? reveal(raw[label]) : section?.fields.find((f) => f.label === label)?.value,
        ]),
      );
      expect({ title: expected.title, category: String(inputs(item).category).toUpperCase(), fields: placed, values }).toEqual({
        title: expected.title,
        category: expected.category,
        fields: expected.fields.map(({ label, placement, concealed }) => ({ label, placement, concealed: placement === "builtin" && concealed })),
        values: expected.values,
      });
    }
  });

  it("items: the ExternalSecrets the stack emits read exactly the fields verify checks", () => {
    const { run, onePassword } = model();
    const externalSecrets = gitopsManifests(run).filter((m) => m.kind === "ExternalSecret") as unknown as {
      spec: { data: { remoteRef: { key: string; property: string } }[] };
    }[];
    const read = externalSecrets.flatMap((es) => es.spec.data.map((d) => `${d.remoteRef.key} ${d.remoteRef.property}`));
    const checked = onePassword.items.flatMap((item) => item.fields.map((f) => `${item.title} ${f.label}`));
    expect(sortBy(read, String)).toEqual(sortBy(checked, String));
  });

  it("Flux: the GitRepository, every Kustomization and the prerequisites ConfigMap, spec by spec", () => {
    const { run, kubernetes } = model();
    const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:core/v1:Namespace")).map(inputs) as {
      kind: string;
      metadata: { name: string; namespace?: string };
      spec?: unknown;
      data?: unknown;
    }[];
    const named = (kind: string) => objects.filter((o) => o.kind === kind);
    expect(named("GitRepository").map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace, spec: o.spec }))).toEqual([
      { name: kubernetes.gitRepository.name, namespace: kubernetes.fluxNamespace, spec: kubernetes.gitRepository.spec },
    ]);
    const key = (k: { name: string }) => k.name;
    expect(
      sortBy(
        named("Kustomization").map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace, spec: o.spec })),
        key,
      ),
    ).toEqual(
      sortBy(
        kubernetes.kustomizations.map((k) => ({ name: k.name, namespace: kubernetes.fluxNamespace, spec: k.spec })),
        key,
      ),
    );
    const configMaps = named("ConfigMap").filter((o) => o.metadata.name === kubernetes.configMap.name);
    expect(configMaps.map((o) => ({ namespace: o.metadata.namespace, data: o.data }))).toEqual([
      { namespace: kubernetes.fluxNamespace, data: kubernetes.configMap.data },
    ]);
  });

  it("Flux: the ExternalSecrets verify expects Ready are the ones the stack emits, in the workload namespace", () => {
    const { run, kubernetes } = model();
    const emitted = gitopsManifests(run).filter((m) => m.kind === "ExternalSecret");
    expect(
      sortBy(
        emitted.map((m) => `${m.metadata.namespace}/${m.metadata.name}`),
        String,
      ),
    ).toEqual(
      sortBy(
        kubernetes.externalSecrets.map((name) => `${kubernetes.workloadNamespace}/${name}`),
        String,
      ),
    );
  });
});
