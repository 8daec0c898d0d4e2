/**
 * How the providers reach Ceph RGW: one connection shape for the Admin Ops client, RgwUser and
 * BucketLifecycle, and the endpoint rules they share. Captured by value when a dynamic provider is
 * serialized, so plain functions only.
 */
import type * as pulumi from "@pulumi/pulumi";
import { rgwError } from "./errors";

export const DEFAULT_RGW_REGION = "us-east-1";
/** How long one HTTP call to RGW may take before it fails with kind "timeout". */
export const DEFAULT_RGW_TIMEOUT_MS = 30_000;

/** An RGW endpoint and the keys to sign with, as the providers use them (plain values). */
export interface RgwConnection {
  /** Base URL of RGW, scheme://host[:port] only, e.g. http://rgw.example:7480. */
  endpoint: string;
  /** SigV4 signing region: the zonegroup's api_name; default us-east-1. */
  region?: string;
  accessKey: string;
  secretKey: string;
  /** Per-call timeout in milliseconds; default DEFAULT_RGW_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** The same as resource arguments. The keys are made secrets by the resources. */
export interface RgwConnectionArgs {
  /** Base URL of RGW, scheme://host[:port]: a path, query, fragment or userinfo is refused. */
  endpoint: pulumi.Input<string>;
  /** SigV4 region (the zonegroup's api_name); default us-east-1. */
  region?: pulumi.Input<string>;
  /** Keys of the RGW user the provider acts as (RgwUser: caps users=*; BucketLifecycle: the bucket owner). */
  accessKey: pulumi.Input<string>;
  secretKey: pulumi.Input<string>;
  /** Per-call timeout in milliseconds; default 30 s. Left out of the resource's inputs unless set. */
  timeoutMs?: pulumi.Input<number>;
}

export const ENDPOINT_HINT = "check rgw.endpoint (config rgwEndpoint)";

/** The engine's placeholder for input values not known yet during preview (checks skip them). */
export const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Trims and checks an endpoint; returns the parsed URL or throws an RgwError (kind "invalidEndpoint").
 * Only scheme://host[:port] is accepted: with a path, admin calls would go to an S3 object path (RGW
 * answers them as S3 requests, so a delete "succeeds" and the user stays), and a query, fragment or
 * userinfo would be signed or logged in ways nobody meant.
 */
export function parseEndpoint(endpoint: string): URL {
  const refuse = (why: string) =>
    rgwError(`invalid RGW endpoint "${displayEndpoint(endpoint)}": ${why} — ${ENDPOINT_HINT}`, {
      kind: "invalidEndpoint",
      endpoint: displayEndpoint(endpoint),
    });
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    throw refuse("not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("must be http:// or https://");
  if (url.username || url.password) throw refuse("must not contain credentials");
  if (url.search || url.hash) throw refuse("must not contain a query or a fragment");
  if (url.pathname !== "/") throw refuse(`must not contain a path ("${url.pathname}"): give scheme://host[:port] only`);
  return url;
}

/** The endpoint as shown in messages: scheme, host and path only (never userinfo or a query). */
export function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint.trim());
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
  } catch {
    return endpoint.replace(/\/\/[^@/]*@/, "//");
  }
}

export function timeoutOf(connection: Pick<RgwConnection, "timeoutMs">): number {
  const timeout = connection.timeoutMs;
  return typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_RGW_TIMEOUT_MS;
}
