// The jar lock of the spark-iceberg image (docker/spark-iceberg/jars.lock.json) and everything derived
// from it: the checksum list the Dockerfile verifies downloads against, the Dockerfile's ARG defaults,
// the Docker build args and the image tag. The lock is the single source of truth; the derived files
// are rewritten by `npm run jars:update` and unit tests check they are in sync.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** Build context of the image, relative to the Pulumi project root. Fixed on purpose (pulumi-docker #715). */
export const IMAGE_CONTEXT = "docker/spark-iceberg";
/** Dockerfile path as the docker provider wants it: relative to the project root, not to the context. */
export const IMAGE_DOCKERFILE = `${IMAGE_CONTEXT}/Dockerfile`;
export const JAR_LOCK_FILE = "jars.lock.json";
/** Derived from the lock; the Dockerfile's fetch stage checks every download with `sha256sum -c` against it. */
export const CHECKSUM_FILE = "jars.sha256";

const mavenName = z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a Maven groupId/artifactId (letters, digits, . _ -)");
const releaseVersion = z.string().regex(/^[0-9]+(\.[0-9]+)*$/, "must be a release version like 1.12.0");

const jarSchema = z.strictObject({
  groupId: mavenName,
  artifactId: mavenName,
  version: releaseVersion,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters"),
  sizeBytes: z.number().int().positive(),
  purpose: z.string().trim().min(10, "must say why the jar is in the image"),
});

const jarLockSchema = z
  .strictObject({
    comment: z.string(),
    baseImage: z.string().regex(/^[a-z0-9./:_-]+(@sha256:[0-9a-f]{64})?$/, "must be an image reference"),
    spark: z.strictObject({
      version: z.string().regex(/^3\.5\.[0-9]+$/, "must be a Spark 3.5.x version (the jars are built for Spark 3.5)"),
      scalaBinary: z.literal("2.12"),
    }),
    iceberg: releaseVersion,
    nessie: releaseVersion,
    jars: z.array(jarSchema).min(1),
  })
  .superRefine((lock, ctx) => {
    const seen = new Set<string>();
    lock.jars.forEach((jar, index) => {
      const key = `${jar.groupId}:${jar.artifactId}`;
      if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["jars", index], message: `${key} is listed twice` });
      seen.add(key);
      // A jar built for another Spark line or Scala binary would fail at class-loading time, not at build time.
      const sparkSuffix = /-([0-9]+\.[0-9]+)_([0-9]+\.[0-9]+)$/.exec(jar.artifactId);
      const sparkLine = lock.spark.version.split(".").slice(0, 2).join(".");
      if (sparkSuffix && (sparkSuffix[1] !== sparkLine || sparkSuffix[2] !== lock.spark.scalaBinary)) {
        ctx.addIssue({
          code: "custom",
          path: ["jars", index, "artifactId"],
          message: `is built for Spark ${sparkSuffix[1]}/Scala ${sparkSuffix[2]}, the image has Spark ${sparkLine}/Scala ${lock.spark.scalaBinary}`,
        });
      }
      if (jar.groupId === "org.apache.iceberg" && jar.version !== lock.iceberg) {
        ctx.addIssue({ code: "custom", path: ["jars", index, "version"], message: `Iceberg jars must all be ${lock.iceberg}` });
      }
      if (jar.groupId.startsWith("org.projectnessie") && jar.version !== lock.nessie) {
        ctx.addIssue({ code: "custom", path: ["jars", index, "version"], message: `Nessie jars must all be ${lock.nessie}` });
      }
    });
  });

export type LockedJar = z.infer<typeof jarSchema>;
export type JarLock = z.infer<typeof jarLockSchema>;

/** Validate parsed JSON as a jar lock; throws one error listing every problem. */
export function parseJarLock(json: unknown): JarLock {
  const result = jarLockSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(lock)"}: ${issue.message}`);
    throw new Error(`invalid jar lock:\n  ${problems.join("\n  ")}`);
  }
  return result.data;
}

