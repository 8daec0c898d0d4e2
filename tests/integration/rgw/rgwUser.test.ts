/**
 * The RgwUser dynamic provider against a real Ceph RGW: CRUD, drift detection, key rotation,
 * clear errors, and the provider as Pulumi runs it (serialized, evaluated in a fresh node process).
 */
import { CreateBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { createRgwAdminClient, type RgwAdminClient } from "../../../components/rgwAdmin";
import { rgwUserProvider, type RgwUserProviderInputs, type RgwUserState } from "../../../components/rgwUser";
import { closedPort, radosgwAdmin, s3Client, startRgwCluster, stopRgwCluster, type RgwCluster } from "./cephRgwCluster";
import { runSerializedProvider } from "./serializedProvider";


let cluster: RgwCluster | undefined;
let admin: RgwAdminClient;

beforeAll(async () => {
  cluster = await startRgwCluster();
  console.log(`Ceph RGW started in ${cluster.startSeconds.toFixed(1)} s at ${cluster.endpoint}`);
  admin = createRgwAdminClient({
    endpoint: cluster.endpoint,
    accessKey: cluster.adminAccessKey,
    secretKey: cluster.adminSecretKey,
  });
});

afterAll(async () => {
  await stopRgwCluster(cluster);
});

function requireCluster(): RgwCluster {
  if (!cluster) throw new Error("the Ceph RGW cluster did not start");
  return cluster;
}

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

async function s3KeyWorks(accessKey: string, secretKey: string): Promise<boolean> {
  try {
    await s3Client(requireCluster(), accessKey, secretKey).send(new ListBucketsCommand({}));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === "InvalidAccessKeyId") return false;
    throw error;
  }
}

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

  it("rotates the key in place: new key works, old key is removed", async () => {
    const inputs = inputsFor("rotated");
    const state = await createUser(inputs);
    const rotatedInputs = { ...inputs, keyRotation: "2026-11" };
    const diff = await rgwUserProvider.diff?.("rotated", state, rotatedInputs);
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });

    const updated = (await rgwUserProvider.update?.("rotated", state, rotatedInputs))?.outs as RgwUserState;
    expect(updated.accessKey).not.toBe(state.accessKey);
    expect((await admin.getUser("rotated"))?.keys.map((key) => key.accessKey)).toEqual([updated.accessKey]);
    expect(await s3KeyWorks(updated.accessKey, updated.secretKey)).toBe(true);
    expect(await s3KeyWorks(state.accessKey, state.secretKey)).toBe(false);
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

  it("keeps a user that owns buckets unless purgeDataOnDelete, then purges", async () => {
    const state = await createUser(inputsFor("bucket-owner"));
    await s3Client(requireCluster(), state.accessKey, state.secretKey).send(
      new CreateBucketCommand({ Bucket: "owned-by-bucket-owner" }),
    );

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
      name: "RgwAdminError",
      message:
        `RGW admin API at ${endpoint}: admin credentials rejected (403 SignatureDoesNotMatch on PUT /admin/user uid=never-1)` +
        " — check rgwAdminAccessKey/rgwAdminSecretKey",
    });
  });

  it("says the admin access key is unknown", async () => {
    await expect(
      rgwUserProvider.create(inputsFor("never-2", { adminAccessKey: "NOSUCHKEY0000000000X" })),
    ).rejects.toThrow(/admin credentials rejected \(403 InvalidAccessKeyId .*check rgwAdminAccessKey\/rgwAdminSecretKey/);
  });

  it("says the admin user lacks caps", async () => {
    const noCaps = JSON.parse(
      await radosgwAdmin(requireCluster(), ["user", "create", "--uid=no-caps", "--display-name=no caps"]),
    ) as { keys: { access_key: string; secret_key: string }[] };
    const inputs = inputsFor("never-3", {
      adminAccessKey: noCaps.keys[0].access_key,
      adminSecretKey: noCaps.keys[0].secret_key,
    });
    await expect(rgwUserProvider.create(inputs)).rejects.toThrow(
      /admin user lacks caps users=\* .*\(403 AccessDenied on PUT \/admin\/user uid=never-3\)/,
    );
  });

  it("says the endpoint refuses connections", async () => {
    const port = await closedPort();
    await expect(
      rgwUserProvider.read?.("x", { ...inputsFor("x"), endpoint: `http://127.0.0.1:${port}`, accessKey: "", secretKey: "" }),
    ).rejects.toMatchObject({
      name: "RgwAdminError",
      message: `cannot reach RGW admin API at http://127.0.0.1:${port}: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)`,
    });
  });

  it("says the endpoint's host does not resolve", async () => {
    await expect(
      rgwUserProvider.create(inputsFor("never-4", { endpoint: "http://rgw.does-not-exist.invalid:7480" })),
    ).rejects.toThrow(
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
      badCredentials: { name: string; message: string; isError: boolean };
      afterDelete: object;
      }>(
      rgwUserProvider,
      inputsFor("serialized"),
      `
        const created = await provider.create(inputs);
        const read = await provider.read(created.id, created.outs);
        const rotated = await provider.update(created.id, created.outs, { ...inputs, keyRotation: "r1" });
        let badCredentials;
        try { await provider.create({ ...inputs, uid: "never-serialized", adminSecretKey: "wrong" }); }
        catch (error) { badCredentials = { name: error.name, message: error.message, isError: error instanceof Error }; }
        await provider.delete(created.id, rotated.outs);
        const afterDelete = await provider.read(created.id, rotated.outs);
        return { created, read, rotated, badCredentials, afterDelete };
      `,
    );
    expect(result.created.id).toBe("serialized");
    expect(result.read.props).toEqual(result.created.outs);
    expect(result.rotated.outs.accessKey).not.toBe(result.created.outs.accessKey);
    expect(result.badCredentials).toEqual({
      name: "RgwAdminError",
      isError: true,
      message: expect.stringMatching(/admin credentials rejected \(403 SignatureDoesNotMatch/),
    });
    expect(result.afterDelete).toEqual({});
    expect(await admin.getUser("serialized")).toBeUndefined();
  });
});
