import {
  buildAdminRequest,
  canonicalQueryString,
  createRgwAdminClient,
  encodeRfc3986,
  errorFromFetchFailure,
  errorFromResponse,
  isRgwAdminError,
  networkErrorCode,
  parseEndpoint,
  parseKeyList,
  parseRgwErrorCode,
  parseUserInfo,
  rgwAdminError,
  withHint,
  type RgwAdminError,
} from "../../providers/rgwAdmin";

const ENDPOINT = "http://127.0.0.1:7480";

function thrown(action: () => unknown): RgwAdminError {
  try {
    action();
  } catch (error) {
    if (isRgwAdminError(error)) return error;
    throw error;
  }
  throw new Error("expected an RgwAdminError");
}

describe("buildAdminRequest", () => {
  it("gets a user", () => {
    const request = buildAdminRequest(ENDPOINT, { kind: "getUser", uid: "spark" });
    expect(request).toMatchObject({
      operation: "getUser",
      method: "GET",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 7480,
      host: "127.0.0.1:7480",
      path: "/admin/user",
      query: { uid: "spark", format: "json" },
      url: "http://127.0.0.1:7480/admin/user?format=json&uid=spark",
      description: "GET /admin/user uid=spark",
    });
  });

  it("creates a user with a generated key, encoding the display name", () => {
    const request = buildAdminRequest(ENDPOINT, {
      kind: "createUser",
      uid: "spark",
      displayName: "Spark jobs/ä+(x)*",
      generateKey: true,
    });
    expect(request.method).toBe("PUT");
    expect(request.query).toEqual({
      uid: "spark",
      "display-name": "Spark jobs/ä+(x)*",
      "generate-key": "True",
      format: "json",
    });
    expect(request.url).toBe(
      "http://127.0.0.1:7480/admin/user?display-name=Spark%20jobs%2F%C3%A4%2B%28x%29%2A&format=json&generate-key=True&uid=spark",
    );
  });

  it("modifies a user with optional attributes", () => {
    const request = buildAdminRequest(ENDPOINT, {
      kind: "modifyUser",
      uid: "spark",
      displayName: "Spark",
      attributes: { email: "s@example.org", maxBuckets: 0, suspended: false },
    });
    expect(request.method).toBe("POST");
    expect(request.query).toEqual({
      uid: "spark",
      "display-name": "Spark",
      email: "s@example.org",
      "max-buckets": "0",
      suspended: "False",
      format: "json",
    });
  });

  it("generates an S3 key (key flag sent as key=)", () => {
    const request = buildAdminRequest(ENDPOINT, { kind: "createKey", uid: "spark" });
    expect(request.method).toBe("PUT");
    expect(request.query).toEqual({ key: "", uid: "spark", "key-type": "s3", "generate-key": "True", format: "json" });
    expect(request.url).toBe("http://127.0.0.1:7480/admin/user?format=json&generate-key=True&key=&key-type=s3&uid=spark");
  });

  it("removes a key by access key", () => {
    const request = buildAdminRequest(ENDPOINT, { kind: "removeKey", accessKey: "AK1" });
    expect(request.method).toBe("DELETE");
    expect(request.query).toEqual({ key: "", "access-key": "AK1", format: "json" });
    expect(request.description).toBe("DELETE /admin/user access-key=AK1");
  });

  it.each([
    [true, "True"],
    [false, "False"],
  ])("deletes a user with purgeData=%p", (purgeData, flag) => {
    const request = buildAdminRequest(ENDPOINT, { kind: "deleteUser", uid: "spark", purgeData });
    expect(request.method).toBe("DELETE");
    expect(request.query).toEqual({ uid: "spark", "purge-data": flag, format: "json" });
  });

  it("keeps a path prefix and drops trailing slashes; https without port", () => {
    const request = buildAdminRequest("https://gw.example.org/rgw/", { kind: "getUser", uid: "a" });
    expect(request).toMatchObject({
      protocol: "https:",
      port: undefined,
      host: "gw.example.org",
      path: "/rgw/admin/user",
      url: "https://gw.example.org/rgw/admin/user?format=json&uid=a",
    });
  });
});