/** Absolute path of the image's build context, from the project root. */
export function imageContextDir(projectRoot: string): string {
  return join(projectRoot, IMAGE_CONTEXT);
}

/** Read and validate docker/spark-iceberg/jars.lock.json under projectRoot. */
export function loadJarLock(projectRoot: string): JarLock {
  return parseJarLock(JSON.parse(readFileSync(join(imageContextDir(projectRoot), JAR_LOCK_FILE), "utf8")));
}

export function jarFileName(jar: Pick<LockedJar, "artifactId" | "version">): string {
  return `${jar.artifactId}-${jar.version}.jar`;
}

/** Path of the jar inside a Maven repository (group dots become folders), e.g. org/apache/iceberg/x/1.0/x-1.0.jar. */
export function mavenRepositoryPath(jar: Pick<LockedJar, "groupId" | "artifactId" | "version">): string {
  return `${jar.groupId.replace(/\./g, "/")}/${jar.artifactId}/${jar.version}/${jarFileName(jar)}`;
}

/** Download URL of the jar under a Maven repository base URL (trailing slash tolerated). */
export function mavenArtifactUrl(repositoryUrl: string, jar: Pick<LockedJar, "groupId" | "artifactId" | "version">): string {
  return `${repositoryUrl.replace(/\/+$/, "")}/${mavenRepositoryPath(jar)}`;
}

export function mavenCoordinates(jar: Pick<LockedJar, "groupId" | "artifactId" | "version">): string {
  return `${jar.groupId}:${jar.artifactId}:${jar.version}`;
}

/**
 * jars.sha256 in `sha256sum -c` format: `<sha256>  <Maven repository path>` per jar. The fetch stage
 * downloads each path from MAVEN_REPOSITORY to the same relative path, so the file is both the download
 * list and the checksum list.
 */
export function renderChecksumFile(lock: JarLock): string {
  return lock.jars.map((jar) => `${jar.sha256}  ${mavenRepositoryPath(jar)}\n`).join("");
}

/** The Dockerfile ARG defaults that mirror the lock, so a plain `docker build` builds the locked image. */
export function dockerfileArgDefaults(lock: JarLock): Record<string, string> {
  return {
    BASE_IMAGE: lock.baseImage,
    SPARK_VERSION: lock.spark.version,
    ICEBERG_VERSION: lock.iceberg,
    NESSIE_VERSION: lock.nessie,
  };
}

/** Rewrite the `ARG NAME=value` defaults of the Dockerfile to the lock's values; other lines are kept. */
export function renderDockerfile(dockerfile: string, lock: JarLock): string {
  const defaults = dockerfileArgDefaults(lock);
  return dockerfile.replace(/^ARG ([A-Z_]+)=.*$/gm, (line, name: string) => (name in defaults ? `ARG ${name}=${defaults[name]}` : line));
}

/** Every `ARG NAME=value` default in a Dockerfile (the first one wins when a name repeats across stages). */
export function parseDockerfileArgDefaults(dockerfile: string): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const match of dockerfile.matchAll(/^ARG ([A-Z_]+)=(.*)$/gm)) {
    if (!(match[1] in defaults)) defaults[match[1]] = match[2].trim();
  }
  return defaults;
}

export interface BuildArgOptions {
  /** Base image override; empty or absent keeps the Dockerfile's pinned apache/spark default. */
  baseImage?: string;
  /** Maven repository to fetch the jars from; empty or absent means Maven Central. */
  mavenRepository?: string;
  /** URL of the source repository, for the org.opencontainers.image.source label. */
  sourceUrl?: string;
}

/**
 * Docker build args of the image. The versions (for the labels) always come from the lock so that a
 * stale Dockerfile default can never mislabel an image; overrides are only passed when set, so an
 * unset override leaves the Dockerfile default (and the build cache key) unchanged.
 */
