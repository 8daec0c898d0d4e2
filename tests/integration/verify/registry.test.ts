/**
 * `verify`'s registry checks against a real registry (Debian's docker-registry with htpasswd) holding the
 * real image, built from the project's Dockerfile with buildah and the locked jars (tests/integration/image
 * stand-ins): digest, tag, labels and the jar layer (names, sizes, sha256) pass; a tag moved to another
 * image, an image missing a jar and rejected credentials are reported.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CHECKSUM_FILE, IMAGE_CONTEXT, defaultImageTag, dockerBuildArgs, jarFileName, loadJarLock } from "../../../components/sparkIcebergImage/jarLock";
import type { Credentials } from "../../../verify/environment";
import { readDockerfile } from "../../../components/sparkIcebergImage/dockerfile";
import { formatCheck } from "../../../verify/report";
import { runVerify } from "../../../verify/run";
import { type Stack, ok, projectRoot, requireTools, stackDown, stackUp } from "../image/harness";
import { type StackFixture, stackFixture } from "./stackFixture";

const REPOSITORY = "data-platform/spark-iceberg";
const SOURCE_URL = "https://git.example/data-platform";
const lock = loadJarLock(projectRoot);
const TAG = defaultImageTag(lock);
let registry: Stack;
let fixture: StackFixture;
let digest = "";

function buildAndPush(context: string, reference: string, name: string): string {
  const args = dockerBuildArgs(lock, { baseImage: "localhost/tiny-base", mavenRepository: registry.mavenGood, sourceUrl: SOURCE_URL });
  const local = `localhost/verify-${name}`;
  ok(
    "buildah",
    [
      "bud",
      "--layers",
      "--force-rm",
      "-f",
      join(context, "Dockerfile"),
      ...Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]),
      "-t",
      local,
      context,
    ],
    registry.env,
  );
  return push(local, reference);
}

function push(local: string, reference: string): string {
  const digestFile = join(registry.stateDir, `digest-${Date.now()}`);
  ok(
    "buildah",
    [
      "push",
      "--tls-verify=false",
      "--creds",
      `${registry.registryUser}:${registry.registryPassword}`,
      "--digestfile",
      digestFile,
      local,
      `docker://${registry.registry}/${REPOSITORY}:${reference}`,
    ],
    registry.env,
  );
  return readFileSync(digestFile, "utf8").trim();
}

async function verify(
  imageRef: string,
  credentials: Credentials = { registryUsername: registry.registryUser, imageRegistryPassword: registry.registryPassword },
): Promise<string[]> {
  const report = await runVerify(
    {
      stack: "it",
      config: fixture.config,
      outputs: { ...fixture.outputs, sparkIcebergImage: imageRef },
      credentials,
      skip: ["rgw", "onepassword", "kubernetes"],
      lock,
      dockerfile: readDockerfile(projectRoot),
    },
    { rgwAdmin: () => ({ getUser: async () => undefined }) },
  );
  return report.checks.filter((c) => c.system === "registry").map(formatCheck);
}

beforeAll(async () => {
  requireTools(["buildah", "skopeo", "docker-registry", "htpasswd", "busybox", "python3", "mvn"]);
  registry = stackUp();
  fixture = await stackFixture("it", {
    environment: "it",
    rgwEndpoint: "http://127.0.0.1:1",
    onepasswordConnectUrl: "http://127.0.0.1:1",
    imageRegistry: registry.registry,
    imageRepository: REPOSITORY,
    imageBaseImage: "localhost/tiny-base",
    imageMavenRepository: registry.mavenGood,
    imageSourceUrl: SOURCE_URL,
    imageRegistryUsername: registry.registryUser,
    fluxGitUrl: "ssh://git@git.example.com/org/gitops.git",
    fluxKnownHosts: "git.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
  });
  digest = buildAndPush(join(projectRoot, IMAGE_CONTEXT), TAG, "good");
}, 600_000);

afterAll(() => {
  stackDown(registry);
  if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
}, 600_000);

describe("verify against a real registry and the real image", () => {
  it("resolves the exported digest, the tag, the labels and every locked jar byte for byte", async () => {
    const started = Date.now();
    const lines = await verify(`${registry.registry}/${REPOSITORY}@${digest}`);
    console.log(`registry checks in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${lines.join("\n")}`);
    expect(lines).toEqual([
      `ok   registry    image ${registry.registry}/${REPOSITORY}: digest (${digest})`,
      `ok   registry    image ${registry.registry}/${REPOSITORY}: tag ${TAG} (→ ${digest})`,
      `ok   registry    image ${registry.registry}/${REPOSITORY}: labels (7 labels)`,
      `ok   registry    image ${registry.registry}/${REPOSITORY}: env (AWS_REQUEST_CHECKSUM_CALCULATION, AWS_RESPONSE_CHECKSUM_VALIDATION)`,
      `ok   registry    image ${registry.registry}/${REPOSITORY}: user (185)`,
      `ok   registry    image ${registry.registry}/${REPOSITORY}: jar layer (${lock.jars.length} locked jars in /opt/spark/jars)`,
    ]);
  }, 300_000);

  it("reports a tag that points to another image", async () => {
    const other = push("localhost/tiny-base", TAG);
    const lines = await verify(`${registry.registry}/${REPOSITORY}@${digest}`);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL registry    image ${registry.registry}/${REPOSITORY}: tag ${TAG}: expected → ${digest} (the stack's ${registry.registry}/${REPOSITORY}@${digest}), found → ${other} (another image)`,
    ]);
    push("localhost/verify-good", TAG);
  }, 300_000);

  it("reports an image whose jar layer misses a locked jar", async () => {
    const context = join(registry.stateDir, "context-missing-jar");
    cpSync(join(projectRoot, IMAGE_CONTEXT), context, { recursive: true });
    const dropped = lock.jars[lock.jars.length - 1];
    const checksums = readFileSync(join(context, CHECKSUM_FILE), "utf8")
      .split("\n")
      .filter((line) => line !== "" && !line.endsWith(`/${jarFileName(dropped)}`));
    writeFileSync(join(context, CHECKSUM_FILE), `${checksums.join("\n")}\n`);
    const missing = buildAndPush(context, "missing-jar", "missing-jar");
    const lines = await verify(`${registry.registry}/${REPOSITORY}@${missing}`);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      expect.stringContaining(`tag ${TAG}: expected → ${missing}`),
      `FAIL registry    image ${registry.registry}/${REPOSITORY}: jar layer: expected ${lock.jars.length} locked jars in /opt/spark/jars; ${jarFileName(dropped)}: missing (expected {"sha256":"${dropped.sha256}","sizeBytes":${dropped.sizeBytes}})`,
    ]);
  }, 600_000);

  it("says when the registry rejects the credentials, and never prints them", async () => {
    const lines = await verify(`${registry.registry}/${REPOSITORY}@${digest}`, {
      registryUsername: registry.registryUser,
      imageRegistryPassword: "wrong-password",
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^FAIL registry .*: resolves: cannot check: GET \/v2\/data-platform\/spark-iceberg\/manifests\/sha256:[0-9a-f]+: 401.*credentials rejected: check IMAGE_REGISTRY_USERNAME\/IMAGE_REGISTRY_PASSWORD/,
      ),
    ]);
    expect(lines.join("\n")).not.toContain("wrong-password");
  }, 120_000);
});
