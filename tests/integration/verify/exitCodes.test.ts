// verify's exit code 2 ("verify could not run"), through the CLI as CI and operators run it
// (scripts/verify.ts under tsx: a few seconds per start, so not in the unit tests). No server is needed:
// each case stops before verify builds a client.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

describe("exit code 2: verify cannot run", () => {
  const root = join(__dirname, "..", "..", "..");
  const tsx = join(root, "node_modules", ".bin", "tsx");
  const verify = (args: string[]) => spawnSync(tsx, [join(root, "scripts", "verify.ts"), ...args], { cwd: root, encoding: "utf8" });
  const dir = mkdtempSync(join(tmpdir(), "verify-exit-"));

  it("on bad arguments, a stack file that fails validation, and outputs that cannot be read or parsed", () => {
    copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "Pulumi.dev.yaml"), "config:\n  data-platform:environment: staging\n");
    writeFileSync(join(dir, "outputs.json"), "{ not json");
    const cases = {
      arguments: verify(["--stack", "dev", "--skip", "s3"]),
      config: verify(["--stack", "dev", "--stacks-from", dir, "--outputs", join(dir, "outputs.json")]),
      missingOutputs: verify(["--stack", "dev", "--outputs", join(dir, "absent.json"), "--skip", "rgw,onepassword,registry,kubernetes"]),
      badOutputs: verify(["--stack", "dev", "--outputs", join(dir, "outputs.json"), "--skip", "rgw,onepassword,registry,kubernetes"]),
    };
    expect(Object.fromEntries(Object.entries(cases).map(([name, run]) => [name, { status: run.status, stdout: run.stdout }]))).toEqual({
      arguments: { status: 2, stdout: "" },
      config: { status: 2, stdout: "" },
      missingOutputs: { status: 2, stdout: "" },
      badOutputs: { status: 2, stdout: "" },
    });
    expect(cases.arguments.stderr).toContain('unknown system "s3"');
    expect(cases.config.stderr).toMatch(/invalid configuration for stack dev:\n {2}- data-platform:rgwEndpoint: is required/);
    expect(cases.missingOutputs.stderr).toContain(`cannot read --outputs ${join(dir, "absent.json")}`);
    expect(cases.badOutputs.stderr).toContain("stack outputs are not JSON");
  });
});