describe("parseEndpoint", () => {
  it.each([
    ["not a url", /not a URL/],
    ["ftp://host", /http:\/\/ or https:\/\//],
    ["http://host?x=1", /must not contain/],
    ["http://user:pw@host", /must not contain/],
  ])("rejects %p with a hint", (endpoint, reason) => {
    const error = thrown(() => parseEndpoint(endpoint));
    expect(error.kind).toBe("invalidEndpoint");
    expect(error.message).toMatch(reason);
    expect(error.message).toContain("check rgw.endpoint");
  });

  it("accepts http and https URLs (trimmed)", () => {
    expect(parseEndpoint(" http://rgw:7480 ").host).toBe("rgw:7480");
  });
});

describe("canonical query", () => {
  it("encodes per RFC 3986 and sorts by name", () => {
    expect(encodeRfc3986("a b!'()*~")).toBe("a%20b%21%27%28%29%2A~");
    expect(canonicalQueryString({ uid: "x", "access-key": "A", key: "" })).toBe("access-key=A&key=&uid=x");
  });
});

describe("parseRgwErrorCode", () => {
  it("reads JSON and XML error bodies", () => {
    expect(parseRgwErrorCode('{"Code":"NoSuchUser","RequestId":"tx1"}')).toBe("NoSuchUser");
    expect(parseRgwErrorCode("<Error><Code>AccessDenied</Code></Error>")).toBe("AccessDenied");
  });

  it("returns undefined for bodies without a code", () => {
    expect(parseRgwErrorCode("")).toBeUndefined();
    expect(parseRgwErrorCode("{not json")).toBeUndefined();
    expect(parseRgwErrorCode('{"Code":""}')).toBeUndefined();
  });
});

describe("errorFromResponse", () => {
  const getUser = buildAdminRequest(ENDPOINT, { kind: "getUser", uid: "spark" });
  const body = (code: string): string => JSON.stringify({ Code: code, RequestId: "tx1" });

  it.each(["InvalidAccessKeyId", "SignatureDoesNotMatch"])("says the admin credentials are rejected on 403 %s", (code) => {
    const error = errorFromResponse(ENDPOINT, getUser, 403, body(code));
    expect(error).toMatchObject({ name: "RgwAdminError", kind: "credentialsRejected", status: 403, code });
    expect(error.message).toBe(
      `RGW admin API at http://127.0.0.1:7480: admin credentials rejected (403 ${code} on GET /admin/user uid=spark)` +
        " — check rgwAdminAccessKey/rgwAdminSecretKey",
    );
  });

  it("says caps are missing on 403 AccessDenied", () => {
    const error = errorFromResponse(ENDPOINT, getUser, 403, body("AccessDenied"));
    expect(error.kind).toBe("missingCaps");
    expect(error.message).toContain("RGW admin API at http://127.0.0.1:7480: admin user lacks caps users=*");
    expect(error.message).toContain("(403 AccessDenied on GET /admin/user uid=spark)");
  });

  it("says an unknown access key is a possible cause when removing a key is denied", () => {
    const removeKey = buildAdminRequest(ENDPOINT, { kind: "removeKey", accessKey: "AK1" });
    const error = errorFromResponse(ENDPOINT, removeKey, 403, body("AccessDenied"));
    expect(error.message).toMatch(/access key does not exist, or the admin user lacks caps users=\*/);
  });

  it("explains RGW's refusal to delete a user that owns buckets", () => {
    const deleteUser = buildAdminRequest(ENDPOINT, { kind: "deleteUser", uid: "spark", purgeData: false });
    const error = errorFromResponse(ENDPOINT, deleteUser, 409, body("BucketAlreadyExists"));
    expect(error).toMatchObject({ kind: "conflict", code: "BucketAlreadyExists" });
    expect(error.message).toMatch(/still owns buckets/);
  });

  it("maps 404, other 409/4xx and 5xx", () => {
    expect(errorFromResponse(ENDPOINT, getUser, 404, body("NoSuchUser"))).toMatchObject({
      kind: "notFound",
      code: "NoSuchUser",
    });
    const create = buildAdminRequest(ENDPOINT, { kind: "createUser", uid: "a", displayName: "A", generateKey: true });
    expect(errorFromResponse(ENDPOINT, create, 409, body("UserAlreadyExists")).message).toMatch(/already exists/);
    expect(errorFromResponse(ENDPOINT, getUser, 400, body("InvalidArgument")).kind).toBe("badRequest");
    const serverError = errorFromResponse(ENDPOINT, getUser, 503, "<html>oops</html>");
    expect(serverError.kind).toBe("serverError");
    expect(serverError.message).toContain("503 no error code");
  });
});

describe("errorFromFetchFailure", () => {
  it("names the endpoint and ECONNREFUSED", () => {
    const failure = new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    const error = errorFromFetchFailure(ENDPOINT, failure, 30_000);
    expect(error).toMatchObject({ kind: "unreachable", code: "ECONNREFUSED" });
    expect(error.message).toBe(
      "cannot reach RGW admin API at http://127.0.0.1:7480: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)",
    );
  });

  it("finds DNS failures inside an AggregateError", () => {
    const cause = new AggregateError([Object.assign(new Error("dns"), { code: "ENOTFOUND" })]);
    const error = errorFromFetchFailure("http://rgw.invalid:7480/", new TypeError("fetch failed", { cause }), 30_000);
    expect(error.message).toBe(
      "cannot reach RGW admin API at http://rgw.invalid:7480: ENOTFOUND — check rgw.endpoint (config rgwEndpoint)",
    );
  });

  it("reports timeouts", () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
    const error = errorFromFetchFailure(ENDPOINT, timeout, 5_000);
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/no answer within 5s/);
  });

  it("falls back to the cause's message without a code", () => {
    const failure = new TypeError("fetch failed", { cause: new Error("bad port") });
    expect(errorFromFetchFailure(ENDPOINT, failure, 1000).message).toContain(": bad port — check rgw.endpoint");
  });
});

