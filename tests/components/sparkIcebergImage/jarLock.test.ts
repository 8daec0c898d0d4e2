import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  CHECKSUM_FILE,
  IMAGE_CONTEXT,
  IMAGE_DOCKERFILE,
  type JarLock,
  assembleLock,
  defaultBaseImage,
  defaultImageTag,
  dockerBuildArgs,
  dockerfileArgDefaults,
  loadJarLock,
  mavenArtifactUrl,
  mavenRepositoryPath,
  parseDockerfileArgDefaults,
  parseJarLock,
  renderChecksumFile,
  renderDockerfile,
  renderJarLock,
  retargetJars,
  totalJarBytes,
} from "../../../components/sparkIcebergImage/jarLock";

const root = resolve(__dirname, "../../..");
const contextFile = (name: string) => readFileSync(join(root, IMAGE_CONTEXT, name), "utf8");
const lock = loadJarLock(root);
const clone = (): JarLock => JSON.parse(JSON.stringify(lock)) as JarLock;

describe("the committed jar lock", () => {
  it("is valid and holds the jars Spark needs for Iceberg, S3FileIO and Nessie", () => {
    const coordinates = lock.jars.map((jar) => `${jar.groupId}:${jar.artifactId}:${jar.version}`);
    expect(coordinates).toEqual(
      expect.arrayContaining([
        `org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:${lock.iceberg}`,
        `org.apache.iceberg:iceberg-aws-bundle:${lock.iceberg}`,
        `org.projectnessie.nessie-integrations:nessie-spark-extensions-3.5_2.12:${lock.nessie}`,
      ]),
    );
    for (const jar of lock.jars) expect(jar.purpose.length).toBeGreaterThan(10);
  });

  it("uses a Java 17 base for Iceberg 1.11+ and the matching apache/spark default", () => {
    expect(lock.baseImage).toBe(defaultBaseImage(lock.spark.version, lock.iceberg));
  });

  it("is written exactly as jars:update renders it", () => {
    expect(contextFile("jars.lock.json")).toBe(renderJarLock(lock));
  });

  it("has jars.sha256 in sync (the list the Dockerfile downloads and verifies)", () => {
    expect(contextFile(CHECKSUM_FILE)).toBe(renderChecksumFile(lock));
  });

  it("has the Dockerfile's ARG defaults in sync", () => {
    const dockerfile = readFileSync(join(root, IMAGE_DOCKERFILE), "utf8");
    expect(renderDockerfile(dockerfile, lock)).toBe(dockerfile);
    expect(parseDockerfileArgDefaults(dockerfile)).toMatchObject(dockerfileArgDefaults(lock));
    expect(parseDockerfileArgDefaults(dockerfile).MAVEN_REPOSITORY).toBe("https://repo1.maven.org/maven2");
  });

  it("keeps the lock out of the build context hash but not the checksum list", () => {
    const ignore = contextFile(".dockerignore")
      .split("\n")
      .map((line) => line.trim());
    expect(ignore).toEqual(expect.arrayContaining(["*", "!Dockerfile", `!${CHECKSUM_FILE}`]));
  });
});

