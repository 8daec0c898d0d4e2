/** The pure parts of the BucketLifecycle dynamic provider (the S3 calls are tested against a real RGW). */
import { S3ServiceException, type LifecycleRule } from "@aws-sdk/client-s3";
import {
  bucketLifecycleProvider,
  diffLifecycle,
  inStateOrder,
  lifecycleError,
  sameRules,
  type BucketLifecycleInputs,
  type BucketLifecycleState,
} from "../../providers/bucketLifecycle";
import { FakeS3 } from "../lib/fakes/rgw";
import { bucketLifecycleRules } from "../../components/objectStorage/policies";
import { fromS3LifecycleRules, toS3LifecycleConfiguration, type BucketLifecycleRule } from "../../providers/lifecycleRules";
import { s3Failure } from "../../providers/errors";

const NONCURRENT_ID = "expire-noncurrent-versions";
const RULES = bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 });
const INPUTS: BucketLifecycleInputs = {
  endpoint: "http://127.0.0.1:7480",
  region: "us-east-1",
  accessKey: "AK",
  secretKey: "SK",
  bucket: "lake",
  rules: RULES,
};

/** What @aws-sdk/client-s3 throws for an S3 error answer (RGW sends no Message: the SDK says "UnknownError"). */
function s3Error(name: string, status: number, message = "UnknownError"): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? "server" : "client", $metadata: { httpStatusCode: status }, message });
}

