// (b) build the real Dockerfile with buildah on a busybox base, push to an htpasswd registry (an
// anonymous push is refused) and inspect what the registry holds; (c) a wrong pin and a tampered jar
// fail the build; (d) an unchanged rebuild is fully cached. Figures are printed for docs/image.md.
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CHECKSUM_FILE,
  IMAGE_CONTEXT,
  IMAGE_DOCKERFILE,
  dockerBuildArgs,
  jarFileName,
  loadJarLock,
  totalJarBytes,
} from "../../../components/sparkIcebergImage/jarLock";
import { type Stack, ok, projectRoot, requireTools, run, sha256File, stackDown, stackUp } from "./harness";

const lock = loadJarLock(projectRoot);
const REPOSITORY = "data-platform/spark-iceberg";
const LOCAL_TAG = "localhost/spark-iceberg:it";
const figures: Record<string, number | string> = {};
let stack: Stack;

interface OciDescriptor {
  digest: string;
  size: number;
}
interface OciManifest {
  config: OciDescriptor;
  layers: OciDescriptor[];
}
interface OciConfig {
  config: { User?: string; Labels?: Record<string, string> };
}

const buildah = (args: string[]) => run("buildah", args, stack.env);
const blob = (layoutDir: string, digest: string) => join(layoutDir, "blobs", digest.replace(":", "/"));

/** Build the image; extra args go before the context (which defaults to the real one). */
function build(extra: string[], maven = stack.mavenGood, context = join(projectRoot, IMAGE_CONTEXT)) {
  const buildArgs = dockerBuildArgs(lock, { baseImage: "localhost/tiny-base", mavenRepository: maven, sourceUrl: "https://git.example/data-platform" });
  return buildah([
    "bud",
    "--layers",
    "--force-rm",
    "-f",
    join(context, "Dockerfile"),
    ...Object.entries(buildArgs).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]),
    ...extra,
    context,
  ]);
}

beforeAll(() => {
  requireTools(["buildah", "skopeo", "docker-registry", "htpasswd", "busybox", "python3", "mvn", "tar"]);
  stack = stackUp();
}, 600_000);

afterAll(() => {
  console.log(`figures for docs/image.md:\n${JSON.stringify(figures, null, 2)}`);
  stackDown(stack);
}, 600_000);

