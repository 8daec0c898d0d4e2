// data-platform:adopt: its shape, its references into the rest of the config, and the adoption facts.
import { adoptionFacts } from "../../config";
import { configErrors as errors, validConfig as ok } from "../lib/fixtures/minimalConfig";

const VAULT = "abcdefghijklmnopqrstuvwxyz";
const ITEM = "0123456789abcdefghijklmnop";
const itemId = `vaults/${VAULT}/items/${ITEM}`;
const warehouse = { key: "warehouse", name: "iceberg-test", readWrite: ["nessie", "spark"], read: ["trino"] };
const backup = { key: "nessie-backup", name: "nessie-backup-dev", readWrite: ["nessie"] };

/** The hand-built platform of issue 17: a bucket, a shared user, the nessie items, the bootstrap secret. */
const adopt = {
  buckets: { warehouse: { name: "iceberg-test", policy: false } },
  users: { nessie: { uid: "iceberg", accessKey: "HANDMADEKEY000000001" } },
  items: {
    "nessie-postgres": { id: itemId, keep: ["password"] },
    "nessie-s3-credentials": { id: `vaults/${VAULT}/items/${"1".repeat(26)}`, keep: ["username", "password"] },
  },
  kubernetes: ["Namespace/external-secrets", "Secret/external-secrets/onepassword-token", "Kustomization/flux-system/nessie"],
};

