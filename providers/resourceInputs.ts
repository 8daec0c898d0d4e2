// Registration-time helpers of the dynamic resources. Kept apart from connection.ts, which the providers
// capture when Pulumi serializes them: anything that module references (pulumi.secret here) would be
// serialized with every provider (measured: 3.6x the provider text, +0.5 s per render).
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RGW_REGION, type RgwConnectionArgs } from "./connection";

/**
 * A connection as a dynamic resource's inputs, under the wire names its existing states use (RgwUser:
 * adminAccessKey/adminSecretKey, BucketLifecycle: accessKey/secretKey). The keys become secrets; the
 * timeout is left out unless set, so existing states see no diff.
 */
export function connectionInputs(connection: RgwConnectionArgs, keyNames: { accessKey: string; secretKey: string }): pulumi.Inputs {
  const { endpoint, region, accessKey, secretKey, timeoutMs } = connection;
  return {
    endpoint,
    region: region ?? DEFAULT_RGW_REGION,
    [keyNames.accessKey]: pulumi.secret(accessKey),
    [keyNames.secretKey]: pulumi.secret(secretKey),
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}
