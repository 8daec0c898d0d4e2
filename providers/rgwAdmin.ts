/**
 * A small client for the Ceph RGW Admin Ops API (user and key management).
 *
 * Requests are SigV4-signed like S3 requests (service "s3") and ask for `format=json`.
 * Everything that can be decided without the network (URL/query building, response parsing,
 * error mapping) lives in pure exported functions; `createRgwAdminClient` only wires them to fetch.
 *
 * This module is captured by value when a Pulumi dynamic provider that uses it is serialized,
 * so it keeps to plain functions (no Error subclass, no module-level Set/Map: the serializer
 * reproduces neither) and imports only from node_modules (serialized as `require(...)`).
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

export const DEFAULT_RGW_REGION = "us-east-1";
export const DEFAULT_RGW_ADMIN_TIMEOUT_MS = 30_000;

/** Hint texts name the stack's config keys so the message says what to fix. */
const ENDPOINT_HINT = "check rgw.endpoint (config rgwEndpoint)";
const CREDENTIALS_HINT = "check rgwAdminAccessKey/rgwAdminSecretKey";
const CAPS_HINT =
  "admin user lacks caps users=* (grant them with: radosgw-admin caps add --uid=<admin-uid> --caps='users=*')";

/** SHA-256 of the empty payload: RGW's SigV4 check wants x-amz-content-sha256 on every request. */
const EMPTY_PAYLOAD_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export interface RgwAdminConnection {
  /** Base URL of the RGW, e.g. http://rgw.example:7480 (a path prefix is kept). */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** SigV4 signing region; RGW accepts its zonegroup's api name. */
  region?: string;
  timeoutMs?: number;
}

export interface RgwKey {
  user: string;
  accessKey: string;
  secretKey: string;
}

export interface RgwUserInfo {
  uid: string;
  displayName: string;
  email: string;
  suspended: boolean;
  maxBuckets: number;
  keys: RgwKey[];
}

/** Optional user attributes that `modifyUser` can change besides the display name. */
export interface RgwUserAttributes {
  email?: string;
  maxBuckets?: number;
  suspended?: boolean;
}

export type RgwAdminOperation =
  | { kind: "getUser"; uid: string }
  | { kind: "createUser"; uid: string; displayName: string; generateKey: boolean }
  | { kind: "modifyUser"; uid: string; displayName: string; attributes: RgwUserAttributes }
  | { kind: "createKey"; uid: string }
  | { kind: "removeKey"; accessKey: string }
  | { kind: "deleteUser"; uid: string; purgeData: boolean };

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE";

export interface RgwAdminRequest {
  operation: RgwAdminOperation["kind"];
  method: HttpMethod;
  protocol: "http:" | "https:";
  hostname: string;
  port: number | undefined;
  /** `host` header value (hostname plus a non-default port). */
  host: string;
  path: string;
  /** Query parameters, signed and sent exactly as given (a flag like `key` has the value ""). */
  query: Record<string, string>;
  /** The URL fetch is called with; its query string is the canonical encoding of `query`. */
  url: string;
  /** e.g. "GET /admin/user uid=alice", for error messages. */
  description: string;
}

export type RgwAdminErrorKind =
  | "unreachable"
  | "timeout"
  | "credentialsRejected"
  | "missingCaps"
  | "notFound"
  | "conflict"
  | "badRequest"
  | "serverError"
  | "invalidResponse"
  | "invalidEndpoint";

export interface RgwAdminErrorDetails {
  kind: RgwAdminErrorKind;
  endpoint: string;
  /** HTTP status, when RGW answered. */
  status?: number;
  /** RGW error code (e.g. NoSuchUser, SignatureDoesNotMatch) or a network error code (ECONNREFUSED). */
  code?: string;
}

/** An Error whose message says what is wrong and what to check; `name` is "RgwAdminError". */
export interface RgwAdminError extends Error, RgwAdminErrorDetails {
  name: "RgwAdminError";
}

/**
 * Creates an RgwAdminError. A factory rather than `class extends Error`: Pulumi's closure
 * serializer rewrites `super(message)` into `Error.call(this, message)` and drops the prototype
 * link, so a serialized subclass instance would have no message and not be an Error.
 * The stack is just the message: the message is the whole story, and Pulumi prints `e.stack`
 * for failed reads/deletes.
 */
export function rgwAdminError(message: string, details: RgwAdminErrorDetails): RgwAdminError {
  const error = new Error(message) as RgwAdminError;
  error.name = "RgwAdminError";
  error.kind = details.kind;
  error.endpoint = details.endpoint;
  error.status = details.status;
  error.code = details.code;
  error.stack = `RgwAdminError: ${message}`;
  return error;
}

