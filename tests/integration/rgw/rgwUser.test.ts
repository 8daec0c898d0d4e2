/**
 * The RgwUser dynamic provider against a real Ceph RGW: CRUD, drift detection, two-phase key
 * rotation, clear errors, and the provider as Pulumi runs it (serialized, evaluated in a fresh node process).
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import type { RgwAdminClient } from "../../../providers/rgwAdmin";
import { managedAccessKey, rgwUserProvider, type RgwUserProviderInputs, type RgwUserState } from "../../../providers/rgwUser";
import { adminClient, closedPort, radosgwAdmin, s3Client, s3KeyWorks as keyWorksOn, useRgwCluster } from "./cephRgwCluster";
import { runSerializedProvider } from "./serializedProvider";

const requireCluster = useRgwCluster();
let admin: RgwAdminClient;

beforeAll(() => {
  admin = adminClient(requireCluster());
});

function inputsFor(uid: string, overrides: Partial<RgwUserProviderInputs> = {}): RgwUserProviderInputs {
  const { endpoint, adminAccessKey, adminSecretKey } = requireCluster();
  return {
    endpoint,
    region: "us-east-1",
    adminAccessKey,
    adminSecretKey,
    uid,
    displayName: `User ${uid}`,
    keyRotation: "",
    purgeDataOnDelete: false,
    ...overrides,
  };
}

const s3KeyWorks = (accessKey: string, secretKey: string): Promise<boolean> => keyWorksOn(requireCluster(), accessKey, secretKey);

async function createUser(inputs: RgwUserProviderInputs): Promise<RgwUserState> {
  const result = await rgwUserProvider.create(inputs);
  expect(result.id).toBe(inputs.uid);
  return result.outs as RgwUserState;
}

describe("RgwUser provider against Ceph RGW", () => {
  it("creates a user whose S3 key works, and reads it back unchanged", async () => {
    const inputs = inputsFor("create-read");
    const state = await createUser(inputs);
    expect(state).toMatchObject({ ...inputs, accessKey: expect.any(String), secretKey: expect.any(String) });
    expect(await s3KeyWorks(state.accessKey, state.secretKey)).toBe(true);

    const user = await admin.getUser("create-read");
    expect(user?.displayName).toBe("User create-read");
    expect(user?.keys.map((key) => key.accessKey)).toEqual([state.accessKey]);

    const read = await rgwUserProvider.read?.("create-read", state);
    expect(read).toEqual({ id: "create-read", props: state });
    await expect(rgwUserProvider.diff?.("create-read", read?.props as RgwUserState, inputs)).resolves.toMatchObject({
      changes: false,
    });
  });

  it("detects a display name changed outside Pulumi and restores it", async () => {
    const inputs = inputsFor("renamed");
    const state = await createUser(inputs);
    await radosgwAdmin(requireCluster(), ["user", "modify", "--uid=renamed", "--display-name=Changed by hand"]);

    const read = await rgwUserProvider.read?.("renamed", state);
    expect(read?.props).toMatchObject({ displayName: "Changed by hand", accessKey: state.accessKey });
    const diff = await rgwUserProvider.diff?.("renamed", read?.props as RgwUserState, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });

    const updated = await rgwUserProvider.update?.("renamed", read?.props as RgwUserState, inputs);
    expect(updated?.outs).toMatchObject({ displayName: "User renamed", accessKey: state.accessKey });
    expect((await admin.getUser("renamed"))?.displayName).toBe("User renamed");
  });

  it("reads a user deleted behind its back as gone", async () => {
    const state = await createUser(inputsFor("deleted-outside"));
    await radosgwAdmin(requireCluster(), ["user", "rm", "--uid=deleted-outside"]);
    await expect(rgwUserProvider.read?.("deleted-outside", state)).resolves.toEqual({});
  });

  it("rotates in two phases: the old key works until the next rotation removes it", async () => {
    const inputs = inputsFor("rotated");
    const key1 = await createUser(inputs);
    expect(key1.previousAccessKey).toBe("");
    const keysOnUser = async () => (await admin.getUser("rotated"))?.keys.map((key) => key.accessKey).sort();
    // A key made by hand is not RgwUser's: rotations must leave it alone.
    const foreign = JSON.parse(
      await radosgwAdmin(requireCluster(), ["key", "create", "--uid=rotated", "--key-type=s3", "--gen-access-key", "--gen-secret"]),
    ) as { keys: { access_key: string; secret_key: string }[] };
    const foreignKey = foreign.keys.find((key) => key.access_key !== key1.accessKey);
    if (!foreignKey) throw new Error("radosgw-admin key create returned no new key");

    const inputs1 = { ...inputs, keyRotation: "2026-11" };
    const diff = await rgwUserProvider.diff?.("rotated", key1, inputs1);
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    const key2 = (await rgwUserProvider.update?.("rotated", key1, inputs1))?.outs as RgwUserState;
    expect(key2.accessKey).not.toBe(key1.accessKey);
    expect(key2.previousAccessKey).toBe(key1.accessKey);
    expect(await keysOnUser()).toEqual([key1.accessKey, key2.accessKey, foreignKey.access_key].sort());
    expect(await s3KeyWorks(key1.accessKey, key1.secretKey)).toBe(true);
    expect(await s3KeyWorks(key2.accessKey, key2.secretKey)).toBe(true);
    // Refresh after rotation 1 agrees with the state and plans nothing.
    const read = await rgwUserProvider.read?.("rotated", key2);
    expect(read).toEqual({ id: "rotated", props: key2 });
    await expect(rgwUserProvider.diff?.("rotated", key2, inputs1)).resolves.toMatchObject({ changes: false });

    const inputs2 = { ...inputs, keyRotation: "2027-05" };
    const key3 = (await rgwUserProvider.update?.("rotated", key2, inputs2))?.outs as RgwUserState;
    expect(key3.previousAccessKey).toBe(key2.accessKey);
    expect(new Set([key1.accessKey, key2.accessKey]).has(key3.accessKey)).toBe(false);
    expect(await keysOnUser()).toEqual([key2.accessKey, key3.accessKey, foreignKey.access_key].sort());
    expect(await s3KeyWorks(key1.accessKey, key1.secretKey)).toBe(false);
    expect(await s3KeyWorks(key2.accessKey, key2.secretKey)).toBe(true);
    expect(await s3KeyWorks(key3.accessKey, key3.secretKey)).toBe(true);
    expect(await s3KeyWorks(foreignKey.access_key, foreignKey.secret_key)).toBe(true);
  });

  it("reads a previous key removed outside Pulumi as none, without planning an update", async () => {
    const inputs = inputsFor("previous-removed");
    const created = await createUser(inputs);
    const rotatedInputs = { ...inputs, keyRotation: "r1" };
    const rotated = (await rgwUserProvider.update?.("previous-removed", created, rotatedInputs))?.outs as RgwUserState;
    await radosgwAdmin(requireCluster(), ["key", "rm", "--uid=previous-removed", `--access-key=${created.accessKey}`]);

    const read = (await rgwUserProvider.read?.("previous-removed", rotated))?.props as RgwUserState;
    expect(read).toEqual({ ...rotated, previousAccessKey: "" });
    await expect(rgwUserProvider.diff?.("previous-removed", read, rotatedInputs)).resolves.toMatchObject({ changes: false });
    // The next rotation, even from the unrefreshed state, has nothing stale to remove.
    const next = (await rgwUserProvider.update?.("previous-removed", rotated, { ...inputs, keyRotation: "r2" }))?.outs as RgwUserState;
    expect(next.previousAccessKey).toBe(rotated.accessKey);
    expect((await admin.getUser("previous-removed"))?.keys.map((key) => key.accessKey).sort()).toEqual([rotated.accessKey, next.accessKey].sort());
  });

  it("replaces a key removed outside Pulumi on the next update", async () => {
    const inputs = inputsFor("key-removed");
    const state = await createUser(inputs);
    await radosgwAdmin(requireCluster(), ["key", "rm", "--uid=key-removed", `--access-key=${state.accessKey}`]);

    const read = (await rgwUserProvider.read?.("key-removed", state))?.props as RgwUserState;
    expect(read).toMatchObject({ accessKey: "", secretKey: "" });
    expect(await rgwUserProvider.diff?.("key-removed", read, inputs)).toMatchObject({ changes: true });
    const updated = (await rgwUserProvider.update?.("key-removed", read, inputs))?.outs as RgwUserState;
    expect(await s3KeyWorks(updated.accessKey, updated.secretKey)).toBe(true);
  });

  it("gives the key the id chosen for its rotation value (RGW honours access-key with generate-key)", async () => {
    const state = await createUser(inputsFor("chosen-id", { keyRotation: "7" }));
    expect(state.accessKey).toBe(managedAccessKey("chosen-id", "7"));
    expect(await s3KeyWorks(state.accessKey, state.secretKey)).toBe(true);
  });

  // Rows of issue #10: engine killed during a create / answer lost, then re-run.
  it("adopts the user an interrupted create left (same display name): one tracked, working key", async () => {
    const inputs = inputsFor("half-created", { keyRotation: "1" });
    // What RGW holds after a create whose answer never arrived, plus a key an earlier interrupted run made.
    await admin.createUser("half-created", inputs.displayName, managedAccessKey("half-created", "1"));
    await admin.createKey("half-created", managedAccessKey("half-created", "0"));
    const state = await createUser(inputs);
    expect(state.accessKey).toBe(managedAccessKey("half-created", "1"));
    expect((await admin.getUser("half-created"))?.keys.map((key) => key.accessKey)).toEqual([state.accessKey]);
    expect(await s3KeyWorks(state.accessKey, state.secretKey)).toBe(true);
  });

  it("still refuses a uid that belongs to someone else", async () => {
    await radosgwAdmin(requireCluster(), ["user", "create", "--uid=taken", "--display-name=not ours"]);
    await expect(rgwUserProvider.create(inputsFor("taken"))).rejects.toThrow(/already exists .*not this resource's/);
    expect((await admin.getUser("taken"))?.displayName).toBe("not ours");
  });

  it("finishes a rotation whose answer was lost, leaving no untracked working key", async () => {
    const inputs = inputsFor("lost-rotation", { keyRotation: "1" });
    const created = await createUser(inputs);
    // The lost answer: RGW made the key for rotation "2", the engine kept `created`.
    await admin.createKey("lost-rotation", managedAccessKey("lost-rotation", "2"));
    const rotated = (await rgwUserProvider.update?.("lost-rotation", created, { ...inputs, keyRotation: "2" }))?.outs as RgwUserState;
    expect(rotated).toMatchObject({ accessKey: managedAccessKey("lost-rotation", "2"), previousAccessKey: created.accessKey });
    expect((await admin.getUser("lost-rotation"))?.keys.map((key) => key.accessKey).sort()).toEqual([created.accessKey, rotated.accessKey].sort());
    expect(await s3KeyWorks(rotated.accessKey, rotated.secretKey)).toBe(true);
  });

  // Row: user suspended by hand.
  it("sees a user suspended by hand as drift, and update un-suspends it", async () => {
    const inputs = inputsFor("suspended");
    const state = await createUser(inputs);
    await radosgwAdmin(requireCluster(), ["user", "suspend", "--uid=suspended"]);
    const read = (await rgwUserProvider.read?.("suspended", state))?.props as RgwUserState;
    expect(read.suspended).toBe(true);
    await expect(rgwUserProvider.diff?.("suspended", read, inputs)).resolves.toMatchObject({ changes: true, replaces: [] });
    const updated = (await rgwUserProvider.update?.("suspended", read, inputs))?.outs as RgwUserState;
    expect(updated).toEqual(state);
    expect((await admin.getUser("suspended"))?.suspended).toBe(false);
    expect(await s3KeyWorks(state.accessKey, state.secretKey)).toBe(true);
  });

  // Row: endpoint with a path: destroy reported success and the user stayed.
  it("refuses to delete through an endpoint with a path, and the user is still there", async () => {
    const state = await createUser(inputsFor("path-endpoint"));
    await expect(rgwUserProvider.delete?.("path-endpoint", { ...state, endpoint: `${state.endpoint}/path-endpoint` })).rejects.toMatchObject({
      kind: "invalidEndpoint",
    });
    expect(await admin.getUser("path-endpoint")).toBeDefined();
  });

  it("keeps a user that owns buckets unless purgeDataOnDelete, then purges", async () => {
    const state = await createUser(inputsFor("bucket-owner"));
    await s3Client(requireCluster(), state.accessKey, state.secretKey).send(new CreateBucketCommand({ Bucket: "owned-by-bucket-owner" }));

    await expect(rgwUserProvider.delete?.("bucket-owner", state)).rejects.toThrow(
      /refuses to delete the user without purging its data because it still owns buckets \(409 BucketAlreadyExists.*purgeDataOnDelete=false, so its buckets and data are kept/,
    );
    expect(await admin.getUser("bucket-owner")).toBeDefined();

    await rgwUserProvider.delete?.("bucket-owner", { ...state, purgeDataOnDelete: true });
    expect(await admin.getUser("bucket-owner")).toBeUndefined();
    // Deleting again (already gone) succeeds.
    await expect(rgwUserProvider.delete?.("bucket-owner", state)).resolves.toBeUndefined();
  });

  it("deletes a user without buckets when purgeDataOnDelete is false", async () => {
    const state = await createUser(inputsFor("plain-delete"));
    await rgwUserProvider.delete?.("plain-delete", state);
    expect(await admin.getUser("plain-delete")).toBeUndefined();
  });
});

describe("clear errors", () => {
  it("says the admin secret is rejected", async () => {
    const { endpoint } = requireCluster();
    await expect(rgwUserProvider.create(inputsFor("never-1", { adminSecretKey: "wrong" }))).rejects.toMatchObject({
      name: "RgwError",
      message:
        `RGW admin API at ${endpoint}: admin credentials rejected (403 SignatureDoesNotMatch on PUT /admin/user uid=never-1)` +
        " — check rgwAdminAccessKey/rgwAdminSecretKey",
    });
  });

  it("says the admin access key is unknown", async () => {
    await expect(rgwUserProvider.create(inputsFor("never-2", { adminAccessKey: "NOSUCHKEY0000000000X" }))).rejects.toThrow(
      /admin credentials rejected \(403 InvalidAccessKeyId .*check rgwAdminAccessKey\/rgwAdminSecretKey/,
    );
  });

  it("says the admin user lacks caps", async () => {
    const noCaps = JSON.parse(await radosgwAdmin(requireCluster(), ["user", "create", "--uid=no-caps", "--display-name=no caps"])) as {
      keys: { access_key: string; secret_key: string }[];
    };
    const inputs = inputsFor("never-3", {
      adminAccessKey: noCaps.keys[0].access_key,
      adminSecretKey: noCaps.keys[0].secret_key,
    });
    await expect(rgwUserProvider.create(inputs)).rejects.toThrow(/admin user lacks caps users=\* .*\(403 AccessDenied on PUT \/admin\/user uid=never-3\)/);
  });

  it("says the endpoint refuses connections", async () => {
    const port = await closedPort();
    await expect(
      rgwUserProvider.read?.("x", {
        ...inputsFor("x"),
        endpoint: `http://127.0.0.1:${port}`,
        accessKey: "",
        secretKey: "",
        previousAccessKey: "",
        suspended: false,
      }),
    ).rejects.toMatchObject({
      name: "RgwError",
      message: `cannot reach RGW admin API at http://127.0.0.1:${port}: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`,
    });
  });

  it("says the endpoint's host does not resolve", async () => {
    await expect(rgwUserProvider.create(inputsFor("never-4", { endpoint: "http://rgw.does-not-exist.invalid:7480" }))).rejects.toThrow(
      /^cannot reach RGW admin API at http:\/\/rgw\.does-not-exist\.invalid:7480: (ENOTFOUND|EAI_AGAIN) — check rgw\.endpoint/,
    );
  });
});

describe("the provider as Pulumi runs it", () => {
  it("serializes, and the serialized text works in a fresh node process", async () => {
    const result = await runSerializedProvider<{
      created: { id: string; outs: RgwUserState };
      read: { props: RgwUserState };
      rotated: { outs: RgwUserState };
      rotatedAgain: { outs: RgwUserState };
      readRotated: { props: RgwUserState };
      badCredentials: { name: string; message: string; isError: boolean };
    }>(
      rgwUserProvider,
      inputsFor("serialized"),
      `
        const created = await provider.create(inputs);
        const read = await provider.read(created.id, created.outs);
        const rotated = await provider.update(created.id, created.outs, { ...inputs, keyRotation: "r1" });
        const rotatedAgain = await provider.update(created.id, rotated.outs, { ...inputs, keyRotation: "r2" });
        const readRotated = await provider.read(created.id, rotatedAgain.outs);
        let badCredentials;
        try { await provider.create({ ...inputs, uid: "never-serialized", adminSecretKey: "wrong" }); }
        catch (error) { badCredentials = { name: error.name, message: error.message, isError: error instanceof Error }; }
        return { created, read, rotated, rotatedAgain, readRotated, badCredentials };
      `,
    );
    const [key1, key2, key3] = [result.created.outs, result.rotated.outs, result.rotatedAgain.outs];
    expect(result.created.id).toBe("serialized");
    expect(result.read.props).toEqual(key1);
    expect(key2).toMatchObject({ keyRotation: "r1", previousAccessKey: key1.accessKey });
    expect(key3).toMatchObject({ keyRotation: "r2", previousAccessKey: key2.accessKey });
    expect(result.readRotated.props).toEqual(key3);
    // Rotation 2 removed the first key: the user has the last two.
    expect((await admin.getUser("serialized"))?.keys.map((key) => key.accessKey).sort()).toEqual([key2.accessKey, key3.accessKey].sort());
    expect(await s3KeyWorks(key1.accessKey, key1.secretKey)).toBe(false);
    expect(await s3KeyWorks(key2.accessKey, key2.secretKey)).toBe(true);
    expect(await s3KeyWorks(key3.accessKey, key3.secretKey)).toBe(true);
    expect(result.badCredentials).toEqual({
      name: "RgwError",
      isError: true,
      message: expect.stringMatching(/admin credentials rejected \(403 SignatureDoesNotMatch/),
    });

    // Delete in another fresh process, from the state the rotations left.
    const afterDelete = await runSerializedProvider<object>(
      rgwUserProvider,
      key3,
      `
        await provider.delete(inputs.uid, inputs);
        return await provider.read(inputs.uid, inputs);
      `,
    );
    expect(afterDelete).toEqual({});
    expect(await admin.getUser("serialized")).toBeUndefined();
  });
});

describe("adopting a user made by hand (radosgw-admin), as config adopt.users asks", () => {
  /** Access key ids are unique across RGW: each hand-made user gets its own pair. */
  const keyIds = (uid: string): [string, string] => [`HAND1${uid.toUpperCase().replace(/-/g, "")}`, `HAND2${uid.toUpperCase().replace(/-/g, "")}`];
  /** A user as a person makes it: two keys of their choosing, and a bucket made with the first. */
  async function handMadeUser(uid: string): Promise<[string, string]> {
    const cluster = requireCluster();
    const [key1, key2] = keyIds(uid);
    await radosgwAdmin(cluster, [
      "user",
      "create",
      `--uid=${uid}`,
      "--display-name=hand made shared user",
      `--access-key=${key1}`,
      "--secret-key=hand-made-secret-1",
    ]);
    await radosgwAdmin(cluster, ["key", "create", `--uid=${uid}`, "--key-type=s3", `--access-key=${key2}`, "--secret-key=hand-made-secret-2"]);
    const client = s3Client(cluster, key1, "hand-made-secret-1");
    try {
      await client.send(new CreateBucketCommand({ Bucket: `${uid}-data` }));
    } finally {
      client.destroy();
    }
    return [key1, key2];
  }

  it("keeps the old key working as its current key, adds no key, removes nothing", async () => {
    const [key1, key2] = await handMadeUser("hand-made");
    const inputs = inputsFor("hand-made", { keyRotation: "1", adopt: { accessKey: key1, readSecret: false } });
    const state = await createUser(inputs);
    expect(state).toMatchObject({ uid: "hand-made", accessKey: key1, secretKey: "", previousAccessKey: "", suspended: false });
    const user = await admin.getUser("hand-made");
    expect(user?.keys.map((key) => key.accessKey).sort()).toEqual([key1, key2]);
    expect(user?.suspended).toBe(false);
    expect(await s3KeyWorks(key1, "hand-made-secret-1")).toBe(true);
    expect(await s3KeyWorks(key2, "hand-made-secret-2")).toBe(true);
    expect(await radosgwAdmin(requireCluster(), ["bucket", "list", "--uid=hand-made"])).toContain("hand-made-data");

    // A refresh and a second run see nothing to do, and add no secret.
    const read = await rgwUserProvider.read?.("hand-made", state);
    expect(read?.props).toEqual(state);
    await expect(rgwUserProvider.diff?.("hand-made", read?.props as RgwUserState, inputs)).resolves.toMatchObject({ changes: false });

    // readSecret (the app's 1Password item is the stack's): the key's secret, read through the admin API.
    const withSecret = await createUser({ ...inputs, adopt: { accessKey: key1, readSecret: true } });
    expect(withSecret.secretKey).toBe("hand-made-secret-1");
    expect((await admin.getUser("hand-made"))?.keys).toHaveLength(2);
  });

  it("reports a suspended hand-made user naming its uid, and leaves it suspended (also serialized)", async () => {
    const [key1] = await handMadeUser("hand-suspended");
    await radosgwAdmin(requireCluster(), ["user", "suspend", "--uid=hand-suspended"]);
    const inputs = inputsFor("hand-suspended", { keyRotation: "1", adopt: { accessKey: key1, readSecret: false } });
    await expect(rgwUserProvider.create(inputs)).rejects.toThrow(/RGW user "hand-suspended" is suspended: the stack reports it and does not change it/);
    const serialized = await runSerializedProvider<{ message: string }>(
      rgwUserProvider,
      inputs,
      `try { await provider.create(inputs); return { message: "created" }; } catch (error) { return { message: error.message }; }`,
    );
    expect(serialized.message).toMatch(/"hand-suspended" is suspended.*radosgw-admin user enable --uid=hand-suspended/);
    const user = await admin.getUser("hand-suspended");
    expect(user?.suspended).toBe(true);
    expect(user?.keys).toHaveLength(2);
    expect(user?.displayName).toBe("hand made shared user");
  });

  it("refuses a key the user does not hold, and a uid that does not exist, creating nothing", async () => {
    await handMadeUser("hand-other");
    await expect(rgwUserProvider.create(inputsFor("hand-other", { adopt: { accessKey: "NOTHERKEY", readSecret: false } }))).rejects.toThrow(
      /cannot adopt RGW user "hand-other": it has no access key NOTHERKEY \(it has 2 keys\)/,
    );
    await expect(rgwUserProvider.create(inputsFor("never-made", { adopt: { accessKey: "HAND1NEVERMADE", readSecret: false } }))).rejects.toThrow(
      /"never-made": it does not exist/,
    );
    expect(await admin.getUser("never-made")).toBeUndefined();
    expect((await admin.getUser("hand-other"))?.keys).toHaveLength(2);
  });
});
