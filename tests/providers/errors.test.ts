import { REDACTED, isRgwError, networkErrorCode, noAnswerError, redactSecrets, rgwError, withHint } from "../../providers/errors";

const ENDPOINT = "http://127.0.0.1:7480";
const where = "RGW admin API at http://127.0.0.1:7480";
const hint = "check rgw.endpoint (config rgwEndpoint)";

describe("rgwError", () => {
  it("is an Error with details and a stack that is just the message", () => {
    const error = rgwError("boom", { kind: "notFound", endpoint: ENDPOINT, status: 404, code: "NoSuchUser" });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "RgwError", kind: "notFound", status: 404, code: "NoSuchUser" });
    expect(error.stack).toBe("RgwError: boom");
    expect(String(error)).toBe("RgwError: boom");
  });

  it("redacts its message", () => {
    const error = rgwError('bad answer {"secret_key":"abc"} and wJalrXUtnFEMI7K7MDENGbPxRfiCY9EXAMPLEKEY', { kind: "invalidResponse", endpoint: ENDPOINT });
    expect(error.message).toBe(`bad answer {"secret_key":"${REDACTED}"} and ${REDACTED}`);
    expect(error.stack).toBe(`RgwError: ${error.message}`);
  });

  it("withHint appends to the message and keeps the details", () => {
    const error = withHint(rgwError("boom", { kind: "conflict", endpoint: ENDPOINT, code: "X" }), "do this");
    expect(error).toMatchObject({ message: "boom — do this", kind: "conflict", code: "X" });
  });

  it("isRgwError checks name and kind", () => {
    const error = rgwError("boom", { kind: "conflict", endpoint: ENDPOINT });
    expect(isRgwError(error)).toBe(true);
    expect(isRgwError(error, "conflict")).toBe(true);
    expect(isRgwError(error, "notFound")).toBe(false);
    expect(isRgwError(new Error("x"))).toBe(false);
    expect(isRgwError(undefined)).toBe(false);
  });
});

describe("redactSecrets", () => {
  it.each([
    ['{"user":"a","access_key":"AK","secret_key":"s3cr3t"}', `{"user":"a","access_key":"${REDACTED}","secret_key":"${REDACTED}"}`],
    ["<SecretAccessKey>abc</SecretAccessKey>", `<SecretAccessKey>${REDACTED}</SecretAccessKey>`],
    ["DELETE /admin/user?access-key=AK1&x=1", `DELETE /admin/user?access-key=${REDACTED}&x=1`],
    ["key 0555b35654ad1656d804 and Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==", `key ${REDACTED} and ${REDACTED}`],
  ])("redacts %p", (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it("keeps words, codes, names and short ids readable", () => {
    const text = "403 NoSuchLifecycleConfiguration on bucket iceberg-warehouse-dev, user data-platform-dev-nessie, AK1";
    expect(redactSecrets(text)).toBe(text);
  });
});

describe("networkErrorCode", () => {
  it("reads Node's and undici's network codes, and ignores other codes and non-objects", () => {
    expect(networkErrorCode({ code: "UND_ERR_SOCKET" })).toBe("UND_ERR_SOCKET");
    expect(networkErrorCode({ code: "NoSuchBucket" })).toBeUndefined();
    expect(networkErrorCode("ECONNREFUSED")).toBeUndefined();
    expect(networkErrorCode({ cause: { cause: { code: "ECONNRESET" } } })).toBe("ECONNRESET");
  });

  it("reads the code from the message of an SDK-rewrapped error, not from an HTTP answer's", () => {
    expect(networkErrorCode(new Error("AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1"))).toBe("ECONNREFUSED");
    expect(networkErrorCode({ message: "ETAG mismatch EBADTHING", $metadata: { httpStatusCode: 400 } })).toBeUndefined();
  });
});

describe("noAnswerError", () => {
  it("names the endpoint and ECONNREFUSED", () => {
    const failure = new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    const error = noAnswerError(where, ENDPOINT, failure, 30_000, hint);
    expect(error).toMatchObject({ kind: "unreachable", code: "ECONNREFUSED" });
    expect(error.message).toBe(`cannot reach ${where}: ECONNREFUSED — ${hint}`);
  });

  it("finds DNS failures inside an AggregateError", () => {
    const cause = new AggregateError([Object.assign(new Error("dns"), { code: "ENOTFOUND" })]);
    expect(noAnswerError(where, ENDPOINT, new TypeError("fetch failed", { cause }), 30_000, hint).code).toBe("ENOTFOUND");
  });

  it.each(["TimeoutError", "AbortError"])("reports a %s as a timeout", (name) => {
    const error = noAnswerError(where, ENDPOINT, Object.assign(new Error("aborted"), { name }), 5_000, hint);
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/no answer within 5s/);
  });

  it("falls back to the cause's message without a code", () => {
    const failure = new TypeError("fetch failed", { cause: new Error("bad port") });
    expect(noAnswerError(where, ENDPOINT, failure, 1000, hint).message).toContain(": bad port — check rgw.endpoint");
  });
});
