import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";
import { dockerBuildArgs, loadJarLock, defaultImageTag } from "../../../components/sparkIcebergImage/jarLock";

const DIGEST = "sha256:" + "ab".repeat(32);
const IMAGE_ID = "sha256:" + "cd".repeat(32);
const IMAGE_TYPE = "docker:index/image:Image";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

// setMocks is async only in name (its body sets the mock monitor synchronously), and the import below needs
// the mocks in place at module load, before any hook could await it.
void pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      if (args.type !== IMAGE_TYPE) return { id: `${args.name}-id`, state: args.inputs };
      const imageName = String(args.inputs.imageName);
      const repository = imageName.slice(0, imageName.lastIndexOf(":"));
      // The provider reports the registry digest after a push, the local image ID otherwise.
      const repoDigest = args.inputs.skipPush ? IMAGE_ID : `${repository}@${DIGEST}`;
      return { id: `${args.name}-id`, state: { ...args.inputs, repoDigest } };
    },
    call: (args) => args.inputs,
  },
  "data-platform",
  "test",
  false,
);

// Imported after setMocks, as the program would be.
import { SparkIcebergImage, imageReference } from "../../../components/sparkIcebergImage";

const lock = loadJarLock(resolve(__dirname, "../../.."));
const value = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((done) => output.apply(done));
const imageInputs = (name: string): Record<string, unknown> => {
  const found = registered.find((r) => r.type === IMAGE_TYPE && r.name === name);
  if (!found) throw new Error(`no ${IMAGE_TYPE} named ${name}; registered: ${registered.map((r) => `${r.type} ${r.name}`).join(", ")}`);
  return found.inputs;
};

describe("SparkIcebergImage", () => {
  it("builds the fixed relative context with the lock's build args and pushes with secret credentials", async () => {
    const image = new SparkIcebergImage("spark", {
      registry: "registry.example.com",
      repository: "data-platform/spark-iceberg",
      tag: "v1",
      platform: "linux/amd64",
      baseImage: pulumi.output("apache/spark:3.5.8-scala2.12-java17-ubuntu"),
      push: true,
      registryUsername: "ci",
      registryPassword: pulumi.output("s3cret"),
      mavenRepository: "https://nexus.example.com/maven/",
    });
    const imageRef = await value(image.imageRef);
    expect(imageRef).toBe(`registry.example.com/data-platform/spark-iceberg@${DIGEST}`);
    expect(await value(image.repository)).toBe("registry.example.com/data-platform/spark-iceberg");
    expect(await value(image.tag)).toBe("v1");

    const inputs = imageInputs("spark-image");
    expect(inputs.imageName).toBe("registry.example.com/data-platform/spark-iceberg:v1");
    expect(inputs.skipPush).toBe(false);
    expect(inputs.build).toEqual({
      context: "docker/spark-iceberg",
      dockerfile: "docker/spark-iceberg/Dockerfile",
      platform: "linux/amd64",
      args: dockerBuildArgs(lock, { baseImage: "apache/spark:3.5.8-scala2.12-java17-ubuntu", mavenRepository: "https://nexus.example.com/maven" }),
    });
    // A nested secret makes the SDK send the whole registry block to the engine as a secret.
    const registry = secretValue(inputs.registry);
    expect(registry).toEqual({ server: "registry.example.com", username: "ci", password: "s3cret" });
  });

  it("marks even a plain-string password secret", async () => {
    const image = new SparkIcebergImage("plainpw", {
      registry: "r.example",
      repository: "a/b",
      platform: "linux/arm64",
      push: true,
      registryUsername: "u",
      registryPassword: "plain-string-password",
    });
    await value(image.imageRef);
    expect(secretValue(imageInputs("plainpw-image").registry)).toMatchObject({ password: "plain-string-password" });
  });

  it("defaults the tag from the lock, keeps the Dockerfile's base, and references an unpushed image by image ID", async () => {
    const image = new SparkIcebergImage("local", { registry: "r.example:5000", repository: "a/b", platform: "linux/amd64", push: false });
    expect(await value(image.imageRef)).toBe(IMAGE_ID);
    expect(await value(image.tag)).toBe(defaultImageTag(lock));
    const inputs = imageInputs("local-image");
    expect(inputs.skipPush).toBe(true);
    expect(inputs.imageName).toBe(`r.example:5000/a/b:${defaultImageTag(lock)}`);
    const build = inputs.build as { args: Record<string, string> };
    expect(build.args).toEqual(dockerBuildArgs(lock));
    expect(build.args).not.toHaveProperty("BASE_IMAGE");
    expect(build.args).not.toHaveProperty("MAVEN_REPOSITORY");
    // Without a password nothing is secret, and the anonymous push sends no credentials.
    expect(inputs.registry).toEqual({ server: "r.example:5000" });
  });
});

describe("imageReference", () => {
  it("passes digests through and refuses tags", () => {
    expect(imageReference(`r/a@${DIGEST}`, true)).toBe(`r/a@${DIGEST}`);
    expect(imageReference(IMAGE_ID, false)).toBe(IMAGE_ID);
    expect(() => imageReference("r/a:latest", true)).toThrow(/refusing to reference it by tag/);
    expect(() => imageReference("", false)).toThrow(/no image ID/);
  });
});

/** The value of a mock input that the SDK sent as a secret; fails the test if it was not secret. */
function secretValue(input: unknown): unknown {
  const wrapper = input as Record<string, unknown> | undefined;
  expect(wrapper?.[pulumi.runtime.specialSigKey]).toBe(pulumi.runtime.specialSecretSig);
  return wrapper?.value;
}