/** The same error with more explanation appended to its message. */
export function withHint(error: RgwAdminError, hint: string): RgwAdminError {
  return rgwAdminError(`${error.message} — ${hint}`, error);
}

/** RFC 3986 encoding, the same SigV4 uses for canonical query strings. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQueryString(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${encodeRfc3986(name)}=${encodeRfc3986(query[name])}`)
    .join("&");
}

/** Trims and checks an endpoint; returns the parsed URL or throws an RgwAdminError. */
export function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw rgwAdminError(`invalid RGW admin endpoint "${endpoint}": not a URL — ${ENDPOINT_HINT}`, {
      kind: "invalidEndpoint",
      endpoint,
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw rgwAdminError(`invalid RGW admin endpoint "${endpoint}": must be http:// or https:// — ${ENDPOINT_HINT}`, {
      kind: "invalidEndpoint",
      endpoint,
    });
  }
  if (url.search || url.hash || url.username || url.password) {
    throw rgwAdminError(
      `invalid RGW admin endpoint "${endpoint}": must not contain credentials, a query or a fragment — ${ENDPOINT_HINT}`,
      { kind: "invalidEndpoint", endpoint },
    );
  }
  return url;
}

function methodAndQuery(operation: RgwAdminOperation): { method: HttpMethod; query: Record<string, string> } {
  switch (operation.kind) {
    case "getUser":
      return { method: "GET", query: { uid: operation.uid } };
    case "createUser":
      return {
        method: "PUT",
        query: {
          uid: operation.uid,
          "display-name": operation.displayName,
          "generate-key": operation.generateKey ? "True" : "False",
        },
      };
    case "modifyUser": {
      const query: Record<string, string> = { uid: operation.uid, "display-name": operation.displayName };
      const { email, maxBuckets, suspended } = operation.attributes;
      if (email !== undefined) query.email = email;
      if (maxBuckets !== undefined) query["max-buckets"] = String(maxBuckets);
      if (suspended !== undefined) query.suspended = suspended ? "True" : "False";
      return { method: "POST", query };
    }
    case "createKey":
      return { method: "PUT", query: { key: "", uid: operation.uid, "key-type": "s3", "generate-key": "True" } };
    case "removeKey":
      return { method: "DELETE", query: { key: "", "access-key": operation.accessKey } };
    case "deleteUser":
      return {
        method: "DELETE",
        query: { uid: operation.uid, "purge-data": operation.purgeData ? "True" : "False" },
      };
  }
}

/** Builds the (unsigned) request for an Admin Ops operation. */
export function buildAdminRequest(endpoint: string, operation: RgwAdminOperation): RgwAdminRequest {
  const base = parseEndpoint(endpoint);
  const { method, query } = methodAndQuery(operation);
  const fullQuery = { ...query, format: "json" };
  const path = `${base.pathname.replace(/\/+$/, "")}/admin/user`;
  const protocol = base.protocol === "https:" ? "https:" : "http:";
  const port = base.port === "" ? undefined : Number(base.port);
  return {
    operation: operation.kind,
    method,
    protocol,
    hostname: base.hostname,
    port,
    host: base.host,
    path,
    query: fullQuery,
    url: `${protocol}//${base.host}${path}?${canonicalQueryString(fullQuery)}`,
    description: `${method} ${path} ${describeTarget(operation)}`,
  };
}

function describeTarget(operation: RgwAdminOperation): string {
  return operation.kind === "removeKey" ? `access-key=${operation.accessKey}` : `uid=${operation.uid}`;
}

/** The endpoint as shown in messages: scheme, host and path prefix only. */
export function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint.trim());
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return endpoint;
  }
}

/** Extracts RGW's error Code from a JSON (`{"Code": ...}`) or XML (`<Code>...</Code>`) body. */
export function parseRgwErrorCode(body: string): string | undefined {
  const trimmed = body.trim();
  if (trimmed.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (isRecord(parsed) && typeof parsed.Code === "string" && parsed.Code !== "") {
        return parsed.Code;
      }
    } catch {
      // Fall through to the XML pattern.
    }
  }
  const match = /<Code>([^<]+)<\/Code>/.exec(trimmed);
  return match ? match[1] : undefined;
}

// An array, not a Set: Pulumi's closure serializer does not reproduce module-level Sets/Maps.
const REJECTED_CREDENTIAL_CODES: readonly string[] = [
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "RequestTimeTooSkewed",
  "AuthorizationHeaderMalformed",
];

