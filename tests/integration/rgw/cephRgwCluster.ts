/** Starts/stops the throwaway Ceph RGW of ceph-rgw.sh for one test file. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { GetBucketLifecycleConfigurationCommand, ListBucketsCommand, S3Client, type LifecycleRule } from "@aws-sdk/client-s3";
import { createRgwAdminClient, type RgwAdminClient } from "../../../providers/rgwAdmin";
import { PortTakenError, freePort, startOnFreePort } from "../lib/processes";

const run = promisify(execFile);
const SCRIPT = join(__dirname, "ceph-rgw.sh");

/** The uid of the admin user ceph-rgw.sh creates (the owner of every bucket its keys create). */
export const RGW_ADMIN_UID = "admin";

export interface RgwCluster {
  dir: string;
  endpoint: string;
  adminAccessKey: string;
  adminSecretKey: string;
  cephConf: string;
  startSeconds: number;
}

/** The exit code of ceph-rgw.sh when a daemon's port was taken before it bound it. */
const PORT_TAKEN_EXIT = 75;

/** Runs ceph-rgw.sh start in dir (the script picks the ports); a taken port is a PortTakenError to retry. */
async function startClusterIn(dir: string): Promise<string> {
  try {
    await run("bash", [SCRIPT, "start", dir], { timeout: 90_000 });
    return dir;
  } catch (error) {
    const { stderr = "", code } = error as { stderr?: string; code?: unknown };
    // The script already stopped whatever it had started; its stderr has the log tails.
    rmSync(dir, { recursive: true, force: true });
    const why = `Ceph RGW did not start (ceph-rgw.sh start ${dir}):\n${stderr}`;
    throw code === PORT_TAKEN_EXIT ? new PortTakenError(why) : new Error(why);
  }
}

/** Starts a cluster in a fresh temp dir; throws (failing the tests) if it cannot start. */
export async function startRgwCluster(): Promise<RgwCluster> {
  const started = Date.now();
  const dir = await startOnFreePort(0, () => startClusterIn(mkdtempSync(join(tmpdir(), "ceph-rgw-"))));
  const env = Object.fromEntries(
    readFileSync(join(dir, "env"), "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  const cluster: RgwCluster = {
    dir,
    endpoint: env.RGW_ENDPOINT,
    adminAccessKey: env.RGW_ADMIN_ACCESS_KEY,
    adminSecretKey: env.RGW_ADMIN_SECRET_KEY,
    cephConf: env.CEPH_CONF,
    startSeconds: (Date.now() - started) / 1000,
  };
  console.log(`Ceph RGW started in ${cluster.startSeconds.toFixed(1)} s at ${cluster.endpoint}`);
  return cluster;
}

/**
 * One cluster for the calling test file: started in beforeAll, stopped in afterAll. The returned function
 * gives the running cluster (and fails the test if it did not start).
 */
export function useRgwCluster(): () => RgwCluster {
  let cluster: RgwCluster | undefined;
  beforeAll(async () => {
    cluster = await startRgwCluster();
  });
  afterAll(async () => {
    await stopRgwCluster(cluster);
  });
  return () => {
    if (!cluster) throw new Error("the Ceph RGW cluster did not start");
    return cluster;
  };
}

/** An Admin Ops client with the cluster's admin keys. */
export function adminClient(cluster: RgwCluster): RgwAdminClient {
  return createRgwAdminClient({ endpoint: cluster.endpoint, accessKey: cluster.adminAccessKey, secretKey: cluster.adminSecretKey });
}

/** True when S3 accepts the key, false when RGW says it does not exist. */
export async function s3KeyWorks(cluster: RgwCluster, accessKey: string, secretKey: string): Promise<boolean> {
  const client = s3Client(cluster, accessKey, secretKey);
  try {
    await client.send(new ListBucketsCommand({}));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === "InvalidAccessKeyId") return false;
    throw error;
  } finally {
    client.destroy();
  }
}

/** A bucket's rules as RGW has them, straight from the SDK; undefined when it has no lifecycle. */
export async function rulesOnRgw(client: S3Client, bucket: string): Promise<LifecycleRule[] | undefined> {
  try {
    return (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchLifecycleConfiguration") return undefined;
    throw error;
  }
}

export async function stopRgwCluster(cluster: RgwCluster | undefined): Promise<void> {
  if (cluster) await run("bash", [SCRIPT, "stop", cluster.dir], { timeout: 60_000 });
}

/** Runs radosgw-admin against the cluster (for changes made "behind Pulumi's back"). */
export async function radosgwAdmin(cluster: RgwCluster, args: string[]): Promise<string> {
  const { stdout } = await run("radosgw-admin", ["-c", cluster.cephConf, "-n", "client.admin", ...args]);
  return stdout;
}

export function s3Client(cluster: RgwCluster, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint: cluster.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    // RGW rejects the SDK's default streamed flexible checksums (411); see shared notes.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** A local port with nothing listening on it (for "connection refused"). */
export const closedPort = freePort;
