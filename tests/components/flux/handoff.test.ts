// FluxHandoff on its own under the mock engine: a deploy key made elsewhere (the real-cluster test's, which
// runs without the tls plugin) replaces the generated one.
import * as k8s from "@pulumi/kubernetes";
import { FluxHandoff, kubernetesProviderArgs } from "../../../components/flux";
import { evaluateProgram, isSecretValue, reveal } from "../../../scripts/lib/mockEngine";

const program = () => () => {
  const provider = new k8s.Provider("k8s", kubernetesProviderArgs());
  const handoff = new FluxHandoff(
    "flux",
    {
      namespace: "flux-system",
      git: { url: "ssh://git@127.0.0.1:2222/platform.git", branch: "main", interval: "1m" },
      auth: {
        ssh: {
          knownHosts: "[127.0.0.1]:2222 ssh-ed25519 AAAA",
          deployKey: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----", publicKey: "ssh-ed25519 AAAA test" },
        },
      },
      kustomizations: [],
      prerequisites: {
        environment: "t",
        image: "i",
        s3Endpoint: "e",
        s3Region: "r",
        buckets: {},
        itemTitles: [],
        clusterSecretStore: "s",
        dataPlatformNamespace: "d",
      },
      readyTimeoutSeconds: 0,
    },
    { providers: [provider] },
  );
  return { deployKeyPublic: handoff.deployKeyPublic };
};

it("takes a deploy key made elsewhere: no tls.PrivateKey, the private half secret in the Secret, the public half as output", async () => {
  const run = await evaluateProgram({ stack: "t", config: {}, secretKeys: [], loadProgram: program });
  expect(run.resources.filter((r) => r.type.startsWith("tls:"))).toEqual([]);
  const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret");
  expect(isSecretValue(secret?.inputs.stringData)).toBe(true);
  expect(reveal(secret?.inputs.stringData)).toMatchObject({ identity: "-----BEGIN OPENSSH PRIVATE KEY-----", "identity.pub": "ssh-ed25519 AAAA test" });
  expect(run.outputs.deployKeyPublic).toBe("ssh-ed25519 AAAA test");
  const source = run.resources.find((r) => r.type.includes("GitRepository"));
  expect((source?.inputs.metadata as { annotations: Record<string, string> }).annotations).toEqual({ "pulumi.com/patchForce": "true" });
});
