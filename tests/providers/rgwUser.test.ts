import * as pulumi from "@pulumi/pulumi";
import type { RgwKey } from "../../providers/rgwAdmin";
import {
  RgwUser,
  createRgwUser,
  diffRgwUser,
  isManagedAccessKey,
  managedAccessKey,
  normalizeInputs,
  normalizeState,
  planKeyChange,
  refreshState,
  rgwUserProvider,
  rgwUserState,
  updateRgwUser,
  validateInputs,
  type RgwUserProviderInputs,
  type RgwUserState,
} from "../../providers/rgwUser";
import { FakeRgw } from "../lib/fakes/rgw";

const INPUTS: RgwUserProviderInputs = {
  endpoint: "http://127.0.0.1:7480",
  region: "us-east-1",
  adminAccessKey: "ADMIN",
  adminSecretKey: "adminsecret",
  uid: "spark",
  displayName: "Spark",
  keyRotation: "",
  purgeDataOnDelete: false,
};
const STATE: RgwUserState = { ...INPUTS, accessKey: "AK1", secretKey: "SK1", previousAccessKey: "", suspended: false };

describe("normalizeInputs", () => {
  it("applies defaults", () => {
    expect(normalizeInputs({ endpoint: " http://rgw ", uid: "a", displayName: "A" })).toEqual({
      endpoint: "http://rgw",
      region: "us-east-1",
      adminAccessKey: "",
      adminSecretKey: "",
      uid: "a",
      displayName: "A",
      keyRotation: "",
      purgeDataOnDelete: false,
    });
  });

  it("takes a timeout only when one is set (existing states have none on the wire)", () => {
    expect(normalizeInputs({ ...INPUTS }).timeoutMs).toBeUndefined();
    expect(normalizeInputs({ ...INPUTS, timeoutMs: 500 }).timeoutMs).toBe(500);
  });

  it("keeps given values and reads state keys", () => {
    expect(normalizeState({ ...STATE, purgeDataOnDelete: true, keyRotation: 3, previousAccessKey: "AK0" })).toEqual({
      ...STATE,
      purgeDataOnDelete: true,
      keyRotation: "3",
      previousAccessKey: "AK0",
    });
  });

  it("reads a state written before previousAccessKey and suspended existed as having none", () => {
    const older: Record<string, unknown> = { ...STATE };
    delete older.previousAccessKey;
    delete older.suspended;
    expect(normalizeState(older)).toEqual(STATE);
  });
});

describe("validateInputs", () => {
  it("accepts valid inputs", () => {
    expect(validateInputs(INPUTS)).toEqual([]);
  });

  it("reports each bad input", () => {
    const failures = validateInputs({ ...INPUTS, endpoint: "rgw:7480", uid: "t$u", displayName: " ", adminSecretKey: "" });
    expect(failures.map((failure) => failure.property)).toEqual(["endpoint", "uid", "displayName", "adminSecretKey"]);
    expect(failures[0].reason).toMatch(/check rgw.endpoint/);
  });

  // Regression: a path sent the admin calls to an S3 object path, and `destroy` "succeeded" with the user left.
  it("refuses an endpoint with a path, a query or userinfo", () => {
    for (const endpoint of ["http://127.0.0.1:7480/bucket", "http://127.0.0.1:7480/?a=1", "http://k:s@127.0.0.1:7480"]) {
      expect(validateInputs({ ...INPUTS, endpoint }).map((failure) => failure.property)).toEqual(["endpoint"]);
    }
  });

  it("skips values unknown during preview", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect(validateInputs({ ...INPUTS, endpoint: unknown, adminAccessKey: unknown })).toEqual([]);
  });
});

