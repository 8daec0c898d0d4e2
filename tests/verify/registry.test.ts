// Registry checks without a registry: the tar reader on archives GNU tar writes (ustar, pax, GNU long
// names), the auth challenge, the labels from the Dockerfile, and the comparison. The real registry and
// image run in tests/integration/verify/registry.test.ts.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type PlatformConfig, parsePlatformConfig } from "../../config";
import { defaultImageTag, jarFileName, loadJarLock } from "../../components/sparkIcebergImage/jarLock";
import { dockerfileFinalStage, readDockerfile } from "../../components/sparkIcebergImage/dockerfile";
import { expectedImage, parseImageRef } from "../../verify/expected";
import { parseStackOutputs } from "../../verify/outputs";
import {
  type ObservedImage,
  createRegistryClient,
  imageChecks,
  layerEntries,
  parseChallenge,
  parseManifest,
  registryBaseUrl,
  selectPlatform,
  sha256Digest,
  tarEntries,
} from "../../verify/registry";
import { formatCheck } from "../../verify/report";

const root = join(__dirname, "..", "..");
const lock = loadJarLock(root);
const sha = (data: string) => createHash("sha256").update(data).digest("hex");

function tarOf(files: Record<string, string>, format: "ustar" | "pax" | "gnu"): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "verify-tar-"));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, "root", path, ".."), { recursive: true });
      writeFileSync(join(dir, "root", path), content);
    }
    execFileSync("tar", ["--format", format, "-cf", join(dir, "out.tar"), "-C", join(dir, "root"), "."]);
    return readFileSync(join(dir, "out.tar"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("tar reader", () => {
  const long = `opt/spark/jars/${"very-long-artifact-name-".repeat(6)}1.0.jar`;
  for (const format of ["ustar", "pax", "gnu"] as const) {
    it(`lists ${format} entries with sizes and sha256${format === "ustar" ? "" : ", long names included"}`, () => {
      const files: Record<string, string> = {
        "opt/spark/jars/a-1.0.jar": "jar a",
        "opt/spark/jars/b-2.0.jar": "x".repeat(1500),
        ...(format === "ustar" ? {} : { [long]: "long" }),
      };
      const entries = tarEntries(tarOf(files, format)).filter((e) => e.type === "file");
      expect(entries.map((e) => [e.path, e.size, e.sha256]).sort()).toEqual(
        Object.entries(files)
          .map(([p, c]) => [p, c.length, sha(c)])
          .sort(),
      );
    });
  }
});

function config(raw: Record<string, string> = {}): PlatformConfig {
  const result = parsePlatformConfig(
    {
      environment: "dev",
      rgwEndpoint: "https://rgw.example.com",
      onepasswordConnectUrl: "https://op.example.com",
      imageRegistry: "registry.example.com",
      imageSourceUrl: "https://github.com/example/stack",
      fluxGitUrl: "ssh://git@github.com/example/gitops.git",
      fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      ...raw,
    },
    { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) },
  );
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

const digest = `sha256:${"a".repeat(64)}`;
const outputs = parseStackOutputs({
  environment: "dev",
  s3Endpoint: "http://x",
  buckets: {},
  sparkIcebergImage: `registry.example.com/data-platform/spark-iceberg@${digest}`,
});
if (!outputs.ok) throw new Error(outputs.error);
const result = expectedImage(config(), outputs.outputs, lock, readDockerfile(root));
if (!result.ok) throw new Error(result.reason);
const image = result.image;

describe("expected image", () => {
  it("takes the digest from the outputs, the tag from the lock and the labels from the Dockerfile with the build's args", () => {
    expect(parseImageRef(`127.0.0.1:5000/a/b@${digest}`)).toEqual({ registry: "127.0.0.1:5000", repository: "a/b", digest });
    expect(image).toMatchObject({
      registry: "registry.example.com",
      repository: "data-platform/spark-iceberg",
      digest,
      tag: defaultImageTag(lock),
      platform: "linux/amd64",
    });
    expect(image.labels).toEqual({
      "org.opencontainers.image.title": "spark-iceberg",
      "org.opencontainers.image.description": expect.stringContaining("Apache Spark"),
      "org.opencontainers.image.source": "https://github.com/example/stack",
      "org.opencontainers.image.base.name": lock.baseImage,
      "dataplatform.versions.spark": lock.spark.version,
      "dataplatform.versions.iceberg": lock.iceberg,
      "dataplatform.versions.nessie": lock.nessie,
    });
    expect(dockerfileFinalStage('FROM a AS b\nLABEL x="${A}"\nFROM c\nLABEL y="${A}-${B}" \\\n  z="1"\n', { A: "1", B: "2" }).labels).toEqual({
      y: "1-2",
      z: "1",
    });
    expect(expectedImage(config({ imagePush: "false" }), outputs.outputs, lock, "")).toEqual({ ok: false, reason: "imagePush is false: nothing was pushed" });
    // The Dockerfile's runtime settings RGW needs (no flexible checksums) and the numeric user.
    expect(image.env).toEqual({ AWS_REQUEST_CHECKSUM_CALCULATION: "when_required", AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required" });
    expect(image.user).toBe("185");
    expect(dockerfileFinalStage('FROM a\nENV X=1\nUSER 0\nFROM b\nARG V\nENV A=${V} \\\n    B="two words"\nUSER 185\n', { V: "v" })).toEqual({
      labels: {},
      env: { A: "v", B: "two words" },
      user: "185",
    });
  });
});

describe("image checks", () => {
  const jarEntries = lock.jars.map((jar) => ({ path: `opt/spark/jars/${jarFileName(jar)}`, type: "file", size: jar.sizeBytes, sha256: jar.sha256 }));
  const good: ObservedImage = {
    manifestDigest: digest,
    tag: { digest },
    labels: { ...image.labels, extra: "fine" },
    env: ["PATH=/usr/bin", ...Object.entries(image.env).map(([k, v]) => `${k}=${v}`)],
    user: "185",
    lastLayer: {
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: "sha256:l",
      blobDigest: "sha256:l",
      entries: [{ path: "opt/spark/jars", type: "dir", size: 0 }, ...jarEntries],
    },
  };

  it("pass on the right image", () => {
    expect(imageChecks(image, good).every((c) => c.status === "ok")).toBe(true);
  });

  it("name a moved tag, a changed label, a wrong, missing or extra jar, and a layer that is not its digest", () => {
    const [first, second] = lock.jars;
    const lines = imageChecks(image, {
      ...good,
      tag: { digest: `sha256:${"b".repeat(64)}` },
      labels: { ...image.labels, "dataplatform.versions.iceberg": "1.0.0" },
      env: ["AWS_REQUEST_CHECKSUM_CALCULATION=when_supported"],
      user: "",
      lastLayer: {
        ...good.lastLayer,
        entries: [
          { ...jarEntries[0], size: 1, sha256: "00" },
          ...jarEntries.slice(2),
          { path: "opt/spark/jars/evil.jar", type: "file", size: 3, sha256: "ff" },
          { path: "etc/passwd", type: "file", size: 1, sha256: "ee" },
        ],
      },
    }).map(formatCheck);
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL registry    image registry.example.com/data-platform/spark-iceberg: tag ${image.tag}: expected → ${digest} (the stack's registry.example.com/data-platform/spark-iceberg@${digest}), found → sha256:${"b".repeat(64)} (another image)`,
      `FAIL registry    image registry.example.com/data-platform/spark-iceberg: labels: expected 7 labels; dataplatform.versions.iceberg: expected "${lock.iceberg}", found "1.0.0"`,
      'FAIL registry    image registry.example.com/data-platform/spark-iceberg: env: expected AWS_REQUEST_CHECKSUM_CALCULATION, AWS_RESPONSE_CHECKSUM_VALIDATION; AWS_REQUEST_CHECKSUM_CALCULATION: expected "when_required", found "when_supported"; AWS_RESPONSE_CHECKSUM_VALIDATION: expected "when_required", found (absent)',
      "FAIL registry    image registry.example.com/data-platform/spark-iceberg: user: expected 185, found (none: root)",
      `FAIL registry    image registry.example.com/data-platform/spark-iceberg: jar layer: expected ${lock.jars.length} locked jars in /opt/spark/jars; /etc/passwd: unexpected {"sha256":"ee","sizeBytes":1}; evil.jar: unexpected {"sha256":"ff","sizeBytes":3}; ${jarFileName(second)}: missing (expected {"sha256":"${second.sha256}","sizeBytes":${second.sizeBytes}}); ${jarFileName(first)}.sha256: expected "${first.sha256}", found "00"; ${jarFileName(first)}.sizeBytes: expected ${first.sizeBytes}, found 1`,
    ]);
    expect(
      imageChecks(image, { ...good, manifestDigest: "sha256:other", lastLayer: { ...good.lastLayer, blobDigest: "sha256:x" } })
        .map(formatCheck)
        .filter((l) => l.startsWith("FAIL")),
    ).toEqual([
      `FAIL registry    image registry.example.com/data-platform/spark-iceberg: digest: expected manifest with digest ${digest}, found content with digest sha256:other`,
      "FAIL registry    image registry.example.com/data-platform/spark-iceberg: jar layer: expected blob sha256:l, found content with digest sha256:x",
    ]);
  });
});

describe("registry client", () => {
  it("parses challenges, manifests and picks the platform from an index", () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.example.com/token", service: "registry.example.com" },
    });
    expect(parseChallenge('Basic realm="test-registry"').scheme).toBe("basic");
    const index = parseManifest({
      schemaVersion: 2,
      manifests: [
        { digest: "sha256:arm", size: 1, platform: { os: "linux", architecture: "arm64" } },
        { digest: "sha256:amd", size: 1, platform: { os: "linux", architecture: "amd64" } },
      ],
    });
    expect(index.kind === "index" && selectPlatform(index.manifests, "linux/amd64")?.digest).toBe("sha256:amd");
    expect(registryBaseUrl("127.0.0.1:5000", false)).toBe("http://127.0.0.1:5000");
    expect(registryBaseUrl("registry.example.com", false)).toBe("https://registry.example.com");
    expect(registryBaseUrl("registry.internal:5000", true)).toBe("http://registry.internal:5000");
  });

  it("follows a token challenge with the basic credentials and sends the token", async () => {
    const seen: string[] = [];
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: "sha256:c", size: 1 }, layers: [] }));
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      const auth = new Headers(init?.headers).get("authorization") ?? "";
      seen.push(`${url} ${auth}`);
      if (url.startsWith("https://auth.example.com/token")) return new Response(JSON.stringify({ token: "t0k" }), { status: 200 });
      if (auth !== "Bearer t0k")
        return new Response("{}", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://auth.example.com/token",service="registry.example.com"' },
        });
      return new Response(manifest, { status: 200, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
    }) as typeof fetch;
    const client = createRegistryClient("https://registry.example.com", { username: "ci", password: "pw" }, fakeFetch);
    const got = await client.manifest("data-platform/spark-iceberg", digest);
    expect(sha256Digest(got.body)).toBe(sha256Digest(manifest));
    expect(seen).toEqual([
      `https://registry.example.com/v2/data-platform/spark-iceberg/manifests/${digest} `,
      `https://auth.example.com/token?service=registry.example.com&scope=repository%3Adata-platform%2Fspark-iceberg%3Apull Basic ${Buffer.from("ci:pw").toString("base64")}`,
      `https://registry.example.com/v2/data-platform/spark-iceberg/manifests/${digest} Bearer t0k`,
    ]);
  });
});

it("gzip round trip of a layer: the entries read back are the files packed, with their sizes and sha256", () => {
  const files = { "opt/spark/jars/x-1.0.jar": "x", "opt/spark/jars/y-2.0.jar": "y".repeat(70_000) };
  const layer = gzipSync(tarOf(files, "pax"));
  const read = layerEntries(layer).filter((entry) => entry.type === "file");
  expect(read).toEqual(Object.entries(files).map(([path, content]) => ({ path, type: "file", size: content.length, sha256: sha(content) })));
  // A layer that is not gzip is an error, not an empty layer.
  expect(() => layerEntries(tarOf(files, "pax"))).toThrow(/incorrect header check/);
});
