// (a) The lock pins the real artifacts: every sha256 matches the jar Maven resolves (strict checksums:
// Maven checks each download against the repository's published checksum), and each jar holds the
// classes Spark will load from it.
import { join } from "node:path";
import { homedir } from "node:os";
import { statSync } from "node:fs";
import { loadJarLock, mavenCoordinates, mavenRepositoryPath } from "../../../components/sparkIcebergImage/jarLock";
import { ok, projectRoot, requireTools, run, sha256File } from "./harness";

const lock = loadJarLock(projectRoot);
const localRepo = join(homedir(), ".m2", "repository");

/** Classes that Spark configuration names, by artifact. */
const REQUIRED_CLASSES: Record<string, string[]> = {
  "iceberg-spark-runtime-3.5_2.12": [
    "org.apache.iceberg.spark.SparkCatalog",
    "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    "org.apache.iceberg.nessie.NessieCatalog",
    "org.apache.iceberg.aws.s3.S3FileIO",
  ],
  "iceberg-aws-bundle": ["software.amazon.awssdk.services.s3.S3Client", "software.amazon.awssdk.http.apache5.Apache5HttpClient"],
  "nessie-spark-extensions-3.5_2.12": ["org.projectnessie.spark.extensions.NessieSparkSessionExtensions"],
};

beforeAll(() => requireTools(["mvn", "unzip"]));

describe.each(lock.jars.map((jar) => [mavenCoordinates(jar), jar] as const))("%s", (_coordinates, jar) => {
  const file = join(localRepo, mavenRepositoryPath(jar));

  it("resolves from Maven with the pinned sha256 and size", () => {
    ok("mvn", ["-B", "-q", "--strict-checksums", "dependency:get", `-Dartifact=${mavenCoordinates(jar)}`, "-Dtransitive=false"]);
    expect(sha256File(file)).toBe(jar.sha256);
    expect(statSync(file).size).toBe(jar.sizeBytes);
  }, 600_000);

  it("holds the classes Spark loads from it", () => {
    const listing = run("unzip", ["-Z1", file]);
    expect(listing.status).toBe(0);
    const entries = new Set(listing.stdout.split("\n"));
    const expected = REQUIRED_CLASSES[jar.artifactId] ?? [];
    for (const className of expected) expect(entries.has(`${className.replace(/\./g, "/")}.class`) ? className : `missing ${className}`).toBe(className);
  });
});

it("knows which classes to look for in every locked jar", () => {
  for (const jar of lock.jars) expect(Object.keys(REQUIRED_CLASSES)).toContain(jar.artifactId);
});