describe("diffRgwUser", () => {
  it("reports no change for identical inputs", () => {
    expect(diffRgwUser(STATE, INPUTS)).toEqual({
      changes: false,
      replaces: [],
      rotateKey: false,
      createKey: false,
      setDisplayName: false,
      unsuspend: false,
    });
  });

  it("replaces on uid change", () => {
    expect(diffRgwUser(STATE, { ...INPUTS, uid: "trino" })).toMatchObject({ changes: true, replaces: ["uid"] });
  });

  it("updates the display name in place", () => {
    expect(diffRgwUser(STATE, { ...INPUTS, displayName: "Spark jobs" })).toEqual({
      changes: true,
      replaces: [],
      rotateKey: false,
      createKey: false,
      setDisplayName: true,
      unsuspend: false,
    });
  });

  it("rotates the key in place when keyRotation changes", () => {
    expect(diffRgwUser(STATE, { ...INPUTS, keyRotation: "2026-01" })).toEqual({
      changes: true,
      replaces: [],
      rotateKey: true,
      createKey: true,
      setDisplayName: false,
      unsuspend: false,
    });
  });

  it("creates a key (without rotating) when read found the managed key gone", () => {
    expect(diffRgwUser({ ...STATE, accessKey: "", secretKey: "" }, INPUTS)).toMatchObject({
      changes: true,
      rotateKey: false,
      createKey: true,
    });
  });

  it("ignores previousAccessKey: read clearing it does not cause an update", () => {
    expect(diffRgwUser({ ...STATE, previousAccessKey: "" }, INPUTS).changes).toBe(false);
    expect(diffRgwUser({ ...STATE, previousAccessKey: "AK0" }, INPUTS).changes).toBe(false);
  });

  it.each(["endpoint", "region", "adminAccessKey", "adminSecretKey", "timeoutMs"] as const)("records a %s change without touching RGW or replacing", (key) => {
    expect(diffRgwUser(STATE, { ...INPUTS, [key]: key === "timeoutMs" ? 1000 : "changed" })).toEqual({
      changes: true,
      replaces: [],
      rotateKey: false,
      createKey: false,
      setDisplayName: false,
      unsuspend: false,
    });
  });

  // Regression: a user suspended by hand was no drift, and `up` left it suspended.
  it("un-suspends a user that read found suspended", () => {
    expect(diffRgwUser({ ...STATE, suspended: true }, INPUTS)).toMatchObject({ changes: true, replaces: [], unsuspend: true, createKey: false });
  });

  it("records a purgeDataOnDelete change", () => {
    expect(diffRgwUser(STATE, { ...INPUTS, purgeDataOnDelete: true })).toMatchObject({ changes: true, replaces: [] });
  });
});

const key = (accessKey: string): RgwKey => ({ user: "spark", accessKey, secretKey: `s-${accessKey}` });
const user = (displayName: string, keys: RgwKey[]) => ({
  uid: "spark",
  displayName,
  email: "",
  suspended: false,
  maxBuckets: 1000,
  keys,
});

describe("refreshState", () => {
  it("returns undefined when the user is gone", () => {
    expect(refreshState(STATE, undefined)).toBeUndefined();
  });

  it("takes the display name and the managed key's secret from RGW", () => {
    const refreshed = refreshState(STATE, user("Renamed", [{ user: "spark", accessKey: "AK1", secretKey: "SK1b" }]));
    expect(refreshed).toEqual({ ...STATE, displayName: "Renamed", secretKey: "SK1b" });
  });

  it("clears the key when it was removed (other keys are not adopted)", () => {
    const refreshed = refreshState(STATE, user("Spark", [{ user: "spark", accessKey: "OTHER", secretKey: "X" }]));
    expect(refreshed).toMatchObject({ accessKey: "", secretKey: "" });
  });

  it("keeps the previous key while it exists, clears it once removed outside", () => {
    const rotated = { ...STATE, previousAccessKey: "AK0" };
    expect(refreshState(rotated, user("Spark", [key("AK0"), key("AK1")]))).toMatchObject({ previousAccessKey: "AK0" });
    expect(refreshState(rotated, user("Spark", [key("AK1")]))).toMatchObject({ accessKey: "AK1", previousAccessKey: "" });
  });

  it("records a suspended user, which diffs as a change", () => {
    const refreshed = refreshState(STATE, { ...user("Spark", [key("AK1")]), suspended: true });
    expect(refreshed).toMatchObject({ suspended: true, accessKey: "AK1" });
    expect(diffRgwUser(refreshed as RgwUserState, INPUTS).changes).toBe(true);
  });
});