describe("the spark-iceberg image", () => {
  let digest = "";
  let imageId = "";

  it("builds from the real Dockerfile, fetching and verifying the locked jars", () => {
    const iidFile = join(stack.stateDir, "iid");
    const result = build(["--iidfile", iidFile, "-t", LOCAL_TAG]);
    expect(result.stderr + result.stdout).not.toMatch(/FAILED/);
    expect(result.status).toBe(0);
    imageId = readFileSync(iidFile, "utf8").trim();
    figures.buildSeconds = Number(result.seconds.toFixed(1));
    expect(IMAGE_DOCKERFILE).toBe(`${IMAGE_CONTEXT}/Dockerfile`);
  }, 600_000);

  it("refuses an anonymous push", () => {
    const anonymous = buildah(["push", "--tls-verify=false", LOCAL_TAG, `docker://${stack.registry}/${REPOSITORY}:anonymous`]);
    expect(anonymous.status).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|authentication required|401/i);
  }, 600_000);

  it("pushes with credentials and the registry reports the same digest", () => {
    const digestFile = join(stack.stateDir, "digest");
    ok(
      "buildah",
      [
        "push",
        "--tls-verify=false",
        "--creds",
        `${stack.registryUser}:${stack.registryPassword}`,
        "--digestfile",
        digestFile,
        LOCAL_TAG,
        `docker://${stack.registry}/${REPOSITORY}:it`,
      ],
      stack.env,
    );
    digest = readFileSync(digestFile, "utf8").trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspected = JSON.parse(
      ok(
        "skopeo",
        ["inspect", "--tls-verify=false", "--creds", `${stack.registryUser}:${stack.registryPassword}`, `docker://${stack.registry}/${REPOSITORY}@${digest}`],
        stack.env,
      ).stdout,
    ) as { Digest: string };
    expect(inspected.Digest).toBe(digest);
  }, 600_000);

  it("holds every locked jar byte for byte, owned by 185, runs as 185 and carries the labels", () => {
    const layout = join(stack.stateDir, "pulled");
    ok(
      "skopeo",
      [
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        `${stack.registryUser}:${stack.registryPassword}`,
        `docker://${stack.registry}/${REPOSITORY}@${digest}`,
        `oci:${layout}:pulled`,
      ],
      stack.env,
    );
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: OciDescriptor[] };
    const manifest = JSON.parse(readFileSync(blob(layout, index.manifests[0].digest), "utf8")) as OciManifest;
    const config = JSON.parse(readFileSync(blob(layout, manifest.config.digest), "utf8")) as OciConfig;

    expect(config.config.User).toBe("185");
    expect(config.config.Labels).toMatchObject({
      "org.opencontainers.image.source": "https://git.example/data-platform",
      "org.opencontainers.image.base.name": "localhost/tiny-base",
      "dataplatform.versions.spark": lock.spark.version,
      "dataplatform.versions.iceberg": lock.iceberg,
      "dataplatform.versions.nessie": lock.nessie,
    });

    // The base has one layer; the image adds exactly one, holding the jars and nothing else.
    expect(manifest.layers).toHaveLength(2);
    const jarLayer = blob(layout, manifest.layers[1].digest);
    const listing = ok("tar", ["-tvzf", jarLayer, "--numeric-owner"]).stdout.trim().split("\n");
    const paths = listing.map((line) =>
      line
        .split(/\s+/)
        .slice(5)
        .join(" ")
        .replace(/^\.?\//, "")
        .replace(/\/$/, ""),
    );
    const jarPaths = lock.jars.map((jar) => `opt/spark/jars/${jarFileName(jar)}`);
    expect(paths.filter((p) => !["opt", "opt/spark", "opt/spark/jars"].includes(p)).sort()).toEqual([...jarPaths].sort());

    const rootfs = join(stack.stateDir, "rootfs-pulled");
    mkdirSync(rootfs);
    for (const layer of manifest.layers) ok("tar", ["-xzf", blob(layout, layer.digest), "--numeric-owner", "-C", rootfs]);
    for (const jar of lock.jars) {
      const file = join(rootfs, "opt/spark/jars", jarFileName(jar));
      expect(sha256File(file)).toBe(jar.sha256);
      expect(statSync(file).uid).toBe(185);
      expect(statSync(file).gid).toBe(185);
    }
    expect(readdirSync(join(rootfs, "opt/spark/jars")).sort()).toEqual(lock.jars.map(jarFileName).sort());

    figures.podDownloadBytesBefore = totalJarBytes(lock);
    figures.podDownloadBytesAfter = 0;
    figures.jarLayerCompressedBytes = manifest.layers[1].size;
    figures.baseLayerCompressedBytes = manifest.layers[0].size;
    figures.imageDigest = digest;
  }, 600_000);

  it("rebuilds an unchanged context fully from cache", () => {
    const iidFile = join(stack.stateDir, "iid-rebuild");
    const result = build(["--iidfile", iidFile, "-t", LOCAL_TAG]);
    expect(result.status).toBe(0);
    expect(readFileSync(iidFile, "utf8").trim()).toBe(imageId);
    expect(result.stdout).toMatch(/Using cache/);
    figures.cachedRebuildSeconds = Number(result.seconds.toFixed(1));
  }, 600_000);

  it("fails the build on a wrong pin", () => {
    const context = join(stack.stateDir, "context-wrong-pin");
    cpSync(join(projectRoot, IMAGE_CONTEXT), context, { recursive: true });
    const checksums = readFileSync(join(context, CHECKSUM_FILE), "utf8");
    const flipped = checksums.replace(/^([0-9a-f])/, (c) => (c === "0" ? "1" : "0"));
    expect(flipped).not.toBe(checksums);
    writeFileSync(join(context, CHECKSUM_FILE), flipped);
    const result = build(["--no-cache"], stack.mavenGood, context);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/FAILED/);
  }, 600_000);

  it("fails the build on a tampered jar from the Maven repository", () => {
    const result = build(["--no-cache"], stack.mavenTampered);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(`${stack.tamperedPath}: FAILED`);
  }, 600_000);
});
