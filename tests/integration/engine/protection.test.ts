// Issue #10's row "a bucket entry removed or renamed, `up --skip-preview` (as the workflows run it)":
// the engine deletes dependents first, so an unprotected lifecycle lost its rules before the protected
// bucket stopped the update. ObjectStorage protects the lifecycle like the bucket; this runs both
// shapes under the real engine (the Automation API's up has no preview step) on a real RGW. The bucket
// is a stand-in dynamic resource (the aws plugin cannot run here), protected as ObjectStorage's is.
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { bucketLifecycleRules } from "../../../components/objectStorage/policies";
import { BucketLifecycle } from "../../../providers/bucketLifecycle";
import { rulesOnRgw, s3Client, useRgwCluster } from "../rgw/cephRgwCluster";
import { createEngineStack, type EngineStack } from "./engineHarness";

const RULES = bucketLifecycleRules({ noncurrentVersionDays: 30, abortIncompleteMultipartDays: 7 });
const requireCluster = useRgwCluster();
let adminS3: S3Client;
const stacks: EngineStack[] = [];

/** Stands in for aws.s3.Bucket: its id is the bucket's name; nothing to create (the test made the bucket). */
const bucketStandIn: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { name: string }) {
    return { id: inputs.name, outs: inputs };
  },
};

class BucketStandIn extends pulumi.dynamic.Resource {
  declare public readonly name: pulumi.Output<string>;
  constructor(name: string, bucket: string, opts?: pulumi.CustomResourceOptions) {
    super(bucketStandIn, name, { name: bucket }, opts);
  }
}

/** The bucket entry as ObjectStorage declares it, or nothing once the entry is removed from config. */
function program(state: { declared: boolean; bucket: string; protectLifecycle: boolean }): PulumiFn {
  return async () => {
    if (!state.declared) return;
    const cluster = requireCluster();
    const connection = { endpoint: cluster.endpoint, accessKey: cluster.adminAccessKey, secretKey: pulumi.secret(cluster.adminSecretKey) };
    const bucket = new BucketStandIn("storage-lake", state.bucket, { protect: true });
    new BucketLifecycle("storage-lake-lifecycle", { connection, bucket: bucket.id, rules: RULES }, { protect: state.protectLifecycle });
  };
}

beforeAll(() => {
  const cluster = requireCluster();
  adminS3 = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);
});

afterAll(async () => {
  for (const stack of stacks) await stack.cleanup();
  adminS3?.destroy();
});

async function removeEntry(bucket: string, protectLifecycle: boolean): Promise<{ error: string; rulesLeft: number }> {
  await adminS3.send(new CreateBucketCommand({ Bucket: bucket }));
  const state = { declared: true, bucket, protectLifecycle };
  const stack = await createEngineStack({ program: program(state) });
  stacks.push(stack);
  await stack.up();
  expect(await rulesOnRgw(adminS3, bucket)).toHaveLength(RULES.length);

  state.declared = false;
  const error = await stack.up().then(
    () => "",
    (e: unknown) => String(e),
  );
  return { error, rulesLeft: (await rulesOnRgw(adminS3, bucket))?.length ?? 0 };
}

it("with the lifecycle protected like the bucket, removing the entry stops before any rule is lost", async () => {
  const { error, rulesLeft } = await removeEntry("protect-lake", true);
  expect(error).toMatch(/protected/);
  expect(rulesLeft).toBe(RULES.length);
});

it("(the old shape) an unprotected lifecycle is deleted first: the update fails on the bucket, the rules are gone", async () => {
  const { error, rulesLeft } = await removeEntry("unprotected-lake", false);
  expect(error).toMatch(/protected/);
  expect(rulesLeft).toBe(0);
});