describe("managed access keys", () => {
  it("are 20 base32 characters, one per uid and rotation value, recognisable by uid", () => {
    const id = managedAccessKey("spark", "1");
    expect(id).toMatch(/^[A-Z2-7]{20}$/);
    expect(managedAccessKey("spark", "1")).toBe(id);
    expect(managedAccessKey("spark", "2")).not.toBe(id);
    expect(isManagedAccessKey("spark", managedAccessKey("spark", "2"))).toBe(true);
    expect(isManagedAccessKey("trino", id)).toBe(false);
    expect(isManagedAccessKey("spark", "0555B35654AD1656D804")).toBe(false);
  });
});

describe("planKeyChange", () => {
  const K = (rotation: string) => managedAccessKey("spark", rotation);
  const at = (rotation: string) => ({ uid: "spark", keyRotation: rotation });
  const tracked = { accessKey: K("1"), previousAccessKey: K("0") };

  it("rotation: removes the previous key first and demotes the current one", () => {
    expect(planKeyChange(tracked, user("Spark", [key(K("0")), key(K("1"))]), at("2"), true)).toEqual({
      remove: [K("0")],
      accessKey: K("2"),
      adopt: undefined,
      previousAccessKey: K("1"),
    });
  });

  it("first rotation: nothing to remove", () => {
    expect(planKeyChange(STATE, user("Spark", [key("AK1")]), at("2"), true)).toMatchObject({ remove: [], previousAccessKey: "AK1" });
  });

  it("rotation: skips a previous key already gone, and records no previous when the current key is gone", () => {
    expect(planKeyChange(tracked, user("Spark", [key(K("1"))]), at("2"), true)).toMatchObject({ remove: [], previousAccessKey: K("1") });
    expect(planKeyChange(tracked, user("Spark", [key(K("0"))]), at("2"), true)).toMatchObject({ remove: [K("0")], previousAccessKey: "" });
  });

  it("repair of a removed current key keeps the previous key", () => {
    expect(planKeyChange({ accessKey: "", previousAccessKey: K("0") }, user("Spark", [key(K("0"))]), at("1"), false)).toEqual({
      remove: [],
      accessKey: K("1"),
      adopt: undefined,
      previousAccessKey: K("0"),
    });
  });

  it("adopts the new key when an interrupted run made it, and removes untracked keys of its own making only", () => {
    const onUser = [key(K("0")), key(K("1")), key(K("2")), key(K("lost")), key("OPERATOR")];
    expect(planKeyChange(tracked, user("Spark", onUser), at("2"), true)).toEqual({
      remove: [K("0"), K("lost")],
      accessKey: K("2"),
      adopt: key(K("2")),
      previousAccessKey: K("1"),
    });
  });

  it("rotating back to an earlier value removes that (previous) key and makes it anew", () => {
    expect(planKeyChange(tracked, user("Spark", [key(K("0")), key(K("1"))]), at("0"), true)).toEqual({
      remove: [K("0")],
      accessKey: K("0"),
      adopt: undefined,
      previousAccessKey: K("1"),
    });
  });

  it("never touches foreign keys or the current key", () => {
    const odd = { ...STATE, previousAccessKey: "AK1" }; // previous == current: never remove it
    expect(planKeyChange(odd, user("Spark", [key("AK1"), key("FOREIGN")]), at("2"), true)).toMatchObject({ remove: [], previousAccessKey: "AK1" });
  });
});

describe("rgwUserState", () => {
  it("is the one shape every path returns", () => {
    expect(rgwUserState(INPUTS, { accessKey: "A", secretKey: "S" }, "P", true)).toEqual({
      ...INPUTS,
      accessKey: "A",
      secretKey: "S",
      previousAccessKey: "P",
      suspended: true,
    });
    expect(rgwUserState(STATE, undefined)).toEqual({ ...INPUTS, accessKey: "", secretKey: "", previousAccessKey: "", suspended: false });
  });
});

