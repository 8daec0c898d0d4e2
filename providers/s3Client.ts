// The one S3 client for Ceph RGW: path style, no flexible checksums (RGW 16.2 refuses them), and a
// connect and request timeout from the connection. BucketLifecycle and verify both talk S3 through it.
import { S3Client } from "@aws-sdk/client-s3";
import { DEFAULT_RGW_REGION, parseEndpoint, timeoutOf, type RgwConnection } from "./connection";

export function rgwS3Client(connection: Pick<RgwConnection, "endpoint" | "accessKey" | "secretKey" | "timeoutMs"> & { region?: string }): S3Client {
  const timeoutMs = timeoutOf(connection);
  return new S3Client({
    endpoint: parseEndpoint(connection.endpoint).origin,
    region: connection.region || DEFAULT_RGW_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: connection.accessKey, secretAccessKey: connection.secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Connect and per-request limits. Without throwOnRequestTimeout @smithy only logs a warning when
    // requestTimeout passes and keeps waiting; callers add an overall deadline per call (retries included).
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
  });
}