describe("derivations", () => {
  const jar = { groupId: "org.apache.iceberg", artifactId: "iceberg-aws-bundle", version: "1.12.0" };

  it("maps a jar to its Maven repository path and URL", () => {
    expect(mavenRepositoryPath(jar)).toBe("org/apache/iceberg/iceberg-aws-bundle/1.12.0/iceberg-aws-bundle-1.12.0.jar");
    expect(mavenArtifactUrl("http://127.0.0.1:8000/maven/", jar)).toBe(
      "http://127.0.0.1:8000/maven/org/apache/iceberg/iceberg-aws-bundle/1.12.0/iceberg-aws-bundle-1.12.0.jar",
    );
  });

  it("renders sha256sum -c lines", () => {
    const lines = renderChecksumFile(lock).trimEnd().split("\n");
    expect(lines).toHaveLength(lock.jars.length);
    lines.forEach((line, i) => expect(line).toBe(`${lock.jars[i].sha256}  ${mavenRepositoryPath(lock.jars[i])}`));
  });

  it("derives build args: versions always, overrides only when set", () => {
    const versions = { SPARK_VERSION: lock.spark.version, ICEBERG_VERSION: lock.iceberg, NESSIE_VERSION: lock.nessie };
    expect(dockerBuildArgs(lock)).toEqual(versions);
    expect(dockerBuildArgs(lock, { baseImage: "", mavenRepository: "", sourceUrl: "" })).toEqual(versions);
    expect(
      dockerBuildArgs(lock, { baseImage: "localhost/tiny-base", mavenRepository: "http://nexus:8081/maven/", sourceUrl: "https://git.example/dp" }),
    ).toEqual({
      ...versions,
      BASE_IMAGE: "localhost/tiny-base",
      MAVEN_REPOSITORY: "http://nexus:8081/maven",
      IMAGE_SOURCE: "https://git.example/dp",
    });
  });

  it("derives a valid image tag that changes with any pin", () => {
    const tag = defaultImageTag(lock);
    expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    expect(tag).toContain(`iceberg${lock.iceberg}`);
    const repinned = clone();
    repinned.jars[0].sha256 = "0".repeat(64);
    expect(defaultImageTag(repinned)).not.toBe(tag);
  });

  it("picks the Java variant Iceberg needs", () => {
    expect(defaultBaseImage("3.5.8", "1.12.0")).toBe("apache/spark:3.5.8-scala2.12-java17-ubuntu");
    expect(defaultBaseImage("3.5.8", "1.10.1")).toBe("apache/spark:3.5.8-scala2.12-java11-ubuntu");
  });

  it("sums the jar sizes", () => {
    expect(totalJarBytes(lock)).toBe(lock.jars.reduce((sum, j) => sum + j.sizeBytes, 0));
  });

  it("retargets Iceberg and Nessie jars and assembles a valid lock", () => {
    const target = { spark: "3.5.8", iceberg: "1.10.1", nessie: "0.95.0" };
    const specs = retargetJars(lock.jars, target);
    expect(specs.find((s) => s.artifactId === "iceberg-aws-bundle")?.version).toBe("1.10.1");
    expect(specs.find((s) => s.artifactId.startsWith("nessie-spark-extensions"))?.version).toBe("0.95.0");
    const next = assembleLock("c", target, specs, () => ({ sha256: "a".repeat(64), sizeBytes: 1 }));
    expect(next.baseImage).toBe("apache/spark:3.5.8-scala2.12-java11-ubuntu");
    expect(next.jars.map((j) => j.purpose)).toEqual(lock.jars.map((j) => j.purpose));
  });
});

describe("lock validation", () => {
  const problems = (mutate: (l: JarLock) => void): string => {
    const bad = clone();
    mutate(bad);
    try {
      parseJarLock(bad);
    } catch (error) {
      return (error as Error).message;
    }
    return "";
  };

  it("rejects a malformed sha256", () => expect(problems((l) => (l.jars[0].sha256 = "ABC"))).toMatch(/jars\.0\.sha256/));
  it("rejects Iceberg jars of mixed versions", () => expect(problems((l) => (l.jars[1].version = "1.9.0"))).toMatch(/Iceberg jars must all be/));
  it("rejects a jar built for another Spark/Scala", () =>
    expect(problems((l) => (l.jars[0].artifactId = "iceberg-spark-runtime-3.4_2.13"))).toMatch(/built for Spark 3.4\/Scala 2.13/));
  it("rejects duplicates", () => expect(problems((l) => l.jars.push({ ...l.jars[0] }))).toMatch(/listed twice/));
  it("rejects a jar without a reason", () => expect(problems((l) => (l.jars[0].purpose = ""))).toMatch(/why/));
  it("rejects unknown keys", () => expect(problems((l) => Object.assign(l.jars[0], { url: "x" }))).not.toBe(""));
});
