// The gate on `pulumi preview --json --show-sames` output recorded from the real CLI 3.276.0 with the
// test-only provider kvtest (tests/integration/engine/importSemantics.test.ts records and re-checks these
// fixtures). The stack's own resource types cannot be previewed here (no aws, 1Password, random or
// Kubernetes plugin), so their steps are the recorded steps with the stack's types and names put in: the
// same shape, other URNs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ADOPTED_TYPES, type AdoptConfig } from "../../config";
import { emptyAdopt } from "../../config/adopt";
import { type PreviewJson, type PreviewStep, gate, gateTargets, keptFieldChanges, urnName, urnType } from "../../adoption/gate";
import { RANDOM_PASSWORD_TYPE, adoptTargets } from "../../adoption/targets";
import { KV_TARGET } from "./fixtures/kvTarget";
import { configFromStackFile, readStackConfig } from "../../config/stackFiles";
import { evaluateProgram } from "../../scripts/lib/mockEngine";

const fixture = (name: string): PreviewJson => JSON.parse(readFileSync(join(__dirname, "fixtures", `${name}.json`), "utf8")) as PreviewJson;

describe("on previews recorded from the real CLI", () => {
  it("passes an import that keeps the live value (ignoreChanges), with a one-line summary", () => {
    const result = gateTargets([KV_TARGET], [], fixture("import-kept"));
    expect(result).toEqual({
      ok: true,
      problems: [],
      summary: "adopt gate: ok: 1 adopted resources, 1 steps (1 import); nothing adopted is replaced, deleted or created anew; no kept field changed",
    });
  });

  it("refuses an import followed by an update of a kept field (the engine's import-then-update, pulumi/pulumi#19339)", () => {
    const result = gateTargets([KV_TARGET], [], fixture("import-mismatch"));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      "entry nessie-postgres: would change kept field value (urn:pulumi:test::kvtest-adoption::kvtest:index:Entry::nessie-postgres)",
    ]);
    expect(result.summary).toMatch(/^adopt gate: 1 problem: /);
  });

  it("refuses a replace of an imported resource, with the property forcing it", () => {
    const result = gateTargets([KV_TARGET], [], fixture("replace-after-import-removed"));
    expect(result.problems).toEqual([
      "entry nessie-postgres: would replace (replace forced by key): an adopted resource is never recreated or deleted (urn:pulumi:test::kvtest-adoption::kvtest:index:Entry::nessie-postgres)",
    ]);
  });

  it("refuses a replace the engine itself reports as blocked (protected, still imported)", () => {
    const result = gateTargets([KV_TARGET], [], fixture("import-replace-protected"));
    expect(result.ok).toBe(false);
    expect(result.problems.some((p) => /would replace/.test(p) || /the preview failed/.test(p))).toBe(true);
  });

  it("refuses a failed preview (an import of an ID that does not exist)", () => {
    const result = gateTargets([{ ...KV_TARGET, name: "missing", importId: "missing" }], [], fixture("import-missing"));
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(/^the preview failed: error: Preview failed: /);
  });

  it("refuses a preview without steps, and a target the preview does not list (made without --show-sames)", () => {
    expect(gateTargets([KV_TARGET], [], {}).problems).toEqual([
      "the preview has no steps: pass the output of `pulumi preview --json --show-sames` for this stack",
      expect.stringMatching(/^entry nessie-postgres: not in the preview/),
    ]);
    const onlyStack: PreviewJson = { steps: (fixture("import-kept").steps ?? []).filter((s) => urnType(s.urn) === "pulumi:pulumi:Stack") };
    expect(gateTargets([KV_TARGET], [], onlyStack).problems).toEqual([
      expect.stringMatching(/not in the preview .* or the preview was made without --show-sames$/),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The stack's resources, in the recorded shape.

const STACK_URN = "urn:pulumi:dev::data-platform::pulumi:pulumi:Stack::data-platform-dev";
const recordedImport = (fixture("import-kept").steps ?? []).find((s) => s.op === "import") as PreviewStep;
const recordedUpdate = (fixture("import-mismatch").steps ?? []).find((s) => s.op === "update") as PreviewStep;

/** A recorded step turned into one of the stack's: its type, name, inputs, import ID, op and diff. */
function step(op: string, type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PreviewStep> = {}, importID?: string): PreviewStep {
  const urn = `urn:pulumi:dev::data-platform::${STACK_URN.split("::")[2]}$${type}::${name}`;
  const base = op === "update" ? recordedUpdate : recordedImport;
  const state = (s: PreviewStep["newState"]) => {
    if (!s) return s;
    const { importID: _recorded, ...rest } = s;
    void _recorded;
    return { ...rest, urn, type, inputs, ...(importID !== undefined && { importID }) };
  };
  return {
    ...base,
    op,
    urn,
    oldState: op === "import" || op === "create" ? undefined : state(base.oldState ?? base.newState),
    newState: state(base.newState),
    diffReasons: [],
    detailedDiff: null,
    ...extra,
  };
}

const adopt: AdoptConfig = {
  ...emptyAdopt(),
  buckets: { warehouse: { name: "iceberg-test", policy: false, lifecycle: "merge" } },
  users: { nessie: { uid: "iceberg", accessKey: "AKICEBERG" } },
  items: { "nessie-postgres": { id: "vaults/aaaaaaaaaaaaaaaaaaaaaaaaaa/items/bbbbbbbbbbbbbbbbbbbbbbbbbb", keep: ["password"] } },
  kubernetes: [{ kind: "Namespace", name: "external-secrets", ref: "Namespace/external-secrets", importId: "external-secrets" }],
};

/** The first `up` of a correctly adopting program. */
const goodSteps = (): PreviewStep[] => [
  step("import", ADOPTED_TYPES.bucket, "storage-warehouse", { bucket: "iceberg-test", forceDestroy: false }, {}, "iceberg-test"),
  step("import", ADOPTED_TYPES.bucketVersioning, "storage-warehouse-versioning", { bucket: "iceberg-test" }, {}, "iceberg-test"),
  step(
    "update",
    ADOPTED_TYPES.bucketVersioning,
    "storage-warehouse-versioning",
    { bucket: "iceberg-test", versioningConfiguration: { status: "Enabled" } },
    { diffReasons: ["versioningConfiguration"] },
    "iceberg-test",
  ),
  step("create", ADOPTED_TYPES.bucketPolicy, "storage-warehouse-policy", { bucket: "iceberg-test", policy: "{}" }),
  step("create", ADOPTED_TYPES.bucketLifecycle, "storage-warehouse-lifecycle", { bucket: "iceberg-test", rules: [] }),
  step("create", ADOPTED_TYPES.rgwUser, "storage-user-nessie", { uid: "iceberg", adopt: { accessKey: "AKICEBERG" } }),
  step(
    "import",
    ADOPTED_TYPES.item,
    "credentials-nessie-postgres",
    { title: "nessie-postgres", password: "[secret]", vault: "v", category: "database" },
    {},
    adopt.items["nessie-postgres"].id,
  ),
  step(
    "update",
    ADOPTED_TYPES.item,
    "credentials-nessie-postgres",
    { title: "nessie-postgres", password: "[secret]", vault: "v", category: "database", tags: ["x"] },
    { diffReasons: ["tags"] },
    adopt.items["nessie-postgres"].id,
  ),
  step("import", "kubernetes:core/v1:Namespace", "credentials-external-secrets-namespace", { metadata: { name: "external-secrets" } }, {}, "external-secrets"),
];

const problemsOf = (steps: PreviewStep[]) => gate(adopt, { steps }).problems;

describe("on the stack's adopted resources", () => {
  it("passes imports, allowed updates and the creates that are how a resource is taken over", () => {
    const result = gate(adopt, { steps: goodSteps() });
    expect(result.problems).toEqual([]);
    expect(result.summary).toBe(
      "adopt gate: ok: 7 adopted resources, 9 steps (3 create, 4 import, 2 update); nothing adopted is replaced, deleted or created anew; no kept field changed",
    );
  });

  it("refuses a bucket created instead of imported, and an import of another ID", () => {
    const steps = goodSteps();
    steps[0] = step("create", ADOPTED_TYPES.bucket, "storage-warehouse", { bucket: "iceberg-test" });
    steps[1] = step("import", ADOPTED_TYPES.bucketVersioning, "storage-warehouse-versioning", { bucket: "iceberg-test" }, {}, "iceberg-other");
    expect(problemsOf(steps)).toEqual([
      expect.stringMatching(/^bucket warehouse \(iceberg-test\): would be created, not imported \(import ID iceberg-test\)/),
      expect.stringMatching(/^bucket warehouse \(iceberg-test\) versioning: imports iceberg-other, the adopt entry says iceberg-test/),
    ]);
  });

  it("refuses an RgwUser created without the adopt input (it would not take the user over)", () => {
    const steps = goodSteps();
    steps[5] = step("create", ADOPTED_TYPES.rgwUser, "storage-user-nessie", { uid: "iceberg" });
    expect(problemsOf(steps)).toEqual([
      expect.stringMatching(/^rgw user nessie \(iceberg\): would be created without taking over the existing one \(no adopt input\)/),
    ]);
  });

  it("refuses a policy created over one that exists (policy: true means import)", () => {
    expect(gate({ ...adopt, buckets: { warehouse: { ...adopt.buckets.warehouse, policy: true } } }, { steps: goodSteps() }).problems).toEqual([
      expect.stringMatching(/^bucket warehouse \(iceberg-test\) policy: would be created, not imported/),
    ]);
  });

  it("refuses a diff of a kept secret field, though the preview shows it only as [secret]", () => {
    const steps = goodSteps();
    steps[7] = { ...steps[7], diffReasons: ["password", "tags"], detailedDiff: { password: { kind: "update", inputDiff: true } } };
    expect(problemsOf(steps)).toEqual([expect.stringMatching(/^item nessie-postgres: would change kept field password \(/)]);
  });

  it("refuses a password generated for an item that keeps its password", () => {
    const steps = [...goodSteps(), step("create", RANDOM_PASSWORD_TYPE, "credentials-nessie-postgres-password", { length: 32 })];
    expect(problemsOf(steps)).toEqual([
      expect.stringMatching(
        /^item nessie-postgres keeps its password: no password may be generated for it .*\(the program declares credentials-nessie-postgres-password: create\)$/,
      ),
    ]);
  });

  it("refuses a delete or replace of an adopted Kubernetes object, found by its metadata", () => {
    const steps = goodSteps();
    steps[8] = step("delete", "kubernetes:core/v1:Namespace", "credentials-external-secrets-namespace", { metadata: { name: "external-secrets" } });
    expect(problemsOf(steps)).toEqual([
      expect.stringMatching(/^kubernetes Namespace\/external-secrets: would delete: an adopted resource is never recreated or deleted/),
    ]);
  });

  it("refuses a replace of a resource imported by an option the adopt block does not name", () => {
    const steps = [...goodSteps(), { ...step("replace", "kubernetes:core/v1:Secret", "x", {}), newState: { urn: "u", type: "t", importID: "ns/x" } }];
    expect(problemsOf(steps)).toEqual([expect.stringMatching(/^imported resource ns\/x: would replace/)]);
  });

  it("reads kept-field changes from diffReasons, detailedDiff paths and plain inputs", () => {
    const base = goodSteps()[7];
    expect(keptFieldChanges({ ...base, detailedDiff: { "sections[0].fields": { kind: "update" } } }, ["sections"])).toEqual(["sections"]);
    expect(
      keptFieldChanges({ ...base, oldState: { urn: "", type: "", inputs: { username: "a" } }, newState: { urn: "", type: "", inputs: { username: "b" } } }, [
        "username",
      ]),
    ).toEqual(["username"]);
    expect(
      keptFieldChanges(
        { ...base, oldState: { urn: "", type: "", inputs: { password: "[secret]" } }, newState: { urn: "", type: "", inputs: { password: "[secret]" } } },
        ["password"],
      ),
    ).toEqual([]);
  });

  it("names the stack's resources as the components do", () => {
    const names = adoptTargets(adopt).targets.map((t) => t.name ?? t.label);
    expect(names).toEqual([
      "storage-warehouse",
      "storage-warehouse-versioning",
      "storage-warehouse-policy",
      "storage-warehouse-lifecycle",
      "storage-user-nessie",
      "credentials-nessie-postgres",
      "kubernetes Namespace/external-secrets",
    ]);
    expect(urnName(goodSteps()[0].urn)).toBe("storage-warehouse");
  });
});

describe("the targets are the resources the program declares (mock engine, dev with an adopt block)", () => {
  it("finds each by type and name, with the adopt entry's import ID, and RgwUser with its adopt input", async () => {
    const input = readStackConfig(join(__dirname, "..", ".."), "dev");
    const block = {
      buckets: { warehouse: { name: "iceberg-test", policy: true } },
      users: { nessie: { uid: "iceberg", accessKey: "HANDMADEKEY000000001" } },
      items: { "nessie-postgres": { id: `vaults/${"a".repeat(26)}/items/${"p".repeat(26)}`, keep: ["password"] } },
      kubernetes: ["Namespace/external-secrets", "Kustomization/flux-system/nessie"],
    };
    input.config["data-platform:buckets"] = JSON.stringify([{ key: "warehouse", name: "iceberg-test", readWrite: ["nessie", "spark"], read: ["trino"] }]);
    input.config["data-platform:adopt"] = JSON.stringify(block);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const run = await evaluateProgram({ ...input, loadProgram: () => require("../../index") });
    const parsed = configFromStackFile({ ...input, config: input.config });
    if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
    const { targets, forbidden } = adoptTargets(parsed.config.adopt);
    expect(targets).toHaveLength(8);
    for (const target of targets) {
      const found = run.resources.filter(
        (r) => r.type === target.type && (target.name !== undefined ? r.name === target.name : r.importId === target.importId),
      );
      expect({ target: target.label, found: found.length }).toEqual({ target: target.label, found: 1 });
      expect({ target: target.label, importId: found[0].importId }).toEqual({
        target: target.label,
        importId: target.via === "import" ? target.importId : undefined,
      });
      if (target.type === ADOPTED_TYPES.rgwUser) expect(found[0].inputs.adopt).toBeDefined();
    }
    for (const rule of forbidden) expect(run.resources.find((r) => r.type === rule.type && r.name === rule.name)).toBeUndefined();
  }, 60_000);
});