describe("a valid adopt block", () => {
  it("is empty by default", () => {
    expect(ok({}).adopt).toEqual({ buckets: {}, users: {}, items: {}, kubernetes: [] });
  });

  it("maps what exists to the stack's keys, lifecycle merge by default", () => {
    const config = ok({ buckets: [warehouse, backup], adopt });
    expect(config.adopt.buckets).toEqual({ warehouse: { name: "iceberg-test", policy: false, lifecycle: "merge" } });
    expect(config.adopt.users).toEqual({ nessie: { uid: "iceberg", accessKey: "HANDMADEKEY000000001" } });
    expect(config.adopt.items["nessie-postgres"]).toEqual({ id: itemId, keep: ["password"] });
    expect(config.adopt.kubernetes.map((o) => [o.kind, o.namespace, o.name, o.importId])).toEqual([
      ["Namespace", undefined, "external-secrets", "external-secrets"],
      ["Secret", "external-secrets", "onepassword-token", "external-secrets/onepassword-token"],
      ["Kustomization", "flux-system", "nessie", "flux-system/nessie"],
    ]);
  });

  it("gives every adopted resource its import ID and kept fields", () => {
    const facts = adoptionFacts(
      ok({ buckets: [warehouse, backup], adopt: { ...adopt, buckets: { warehouse: { name: "iceberg-test", policy: true } } } }).adopt,
    );
    expect(facts.map((f) => [f.type, f.key, f.importId, f.kept])).toEqual([
      ["aws:s3/bucket:Bucket", "warehouse", "iceberg-test", []],
      ["aws:s3/bucketVersioning:BucketVersioning", "warehouse", "iceberg-test", []],
      ["aws:s3/bucketPolicy:BucketPolicy", "warehouse", "iceberg-test", []],
      // Dynamic providers cannot be imported (pulumi/pulumi#16175): they take over in create().
      ["pulumi-nodejs:dynamic/s3:BucketLifecycle", "warehouse", undefined, []],
      ["pulumi-nodejs:dynamic/rgw:RgwUser", "nessie", undefined, []],
      ["onepassword:index/item:Item", "nessie-postgres", itemId, ["password"]],
      ["onepassword:index/item:Item", "nessie-s3-credentials", `vaults/${VAULT}/items/${"1".repeat(26)}`, ["username", "password"]],
      ["kubernetes:core/v1:Namespace", "Namespace/external-secrets", "external-secrets", []],
      ["kubernetes:core/v1:Secret", "Secret/external-secrets/onepassword-token", "external-secrets/onepassword-token", []],
      ["kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "Kustomization/flux-system/nessie", "flux-system/nessie", []],
    ]);
    // policy: false: the stack creates the policy, nothing to import.
    const created = adoptionFacts(ok({ buckets: [warehouse, backup], adopt }).adopt).find((f) => f.type === "aws:s3/bucketPolicy:BucketPolicy");
    expect(created?.importId).toBeUndefined();
  });
});

describe("an invalid adopt block: every problem in one pass, each naming its key", () => {
  it("reports shape, reference and cross-entry problems together", () => {
    const found = errors({
      buckets: [warehouse, backup],
      adopt: {
        buckets: {
          warehouse: { name: "iceberg-other", lifecycle: "replace" },
          warehous: { name: "x", policy: true },
          "nessie-backup": { name: "nessie-backup-dev", policy: "yes", prune: true },
        },
        users: { nessie: { uid: "iceberg", accessKey: "K1" }, spark: { uid: "iceberg", accessKey: "" }, trnio: { uid: "t", accessKey: "K3" } },
        items: {
          "nessie-postgres": { id: "vaults/x/items/y", keep: ["password", "hostname"] },
          "nessie-s3-credentials": { id: itemId, keep: ["password"] },
          "spark-s3-credentials": { id: itemId, keep: ["username"] },
          "nesie-postgres": { id: itemId, keep: ["password"] },
          "flux-deploy-key": { id: itemId, keep: ["password"] },
        },
        kubernetes: [
          "Namespace/flux-system",
          "Kustomization/flux-system/flux-system",
          "Secrets/external-secrets/onepassword-token",
          "Kustomization/flux-system/nesie",
          "Secret/x",
          "not a ref",
          "Namespace/external-secrets",
          "Namespace/external-secrets",
        ],
        extra: {},
      },
    });
    const expected = [
      "data-platform:adopt.extra: unknown field",
      "data-platform:adopt.buckets.warehouse.policy: is required: true when the bucket has a policy",
      'data-platform:adopt.buckets.warehouse.lifecycle: must be merge, got "replace": the stack never drops a lifecycle rule it did not write',
      'data-platform:adopt.buckets.nessie-backup.policy: must be true or false, got "yes"',
      "data-platform:adopt.buckets.nessie-backup: unknown field prune",
      'data-platform:adopt.buckets.warehous: unknown bucket key "warehous" (buckets are ["warehouse","nessie-backup"]) (did you mean warehouse?)',
      "data-platform:adopt.users.spark.accessKey: is required, got an empty value",
      'data-platform:adopt.users.trnio: unknown app "trnio" (s3Apps is ["nessie","spark","trino"]) (did you mean trino?)',
      'data-platform:adopt.items.nessie-postgres.id: "vaults/x/items/y" is not an item\'s import ID: vaults/<vault uuid>/items/<item uuid>',
      'data-platform:adopt.items.nessie-postgres.keep[1]: unknown field "hostname": only the secret fields password and username can be kept',
      "data-platform:adopt.items.spark-s3-credentials.keep: must include password",
      "data-platform:adopt.items.nessie-s3-credentials.keep: must include username for an s3 item",
      'data-platform:adopt.items.nesie-postgres: unknown credential title "nesie-postgres"',
      "(did you mean nessie-postgres?)",
      'data-platform:adopt.items.flux-deploy-key: "flux-deploy-key" holds the Flux deploy key the stack generates',
      'data-platform:adopt.kubernetes[0]: "Namespace/flux-system" is Flux\'s own object and can never be adopted: Flux applies it from Git and reverts every change on each reconcile',
      'data-platform:adopt.kubernetes[1]: "Kustomization/flux-system/flux-system" is Flux\'s own object',
      'data-platform:adopt.kubernetes[2]: unknown kind "Secrets": the stack emits Namespace, Secret, ConfigMap, GitRepository, Kustomization (did you mean Secret?)',
      'data-platform:adopt.kubernetes[3]: the stack emits no "Kustomization/flux-system/nesie"',
      "(did you mean Kustomization/flux-system/nessie?)",
      'data-platform:adopt.kubernetes[4]: the stack emits no "Secret/x"',
      'data-platform:adopt.kubernetes[5]: "not a ref" is not Kind/namespace/name or Kind/name',
      'data-platform:adopt.kubernetes[7]: "Namespace/external-secrets" is listed twice (also kubernetes[6])',
    ];
    for (const part of expected) expect(found.join("\n")).toContain(part);
  });

  it("names both keys when the adopted bucket is not the entry's bucket", () => {
    expect(errors({ adopt: { buckets: { warehouse: { name: "iceberg-test", policy: false } } } })).toContain(
      'data-platform:adopt.buckets.warehouse.name: is "iceberg-test" but data-platform:buckets[default warehouse].name (key warehouse) is "iceberg-warehouse-dev": they must be the same bucket (set name: "iceberg-test" on the buckets entry with key warehouse)',
    );
  });

  it("refuses one user for two apps, and a uid the stack gives another app", () => {
    const found = errors({
      adopt: {
        users: {
          nessie: { uid: "iceberg", accessKey: "K1" },
          spark: { uid: "iceberg", accessKey: "K2" },
        },
      },
    });
    const taken = errors({ adopt: { users: { trino: { uid: "data-platform-dev-spark", accessKey: "K3" } } } });
    expect(found).toContain(
      'data-platform:adopt.users.spark.uid: "iceberg" is also adopted for app nessie: every app has its own RGW user (two resources on one user would fight over its keys)',
    );
    expect(taken).toEqual(
      expect.arrayContaining([expect.stringContaining('data-platform:adopt.users.trino.uid: "data-platform-dev-spark" is the uid the stack gives app spark')]),
    );
  });

  it("refuses an s3 item kept without its app's user, and username on a password item", () => {
    const found = errors({
      credentials: [
        { title: "trino-password", kind: "password" },
        { title: "nessie-s3-credentials", kind: "s3", app: "nessie", bucket: "warehouse" },
        { title: "spark-s3-credentials", kind: "s3", app: "spark", bucket: "warehouse" },
        { title: "trino-s3-credentials", kind: "s3", app: "trino", bucket: "warehouse" },
      ],
      adopt: {
        items: {
          "trino-password": { id: itemId, keep: ["password", "username"] },
          "nessie-s3-credentials": { id: itemId, keep: ["username", "password"] },
        },
      },
    });
    expect(found).toContain(
      'data-platform:adopt.items.trino-password.keep: "username" does not apply: credential trino-password is of kind password (it has no username)',
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "data-platform:adopt.items.nessie-s3-credentials: keeps the S3 keys of app nessie, whose RGW user is not adopted: add data-platform:adopt.users.nessie",
        ),
      ]),
    );
  });

  it("refuses a value that is not an object, and sections of the wrong shape", () => {
    expect(errors({ adopt: [] })).toContain("data-platform:adopt: must be an object with buckets, users, items and kubernetes, got []");
    expect(errors({ adopt: "x" })).toContain('data-platform:adopt: must be an object, got "x"');
    const found = errors({ adopt: { buckets: [], users: "nessie", kubernetes: "Namespace/external-secrets" } });
    expect(found).toEqual(
      expect.arrayContaining([
        "data-platform:adopt.buckets: must be an object keyed by bucket key, got []",
        'data-platform:adopt.users: must be an object keyed by app name, got "nessie"',
        'data-platform:adopt.kubernetes: must be a list of Kind/namespace/name or Kind/name, got "Namespace/external-secrets"',
      ]),
    );
  });

  it("refuses __proto__ as a key like any unknown name", () => {
    expect(errors({ adopt: '{"users": {"__proto__": {"uid": "x", "accessKey": "K"}}}' })).toEqual([
      expect.stringContaining('data-platform:adopt.users.__proto__: unknown app "__proto__"'),
    ]);
  });
});
