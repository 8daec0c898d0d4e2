/**
 * A small client for the Ceph RGW Admin Ops API (user and key management).
 *
 * Requests are SigV4-signed like S3 requests (service "s3") and ask for `format=json`.
 * Everything that can be decided without the network (URL/query building, response parsing,
 * error mapping) lives in pure exported functions; `createRgwAdminClient` only wires them to fetch.
 *
 * This module is captured by value when a Pulumi dynamic provider that uses it is serialized,
 * so it keeps to plain functions (see ./errors for what the serializer does not reproduce).
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { DEFAULT_RGW_REGION, ENDPOINT_HINT, displayEndpoint, parseEndpoint, timeoutOf, type RgwConnection } from "./connection";
import { SUSPENDED_HINT, isRecord, isRgwError, noAnswerError, rgwError, type RgwError } from "./errors";

/** Hint texts name the stack's config keys so the message says what to fix. */
const CREDENTIALS_HINT = "check rgwAdminAccessKey/rgwAdminSecretKey";
const CAPS_HINT = "admin user lacks caps users=* (grant them with: radosgw-admin caps add --uid=<admin-uid> --caps='users=*')";

/** SHA-256 of the empty payload: RGW's SigV4 check wants x-amz-content-sha256 on every request. */
const EMPTY_PAYLOAD_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

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
  | { kind: "getBucket"; bucket: string }
  | { kind: "createUser"; uid: string; displayName: string; accessKey: string | undefined }
  | { kind: "modifyUser"; uid: string; displayName: string; attributes: RgwUserAttributes }
  | { kind: "createKey"; uid: string; accessKey: string | undefined }
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