/** What Node's http stack throws when nothing listens. */
function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("fromS3LifecycleRules", () => {
  it("reads RGW's answer (legacy top-level Prefix, sorted by ID) back into the declared rules", () => {
    // Verbatim shape of RGW 16's GetBucketLifecycleConfiguration answer, as parsed by the SDK.
    const rgw: LifecycleRule[] = [
      { Status: "Enabled", ID: "abort-incomplete-multipart-uploads", Prefix: "", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
      { Status: "Enabled", ID: "expire-noncurrent-versions", Prefix: "", NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
    ];
    const read = fromS3LifecycleRules(rgw);
    expect(read).toEqual([RULES[1], RULES[0]]);
    expect(sameRules(read, RULES)).toBe(true);
  });

  it("reads AWS's Filter.Prefix, and prefers it to a legacy Prefix", () => {
    expect(fromS3LifecycleRules(toS3LifecycleConfiguration(RULES).Rules)).toEqual(RULES);
    expect(fromS3LifecycleRules([{ ID: "r", Status: "Enabled", Filter: { Prefix: "logs/" }, Prefix: "old/" }])[0].filter).toEqual({
      prefix: "logs/",
    });
    expect(fromS3LifecycleRules([{ ID: "r", Status: "Enabled", Prefix: "tmp/" }])[0].filter).toEqual({ prefix: "tmp/" });
  });

  it("defaults a missing ID and prefix to empty strings and leaves absent actions out", () => {
    expect(fromS3LifecycleRules([{ Status: "Enabled" }])).toEqual([{ id: "", status: "Enabled", filter: { prefix: "" } }]);
  });

  it("keeps a rule disabled by hand as Disabled, so that it shows as drift", () => {
    const [rule] = fromS3LifecycleRules([{ ID: NONCURRENT_ID, Status: "Disabled", Prefix: "", NoncurrentVersionExpiration: { NoncurrentDays: 30 } }]);
    expect(rule.status).toBe("Disabled");
    expect(sameRules([rule], [RULES[0]])).toBe(false);
  });

  // Regression: only the fields this provider sets were read, so hand-made additions were no drift.
  it("keeps every field RGW holds, so a hand-added Expiration or a narrowed filter is drift", () => {
    const declared = toS3LifecycleConfiguration([RULES[0]]).Rules[0];
    const withExpiration = fromS3LifecycleRules([{ ...declared, Expiration: { Days: 1 } }]);
    expect(withExpiration[0]).toMatchObject({ expiration: { days: 1 } });
    expect(sameRules(withExpiration, [RULES[0]])).toBe(false);
    const tagged = fromS3LifecycleRules([{ ...declared, Filter: { And: { Prefix: "", Tags: [{ Key: "tmp", Value: "1" }] } } }]);
    expect(tagged[0].filter).toEqual({ prefix: "", and: { prefix: "", tags: [{ key: "tmp", value: "1" }] } });
    expect(sameRules(tagged, [RULES[0]])).toBe(false);
    const bySize = fromS3LifecycleRules([{ ...declared, Filter: { ObjectSizeGreaterThan: 1024 } }]);
    expect(sameRules(bySize, [RULES[0]])).toBe(false);
    const dated = fromS3LifecycleRules([{ ...declared, Expiration: { Date: new Date("2030-01-01T00:00:00Z") } }]);
    expect(dated[0]).toMatchObject({ expiration: { date: "2030-01-01T00:00:00.000Z" } });
    expect(sameRules(fromS3LifecycleRules([declared]), [RULES[0]])).toBe(true);
  });

  it("returns [] for no rules", () => {
    expect(fromS3LifecycleRules([])).toEqual([]);
  });
});

describe("sameRules", () => {
  it("ignores the order of rules", () => {
    expect(sameRules(RULES, [...RULES].reverse())).toBe(true);
  });

  it("ignores the order of keys (rules that went through Pulumi's state have sorted keys)", () => {
    const sortedKeys = JSON.parse(JSON.stringify(RULES, (_key, value: unknown) => sortKeys(value))) as BucketLifecycleRule[];
    expect(Object.keys(sortedKeys[0])).toEqual(["filter", "id", "noncurrentVersionExpiration", "status"]);
    expect(sameRules(sortedKeys, RULES)).toBe(true);
  });

  it("sees changed days, prefix, status, IDs and added or removed rules", () => {
    const changedDays = bucketLifecycleRules({ noncurrentVersionDays: 31, abortIncompleteMultipartDays: 7 });
    expect(sameRules(RULES, changedDays)).toBe(false);
    expect(sameRules(RULES, [{ ...RULES[0], filter: { prefix: "x/" } }, RULES[1]])).toBe(false);
    expect(sameRules(RULES, [{ ...RULES[0], id: "other" }, RULES[1]])).toBe(false);
    expect(sameRules(RULES, [RULES[0]])).toBe(false);
    expect(sameRules([RULES[0]], RULES)).toBe(false);
    expect(sameRules(RULES, [])).toBe(false);
    expect(sameRules([], [])).toBe(true);
  });

  it("does not treat duplicates as a different rule set of the same length", () => {
    expect(sameRules([RULES[0], RULES[0]], RULES)).toBe(false);
  });

  it("sees an action moved from one rule to another", () => {
    const [expire, abort] = RULES;
    const swapped: BucketLifecycleRule[] = [
      { ...expire, noncurrentVersionExpiration: undefined, abortIncompleteMultipartUpload: abort.abortIncompleteMultipartUpload },
      { ...abort, abortIncompleteMultipartUpload: undefined, noncurrentVersionExpiration: expire.noncurrentVersionExpiration },
    ];
    expect(sameRules(RULES, swapped)).toBe(false);
  });
});

function sortKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe("inStateOrder", () => {
  it("puts rules read back in the order the state has them", () => {
    expect(inStateOrder([RULES[1], RULES[0]], RULES)).toEqual(RULES);
  });

  it("puts rules unknown to the state last, by ID", () => {
    const extra = (id: string): BucketLifecycleRule => ({ id, status: "Enabled", filter: { prefix: "" } });
    expect(inStateOrder([extra("z"), RULES[1], extra("a"), RULES[0]], RULES).map((rule) => rule.id)).toEqual([RULES[0].id, RULES[1].id, "a", "z"]);
    expect(inStateOrder([extra("b"), extra("a")], [])).toEqual([extra("a"), extra("b")]);
  });
});

describe("diffLifecycle", () => {
  it("sees no change for the same rules in another order", () => {
    expect(diffLifecycle(INPUTS, { ...INPUTS, rules: [...RULES].reverse() })).toEqual({ changes: false, replaces: [] });
  });

  it("updates in place when the days change", () => {
    const news = { ...INPUTS, rules: bucketLifecycleRules({ noncurrentVersionDays: 60, abortIncompleteMultipartDays: 7 }) };
    expect(diffLifecycle(INPUTS, news)).toEqual({ changes: true, replaces: [] });
  });

  it("updates in place when a rule is turned off or all rules are removed", () => {
    expect(diffLifecycle(INPUTS, { ...INPUTS, rules: bucketLifecycleRules({ noncurrentVersionDays: 30 }) })).toEqual({
      changes: true,
      replaces: [],
    });
    expect(diffLifecycle(INPUTS, { ...INPUTS, rules: [] })).toEqual({ changes: true, replaces: [] });
  });

  it("sees drift: rules read back as [] after being removed outside Pulumi", () => {
    expect(diffLifecycle({ ...INPUTS, rules: [] }, INPUTS)).toEqual({ changes: true, replaces: [] });
  });

  it("replaces when the bucket changes", () => {
    expect(diffLifecycle(INPUTS, { ...INPUTS, bucket: "other" })).toEqual({ changes: true, replaces: ["bucket"] });
  });

  it("updates in place (re-puts the rules) when the endpoint, region or keys change", () => {
    for (const change of [{ endpoint: "https://rgw.example.org" }, { region: "eu-west-1" }, { accessKey: "AK2" }, { secretKey: "SK2" }]) {
      expect(diffLifecycle(INPUTS, { ...INPUTS, ...change })).toEqual({ changes: true, replaces: [] });
    }
  });
});

describe("bucketLifecycleProvider (loopback S3)", () => {
  const s3 = new FakeS3();
  let endpoint = "";
  beforeAll(async () => {
    endpoint = await s3.start();
    s3.buckets.add("lake");
  });
  afterAll(() => s3.stop());
  beforeEach(() => {
    s3.lifecycles.clear();
    s3.hang = false;
  });

  // A loopback fake answers at once, but not within 2 s on a loaded 2-core machine (seen at load 4).
  const inputs = (): BucketLifecycleInputs => ({ ...INPUTS, endpoint, timeoutMs: 20_000 });
  const create = async (): Promise<BucketLifecycleState> => (await bucketLifecycleProvider.create(inputs())).outs as BucketLifecycleState;
  const read = async (state: BucketLifecycleState) => (await bucketLifecycleProvider.read?.("lake", state))?.props as BucketLifecycleState;

  // The reusable provider refuses what config refuses: RGW would store 4294967297 days as 1.
  it("check refuses day counts above RGW's int32, naming each, before anything is written", async () => {
    const rules: BucketLifecycleRule[] = [
      { ...RULES[0], noncurrentVersionExpiration: { noncurrentDays: 4294967297 } },
      { ...RULES[1], abortIncompleteMultipartUpload: { daysAfterInitiation: 1e21 } },
    ];
    const result = await bucketLifecycleProvider.check?.({} as BucketLifecycleInputs, { ...inputs(), rules });
    expect(result?.failures).toEqual([
      {
        property: "rules",
        reason: expect.stringMatching(
          /^rules\[0\]\.noncurrentVersionExpiration\.noncurrentDays: must be a whole number of days from 1 to 2147483647 .*got 4294967297$/,
        ),
      },
      { property: "rules", reason: expect.stringMatching(/^rules\[1\]\.abortIncompleteMultipartUpload\.daysAfterInitiation: .*got 1e\+21$/) },
    ]);
    const largest = RULES.map((rule) => (rule.noncurrentVersionExpiration ? { ...rule, noncurrentVersionExpiration: { noncurrentDays: 2147483647 } } : rule));
    await expect(bucketLifecycleProvider.check?.({} as BucketLifecycleInputs, { ...inputs(), rules: largest })).resolves.toEqual({
      inputs: { ...inputs(), rules: largest },
    });
  });

  it("writes rule IDs with its owner token and reads them back as declared", async () => {
    const state = await create();
    expect(state.ownerToken).toMatch(/^[0-9a-f]{10}$/);
    expect(s3.lifecycles.get("lake")).toContain(`<ID>${NONCURRENT_ID}.${state.ownerToken}</ID>`);
    const refreshed = await read(state);
    expect(sameRules(refreshed.rules, RULES)).toBe(true);
    await expect(bucketLifecycleProvider.diff?.("lake", refreshed, inputs())).resolves.toMatchObject({ changes: false });
  });

  // Regression: the old resource's delete removed the rules its renamed successor had just set.
  it("a renamed resource's delete leaves the rules its successor set", async () => {
    const old = await create();
    const renamed = await create();
    await bucketLifecycleProvider.delete?.("lake", old);
    expect(s3.lifecycles.get("lake")).toContain(`.${renamed.ownerToken}</ID>`);
    await bucketLifecycleProvider.delete?.("lake", renamed);
    expect(s3.lifecycles.has("lake")).toBe(false);
  });

  it("delete leaves a document with a rule someone else added, and removes its own even if edited", async () => {
    const state = await create();
    const document = s3.lifecycles.get("lake") ?? "";
    s3.lifecycles.set(
      "lake",
      document.replace(
        "</LifecycleConfiguration>",
        "<Rule><ID>by-hand</ID><Status>Enabled</Status><Filter><Prefix>x/</Prefix></Filter><Expiration><Days>3</Days></Expiration></Rule></LifecycleConfiguration>",
      ),
    );
    await bucketLifecycleProvider.delete?.("lake", state);
    expect(s3.lifecycles.has("lake")).toBe(true);
    s3.lifecycles.set("lake", document.replace("<NoncurrentDays>30<", "<NoncurrentDays>5<"));
    await bucketLifecycleProvider.delete?.("lake", state);
    expect(s3.lifecycles.has("lake")).toBe(false);
  });

  it("a state from before owner tokens still deletes its own (plain-ID) rules, and update gives it a token", async () => {
    const legacy: BucketLifecycleState = { ...inputs(), ownerToken: "" };
    await bucketLifecycleProvider.update?.("lake", legacy, inputs());
    const updated = (await bucketLifecycleProvider.update?.("lake", legacy, inputs()))?.outs as BucketLifecycleState;
    expect(updated.ownerToken).not.toBe("");
    s3.lifecycles.clear();
    await bucketLifecycleProvider.create({ ...inputs() }); // someone else's rules now
    await bucketLifecycleProvider.delete?.("lake", legacy);
    expect(s3.lifecycles.has("lake")).toBe(true);
  });

  const HAND_MADE = "<Rule><ID>hand-made-expire-tmp</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>";
  const withHandMade = () => s3.lifecycles.set("lake", `<LifecycleConfiguration>${HAND_MADE}</LifecycleConfiguration>`);

  // Regression (issue 17): create replaced the whole document, and a rule made by hand was gone.
  it("create keeps a rule it did not write beside its own, as RGW returned it", async () => {
    withHandMade();
    const state = await create();
    const document = s3.lifecycles.get("lake") ?? "";
    expect(document).toContain("<ID>hand-made-expire-tmp</ID>");
    expect(document).toContain("<Prefix>tmp/</Prefix>");
    expect(document).toContain("<Days>1</Days>");
    expect(document).toContain(`<ID>${NONCURRENT_ID}.${state.ownerToken}</ID>`);
    // The hand-made rule is not this resource's: no drift, nothing to change.
    const refreshed = await read(state);
    expect(sameRules(refreshed.rules, RULES)).toBe(true);
    await expect(bucketLifecycleProvider.diff?.("lake", refreshed, inputs())).resolves.toMatchObject({ changes: false });
  });

  it("update and delete keep a rule they did not write", async () => {
    withHandMade();
    const state = await create();
    const changed = { ...inputs(), rules: bucketLifecycleRules({ noncurrentVersionDays: 9, abortIncompleteMultipartDays: 7 }) };
    const updated = (await bucketLifecycleProvider.update?.("lake", state, changed))?.outs as BucketLifecycleState;
    expect(s3.lifecycles.get("lake")).toContain("<ID>hand-made-expire-tmp</ID>");
    expect(s3.lifecycles.get("lake")).toContain("<NoncurrentDays>9</NoncurrentDays>");
    expect(s3.lifecycles.get("lake")).not.toContain("<NoncurrentDays>30</NoncurrentDays>");
    await bucketLifecycleProvider.delete?.("lake", updated);
    const left = s3.lifecycles.get("lake") ?? "";
    expect(left).toContain("<ID>hand-made-expire-tmp</ID>");
    expect(left).not.toContain(updated.ownerToken);
  });

  it("an update with no rules left keeps the others' rules (removes the document only when none is left)", async () => {
    withHandMade();
    const state = await create();
    await bucketLifecycleProvider.update?.("lake", state, { ...inputs(), rules: [] });
    expect(s3.lifecycles.get("lake")).toContain("<ID>hand-made-expire-tmp</ID>");
    expect(s3.lifecycles.get("lake")).not.toContain(state.ownerToken);
    s3.lifecycles.clear();
    const alone = await create();
    await bucketLifecycleProvider.update?.("lake", alone, { ...inputs(), rules: [] });
    expect(s3.lifecycles.has("lake")).toBe(false);
  });

  it("sees a hand-added Expiration on a managed rule as drift", async () => {
    const state = await create();
    const document = s3.lifecycles.get("lake") ?? "";
    s3.lifecycles.set("lake", document.replace("<NoncurrentVersionExpiration>", "<Expiration><Days>1</Days></Expiration><NoncurrentVersionExpiration>"));
    const refreshed = await read(state);
    await expect(bucketLifecycleProvider.diff?.("lake", refreshed, inputs())).resolves.toMatchObject({ changes: true });
    await bucketLifecycleProvider.update?.("lake", refreshed, inputs());
    await expect(bucketLifecycleProvider.diff?.("lake", await read(state), inputs())).resolves.toMatchObject({ changes: false });
  });

  // Regression: the S3 client had no timeout at all.
  it("gives up on an endpoint that never answers after its timeout", async () => {
    const state = await create();
    s3.hang = true;
    // Without the timeout this read never ends and jest's testTimeout fails the test; no wall clock needed.
    await expect(bucketLifecycleProvider.read?.("lake", { ...state, timeoutMs: 300 })).rejects.toMatchObject({ name: "RgwError", kind: "timeout" });
  });

  it("check refuses an endpoint with a path, and skips one not known yet (preview)", async () => {
    const result = await bucketLifecycleProvider.check?.(inputs(), { ...inputs(), endpoint: `${endpoint}/lake` });
    expect(result?.failures?.map((failure) => failure.property)).toEqual(["endpoint"]);
    const unknown = await bucketLifecycleProvider.check?.(inputs(), { ...inputs(), endpoint: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
    expect(unknown?.failures).toBeUndefined();
  });
});

describe("s3Failure", () => {
  it("reads the S3 error code and HTTP status, and drops the SDK's UnknownError placeholder", () => {
    expect(s3Failure(s3Error("SignatureDoesNotMatch", 403))).toEqual({ code: "SignatureDoesNotMatch", status: 403 });
    expect(s3Failure(s3Error("NoSuchBucket", 404, "The specified bucket does not exist"))).toEqual({
      code: "NoSuchBucket",
      status: 404,
      detail: "The specified bucket does not exist",
    });
  });

  it("reads Node's network error code", () => {
    expect(s3Failure(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:1"))).toEqual({
      code: "ECONNREFUSED",
      detail: "connect ECONNREFUSED 127.0.0.1:1",
    });
  });

  it("finds the network code in the message when the SDK rewrapped a cross-realm error", () => {
    expect(s3Failure(new Error("AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1"))).toMatchObject({ code: "ECONNREFUSED" });
    expect(s3Failure(new Error("getaddrinfo ENOTFOUND rgw.invalid"))).toMatchObject({ code: "ENOTFOUND" });
    // An HTTP answer is never taken for a network error, whatever its message says.
    expect(s3Failure(s3Error("InvalidArgument", 400, "ETAG mismatch"))).toMatchObject({ code: "InvalidArgument" });
  });

  it("copes with things that are not errors", () => {
    expect(s3Failure("boom")).toEqual({ code: "", detail: "boom" });
    expect(s3Failure(undefined)).toEqual({ code: "", detail: "undefined" });
    expect(s3Failure(new Error("plain"))).toEqual({ code: "Error", detail: "plain" });
  });
});

describe("lifecycleError", () => {
  const message = (error: unknown, action = "set the lifecycle of") => lifecycleError(action, "lake", { endpoint: "http://127.0.0.1:7480/" }, error).message;

  it("says the credentials were rejected, naming the bucket, the endpoint and the config keys", () => {
    expect(message(s3Error("SignatureDoesNotMatch", 403))).toBe(
      'cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: credentials rejected (403 SignatureDoesNotMatch)' +
        " — check rgwAdminAccessKey/rgwAdminSecretKey",
    );
    expect(message(s3Error("InvalidAccessKeyId", 403), "read the lifecycle of")).toMatch(
      /^cannot read the lifecycle of bucket "lake" at http:\/\/127\.0\.0\.1:7480: credentials rejected \(403 InvalidAccessKeyId\)/,
    );
  });

  // RGW answers a suspended user 403 UserSuspended (measured on RGW 16.2; tests/integration/rgw/dayTwo.test.ts).
  it("says the admin user is suspended, not that access was denied", () => {
    expect(message(s3Error("UserSuspended", 403))).toBe(
      'cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: the admin user is suspended (403 UserSuspended)' +
        " — re-enable it (radosgw-admin user enable --uid=<admin-uid>) or set rgwAdminAccessKey/rgwAdminSecretKey to an active user's keys",
    );
  });

  it("says access was denied and whose key is needed", () => {
    expect(message(s3Error("AccessDenied", 403))).toBe(
      'cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: access denied (403 AccessDenied)' +
        " — the key must belong to the bucket's owner (the stack's RGW admin user)",
    );
  });

  it("says the bucket does not exist", () => {
    expect(message(s3Error("NoSuchBucket", 404))).toBe(
      'cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: the bucket does not exist (404 NoSuchBucket)',
    );
  });

  it("says the endpoint cannot be reached", () => {
    expect(message(networkError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:7480"))).toBe(
      'cannot reach http://127.0.0.1:7480 to set the lifecycle of bucket "lake": ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)',
    );
    const timeout = lifecycleError(
      "read the lifecycle of",
      "lake",
      { endpoint: "http://127.0.0.1:7480", timeoutMs: 250 },
      Object.assign(new Error("aborted"), { name: "AbortError" }),
    );
    expect(timeout).toMatchObject({ name: "RgwError", kind: "timeout" });
    expect(timeout.message).toContain("no answer within 0.25s");
  });

  it("passes other answers on with their status, code and message", () => {
    expect(message(s3Error("MalformedXML", 400, "bad rules"))).toBe(
      'cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: 400 MalformedXML: bad rules',
    );
    expect(message("weird")).toBe('cannot set the lifecycle of bucket "lake" at http://127.0.0.1:7480: failed: weird');
  });

  it("never shows a userinfo part of the endpoint, and keeps an unparsable endpoint as given", () => {
    expect(lifecycleError("set the lifecycle of", "lake", { endpoint: "http://user:pw@rgw:7480" }, s3Error("AccessDenied", 403)).message).toContain(
      "at http://rgw:7480:",
    );
    expect(lifecycleError("set the lifecycle of", "lake", { endpoint: "not a url" }, "x").message).toContain("at not a url:");
  });

  it("has no stack trace in it", () => {
    const error = s3Error("SignatureDoesNotMatch", 403);
    expect(message(error)).not.toMatch(/\n|\bat .*\(.*:\d+:\d+\)/);
  });
});
