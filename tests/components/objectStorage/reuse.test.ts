// ObjectStorage is reusable outside this stack: another program, its own AWS provider and names, no
// config model. Run under the mock engine like the stack itself.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ObjectStorage, rgwProviderArgs } from "../../../components/objectStorage";
import { MockRun, evaluateProgram, reveal } from "../../../scripts/lib/mockEngine";

const connection = { endpoint: "http://rgw.lab:7480", region: "us-east-1", accessKey: pulumi.secret("AK"), secretKey: pulumi.secret("SK") };

const otherProgram = () => () => {
  const provider = new aws.Provider("lab-rgw", rgwProviderArgs(connection));
  const storage = new ObjectStorage(
    "lake",
    {
      connection,
      environment: "lab",
      apps: [{ name: "analytics" }],
      buckets: [{ key: "raw", name: "raw-data-lab", versioning: true, noncurrentVersionDays: 7, abortIncompleteMultipartDays: 1, read: ["analytics"] }],
    },
    { providers: [provider] },
  );
  return { buckets: storage.bucketNames, analyticsUid: storage.appAccess.analytics.uid };
};

describe("ObjectStorage in another program", () => {
  let run: MockRun;
  beforeAll(async () => {
    run = await evaluateProgram({ stack: "lab", config: {}, secretKeys: [], loadProgram: otherProgram });
  });

  it("creates its buckets and users under its own name, on the provider it was given", () => {
    const bucket = run.resources.find((r) => r.type === "aws:s3/bucket:Bucket");
    expect(bucket?.name).toBe("lake-raw");
    expect(bucket?.provider).toMatch(/pulumi:providers:aws::lab-rgw::/);
    expect(run.resources.filter((r) => r.type === "pulumi:providers:aws").map((r) => r.name)).toEqual(["lab-rgw"]);
    const user = run.resources.find((r) => r.type.endsWith("RgwUser"));
    expect(user?.name).toBe("lake-user-analytics");
    expect(reveal(user?.inputs)).toMatchObject({ uid: "data-platform-lab-analytics" });
    const policy = run.resources.find((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy");
    expect(JSON.parse(String(policy?.inputs.policy)).Statement[0].Principal.AWS).toEqual(["arn:aws:iam:::user/data-platform-lab-analytics"]);
  });

  it("registers its outputs", () => {
    expect(run.outputs).toMatchObject({ buckets: { raw: "raw-data-lab" }, analyticsUid: "data-platform-lab-analytics" });
  });

  it("refuses to run without an AWS provider for RGW (the default provider would talk to AWS)", async () => {
    const noProvider = () => () => {
      new ObjectStorage("lake", { connection, environment: "lab", apps: [], buckets: [] });
    };
    await expect(evaluateProgram({ stack: "lab", config: {}, secretKeys: [], loadProgram: noProvider })).rejects.toThrow(/needs an AWS provider for RGW/);
  });
});