function methodAndQuery(operation: RgwAdminOperation): { method: HttpMethod; query: Record<string, string> } {
  switch (operation.kind) {
    case "getUser":
      return { method: "GET", query: { uid: operation.uid } };
    case "getBucket":
      return { method: "GET", query: { bucket: operation.bucket, stats: "True" } };
    case "createUser":
      return {
        method: "PUT",
        query: {
          uid: operation.uid,
          "display-name": operation.displayName,
          "generate-key": "True",
          ...withAccessKey(operation.accessKey),
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
      return {
        method: "PUT",
        query: { key: "", uid: operation.uid, "key-type": "s3", "generate-key": "True", ...withAccessKey(operation.accessKey) },
      };
    case "removeKey":
      return { method: "DELETE", query: { key: "", "access-key": operation.accessKey } };
    case "deleteUser":
      return {
        method: "DELETE",
        query: { uid: operation.uid, "purge-data": operation.purgeData ? "True" : "False" },
      };
  }
}

/** With a chosen access key id RGW still generates the secret (generate-key), which never appears in a URL. */
function withAccessKey(accessKey: string | undefined): Record<string, string> {
  return accessKey === undefined ? {} : { "access-key": accessKey };
}

/** Builds the (unsigned) request for an Admin Ops operation. */
export function buildAdminRequest(endpoint: string, operation: RgwAdminOperation): RgwAdminRequest {
  const base = parseEndpoint(endpoint);
  const { method, query } = methodAndQuery(operation);
  const fullQuery = { ...query, format: "json" };
  // parseEndpoint accepts no path prefix, so this is always one of RGW's admin resources.
  const path = operation.kind === "getBucket" ? "/admin/bucket" : "/admin/user";
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
  if (operation.kind === "getBucket") return `bucket=${operation.bucket}`;
  return operation.kind === "removeKey" ? `access-key=${operation.accessKey}` : `uid=${operation.uid}`;
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
const REJECTED_CREDENTIAL_CODES: readonly string[] = ["InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed"];

/** Maps a non-2xx Admin Ops response to an RgwError with a message that says what to fix. */
export function errorFromResponse(endpoint: string, request: Pick<RgwAdminRequest, "description" | "operation">, status: number, body: string): RgwError {
  const where = `RGW admin API at ${displayEndpoint(endpoint)}`;
  const code = parseRgwErrorCode(body);
  const codeText = code ?? "no error code";
  const details = { endpoint, status, code };
  const seen = `(${status} ${codeText} on ${request.description})`;
  if (request.operation === "removeKey" && status === 403 && code === "AccessDenied") {
    // RGW answers "no such access key" with the same 403 AccessDenied as missing caps.
    return rgwError(`${where}: key removal denied ${seen}: the access key does not exist, or the ${CAPS_HINT}`, { ...details, kind: "missingCaps" });
  }
  if (request.operation === "deleteUser" && status === 409 && code === "BucketAlreadyExists") {
    return rgwError(
      `${where}: RGW refuses to delete the user without purging its data because it still owns buckets ${seen}` +
        " — remove or re-own its buckets, or delete with purge-data (this deletes its buckets and objects)",
      { ...details, kind: "conflict" },
    );
  }
  if (request.operation === "createUser" && status === 409 && code === "UserAlreadyExists") {
    return rgwError(`${where}: the user already exists ${seen}`, { ...details, kind: "conflict" });
  }
  if (status === 403 && code !== undefined && REJECTED_CREDENTIAL_CODES.includes(code)) {
    return rgwError(`${where}: admin credentials rejected (${status} ${code} on ${request.description}) — ${CREDENTIALS_HINT}`, {
      ...details,
      kind: "credentialsRejected",
    });
  }
  if (status === 403 && code === "UserSuspended") {
    return rgwError(`${where}: ${SUSPENDED_HINT} ${seen}`, { ...details, kind: "suspended" });
  }
  if (status === 403) {
    return rgwError(`${where}: ${CAPS_HINT} ${seen}`, { ...details, kind: "missingCaps" });
  }
  if (status === 404) {
    return rgwError(`${where}: not found ${seen}`, {
      ...details,
      kind: "notFound",
    });
  }
  if (status === 409) {
    return rgwError(`${where}: conflict ${seen}`, {
      ...details,
      kind: "conflict",
    });
  }
  if (status >= 400 && status < 500) {
    return rgwError(`${where}: request refused ${seen}`, {
      ...details,
      kind: "badRequest",
    });
  }
  return rgwError(`${where}: server error ${seen} — check the radosgw logs`, { ...details, kind: "serverError" });
}

function parseKeys(value: unknown): RgwKey[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const keys: RgwKey[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.user !== "string" || typeof entry.access_key !== "string" || typeof entry.secret_key !== "string") {
      return undefined;
    }
    keys.push({ user: entry.user, accessKey: entry.access_key, secretKey: entry.secret_key });
  }
  return keys;
}

function invalidResponse(endpoint: string, what: string): RgwError {
  return rgwError(`RGW admin API at ${displayEndpoint(endpoint)}: unexpected response: ${what}`, {
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

/** GET /admin/bucket?bucket=&stats=True (caps buckets=read): who owns a bucket and what it holds. */
export interface RgwBucketInfo {
  bucket: string;
  owner: string;
  objects: number;
  sizeBytes: number;
}

/** Parses RGW's bucket stats; usage is summed over its categories (rgw.main, rgw.multimeta, ...). */
export function parseBucketInfo(endpoint: string, json: unknown): RgwBucketInfo {
  if (!isRecord(json) || typeof json.bucket !== "string" || typeof json.owner !== "string") {
    throw invalidResponse(endpoint, "bucket info without bucket/owner");
  }
  const usage = isRecord(json.usage) ? Object.values(json.usage).filter(isRecord) : [];
  const sum = (field: string) => usage.reduce((total, u) => total + (typeof u[field] === "number" ? (u[field] as number) : 0), 0);
  return { bucket: json.bucket, owner: json.owner, objects: sum("num_objects"), sizeBytes: sum("size") };
}

/** Read-only bucket metadata (the adoption planner's; the providers never need it). */
export interface RgwBucketReader {
  /** The bucket's owner and usage, or undefined when RGW answers 404 NoSuchBucket (needs caps buckets=read). */
  getBucket(bucket: string): Promise<RgwBucketInfo | undefined>;
}

export interface RgwAdminClient {
  /** The user, or undefined when RGW answers 404 NoSuchUser. */
  getUser(uid: string): Promise<RgwUserInfo | undefined>;
  /**
   * Creates a user with one S3 key (id `accessKey`, or RGW's choice; the secret is generated by RGW).
   * Fails with kind "conflict" if the uid exists.
   */
  createUser(uid: string, displayName: string, accessKey?: string): Promise<RgwUserInfo>;
  modifyUser(uid: string, displayName: string, attributes?: RgwUserAttributes): Promise<RgwUserInfo>;
  /** Adds an S3 key (id `accessKey`, or RGW's choice; generated secret); returns all of the user's S3 keys. */
  createKey(uid: string, accessKey?: string): Promise<RgwKey[]>;
  removeKey(accessKey: string): Promise<void>;
  /** Deletes the user. Without purgeData RGW refuses to delete a user that still owns buckets. */
  deleteUser(uid: string, purgeData: boolean): Promise<void>;
}

export function createRgwAdminClient(connection: RgwConnection): RgwAdminClient & RgwBucketReader {
  const endpoint = connection.endpoint;
  const timeoutMs = timeoutOf(connection);
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
      throw noAnswerError(`RGW admin API at ${displayEndpoint(endpoint)}`, endpoint, error, timeoutMs, ENDPOINT_HINT);
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
      // Never quote the body: a key-list or user answer holds secret keys.
      throw invalidResponse(endpoint, `${operation.kind} answer is not JSON (${body.length} bytes)`);
    }
  }

  return {
    async getUser(uid) {
      try {
        return parseUserInfo(endpoint, await sendJson({ kind: "getUser", uid }));
      } catch (error) {
        if (isRgwError(error, "notFound") && error.code === "NoSuchUser") {
          return undefined;
        }
        throw error;
      }
    },
    async getBucket(bucket) {
      try {
        return parseBucketInfo(endpoint, await sendJson({ kind: "getBucket", bucket }));
      } catch (error) {
        if (isRgwError(error, "notFound") && error.code === "NoSuchBucket") return undefined;
        throw error;
      }
    },
    async createUser(uid, displayName, accessKey) {
      return parseUserInfo(endpoint, await sendJson({ kind: "createUser", uid, displayName, accessKey }));
    },
    async modifyUser(uid, displayName, attributes = {}) {
      return parseUserInfo(endpoint, await sendJson({ kind: "modifyUser", uid, displayName, attributes }));
    },
    async createKey(uid, accessKey) {
      return parseKeyList(endpoint, await sendJson({ kind: "createKey", uid, accessKey }));
    },
    async removeKey(accessKey) {
      await send({ kind: "removeKey", accessKey });
    },
    async deleteUser(uid, purgeData) {
      await send({ kind: "deleteUser", uid, purgeData });
    },
  };
}
