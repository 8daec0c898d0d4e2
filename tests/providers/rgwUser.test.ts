import * as pulumi from "@pulumi/pulumi";
import type { RgwKey } from "../../providers/rgwAdmin";
import {
  RgwUser,
  diffRgwUser,
  normalizeInputs,
  normalizeState,
  pickNewKey,
  planKeyChange,
  refreshState,
  rgwUserProvider,
  validateInputs,
  type RgwUserProviderInputs,
  type RgwUserState,
} from "../../providers/rgwUser";

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
const STATE: RgwUserState = { ...INPUTS, accessKey: "AK1", secretKey: "SK1", previousAccessKey: "" };

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

  it("keeps given values and reads state keys", () => {
    expect(normalizeState({ ...STATE, purgeDataOnDelete: true, keyRotation: 3, previousAccessKey: "AK0" })).toEqual({
      ...STATE,
      purgeDataOnDelete: true,
      keyRotation: "3",
      previousAccessKey: "AK0",
    });
  });

  it("reads a state written before previousAccessKey existed as having none", () => {
    const older: Record<string, unknown> = { ...STATE };
    delete older.previousAccessKey;
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
    });
  });

  it("rotates the key in place when keyRotation changes", () => {
    expect(diffRgwUser(STATE, { ...INPUTS, keyRotation: "2026-01" })).toEqual({
      changes: true,
      replaces: [],
      rotateKey: true,
      createKey: true,
      setDisplayName: false,
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

  it.each(["endpoint", "region", "adminAccessKey", "adminSecretKey"] as const)(
    "records a %s change without touching RGW or replacing",
    (key) => {
      expect(diffRgwUser(STATE, { ...INPUTS, [key]: "changed" })).toEqual({
        changes: true,
        replaces: [],
        rotateKey: false,
        createKey: false,
        setDisplayName: false,
      });
    },
  );

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
});

describe("planKeyChange", () => {
  const rotated = { ...STATE, previousAccessKey: "AK0" };

  it("rotation: removes the previous key first and demotes the current one", () => {
    expect(planKeyChange(rotated, user("Spark", [key("AK0"), key("AK1")]), true)).toEqual({
      removeFirst: "AK0",
      previousAccessKey: "AK1",
    });
  });

  it("first rotation: nothing to remove", () => {
    expect(planKeyChange(STATE, user("Spark", [key("AK1")]), true)).toEqual({
      removeFirst: undefined,
      previousAccessKey: "AK1",
    });
  });

  it("rotation: skips a previous key already gone, and records no previous when the current key is gone", () => {
    expect(planKeyChange(rotated, user("Spark", [key("AK1")]), true)).toEqual({
      removeFirst: undefined,
      previousAccessKey: "AK1",
    });
    expect(planKeyChange(rotated, user("Spark", [key("AK0")]), true)).toEqual({
      removeFirst: "AK0",
      previousAccessKey: "",
    });
  });

  it("repair of a removed current key keeps the previous key", () => {
    const keyGone = { ...rotated, accessKey: "", secretKey: "" };
    expect(planKeyChange(keyGone, user("Spark", [key("AK0")]), false)).toEqual({
      removeFirst: undefined,
      previousAccessKey: "AK0",
    });
  });

  it("never touches foreign keys or the current key", () => {
    const odd = { ...STATE, previousAccessKey: "AK1" }; // previous == current: never remove it
    const plan = planKeyChange(odd, user("Spark", [key("AK1"), key("FOREIGN")]), true);
    expect(plan).toEqual({ removeFirst: undefined, previousAccessKey: "AK1" });
  });
});

describe("pickNewKey", () => {
  const key = (accessKey: string): RgwKey => ({ user: "u", accessKey, secretKey: `s-${accessKey}` });
  it("finds the key that was not there before", () => {
    expect(pickNewKey([key("A")], [key("A"), key("B")])).toEqual(key("B"));
    expect(pickNewKey([key("A")], [key("A")])).toBeUndefined();
  });
});

/** A tiny in-memory Admin Ops API, enough to check the provider's calls and their order. */
class FakeRgw {
  users = new Map<string, { displayName: string; keys: RgwKey[] }>();
  calls: string[] = [];
  private counter = 0;

  handle = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const query = Object.fromEntries(url.searchParams);
    const uid = query.uid ?? "";
    const isKey = "key" in query;
    this.calls.push(`${method}${isKey ? " key" : ""} ${uid || query["access-key"]}`);
    const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status });
    const user = this.users.get(uid);
    const info = () => ({ user_id: uid, display_name: user?.displayName, keys: this.rgwKeys(uid) });
    if (method === "DELETE" && isKey) {
      for (const candidate of this.users.values()) {
        const before = candidate.keys.length;
        candidate.keys = candidate.keys.filter((k) => k.accessKey !== query["access-key"]);
        if (candidate.keys.length < before) return new Response("", { status: 200 });
      }
      return json(403, { Code: "AccessDenied" });
    }
    if (!user && !(method === "PUT" && !isKey)) return json(404, { Code: "NoSuchUser" });
    if (method === "GET") return json(200, info());
    if (method === "PUT" && isKey) {
      user?.keys.push(this.newKey(uid));
      return json(200, this.rgwKeys(uid));
    }
    if (method === "PUT") {
      if (user) return json(409, { Code: "UserAlreadyExists" });
      this.users.set(uid, { displayName: query["display-name"], keys: [this.newKey(uid)] });
      return json(200, { user_id: uid, display_name: query["display-name"], keys: this.rgwKeys(uid) });
    }
    if (method === "POST" && user) {
      user.displayName = query["display-name"];
      return json(200, info());
    }
    this.users.delete(uid);
    return new Response("", { status: 200 });
  };

  private newKey(uid: string): RgwKey {
    this.counter += 1;
    return { user: uid, accessKey: `AK${this.counter}`, secretKey: `SK${this.counter}` };
  }

  private rgwKeys(uid: string) {
    return (this.users.get(uid)?.keys ?? []).map((k) => ({ user: k.user, access_key: k.accessKey, secret_key: k.secretKey }));
  }
}

