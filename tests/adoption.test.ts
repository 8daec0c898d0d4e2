// The program with config `adopt` under Pulumi's mock engine: what is taken over carries its import ID,
// protect, retainOnDelete and ignoreChanges; kept passwords have no RandomPassword; nothing else changes.
// The duplicate-title guard's provider runs against the loopback Connect stand-in.
import { join } from "node:path";
import { MockRun, RecordedResource, evaluateProgram, isSecretValue, reveal } from "../scripts/lib/mockEngine";
import { readStackConfig } from "../config/stackFiles";
import { itemTitleGuardProvider, titleProblem, type ItemTitleGuardInputs } from "../providers/itemTitleGuard";
import { fullItem, startFakeConnect, type FakeConnect } from "./lib/fakes/connect";
import { credentialsWithRotation } from "./lib/fixtures/credentials";

const root = join(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadProgram = () => require("../index");

const VAULT = "abcdefghijklmnopqrstuvwxyz";
const POSTGRES_ITEM = `vaults/${VAULT}/items/${"p".repeat(26)}`;
const S3_ITEM = `vaults/${VAULT}/items/${"s".repeat(26)}`;
const HAND_KEY = "HANDMADEKEY000000001";
const ADOPT = {
  buckets: { warehouse: { name: "iceberg-test", policy: true } },
  users: { nessie: { uid: "iceberg", accessKey: HAND_KEY } },
  items: { "nessie-postgres": { id: POSTGRES_ITEM, keep: ["password"] }, "nessie-s3-credentials": { id: S3_ITEM, keep: ["username", "password"] } },
  kubernetes: [
    "Namespace/external-secrets",
    "Secret/external-secrets/onepassword-token",
    "Kustomization/flux-system/nessie",
    "GitRepository/flux-system/data-platform",
  ],
};
const WAREHOUSE = [
  { key: "warehouse", name: "iceberg-test", readWrite: ["nessie", "spark"], read: ["trino"] },
  { key: "nessie-backup", name: "nessie-backup-dev", readWrite: ["nessie"] },
];

function evaluate(extra: Record<string, unknown>): Promise<MockRun> {
  const input = readStackConfig(root, "dev");
  for (const [key, value] of Object.entries(extra)) input.config[`data-platform:${key}`] = JSON.stringify(value);
  return evaluateProgram({ ...input, loadProgram });
}

const find = (run: MockRun, type: string, name: string): RecordedResource | undefined => run.resources.find((r) => r.type === type && r.name === name);
const one = (run: MockRun, type: string, name: string): RecordedResource => {
  const found = find(run, type, name);
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};
const ITEM = "onepassword:index/item:Item";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const GUARD = "pulumi-nodejs:dynamic/onepassword:ItemTitleGuard";

let plain: MockRun;
let adopted: MockRun;
let rotated: MockRun;
beforeAll(async () => {
  plain = await evaluate({});
  adopted = await evaluate({ buckets: WAREHOUSE, adopt: ADOPT });
  rotated = await evaluate({
    buckets: WAREHOUSE,
    adopt: ADOPT,
    s3KeyRotation: { nessie: "2" },
    credentials: credentialsWithRotation("nessie-postgres"),
  });
}, 60_000);

describe("without adopt", () => {
  it("imports nothing, and guards every item it creates by a title lookup", () => {
    expect(plain.resources.filter((r) => r.importId !== undefined)).toEqual([]);
    const guards = plain.resources.filter((r) => r.type === GUARD);
    expect(guards.map((g) => g.name).sort()).toEqual([
      "credentials-nessie-postgres-title",
      "credentials-nessie-s3-credentials-title",
      "credentials-spark-s3-credentials-title",
      "credentials-trino-s3-credentials-title",
    ]);
    for (const guard of guards) {
      const item = one(plain, ITEM, guard.name.replace(/-title$/, ""));
      expect(item.dependencies).toContain(guard.urn);
      expect(isSecretValue(guard.inputs.token)).toBe(true);
    }
  });
});

describe("with adopt", () => {
  it("imports the bucket, its versioning and policy, protected and kept on delete; the lifecycle merges", () => {
    for (const [type, name, importId] of [
      ["aws:s3/bucket:Bucket", "storage-warehouse", "iceberg-test"],
      ["aws:s3/bucketVersioning:BucketVersioning", "storage-warehouse-versioning", "iceberg-test"],
      ["aws:s3/bucketPolicy:BucketPolicy", "storage-warehouse-policy", "iceberg-test"],
      ["pulumi-nodejs:dynamic/s3:BucketLifecycle", "storage-warehouse-lifecycle", undefined],
    ] as const) {
      expect({ name, ...pick(one(adopted, type, name)) }).toEqual({ name, importId, protect: true, retainOnDelete: true });
    }
    // The other bucket is the stack's own, as before.
    expect(pick(one(adopted, "aws:s3/bucket:Bucket", "storage-nessie-backup"))).toEqual({ importId: undefined, protect: true, retainOnDelete: true });
    // Protected like every policy (issue 19: its loss locks the apps out), not retained.
    expect(pick(one(adopted, "aws:s3/bucketPolicy:BucketPolicy", "storage-nessie-backup-policy"))).toEqual({
      importId: undefined,
      protect: true,
      retainOnDelete: false,
    });
  });

  it("takes over the hand-made user by its uid and key (no import: a dynamic resource), and grants it by that uid", () => {
    const user = one(adopted, "pulumi-nodejs:dynamic/rgw:RgwUser", "storage-user-nessie");
    expect(reveal(user.inputs)).toMatchObject({ uid: "iceberg", adopt: { accessKey: HAND_KEY, readSecret: false } });
    expect(pick(user)).toEqual({ importId: undefined, protect: true, retainOnDelete: true });
    const policy = JSON.parse(String(reveal(one(adopted, "aws:s3/bucketPolicy:BucketPolicy", "storage-warehouse-policy").inputs.policy))) as {
      Statement: { Principal: { AWS: string[] } }[];
    };
    const principals = policy.Statement.flatMap((s) => s.Principal.AWS);
    expect(principals).toContain("arn:aws:iam:::user/iceberg");
    expect(principals).not.toContain("arn:aws:iam:::user/data-platform-dev-nessie");
    expect(reveal(one(adopted, "pulumi-nodejs:dynamic/rgw:RgwUser", "storage-user-spark").inputs)).not.toHaveProperty("adopt");
  });

  it("imports the items, keeps their secret fields and everything the stack does not write, with no RandomPassword and no guard", () => {
    const postgres = one(adopted, ITEM, "credentials-nessie-postgres");
    expect(pick(postgres)).toEqual({ importId: POSTGRES_ITEM, protect: true, retainOnDelete: true });
    expect(postgres.ignoreChanges.sort()).toEqual(["noteValue", "password", "passwordRecipe", "sections", "tags", "url"]);
    // No password input at all: nothing the engine or the provider could write over the live one.
    expect(postgres.inputs).not.toHaveProperty("password");
    expect(reveal(postgres.inputs)).toMatchObject({ username: "nessie", database: "nessie", port: "5432", type: "postgresql" });
    expect(find(adopted, PASSWORD, "credentials-nessie-postgres-password")).toBeUndefined();
    expect(find(adopted, GUARD, "credentials-nessie-postgres-title")).toBeUndefined();

    const s3 = one(adopted, ITEM, "credentials-nessie-s3-credentials");
    expect(pick(s3)).toEqual({ importId: S3_ITEM, protect: true, retainOnDelete: true });
    expect(s3.ignoreChanges.sort()).toEqual(["database", "hostname", "noteValue", "password", "passwordRecipe", "port", "tags", "type", "url", "username"]);
    expect(s3.inputs).not.toHaveProperty("password");
    // The username input is the adopted key itself (the live value), still a secret.
    expect(isSecretValue(s3.inputs.username)).toBe(true);
    expect(reveal(s3.inputs.username)).toBe(HAND_KEY);
    expect(find(adopted, GUARD, "credentials-nessie-s3-credentials-title")).toBeUndefined();
    // Items not adopted are the stack's own, guarded as before.
    expect(pick(one(adopted, ITEM, "credentials-spark-s3-credentials")).importId).toBeUndefined();
    expect(find(adopted, GUARD, "credentials-spark-s3-credentials-title")).toBeDefined();
  });

  it("imports the listed Kubernetes objects, protected and kept on delete, and only those", () => {
    const imported = adopted.resources.filter((r) => r.type.startsWith("kubernetes:") && r.importId !== undefined);
    expect(imported.map((r) => [r.type, r.name, r.importId, r.protect, r.retainOnDelete])).toEqual([
      ["kubernetes:core/v1:Namespace", "credentials-external-secrets-namespace", "external-secrets", true, true],
      ["kubernetes:core/v1:Secret", "credentials-onepassword-token", "external-secrets/onepassword-token", true, true],
      ["kubernetes:source.toolkit.fluxcd.io/v1:GitRepository", "flux-source", "flux-system/data-platform", true, true],
      ["kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", "flux-nessie", "flux-system/nessie", true, true],
    ]);
  });

  it("changes nothing else in the graph", () => {
    const shape = (run: MockRun) =>
      run.resources
        .filter((r) => r.type !== GUARD && r.type !== PASSWORD)
        .map((r) => `${r.type}::${r.name}`)
        .sort();
    expect(shape(adopted)).toEqual(shape(plain));
  });
});

describe("the first deliberate rotation", () => {
  it("of a kept password makes the RandomPassword and writes it (password no longer ignored)", () => {
    const postgres = one(rotated, ITEM, "credentials-nessie-postgres");
    const password = one(rotated, PASSWORD, "credentials-nessie-postgres-password");
    expect(reveal(password.inputs.keepers)).toEqual({ rotation: "2" });
    expect(isSecretValue(postgres.inputs.password)).toBe(true);
    expect(postgres.ignoreChanges).not.toContain("password");
    expect(postgres.importId).toBe(POSTGRES_ITEM);
  });

  it("of an adopted app's keys writes the new key pair to its item", () => {
    const s3 = one(rotated, ITEM, "credentials-nessie-s3-credentials");
    expect(s3.ignoreChanges).not.toContain("password");
    expect(s3.ignoreChanges).not.toContain("username");
    expect(reveal(s3.inputs.username)).not.toBe(HAND_KEY);
    expect(isSecretValue(s3.inputs.password)).toBe(true);
  });
});

function pick(r: RecordedResource) {
  return { importId: r.importId, protect: r.protect, retainOnDelete: r.retainOnDelete };
}

describe("ItemTitleGuard against a Connect server", () => {
  let connect: FakeConnect;
  beforeAll(async () => {
    connect = await startFakeConnect("data-platform-dev");
  });
  afterAll(() => connect.close());
  beforeEach(() => {
    connect.items.length = 0;
  });
  const inputs = (title: string): ItemTitleGuardInputs => ({
    connectUrl: connect.url,
    token: connect.token,
    vaultUuid: connect.vaultId,
    vaultName: "data-platform-dev",
    title,
    keep: ["password"],
  });
  const handMade = (title: string) => ({
    ...fullItem(connect.vaultId, { title, category: "DATABASE", builtin: { username: "nessie", password: "hand-typed" } }),
    tags: [],
  });

  it("lets the stack create an item whose title is free", async () => {
    await expect(itemTitleGuardProvider.create(inputs("nessie-postgres"))).resolves.toMatchObject({ id: `${connect.vaultId}/nessie-postgres` });
    expect(connect.requests).toContain(`GET /v1/vaults/${connect.vaultId}/items?filter=title%20eq%20%22nessie-postgres%22`);
  });

  it("refuses a title a hand-made item holds, naming the item and the adopt entry to add", async () => {
    connect.items.push(handMade("nessie-postgres"));
    const id = connect.items[0].id;
    await expect(itemTitleGuardProvider.create(inputs("nessie-postgres"))).rejects.toThrow(
      `1Password item "nessie-postgres" already exists in vault data-platform-dev (item ${id}; not written by this stack): the stack does not create a second item with this title (External Secrets fails on duplicate titles). Take it over: add data-platform:adopt.items.nessie-postgres: {id: vaults/${connect.vaultId}/items/${id}, keep: [password]}`,
    );
  });

  it("accepts the stack's own item (a stack older than the guard), refuses two items of one title", async () => {
    connect.items.push(fullItem(connect.vaultId, { title: "nessie-postgres", category: "DATABASE", builtin: { password: "x" } }));
    await expect(itemTitleGuardProvider.create(inputs("nessie-postgres"))).resolves.toBeDefined();
    connect.items.push(fullItem(connect.vaultId, { title: "nessie-postgres", category: "DATABASE", builtin: { password: "y" } }));
    await expect(itemTitleGuardProvider.create(inputs("nessie-postgres"))).rejects.toThrow(/2 items have this title/);
  });

  it("names the endpoint and the config key when Connect refuses the token (never the token)", async () => {
    const error = await itemTitleGuardProvider.create({ ...inputs("x"), token: "wrong-token" }).catch((e: unknown) => e);
    expect(String(error)).toContain(`Connect at ${connect.url} answered 401 (check onepasswordToken)`);
    expect(String(error)).not.toContain("wrong-token");
  });

  it("titleProblem is pure: s3 items are kept with their username", () => {
    expect(titleProblem({ title: "a", vaultUuid: "v", vaultName: "n", keep: ["username", "password"] }, [{ id: "i", title: "a", tags: [] }])).toContain(
      "keep: [username, password]",
    );
    expect(titleProblem({ title: "a", vaultUuid: "v", vaultName: "n", keep: ["password"] }, [{ id: "i", title: "b", tags: [] }])).toBeUndefined();
  });
});