describe("networkErrorCode", () => {
  it("ignores non-network codes and non-objects", () => {
    expect(networkErrorCode({ code: "UND_ERR_SOCKET" })).toBeUndefined();
    expect(networkErrorCode("ECONNREFUSED")).toBeUndefined();
    expect(networkErrorCode({ cause: { cause: { code: "ECONNRESET" } } })).toBe("ECONNRESET");
  });
});

describe("response parsing", () => {
  const userJson = {
    user_id: "spark",
    display_name: "Spark",
    email: "",
    suspended: 0,
    max_buckets: 1000,
    keys: [{ user: "spark", access_key: "AK", secret_key: "SK" }],
    swift_keys: [],
    caps: [],
  };

  it("parses user info", () => {
    expect(parseUserInfo(ENDPOINT, userJson)).toEqual({
      uid: "spark",
      displayName: "Spark",
      email: "",
      suspended: false,
      maxBuckets: 1000,
      keys: [{ user: "spark", accessKey: "AK", secretKey: "SK" }],
    });
  });

  it("rejects malformed user info and key lists", () => {
    expect(thrown(() => parseUserInfo(ENDPOINT, { display_name: "x" })).kind).toBe("invalidResponse");
    expect(thrown(() => parseUserInfo(ENDPOINT, { ...userJson, keys: [{ user: "x" }] })).kind).toBe("invalidResponse");
    expect(thrown(() => parseKeyList(ENDPOINT, { keys: [] })).kind).toBe("invalidResponse");
    expect(parseKeyList(ENDPOINT, [])).toEqual([]);
  });
});

