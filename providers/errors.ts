/**
 * The one error type of both dynamic providers (RgwUser, BucketLifecycle) and the RGW admin client.
 *
 * Captured by value when a provider is serialized, so: a factory instead of `class extends Error`
 * (the closure serializer rewrites `super(message)` into `Error.call(this, message)` and drops the
 * prototype link, so a serialized subclass instance has no message), errors recognised by their fields
 * rather than `instanceof`, and no module-level Set/Map (the serializer reproduces neither).
 */

export type RgwErrorKind =
  | "unreachable"
  | "timeout"
  | "credentialsRejected"
  | "missingCaps"
  | "suspended"
  | "accessDenied"
  | "notFound"
  | "conflict"
  | "badRequest"
  | "serverError"
  | "invalidResponse"
  | "invalidEndpoint";

export interface RgwErrorDetails {
  kind: RgwErrorKind;
  endpoint: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** The server's error code (NoSuchUser, SignatureDoesNotMatch, ...) or Node's network error code (ECONNREFUSED). */
  code?: string;
}

/** RGW answers a suspended user's every request with 403 UserSuspended (measured on RGW 16.2: Admin Ops and S3). */
export const SUSPENDED_HINT =
  "the admin user is suspended — re-enable it (radosgw-admin user enable --uid=<admin-uid>) or set rgwAdminAccessKey/rgwAdminSecretKey to an active user's keys";

/** An Error whose one-line message says what failed and what to check; `name` is "RgwError". */
export interface RgwError extends Error, RgwErrorDetails {
  name: "RgwError";
}

/** What a replaced secret reads as in messages. */
export const REDACTED = "[redacted]";

/**
 * Removes anything that may be a key from text that came from a server or a request: values of
 * key-named JSON/XML/query fields, and every long run of key characters that mixes letters and digits
 * (RGW access keys are 20, secrets 40 such characters). Error codes and words have no digits, so
 * they stay readable.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/("(?:secret|access)_?key"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`)
    .replace(/(<(\w*(?:Secret|AccessKey)\w*)>)[^<]*(<\/\2>)/gi, `$1${REDACTED}$3`)
    .replace(/((?:secret|access)-key=)[^&\s]*/gi, `$1${REDACTED}`)
    .replace(/[A-Za-z0-9+/]{16,}={0,2}/g, (run) => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) ? REDACTED : run));
}

/**
 * Creates an RgwError. The message is redacted (it may quote a server's answer), and the stack is just
 * the message: the message is the whole story, and Pulumi prints `e.stack` for failed reads/deletes.
 */
export function rgwError(message: string, details: RgwErrorDetails): RgwError {
  const safe = redactSecrets(message);
  const error = new Error(safe) as RgwError;
  error.name = "RgwError";
  error.kind = details.kind;
  error.endpoint = details.endpoint;
  error.status = details.status;
  error.code = details.code;
  error.stack = `RgwError: ${safe}`;
  return error;
}

/** The same error with more explanation appended to its message. */
export function withHint(error: RgwError, hint: string): RgwError {
  return rgwError(`${error.message} — ${hint}`, error);
}