/** Maps a non-2xx Admin Ops response to an RgwAdminError with a message that says what to fix. */
export function errorFromResponse(
  endpoint: string,
  request: Pick<RgwAdminRequest, "description" | "operation">,
  status: number,
  body: string,
): RgwAdminError {
  const where = `RGW admin API at ${displayEndpoint(endpoint)}`;
  const code = parseRgwErrorCode(body);
  const codeText = code ?? "no error code";
  const details = { endpoint, status, code };
  const seen = `(${status} ${codeText} on ${request.description})`;
  if (request.operation === "removeKey" && status === 403 && code === "AccessDenied") {
    // RGW answers "no such access key" with the same 403 AccessDenied as missing caps.
    return rgwAdminError(
      `${where}: key removal denied ${seen}: the access key does not exist, or the ${CAPS_HINT}`,
      { ...details, kind: "missingCaps" },
    );
  }
  if (request.operation === "deleteUser" && status === 409 && code === "BucketAlreadyExists") {
    return rgwAdminError(
      `${where}: RGW refuses to delete the user without purging its data because it still owns buckets ${seen}` +
        " — remove or re-own its buckets, or delete with purge-data (this deletes its buckets and objects)",
      { ...details, kind: "conflict" },
    );
  }
  if (request.operation === "createUser" && status === 409 && code === "UserAlreadyExists") {
    return rgwAdminError(`${where}: the user already exists ${seen}`, { ...details, kind: "conflict" });
  }
  if (status === 403 && code !== undefined && REJECTED_CREDENTIAL_CODES.includes(code)) {
    return rgwAdminError(
      `${where}: admin credentials rejected (${status} ${code} on ${request.description}) — ${CREDENTIALS_HINT}`,
      { ...details, kind: "credentialsRejected" },
    );
  }
  if (status === 403) {
    return rgwAdminError(
      `${where}: ${CAPS_HINT} ${seen}`,
      { ...details, kind: "missingCaps" },
    );
  }
  if (status === 404) {
    return rgwAdminError(`${where}: not found ${seen}`, {
      ...details,
      kind: "notFound",
    });
  }
  if (status === 409) {
    return rgwAdminError(`${where}: conflict ${seen}`, {
      ...details,
      kind: "conflict",
    });
  }
  if (status >= 400 && status < 500) {
    return rgwAdminError(`${where}: request refused ${seen}`, {
      ...details,
      kind: "badRequest",
    });
  }
  return rgwAdminError(
    `${where}: server error ${seen} — check the radosgw logs`,
    { ...details, kind: "serverError" },
  );
}

/** Finds a Node network error code (ECONNREFUSED, ENOTFOUND, ...) in a fetch failure's cause chain. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; isRecord(current) && depth < 5; depth++) {
    if (typeof current.code === "string" && /^E[A-Z_]+$/.test(current.code)) {
      return current.code;
    }
    // Happy-eyeballs connects report an AggregateError whose members carry the codes.
    if (Array.isArray(current.errors)) {
      for (const inner of current.errors) {
        const innerCode = networkErrorCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = current.cause;
  }
  return undefined;
}

/** Maps an exception from fetch (no HTTP answer) to an RgwAdminError. */
export function errorFromFetchFailure(endpoint: string, error: unknown, timeoutMs: number): RgwAdminError {
  const shown = displayEndpoint(endpoint);
  if (isRecord(error) && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return rgwAdminError(
      `cannot reach RGW admin API at ${shown}: no answer within ${timeoutMs / 1000}s — ${ENDPOINT_HINT}`,
      { kind: "timeout", endpoint, code: "ETIMEDOUT" },
    );
  }
  const code = networkErrorCode(error);
  const reason =
    code ?? (isRecord(error) && isRecord(error.cause) && typeof error.cause.message === "string"
      ? error.cause.message
      : error instanceof Error
        ? error.message
        : String(error));
  return rgwAdminError(`cannot reach RGW admin API at ${shown}: ${reason} — ${ENDPOINT_HINT}`, {
    kind: "unreachable",
    endpoint,
    code,
  });
}

/**
 * True for an RgwAdminError (of the given kind).
 */