/** The table of issue #10: what an interrupted call leaves in RGW, and what the next run must make of it. */
describe("RgwUser after interrupted calls (in-memory RGW)", () => {
  let rgw: FakeRgw;
  beforeEach(() => {
    rgw = new FakeRgw();
  });
  const K = (rotation: string) => managedAccessKey("spark", rotation);
  const at = (keyRotation: string): RgwUserProviderInputs => ({ ...INPUTS, keyRotation });
  /** What the state tracks and what works must be the same set. */
  const expectOnlyTracked = (state: RgwUserState) => {
    expect(rgw.keyIds("spark").sort()).toEqual([state.accessKey, state.previousAccessKey].filter((id) => id !== "").sort());
    const current = rgw.users.get("spark")?.keys.find((candidate) => candidate.accessKey === state.accessKey);
    expect(current?.secretKey).toBe(state.secretKey);
  };

  it("creates the user with the key id of its rotation value", async () => {
    const state = await createRgwUser(rgw, at("1"));
    expect(state).toMatchObject({ accessKey: K("1"), previousAccessKey: "", suspended: false });
    expectOnlyTracked(state);
  });

  it("tracks RGW's own key, and adds none, when RGW ignores the chosen key id", async () => {
    rgw.ignoreChosenIds = true;
    const state = await createRgwUser(rgw, at("1"));
    expect(rgw.keyIds("spark")).toHaveLength(1);
    expectOnlyTracked(state);
  });

  // Row: engine killed during a user's create, then re-run (the engine has a pending create, RGW has the user).
  // Row: RGW creates the user but the answer is lost, then retry.
  it("a create that finds its own half-done user adopts it instead of failing", async () => {
    rgw.loseAnswer("createUser");
    await expect(createRgwUser(rgw, at("1"))).rejects.toMatchObject({ kind: "timeout" });
    expect(rgw.keyIds("spark")).toEqual([K("1")]);

    const state = await createRgwUser(rgw, at("1"));
    expect(state.accessKey).toBe(K("1"));
    expectOnlyTracked(state);
  });

  it("taking over its own half-done user keeps one tracked key, removes its own untracked keys, and un-suspends", async () => {
    rgw.addUser("spark", INPUTS.displayName, [K("older")]);
    rgw.users.get("spark")!.suspended = true;
    const state = await createRgwUser(rgw, at("1"));
    expect(state.accessKey).toBe(K("1"));
    expect(rgw.keyIds("spark")).toEqual([K("1")]);
    expect(rgw.users.get("spark")?.suspended).toBe(false);
  });

  // Issue 19 row: a user re-created by hand with the stack's uid and display name, holding a key the stack
  // never made, was taken over with that key left working. Now the create refuses and names the key.
  it("refuses a user with this display name that holds a key it did not make, naming the key, changing nothing", async () => {
    rgw.addUser("spark", INPUTS.displayName, [K("older"), "OPERATOR0123456789AB"]);
    rgw.users.get("spark")!.suspended = true;
    await expect(createRgwUser(rgw, at("1"))).rejects.toThrow(
      /holds access key OPER…AB the stack did not make: remove it \(radosgw-admin key rm --uid=spark --access-key <key>\) and run again, or keep the user with that key through data-platform:adopt\.users/,
    );
    expect(rgw.keyIds("spark").sort()).toEqual([K("older"), "OPERATOR0123456789AB"].sort());
    expect(rgw.users.get("spark")?.suspended).toBe(true);
  });

  it("still refuses a user with the uid that is not this resource's (other display name)", async () => {
    rgw.addUser("spark", "someone else", ["OPERATOR0123456789AB"]);
    await expect(createRgwUser(rgw, at("1"))).rejects.toThrow(/UserAlreadyExists — it is not this resource's .*radosgw-admin user rm --uid=spark/);
    expect(rgw.keyIds("spark")).toEqual(["OPERATOR0123456789AB"]);
  });

  // Row: engine killed, or answer lost, during a key rotation, then re-run.
  it("a rotation whose answer was lost is finished by the next run, with no third working key", async () => {
    const created = await createRgwUser(rgw, at("1"));
    const first = await updateRgwUser(rgw, created, at("2"));
    rgw.loseAnswer("createKey");
    await expect(updateRgwUser(rgw, first, at("3"))).rejects.toMatchObject({ kind: "timeout" });
    // The engine still has `first`; RGW has the new key K3 that nothing tracks.
    expect(rgw.keyIds("spark")).toEqual([K("2"), K("3")]);

    const retried = await updateRgwUser(rgw, first, at("3"));
    expect(retried).toMatchObject({ accessKey: K("3"), previousAccessKey: K("2") });
    expectOnlyTracked(retried);
  });

  it("a lost rotation followed by another rotation value removes the orphaned key", async () => {
    const created = await createRgwUser(rgw, at("1"));
    rgw.loseAnswer("createKey");
    await expect(updateRgwUser(rgw, created, at("2"))).rejects.toMatchObject({ kind: "timeout" });
    const next = await updateRgwUser(rgw, created, at("3"));
    expect(next).toMatchObject({ accessKey: K("3"), previousAccessKey: K("1") });
    expectOnlyTracked(next);
  });

  it("a rotation killed after removing the previous key is finished by the next run", async () => {
    const created = await createRgwUser(rgw, at("1"));
    const first = await updateRgwUser(rgw, created, at("2"));
    rgw.loseAnswer("removeKey");
    await expect(updateRgwUser(rgw, first, at("3"))).rejects.toMatchObject({ kind: "timeout" });
    const retried = await updateRgwUser(rgw, first, at("3"));
    expect(retried).toMatchObject({ accessKey: K("3"), previousAccessKey: K("2") });
    expectOnlyTracked(retried);
  });

  it("rotates in two phases: the old key stays valid until the next rotation removes it", async () => {
    const created = await createRgwUser(rgw, at("1"));
    rgw.calls.length = 0;
    const first = await updateRgwUser(rgw, created, at("2"));
    expect(rgw.calls).toEqual(["getUser", "createKey"]);
    expect(first).toMatchObject({ accessKey: K("2"), previousAccessKey: K("1"), keyRotation: "2" });
    rgw.calls.length = 0;
    const second = await updateRgwUser(rgw, first, at("3"));
    // The stale previous key is removed before the new key is created.
    expect(rgw.calls).toEqual(["getUser", "removeKey", "createKey"]);
    expect(second).toMatchObject({ accessKey: K("3"), previousAccessKey: K("2") });
    expectOnlyTracked(second);
  });

  it("a state from before chosen key ids rotates onto them, never removing a tracked key", async () => {
    rgw.addUser("spark", INPUTS.displayName, ["RGWCHOSEN00000000001"]);
    const legacy = rgwUserState(at("1"), rgw.users.get("spark")!.keys[0]);
    const rotated = await updateRgwUser(rgw, legacy, at("2"));
    expect(rotated).toMatchObject({ accessKey: K("2"), previousAccessKey: "RGWCHOSEN00000000001" });
    expectOnlyTracked(rotated);
  });

  // Row: user suspended by hand: `up` must un-suspend it.
  it("update un-suspends a user suspended by hand, keeping its keys", async () => {
    const created = await createRgwUser(rgw, at("1"));
    rgw.users.get("spark")!.suspended = true;
    const refreshed = refreshState(created, await rgw.getUser("spark")) as RgwUserState;
    expect(refreshed.suspended).toBe(true);
    const repaired = await updateRgwUser(rgw, refreshed, at("1"));
    expect(rgw.users.get("spark")?.suspended).toBe(false);
    expect(repaired).toEqual(created);
  });

  it("repairs a current key removed outside Pulumi without removing the previous one", async () => {
    const created = await createRgwUser(rgw, at("1"));
    const first = await updateRgwUser(rgw, created, at("2"));
    await rgw.removeKey(K("2"));
    const refreshed = refreshState(first, await rgw.getUser("spark")) as RgwUserState;
    expect(refreshed).toMatchObject({ accessKey: "", previousAccessKey: K("1") });
    const repaired = await updateRgwUser(rgw, refreshed, at("2"));
    expect(repaired).toMatchObject({ accessKey: K("2"), previousAccessKey: K("1") });
    expectOnlyTracked(repaired);
  });

  it("renames in place, keeping both keys", async () => {
    const first = await updateRgwUser(rgw, await createRgwUser(rgw, at("1")), at("2"));
    const renamed = await updateRgwUser(rgw, first, { ...at("2"), displayName: "Spark jobs" });
    expect(rgw.users.get("spark")?.displayName).toBe("Spark jobs");
    expect(renamed).toEqual({ ...first, displayName: "Spark jobs" });
  });

  it("records new admin credentials without calling RGW", async () => {
    const created = await createRgwUser(rgw, at("1"));
    rgw.calls.length = 0;
    const result = await updateRgwUser(rgw, created, { ...at("1"), adminSecretKey: "rotated" });
    expect(rgw.calls).toEqual([]);
    expect(result).toMatchObject({ adminSecretKey: "rotated", accessKey: K("1") });
  });

  it("recreates a user deleted since the last refresh when an update needs it", async () => {
    const created = await createRgwUser(rgw, at("1"));
    rgw.users.delete("spark");
    const result = await updateRgwUser(rgw, { ...created, previousAccessKey: "AK0" }, { ...at("1"), displayName: "Back" });
    expect(rgw.users.get("spark")?.displayName).toBe("Back");
    expect(result).toMatchObject({ accessKey: K("1"), previousAccessKey: "" });
  });
});

describe("rgwUserProvider (fetch stubbed)", () => {
  let fetchMock: jest.SpiedFunction<typeof fetch>;
  const answer = (status: number, body: unknown) => new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
  beforeEach(() => {
    fetchMock = jest.spyOn(globalThis, "fetch");
  });
  afterEach(() => fetchMock.mockRestore());

  it("check normalizes and validates", async () => {
    const result = await rgwUserProvider.check?.(STATE, { ...INPUTS, region: "", uid: "" });
    expect(result?.inputs).toMatchObject({ region: "us-east-1", uid: "" });
    expect(result?.failures).toEqual([{ property: "uid", reason: "uid must not be empty" }]);
  });

  it("diff maps to Pulumi's DiffResult", async () => {
    await expect(rgwUserProvider.diff?.("spark", STATE, { ...INPUTS, uid: "x" })).resolves.toEqual({
      changes: true,
      replaces: ["uid"],
      deleteBeforeReplace: false,
    });
    await expect(rgwUserProvider.diff?.("spark", STATE, INPUTS)).resolves.toMatchObject({ changes: false });
  });

  it("creates the user with its chosen key id and returns the key", async () => {
    const id = managedAccessKey("spark", "");
    fetchMock.mockResolvedValueOnce(answer(200, { user_id: "spark", display_name: "Spark", keys: [{ user: "spark", access_key: id, secret_key: "S" }] }));
    const result = await rgwUserProvider.create(INPUTS);
    expect(result).toEqual({ id: "spark", outs: { ...INPUTS, accessKey: id, secretKey: "S", previousAccessKey: "", suspended: false } });
    expect(String(fetchMock.mock.calls[0][0])).toContain(`access-key=${id}`);
  });

  it("reads a deleted user as gone", async () => {
    fetchMock.mockResolvedValueOnce(answer(404, { Code: "NoSuchUser" }));
    await expect(rgwUserProvider.read?.("spark", STATE)).resolves.toEqual({});
  });

  it.each([
    [false, "False"],
    [true, "True"],
  ])("deletes with purgeDataOnDelete=%p", async (purgeDataOnDelete, flag) => {
    fetchMock.mockResolvedValueOnce(answer(200, ""));
    await rgwUserProvider.delete?.("spark", { ...STATE, purgeDataOnDelete });
    expect(String(fetchMock.mock.lastCall?.[0])).toContain(`purge-data=${flag}`);
  });

  it("treats deleting an already deleted user as done", async () => {
    fetchMock.mockResolvedValueOnce(answer(404, { Code: "NoSuchUser" }));
    await expect(rgwUserProvider.delete?.("spark", STATE)).resolves.toBeUndefined();
  });

  it("explains a refused delete of a user that owns buckets", async () => {
    fetchMock.mockResolvedValueOnce(answer(409, { Code: "BucketAlreadyExists" }));
    await expect(rgwUserProvider.delete?.("spark", STATE)).rejects.toThrow(/still owns buckets .* purgeDataOnDelete=false, so its buckets and data are kept/);
  });

  // Regression: with a path in the endpoint, destroy "succeeded" (RGW answered the S3 object path) and the user stayed.
  it("fails a delete with a path in the endpoint instead of reporting success", async () => {
    await expect(rgwUserProvider.delete?.("spark", { ...STATE, endpoint: "http://127.0.0.1:7480/bucket" })).rejects.toMatchObject({ kind: "invalidEndpoint" });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("RgwUser resource (Pulumi mocks)", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          return {
            id: `${args.inputs.uid}`,
            state: { ...args.inputs, accessKey: "AKMOCK", secretKey: "SKMOCK", previousAccessKey: "" },
          };
        },
        call: (args) => args.inputs,
      },
      "data-platform",
      "test",
    );
  });

  const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));

  it("exposes every output and registers a serialized provider", async () => {
    const user = new RgwUser("spark", {
      connection: { endpoint: "http://rgw:7480", accessKey: "ADMIN", secretKey: pulumi.secret("adminsecret") },
      uid: "spark",
      displayName: "Spark",
    });
    expect(await value(user.uid)).toBe("spark");
    expect(await value(user.displayName)).toBe("Spark");
    expect(await value(user.accessKey)).toBe("AKMOCK");
    expect(await value(user.secretKey)).toBe("SKMOCK");
    expect(await value(user.previousAccessKey)).toBe("");

    const args = registered.find((resource) => resource.name === "spark");
    expect(args?.type).toBe("pulumi-nodejs:dynamic/rgw:RgwUser");
    expect(args?.inputs).toMatchObject({ region: "us-east-1", keyRotation: "", purgeDataOnDelete: false });
    // The connection goes on the wire under the names existing states have; no timeout unless set.
    expect(Object.keys(args?.inputs ?? {})).not.toContain("timeoutMs");
    const serialized = String(args?.inputs.__provider);
    expect(serialized).toMatch(/exports\.handler/);
    // node_modules imports become requires; the Pulumi SDK itself must not be needed at run time.
    expect(serialized).toMatch(/require\("@smithy\/signature-v4[^"]*"\)/);
    expect(serialized).not.toMatch(/require\("@pulumi\/pulumi[^"]*"\)/);
  });
});

