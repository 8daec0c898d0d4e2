/**
 * The self-managed state backend on Ceph RGW, with the real CLI: `pulumi login s3://<bucket>?endpoint=...`
 * (the form docs/operations.md gives), `stack init`, `up` of a small program (a component and a dynamic
 * provider), a second concurrent `up` refused by the lock, an engine killed mid-update leaving its lock in
 * the bucket, `pulumi cancel` removing it, and the next `up` converging.
 */
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type RgwCluster, s3Client, startRgwCluster, stopRgwCluster } from "../rgw/cephRgwCluster";
import { type EngineStack, createEngineStack } from "./engineHarness";

const BUCKET = "pulumi-state";
let cluster: RgwCluster | undefined;
let admin: S3Client;
let stack: EngineStack | undefined;
let dir: string;

/** Creates wait while the hold file exists, so an update can be caught in the middle. */
const slowProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: { name: string; hold: string }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require("fs") as typeof import("fs");
    while (fs.existsSync(inputs.hold)) await new Promise((resolve) => setTimeout(resolve, 200));
    return { id: inputs.name, outs: inputs };
  },
};

class Slow extends pulumi.dynamic.Resource {}

class App extends pulumi.ComponentResource {
  constructor(name: string, names: string[], hold: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:state:App", name, {}, opts);
    for (const item of names) new Slow(slowProvider, `${name}-${item}`, { name: item, hold }, { parent: this });
    this.registerOutputs({});
  }
}

const keysUnder = async (prefix: string): Promise<string[]> =>
  ((await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key ?? "");

beforeAll(async () => {
  cluster = await startRgwCluster();
  admin = s3Client(cluster, cluster.adminAccessKey, cluster.adminSecretKey);
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  dir = mkdtempSync(join(tmpdir(), "state-on-rgw-"));
  writeFileSync(join(dir, "names"), "a");
  const hold = join(dir, "hold");
  const host = new URL(cluster.endpoint).host;
  stack = await createEngineStack({
    program: async () => {
      new App("app", readFileSync(join(dir, "names"), "utf8").split(","), hold);
    },
    backendUrl: `s3://${BUCKET}?endpoint=${host}&s3ForcePathStyle=true&disableSSL=true&region=us-east-1`,
    env: {
      AWS_ACCESS_KEY_ID: cluster.adminAccessKey,
      AWS_SECRET_ACCESS_KEY: cluster.adminSecretKey,
      AWS_REGION: "us-east-1",
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.cleanup();
  admin?.destroy();
  await stopRgwCluster(cluster);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function requireStack(): EngineStack {
  if (!stack) throw new Error("the engine stack was not created");
  return stack;
}

test("stack init and up keep the state in the RGW bucket", async () => {
  const engine = requireStack();
  expect((await engine.up()).summary.result).toBe("succeeded");
  expect(await keysUnder(".pulumi/stacks/")).toContain(".pulumi/stacks/engine-test/test.json");
  await expect(engine.preview({ expectNoChanges: true })).resolves.toBeDefined();
}, 180_000);

test("a second concurrent up is refused by the lock; a killed engine's lock stays until pulumi cancel", async () => {
  const engine = requireStack();
  const hold = join(dir, "hold");
  writeFileSync(hold, "");
  writeFileSync(join(dir, "names"), "a,b");
  const running = engine.startUp();
  try {
    await running.waitForOutput(/creating/, 120_000);
    expect((await keysUnder(".pulumi/locks/")).length).toBe(1);
    await expect(engine.up()).rejects.toThrow(/currently locked/);
    await running.kill();
    expect((await running.outcome).ok).toBe(false);
    // The killed engine's lock is still in the bucket: the next update is refused.
    expect((await keysUnder(".pulumi/locks/")).length).toBe(1);
    await expect(engine.up()).rejects.toThrow(/currently locked/);
    await engine.cancel();
    expect(await keysUnder(".pulumi/locks/")).toEqual([]);
  } finally {
    if (existsSync(hold)) rmSync(hold);
  }
  expect((await engine.up()).summary.result).toBe("succeeded");
  await expect(engine.preview({ expectNoChanges: true })).resolves.toBeDefined();
  expect(
    (await engine.exportStack()).deployment.resources
      ?.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource")
      .map((r) => r.id)
      .sort(),
  ).toEqual(["a", "b"]);
}, 300_000);