export function dockerBuildArgs(lock: JarLock, options: BuildArgOptions = {}): Record<string, string> {
  const args: Record<string, string> = {
    SPARK_VERSION: lock.spark.version,
    ICEBERG_VERSION: lock.iceberg,
    NESSIE_VERSION: lock.nessie,
  };
  if (options.baseImage) args.BASE_IMAGE = options.baseImage;
  if (options.mavenRepository) args.MAVEN_REPOSITORY = options.mavenRepository.replace(/\/+$/, "");
  if (options.sourceUrl) args.IMAGE_SOURCE = options.sourceUrl;
  return args;
}

/** First 12 hex characters of the sha256 of the checksum file: changes whenever any pin changes. */
export function lockFingerprint(lock: JarLock): string {
  return createHash("sha256").update(renderChecksumFile(lock)).digest("hex").slice(0, 12);
}

/**
 * Default tag pushed alongside the digest, e.g. `spark3.5.8-iceberg1.12.0-nessie0.99.0-1a2b3c4d5e6f`.
 * Only informative: the stack references the image by digest, never by this tag.
 */
export function defaultImageTag(lock: JarLock): string {
  return `spark${lock.spark.version}-iceberg${lock.iceberg}-nessie${lock.nessie}-${lockFingerprint(lock)}`;
}

/** Sum of the locked jar sizes: what a pod used to download at every start. */
export function totalJarBytes(lock: JarLock): number {
  return lock.jars.reduce((sum, jar) => sum + jar.sizeBytes, 0);
}

/** A jar to lock, before it is resolved and hashed. */
export type JarSpec = Omit<LockedJar, "sha256" | "sizeBytes">;

export interface LockTarget {
  spark: string;
  iceberg: string;
  nessie: string;
  /** Explicit base image; absent = the official apache/spark variant matching Spark and Iceberg. */
  baseImage?: string;
}

/** Iceberg 1.11 dropped Java 11, so from 1.11 on the base must be a Java 17 variant. */
export function icebergNeedsJava17(iceberg: string): boolean {
  const [major, minor] = iceberg.split(".").map(Number);
  return major > 1 || (major === 1 && minor >= 11);
}

/** The official apache/spark image (Scala 2.12, plain Ubuntu variant) with the Java that Iceberg needs. */
export function defaultBaseImage(spark: string, iceberg: string): string {
  return `apache/spark:${spark}-scala2.12-${icebergNeedsJava17(iceberg) ? "java17" : "java11"}-ubuntu`;
}

/** Jars moved to the target versions: Iceberg jars to `iceberg`, Nessie jars to `nessie`, others kept. */
export function retargetJars(jars: readonly JarSpec[], target: LockTarget): JarSpec[] {
  return jars.map(({ groupId, artifactId, version, purpose }) => ({
    groupId,
    artifactId,
    purpose,
    version: groupId === "org.apache.iceberg" ? target.iceberg : groupId.startsWith("org.projectnessie") ? target.nessie : version,
  }));
}

/** Assemble (and validate) a new lock from the target and the resolved sha256/size of every jar. */
export function assembleLock(comment: string, target: LockTarget, jars: JarSpec[], resolved: (jar: JarSpec) => { sha256: string; sizeBytes: number }): JarLock {
  return parseJarLock({
    comment,
    baseImage: target.baseImage ?? defaultBaseImage(target.spark, target.iceberg),
    spark: { version: target.spark, scalaBinary: "2.12" },
    iceberg: target.iceberg,
    nessie: target.nessie,
    jars: jars.map((jar) => ({ groupId: jar.groupId, artifactId: jar.artifactId, version: jar.version, ...resolved(jar), purpose: jar.purpose })),
  });
}

/** The lock as written to disk: stable key order, two-space indent, trailing newline. */
export function renderJarLock(lock: JarLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}
