// The offline render as a reviewer reads it: Secret keys visible, Helm releases listed, no stale output,
// and a placeholder note that names only what this stack needs.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { neededSecrets, renderStack } from "../scripts/lib/render";

const root = join(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadProgram = () => require("../index");

let scratch: string;
beforeAll(() => (scratch = mkdtempSync(join(tmpdir(), "render-test-"))));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the project's stack files with the dev stack edited, as stack `variant`. */
function variant(edit: (config: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(scratch, "stack-"));
  copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  const doc = parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  edit(doc.config);
  writeFileSync(join(dir, "Pulumi.variant.yaml"), stringify(doc));
  return dir;
}

const readYaml = (path: string) => parse(readFileSync(path, "utf8")) as Record<string, unknown>;

it("keeps a Secret's keys, shows its public values and hides only the secret ones", async () => {
  const outDir = join(scratch, "out-secrets");
  await renderStack({ root, stack: "dev", outDir, loadProgram });
  const cluster = join(outDir, "dev", "manifests", "cluster");
  const gitAuth = readYaml(join(cluster, "secret-flux-system-data-platform-git-auth.yaml")).stringData as Record<string, string>;
  expect(Object.keys(gitAuth).sort()).toEqual(["identity", "identity.pub", "known_hosts"]);
  expect(gitAuth.identity).toBe("[secret:stringData.identity]");
  expect(gitAuth.known_hosts).toMatch(/^github\.com ssh-ed25519 /);
  expect(gitAuth["identity.pub"]).toMatch(/^ssh-ed25519 /);
  const token = readYaml(join(cluster, "secret-external-secrets-onepassword-token.yaml")).stringData;
  expect(token).toEqual({ token: "[secret:stringData.token]" });
});

it("lists the Flux Helm release with the objects it applies when fluxInstall is true", async () => {
  const dir = variant((config) => (config["data-platform:fluxInstall"] = true));
  await renderStack({ root: dir, stack: "variant", outDir: join(dir, "out"), loadProgram });
  const release = readYaml(join(dir, "out", "variant", "manifests", "cluster", "pulumihelmrelease-flux-system-flux.yaml"));
  expect(release).toMatchObject({
    kind: "PulumiHelmRelease",
    metadata: { name: "flux", namespace: "flux-system" },
    spec: { chart: "flux2", version: "2.16.2" },
  });
});

it("prints what each list holds once merged with the defaults, and where each entry came from", async () => {
  const dir = variant((config) => {
    config["data-platform:buckets"] = [
      { key: "warehouse", noncurrentVersionDays: 90 },
      { key: "nessie-backup", remove: true },
    ];
    config["data-platform:fluxKustomizations"] = [{ name: "airflow", path: "./kubernetes/apps/airflow", dependsOn: ["data-platform"] }];
  });
  const { summary } = await renderStack({ root: dir, stack: "variant", outDir: join(dir, "out"), loadProgram });
  expect(summary).toContain("buckets: warehouse (default changed by the stack file); removed: nessie-backup\n");
  expect(summary).toContain(
    "fluxKustomizations: data-platform (default), spark-operator (default), nessie (default), nessie-backup (default), spark-iceberg-client (default), airflow (stack file)\n",
  );
});

it("removes the previous output of a stack whose render fails", async () => {
  const outDir = join(scratch, "out-stale");
  // The folder holds a good render of stack "variant"; then the stack file breaks.
  await renderStack({ root: variant(() => undefined), stack: "variant", outDir, loadProgram });
  expect(existsSync(join(outDir, "variant", "inventory.json"))).toBe(true);
  const broken = variant((config) => (config["data-platform:rgwEndpoint"] = "not a url"));
  await expect(renderStack({ root: broken, stack: "variant", outDir, loadProgram })).rejects.toThrow(/rgwEndpoint/);
  expect(readdirSync(outDir)).toEqual([]);
});

it("names in its placeholder note only the secrets this stack's config needs", () => {
  const all = ["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey", "imageRegistryPassword", "fluxGitToken"];
  expect(neededSecrets(all, { "data-platform:fluxGitAuth": "ssh" })).toEqual(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]);
  expect(neededSecrets(all, { "data-platform:fluxGitAuth": "https", "data-platform:imageRegistryUsername": "ci" })).toEqual(all);
});