describe("RgwUser adopting a hand-made user (in-memory RGW)", () => {
  const HAND_KEY = "HANDMADE000000000001";
  const adopting = (readSecret: boolean): RgwUserProviderInputs => ({
    ...INPUTS,
    uid: "iceberg",
    keyRotation: "1",
    adopt: { accessKey: HAND_KEY, readSecret },
  });
  const handMade = () => {
    const rgw = new FakeRgw();
    rgw.addUser("iceberg", "hand made shared user", [HAND_KEY, "HANDMADE000000000002"]);
    return rgw;
  };

  it("keeps the named key as current, makes no key, removes none, and reads its secret only when asked", async () => {
    const rgw = handMade();
    const before = rgw.keyIds("iceberg");
    const state = await createRgwUser(rgw, adopting(false));
    expect(state).toMatchObject({ uid: "iceberg", accessKey: HAND_KEY, secretKey: "", previousAccessKey: "", suspended: false });
    expect(rgw.keyIds("iceberg")).toEqual(before);
    expect(rgw.calls).not.toContain("createKey");
    expect(rgw.calls).not.toContain("removeKey");
    expect(rgw.calls).not.toContain("createUser");
    // Only the display name becomes the stack's.
    expect(rgw.users.get("iceberg")?.displayName).toBe("Spark");

    const withSecret = await createRgwUser(handMade(), adopting(true));
    expect(withSecret.secretKey).toMatch(/^secret-\d+-of-HANDMADE000000000001$/);
  });

  it("a refresh adds no secret it was not asked to read, and sees no change", async () => {
    const rgw = handMade();
    const state = await createRgwUser(rgw, adopting(false));
    const refreshed = refreshState(state, await rgw.getUser("iceberg"));
    expect(refreshed?.secretKey).toBe("");
    expect(diffRgwUser(refreshed as RgwUserState, adopting(false)).changes).toBe(false);
  });

  it("reports a suspended user naming its uid, and changes nothing, at create and at update", async () => {
    const rgw = handMade();
    (rgw.users.get("iceberg") as { suspended: boolean }).suspended = true;
    await expect(createRgwUser(rgw, adopting(false))).rejects.toThrow(/RGW user "iceberg" is suspended.*radosgw-admin user enable --uid=iceberg/);
    expect(rgw.calls).toEqual(["getUser"]);
    expect(rgw.users.get("iceberg")?.suspended).toBe(true);

    const live = handMade();
    const state = await createRgwUser(live, adopting(false));
    (live.users.get("iceberg") as { suspended: boolean }).suspended = true;
    const refreshed = refreshState(state, await live.getUser("iceberg")) as RgwUserState;
    await expect(updateRgwUser(live, refreshed, adopting(false))).rejects.toThrow(/"iceberg" is suspended/);
    expect(live.users.get("iceberg")?.suspended).toBe(true);
  });

  it("refuses a uid that does not exist and a key the user does not hold (creates nothing)", async () => {
    const rgw = new FakeRgw();
    await expect(createRgwUser(rgw, adopting(false))).rejects.toThrow(/cannot adopt RGW user "iceberg": it does not exist/);
    expect(rgw.users.size).toBe(0);
    const other = new FakeRgw();
    other.addUser("iceberg", "x", ["OTHERKEY000000000001"]);
    await expect(createRgwUser(other, adopting(false))).rejects.toThrow(/has no access key HANDMADE000000000001 \(it has 1 key\)/);
    expect(other.keyIds("iceberg")).toEqual(["OTHERKEY000000000001"]);
  });

  it("the first rotation makes a key of its own and keeps the adopted one as previous", async () => {
    const rgw = handMade();
    const state = await createRgwUser(rgw, adopting(false));
    const rotated = await updateRgwUser(rgw, state, { ...adopting(false), keyRotation: "2" });
    expect(rotated.accessKey).toBe(managedAccessKey("iceberg", "2"));
    expect(rotated.secretKey).not.toBe("");
    expect(rotated.previousAccessKey).toBe(HAND_KEY);
    expect(rgw.keyIds("iceberg")).toEqual([HAND_KEY, "HANDMADE000000000002", managedAccessKey("iceberg", "2")]);
  });

  it("check refuses an empty adopted key; the adopt input changes nothing in RGW", () => {
    expect(validateInputs({ ...adopting(false), adopt: { accessKey: " ", readSecret: false } })).toEqual([
      { property: "adopt", reason: "adopt.accessKey must not be empty: name the key the running apps use" },
    ]);
    const state = rgwUserState(adopting(false), { accessKey: HAND_KEY, secretKey: "" });
    expect(diffRgwUser(state, adopting(false)).changes).toBe(false);
    expect(diffRgwUser(state, adopting(true))).toMatchObject({ changes: true, createKey: false, rotateKey: false, replaces: [] });
    expect(normalizeInputs({ ...adopting(true) }).adopt).toEqual({ accessKey: HAND_KEY, readSecret: true });
  });
});
