import { bucketGrants, rgwProviderArgs, rgwUserId } from "../../../components/objectStorage";

it("names one RGW user per app and environment", () => {
  expect(rgwUserId("dev", "spark")).toBe("data-platform-dev-spark");
});

it("turns a bucket's access lists into grants for those users", () => {
  const grants = bucketGrants({ readWrite: ["spark"], read: ["trino"] }, "prod");
  expect(grants).toEqual([
    { uid: "data-platform-prod-spark", access: "readWrite" },
    { uid: "data-platform-prod-trino", access: "read" },
  ]);
});

it("configures the AWS provider for RGW: path style, no AWS account/STS/IMDS lookups, endpoint override", () => {
  const args = rgwProviderArgs({ endpoint: "http://rgw:7480", region: "us-east-1", accessKey: "a", secretKey: "s" });
  expect(args).toMatchObject({
    region: "us-east-1",
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: true,
    skipRegionValidation: true,
    endpoints: [{ s3: "http://rgw:7480" }],
  });
});
