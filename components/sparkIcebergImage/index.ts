// The spark-iceberg client image: apache/spark plus the jars pinned in docker/spark-iceberg/jars.lock.json,
// built and pushed by the stack, and handed on only by digest.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { IMAGE_CONTEXT, IMAGE_DOCKERFILE, type JarLock, defaultImageTag, dockerBuildArgs, loadJarLock } from "./jarLock";

export interface SparkIcebergImageArgs {
  /** Registry host[:port] without a scheme, e.g. "registry.example.com". */
  registry: pulumi.Input<string>;
  /** Repository in the registry, e.g. "data-platform/spark-iceberg". */
  repository: pulumi.Input<string>;
  /** Tag pushed alongside the digest (informative only); absent or empty = derived from the jar lock. */
  tag?: pulumi.Input<string | undefined>;
  /** Build platform, e.g. "linux/amd64". */
  platform: pulumi.Input<string>;
  /** Base image override; absent or empty = the Dockerfile's pinned apache/spark. */
  baseImage?: pulumi.Input<string | undefined>;
  /** Push the image. Without a push there is no registry digest (see imageRef). */
  push: pulumi.Input<boolean>;
  registryUsername?: pulumi.Input<string | undefined>;
  /** Registry password or token; always handled as a secret. */
  registryPassword?: pulumi.Input<string | undefined>;
  /** Maven repository the build fetches the jars from; absent or empty = Maven Central. Checksums still apply. */
  mavenRepository?: pulumi.Input<string | undefined>;
  /** Source repository URL for the org.opencontainers.image.source label. */
  sourceUrl?: pulumi.Input<string | undefined>;
}

/**
 * What the stack hands on as the image reference. A pushed image is referenced by its registry digest
 * (`registry/repo@sha256:...`), which the provider reports as repoDigest. An unpushed image exists
 * only in the local Docker engine, so its reference is the local image ID (`sha256:...`): immutable,
 * but not pullable by a cluster. Anything else (a tag) is refused rather than handed on.
 */
export function imageReference(repoDigest: string, pushed: boolean): string {
  if (pushed && !/^[^@\s]+@sha256:[0-9a-f]{64}$/.test(repoDigest)) {
    throw new Error(`the pushed image has no digest reference (repoDigest "${repoDigest}"); refusing to reference it by tag`);
  }
  if (!pushed && !/^sha256:[0-9a-f]{64}$/.test(repoDigest)) {
    throw new Error(`the local image has no image ID (repoDigest "${repoDigest}")`);
  }
  return repoDigest;
}

export class SparkIcebergImage extends pulumi.ComponentResource {
  /** The image by digest: `registry/repo@sha256:...` when pushed, the local image ID `sha256:...` when not. */
  declare public readonly imageRef: pulumi.Output<string>;
  /** `registry/repository`, without tag or digest. */
  declare public readonly repository: pulumi.Output<string>;
  /** The informative tag pushed alongside the digest. */
  declare public readonly tag: pulumi.Output<string>;

  constructor(name: string, args: SparkIcebergImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("dataplatform:image:SparkIcebergImage", name, {}, opts);

    const lock: JarLock = loadJarLock(resolve(__dirname, "..", ".."));
    const repository = pulumi.interpolate`${args.registry}/${args.repository}`;
    const tag = pulumi.output(args.tag).apply((t) => t || defaultImageTag(lock));
    const pushed = pulumi.output(args.push);

    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${repository}:${tag}`,
        build: {
          // Relative and fixed: the provider hashes the context and an absolute path would differ per checkout.
          context: IMAGE_CONTEXT,
          dockerfile: IMAGE_DOCKERFILE,
          platform: args.platform,
          args: pulumi
            .all([args.baseImage, args.mavenRepository, args.sourceUrl])
            .apply(([baseImage, mavenRepository, sourceUrl]) => dockerBuildArgs(lock, { baseImage, mavenRepository, sourceUrl })),
        },
        registry: {
          server: args.registry,
          username: args.registryUsername,
          password: args.registryPassword === undefined ? undefined : pulumi.secret(args.registryPassword),
        },
        skipPush: pushed.apply((push) => !push),
      },
      { parent: this },
    );

    this.imageRef = pulumi.all([image.repoDigest, pushed]).apply(([repoDigest, push]) => imageReference(repoDigest, push));
    this.repository = repository;
    this.tag = tag;
    this.registerOutputs({ imageRef: this.imageRef, repository: this.repository, tag: this.tag });
  }
}