describe("rgwAdminError", () => {
  it("is an Error with details and a stack that is just the message", () => {
    const error = rgwAdminError("boom", { kind: "notFound", endpoint: ENDPOINT, status: 404, code: "NoSuchUser" });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "RgwAdminError", kind: "notFound", status: 404, code: "NoSuchUser" });
    expect(error.stack).toBe("RgwAdminError: boom");
    expect(String(error)).toBe("RgwAdminError: boom");
  });

  it("withHint appends to the message and keeps the details", () => {
    const error = withHint(rgwAdminError("boom", { kind: "conflict", endpoint: ENDPOINT, code: "X" }), "do this");
    expect(error).toMatchObject({ message: "boom — do this", kind: "conflict", code: "X" });
  });

  it("isRgwAdminError checks name and kind", () => {
    const error = rgwAdminError("boom", { kind: "conflict", endpoint: ENDPOINT });
    expect(isRgwAdminError(error)).toBe(true);
    expect(isRgwAdminError(error, "conflict")).toBe(true);
    expect(isRgwAdminError(error, "notFound")).toBe(false);
    expect(isRgwAdminError(new Error("x"))).toBe(false);
    expect(isRgwAdminError(undefined)).toBe(false);
  });
});

describe("createRgwAdminClient (fetch stubbed)", () => {
  const fetchMock = jest.spyOn(globalThis, "fetch");
  afterEach(() => fetchMock.mockReset());
  afterAll(() => fetchMock.mockRestore());

  const client = createRgwAdminClient({ endpoint: ENDPOINT, accessKey: "ADMINKEY", secretKey: "adminsecret" });
  const respond = (status: number, body: unknown): void => {
    fetchMock.mockResolvedValueOnce(new Response(typeof body === "string" ? body : JSON.stringify(body), { status }));
  };

  it("sends a SigV4-signed request for service s3 in us-east-1", async () => {
    respond(200, { user_id: "spark", display_name: "Spark", keys: [] });
    await client.getUser("spark");
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("http://127.0.0.1:7480/admin/user?format=json&uid=spark");
    const headers = (init?.headers ?? {}) as Record<string, string>;
    expect(init?.method).toBe("GET");
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ADMINKEY\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers["x-amz-content-sha256"]).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(headers.host).toBeUndefined();
  });

  it("signs for the configured region", async () => {
    respond(200, []);
    await createRgwAdminClient({ endpoint: ENDPOINT, accessKey: "K", secretKey: "S", region: "eu-1" }).createKey("a");
    const headers = (fetchMock.mock.calls[0][1]?.headers ?? {}) as Record<string, string>;
    expect(headers.authorization).toContain("/eu-1/s3/aws4_request");
  });

  it("returns undefined for 404 NoSuchUser, and throws other 404s", async () => {
    respond(404, { Code: "NoSuchUser" });
    await expect(client.getUser("gone")).resolves.toBeUndefined();
    respond(404, { Code: "NoSuchBucket" });
    await expect(client.getUser("x")).rejects.toMatchObject({ kind: "notFound", code: "NoSuchBucket" });
  });

  it("returns parsed keys from createKey", async () => {
    respond(200, [{ user: "a", access_key: "AK", secret_key: "SK" }]);
    await expect(client.createKey("a")).resolves.toEqual([{ user: "a", accessKey: "AK", secretKey: "SK" }]);
  });

  it("maps connection failures", async () => {
    fetchMock.mockRejectedValueOnce(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }));
    await expect(client.deleteUser("a", false)).rejects.toMatchObject({
      name: "RgwAdminError",
      kind: "unreachable",
      message: "cannot reach RGW admin API at http://127.0.0.1:7480: ECONNREFUSED — check rgw.endpoint (config rgwEndpoint)",
    });
  });

  it("rejects non-JSON success bodies clearly", async () => {
    respond(200, "<html>proxy</html>");
    await expect(client.modifyUser("a", "A")).rejects.toMatchObject({ kind: "invalidResponse" });
  });
});