export function isRgwAdminError(error: unknown, kind?: RgwAdminErrorKind): error is RgwAdminError {
  return (
    isRecord(error) &&
    error.name === "RgwAdminError" &&
    typeof error.kind === "string" &&
    (kind === undefined || error.kind === kind)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function parseKeys(value: unknown): RgwKey[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const keys: RgwKey[] = [];
  for (const entry of value) {
    if (
      !isRecord(entry) ||
      typeof entry.user !== "string" ||
      typeof entry.access_key !== "string" ||
      typeof entry.secret_key !== "string"
    ) {
      return undefined;
    }
    keys.push({ user: entry.user, accessKey: entry.access_key, secretKey: entry.secret_key });
  }
  return keys;
}

function invalidResponse(endpoint: string, what: string): RgwAdminError {
  return rgwAdminError(`RGW admin API at ${displayEndpoint(endpoint)}: unexpected response: ${what}`, {
    kind: "invalidResponse",
    endpoint,
  });
}

/** Parses the JSON of GET/PUT/POST /admin/user (RGW's snake_case) into RgwUserInfo. */
export function parseUserInfo(endpoint: string, json: unknown): RgwUserInfo {
  if (!isRecord(json) || typeof json.user_id !== "string" || typeof json.display_name !== "string") {
    throw invalidResponse(endpoint, "user info without user_id/display_name");
  }
  const keys = parseKeys(json.keys ?? []);
  if (!keys) throw invalidResponse(endpoint, "user info with malformed keys");
  return {
    uid: json.user_id,
    displayName: json.display_name,
    email: typeof json.email === "string" ? json.email : "",
    suspended: json.suspended === 1 || json.suspended === true,
    maxBuckets: typeof json.max_buckets === "number" ? json.max_buckets : 0,
    keys,
  };
}

/** Parses the JSON array that PUT /admin/user?key returns (all of the user's S3 keys). */
export function parseKeyList(endpoint: string, json: unknown): RgwKey[] {
  const keys = parseKeys(json);
  if (!keys) throw invalidResponse(endpoint, "key list is not an array of {user, access_key, secret_key}");
  return keys;
}

export interface RgwAdminClient {
  /** The user, or undefined when RGW answers 404 NoSuchUser. */
  getUser(uid: string): Promise<RgwUserInfo | undefined>;
  /** Creates a user with one generated S3 key. Fails with kind "conflict" if the uid exists. */
  createUser(uid: string, displayName: string): Promise<RgwUserInfo>;
  modifyUser(uid: string, displayName: string, attributes?: RgwUserAttributes): Promise<RgwUserInfo>;
  /** Generates a new S3 key for the user; returns all of the user's S3 keys. */
  createKey(uid: string): Promise<RgwKey[]>;
  removeKey(accessKey: string): Promise<void>;
  /** Deletes the user. Without purgeData RGW refuses to delete a user that still owns buckets. */
  deleteUser(uid: string, purgeData: boolean): Promise<void>;
}

export function createRgwAdminClient(connection: RgwAdminConnection): RgwAdminClient {
  const endpoint = connection.endpoint;
  const timeoutMs = connection.timeoutMs ?? DEFAULT_RGW_ADMIN_TIMEOUT_MS;
  const signer = new SignatureV4({
    service: "s3",
    region: connection.region || DEFAULT_RGW_REGION,
    credentials: { accessKeyId: connection.accessKey, secretAccessKey: connection.secretKey },
    sha256: Sha256,
    uriEscapePath: false,
  });

  async function send(operation: RgwAdminOperation): Promise<{ status: number; body: string }> {
    const request = buildAdminRequest(endpoint, operation);
    const signed = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: request.protocol,
        hostname: request.hostname,
        port: request.port,
        path: request.path,
        query: request.query,
        headers: { host: request.host, "x-amz-content-sha256": EMPTY_PAYLOAD_SHA256 },
      }),
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      // fetch sets Host itself (from the URL, the same value we signed).
      if (name.toLowerCase() !== "host") headers[name] = value;
    }
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw errorFromFetchFailure(endpoint, error, timeoutMs);
    }
    const body = await response.text();
    if (!response.ok) {
      throw errorFromResponse(endpoint, request, response.status, body);
    }
    return { status: response.status, body };
  }

  async function sendJson(operation: RgwAdminOperation): Promise<unknown> {
    const { body } = await send(operation);
    if (body.trim() === "") return undefined;
    try {
      return JSON.parse(body);
    } catch {
      throw invalidResponse(endpoint, `not JSON: ${body.slice(0, 200)}`);
    }
  }

  return {
    async getUser(uid) {
      try {
        return parseUserInfo(endpoint, await sendJson({ kind: "getUser", uid }));
      } catch (error) {
        if (isRgwAdminError(error, "notFound") && error.code === "NoSuchUser") {
          return undefined;
        }
        throw error;
      }
    },
    async createUser(uid, displayName) {
      return parseUserInfo(endpoint, await sendJson({ kind: "createUser", uid, displayName, generateKey: true }));
    },
    async modifyUser(uid, displayName, attributes = {}) {
      return parseUserInfo(endpoint, await sendJson({ kind: "modifyUser", uid, displayName, attributes }));
    },
    async createKey(uid) {
      return parseKeyList(endpoint, await sendJson({ kind: "createKey", uid }));
    },
    async removeKey(accessKey) {
      await send({ kind: "removeKey", accessKey });
    },
    async deleteUser(uid, purgeData) {
      await send({ kind: "deleteUser", uid, purgeData });
    },
  };
}