describe("rgwUserProvider (fake RGW)", () => {
  let rgw: FakeRgw;
  let fetchMock: jest.SpiedFunction<typeof fetch>;
  beforeEach(() => {
    rgw = new FakeRgw();
    fetchMock = jest.spyOn(globalThis, "fetch").mockImplementation(rgw.handle);
  });
  afterEach(() => fetchMock.mockRestore());

  const create = async (inputs: RgwUserProviderInputs = INPUTS) => {
    const result = await rgwUserProvider.create(inputs);
    return { id: result.id, state: result.outs as RgwUserState };
  };

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

  it("creates the user and returns its key", async () => {
    const { id, state } = await create();
    expect(id).toBe("spark");
    expect(state).toEqual({ ...INPUTS, accessKey: "AK1", secretKey: "SK1", previousAccessKey: "" });
  });

  it("explains a uid that already exists", async () => {
    await create();
    await expect(create()).rejects.toThrow(/already exists .* RgwUser only manages users it created/);
  });

  it("reads a deleted user as gone, and a rename as a diff", async () => {
    const { state } = await create();
    rgw.users.get("spark")!.displayName = "Renamed outside";
    const read = await rgwUserProvider.read?.("spark", state);
    expect(read?.props).toMatchObject({ displayName: "Renamed outside", accessKey: "AK1" });
    rgw.users.delete("spark");
    await expect(rgwUserProvider.read?.("spark", state)).resolves.toEqual({});
  });

  const update = async (olds: RgwUserState, news: RgwUserProviderInputs) =>
    (await rgwUserProvider.update?.("spark", olds, news))?.outs as RgwUserState;
  const keysOnUser = () => rgw.users.get("spark")?.keys.map((k) => k.accessKey);

  it("rotates in two phases: the old key stays valid until the next rotation removes it", async () => {
    const { state } = await create();
    rgw.calls = [];
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    expect(rgw.calls).toEqual(["GET spark", "PUT key spark"]);
    expect(first).toMatchObject({ accessKey: "AK2", secretKey: "SK2", previousAccessKey: "AK1", keyRotation: "1" });
    expect(keysOnUser()).toEqual(["AK1", "AK2"]);

    rgw.calls = [];
    const second = await update(first, { ...INPUTS, keyRotation: "2" });
    // The stale previous key is removed before the new key is created.
    expect(rgw.calls).toEqual(["GET spark", "DELETE key AK1", "PUT key spark"]);
    expect(second).toMatchObject({ accessKey: "AK3", secretKey: "SK3", previousAccessKey: "AK2", keyRotation: "2" });
    expect(keysOnUser()).toEqual(["AK2", "AK3"]);
  });

  it("leaves keys it does not manage alone across rotations", async () => {
    const { state } = await create();
    rgw.users.get("spark")!.keys.push({ user: "spark", accessKey: "FOREIGN", secretKey: "F" });
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    const second = await update(first, { ...INPUTS, keyRotation: "2" });
    expect(second).toMatchObject({ accessKey: "AK3", previousAccessKey: "AK2" });
    expect(keysOnUser()).toEqual(["FOREIGN", "AK2", "AK3"]);
    const read = (await rgwUserProvider.read?.("spark", second))?.props as RgwUserState;
    expect(read).toEqual(second);
  });

  it("a failed key creation after the removal leaves only keys the old state records", async () => {
    const { state } = await create();
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    const handle = rgw.handle;
    fetchMock.mockImplementation(async (input, init) =>
      init?.method === "PUT" && new URL(String(input)).searchParams.has("key")
        ? new Response(JSON.stringify({ Code: "InternalError" }), { status: 500 })
        : handle(input, init),
    );
    await expect(update(first, { ...INPUTS, keyRotation: "2" })).rejects.toThrow(/server error \(500 InternalError/);
    // The engine keeps `first`: its current key AK2 is the only key left, and AK1 is recorded as previous.
    expect(keysOnUser()).toEqual(["AK2"]);
    const read = (await rgwUserProvider.read?.("spark", first))?.props as RgwUserState;
    expect(read).toMatchObject({ accessKey: "AK2", previousAccessKey: "" });
    expect(await rgwUserProvider.diff?.("spark", read, { ...INPUTS, keyRotation: "1" })).toMatchObject({ changes: false });

    // The retry (with or without a refresh in between) does not try to remove AK1 again.
    fetchMock.mockImplementation(handle);
    rgw.calls = [];
    const retried = await update(first, { ...INPUTS, keyRotation: "2" });
    expect(rgw.calls).toEqual(["GET spark", "PUT key spark"]);
    expect(retried).toMatchObject({ accessKey: "AK3", previousAccessKey: "AK2" });
    expect(keysOnUser()).toEqual(["AK2", "AK3"]);
  });

  it("a failed removal changes nothing (no key is created)", async () => {
    const { state } = await create();
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    const handle = rgw.handle;
    fetchMock.mockImplementation(async (input, init) =>
      init?.method === "DELETE" ? new Response(JSON.stringify({ Code: "InternalError" }), { status: 500 }) : handle(input, init),
    );
    rgw.calls = [];
    await expect(update(first, { ...INPUTS, keyRotation: "2" })).rejects.toThrow(/server error/);
    expect(rgw.calls).toEqual(["GET spark"]);
    expect(keysOnUser()).toEqual(["AK1", "AK2"]);
  });

  it("reads a previous key removed outside as none, without a diff", async () => {
    const { state } = await create();
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    rgw.users.get("spark")!.keys = rgw.users.get("spark")!.keys.filter((k) => k.accessKey !== "AK1");
    const read = (await rgwUserProvider.read?.("spark", first))?.props as RgwUserState;
    expect(read).toEqual({ ...first, previousAccessKey: "" });
    await expect(rgwUserProvider.diff?.("spark", read, { ...INPUTS, keyRotation: "1" })).resolves.toMatchObject({
      changes: false,
    });
  });

  it("creates a key without removing anything when the managed key was removed outside", async () => {
    const { state } = await create();
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    rgw.users.get("spark")!.keys = rgw.users.get("spark")!.keys.filter((k) => k.accessKey !== "AK2");
    const refreshed = (await rgwUserProvider.read?.("spark", first))?.props as RgwUserState;
    expect(refreshed).toMatchObject({ accessKey: "", previousAccessKey: "AK1" });
    rgw.calls = [];
    const result = await update(refreshed, { ...INPUTS, keyRotation: "1" });
    expect(rgw.calls).toEqual(["GET spark", "PUT key spark"]);
    // A repair, not a rotation: the previous key (apps may still use it) is kept.
    expect(result).toMatchObject({ accessKey: "AK3", previousAccessKey: "AK1" });
    expect(keysOnUser()).toEqual(["AK1", "AK3"]);
  });

  it("renames in place, keeping both keys", async () => {
    const { state } = await create();
    const first = await update(state, { ...INPUTS, keyRotation: "1" });
    const result = await update(first, { ...INPUTS, keyRotation: "1", displayName: "Spark jobs" });
    expect(rgw.users.get("spark")?.displayName).toBe("Spark jobs");
    expect(result).toEqual({ ...first, displayName: "Spark jobs" });
    expect(keysOnUser()).toEqual(["AK1", "AK2"]);
  });

  it("records new admin credentials without calling RGW", async () => {
    const { state } = await create();
    rgw.calls = [];
    const result = await rgwUserProvider.update?.("spark", state, { ...INPUTS, adminSecretKey: "rotated" });
    expect(rgw.calls).toEqual([]);
    expect(result?.outs).toMatchObject({ adminSecretKey: "rotated", accessKey: "AK1" });
  });

  it("recreates a user deleted since the last refresh when an update needs it", async () => {
    const { state } = await create();
    rgw.users.delete("spark");
    const result = await rgwUserProvider.update?.("spark", { ...state, previousAccessKey: "AK0" }, { ...INPUTS, displayName: "Back" });
    expect(rgw.users.get("spark")?.displayName).toBe("Back");
    expect(result?.outs).toMatchObject({ accessKey: "AK2", previousAccessKey: "" });
  });

  it.each([
    [false, "DELETE spark", "False"],
    [true, "DELETE spark", "True"],
  ])("deletes with purgeDataOnDelete=%p", async (purgeDataOnDelete, call, flag) => {
    const { state } = await create({ ...INPUTS, purgeDataOnDelete });
    rgw.calls = [];
    await rgwUserProvider.delete?.("spark", state);
    expect(rgw.calls).toEqual([call]);
    expect(String(fetchMock.mock.lastCall?.[0])).toContain(`purge-data=${flag}`);
    expect(rgw.users.has("spark")).toBe(false);
  });

  it("treats deleting an already deleted user as done", async () => {
    await expect(rgwUserProvider.delete?.("spark", STATE)).resolves.toBeUndefined();
  });

  it("explains a refused delete of a user that owns buckets", async () => {
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify({ Code: "BucketAlreadyExists" }), { status: 409 }));
    await expect(rgwUserProvider.delete?.("spark", STATE)).rejects.toThrow(
      /still owns buckets .* purgeDataOnDelete=false, so its buckets and data are kept/,
    );
  });
});

describe("RgwUser resource (Pulumi mocks)", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];

  beforeAll(() => {
    pulumi.runtime.setMocks(
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
      endpoint: "http://rgw:7480",
      adminAccessKey: "ADMIN",
      adminSecretKey: pulumi.secret("adminsecret"),
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
    const serialized = String(args?.inputs.__provider);
    expect(serialized).toMatch(/exports\.handler/);
    // node_modules imports become requires; the Pulumi SDK itself must not be needed at run time.
    expect(serialized).toMatch(/require\("@smithy\/signature-v4[^"]*"\)/);
    expect(serialized).not.toMatch(/require\("@pulumi\/pulumi[^"]*"\)/);
  });
});