/** True for an RgwError (of the given kind). */
export function isRgwError(error: unknown, kind?: RgwErrorKind): error is RgwError {
  return isRecord(error) && error.name === "RgwError" && typeof error.kind === "string" && (kind === undefined || error.kind === kind);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Node's network error codes (ECONNREFUSED, ...) and undici's (UND_ERR_SOCKET: the server closed the connection, ...). */
const NETWORK_CODE = /^(E[A-Z_]{3,}|UND_ERR_[A-Z_]+)$/;

/** True for a code that means no HTTP answer came (a network code, not a server's error code). */
export function isNetworkErrorCode(code: string): boolean {
  return NETWORK_CODE.test(code);
}

/**
 * The network error code (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET, ...) of a failure without an HTTP answer, from the
 * cause chain, an AggregateError's members (happy-eyeballs connects) or, last, the message: when the
 * error comes from another realm (jest's VM), the AWS SDK rewraps it as "AWS SDK error wrapper for
 * Error: connect ECONNREFUSED ..." and only the message keeps the code.
 */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; isRecord(current) && depth < 5; depth++) {
    if (typeof current.code === "string" && NETWORK_CODE.test(current.code)) return current.code;
    if (Array.isArray(current.errors)) {
      for (const inner of current.errors) {
        const innerCode = networkErrorCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = current.cause;
  }
  const answered = isRecord(error) && isRecord(error.$metadata) && typeof error.$metadata.httpStatusCode === "number";
  if (isRecord(error) && typeof error.message === "string" && !answered) {
    return /\b(E[A-Z_]{3,})\b/.exec(error.message)?.[1];
  }
  return undefined;
}

/** True when a call gave up waiting (fetch's AbortSignal.timeout, the AWS SDK's request timeout). */
export function isTimeout(error: unknown): boolean {
  return isRecord(error) && (error.name === "TimeoutError" || error.name === "AbortError" || error.name === "RequestTimeout");
}

/**
 * The RgwError for a call that got no HTTP answer (timeout, refused, unresolvable, bad URL). `where` says
 * what was called, e.g. "RGW admin API at http://rgw:7480"; `hint` what to check.
 */
export function noAnswerError(where: string, endpoint: string, error: unknown, timeoutMs: number, hint: string): RgwError {
  if (isTimeout(error)) {
    return rgwError(`cannot reach ${where}: no answer within ${timeoutMs / 1000}s — ${hint}`, { kind: "timeout", endpoint, code: "ETIMEDOUT" });
  }
  const code = networkErrorCode(error);
  const cause = isRecord(error) && isRecord(error.cause) && typeof error.cause.message === "string" ? error.cause.message : undefined;
  const reason = code ?? cause ?? (error instanceof Error ? error.message : String(error));
  return rgwError(`cannot reach ${where}: ${reason} — ${hint}`, { kind: "unreachable", endpoint, code });
}

/** What a failed S3 call says about itself: the S3 error code (or the network error code) and HTTP status. */
export interface S3Failure {
  code: string;
  status?: number;
  /** The server's message, when it sent one (RGW usually doesn't; the SDK then says "UnknownError"). Redacted. */
  detail?: string;
}

/**
 * The code of an S3 answer without a body (HEAD): the SDK only knows the status and names a 404
 * "NotFound" or nothing, and a 403 "Forbidden", "Unknown", "UnknownError" or "403" (seen with Ceph 16.2).
 */
function bodylessCode(status: number | undefined, name: string): string {
  if (status === 404 && name === "") return "NotFound";
  if (status === 403 && ["", "Forbidden", "Unknown", "UnknownError", "403"].includes(name)) return "AccessDenied";
  return name;
}

/** Reads an error thrown by @aws-sdk/client-s3 by its fields (no instanceof: the provider runs serialized). */
export function s3Failure(error: unknown): S3Failure {
  if (!isRecord(error)) return { code: "", detail: String(error) };
  const status = isRecord(error.$metadata) && typeof error.$metadata.httpStatusCode === "number" ? error.$metadata.httpStatusCode : undefined;
  const message = typeof error.message === "string" ? error.message.trim() : "";
  const name = typeof error.Code === "string" ? error.Code : typeof error.name === "string" ? error.name : "";
  const code = (status === undefined ? networkErrorCode(error) : undefined) ?? bodylessCode(status, name);
  const detail = message === "" || message === "UnknownError" || message === code ? undefined : redactSecrets(message);
  return { code, ...(status !== undefined && { status }), ...(detail !== undefined && { detail }) };
}

/** What an S3 failure means, for every caller (BucketLifecycle's messages, verify's hints). */
export function s3ErrorKind({ code, status }: Pick<S3Failure, "code" | "status">): RgwErrorKind {
  switch (code) {
    case "InvalidAccessKeyId":
    case "SignatureDoesNotMatch":
      return "credentialsRejected";
    case "AccessDenied":
      return "accessDenied";
    case "NoSuchBucket":
      return "notFound";
    // A suspended user gets 403 UserSuspended for every call (measured on RGW 16.2).
    case "UserSuspended":
      return "suspended";
  }
  if (status === undefined && isNetworkErrorCode(code)) return "unreachable";
  return status !== undefined && status >= 500 ? "serverError" : "badRequest";
}
