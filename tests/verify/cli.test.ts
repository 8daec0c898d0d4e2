import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseVerifyArgs } from "../../verify/cli";
import { credentialSource } from "../../verify/environment";
import { differences, canonical } from "../../verify/diff";
import { parseStackOutputs } from "../../verify/outputs";
import { exitCode, formatCheck, formatJson, formatText, summarize } from "../../verify/report";
import { failure, notChecked, pass } from "../../verify/checks";

describe("verify arguments", () => {
  it("takes the stack, an outputs file, --json and a skip list", () => {
    expect(parseVerifyArgs(["--stack", "dev", "--outputs", "o.json", "--json", "--skip", "kubernetes,rgw"])).toEqual({
      ok: true,
      args: { stack: "dev", outputsFile: "o.json", json: true, registryPlainHttp: false, skip: ["rgw", "kubernetes"] },
    });
    expect(parseVerifyArgs(["--stack=prod", "--skip=probes"])).toMatchObject({ ok: true, args: { stack: "prod", skip: ["probes"] } });
  });

  it("refuses unknown systems, missing --stack and anything that looks like a credential", () => {
    expect(parseVerifyArgs(["--stack", "dev", "--skip", "s3"])).toMatchObject({ ok: false, error: expect.stringContaining('unknown system "s3"') });
    expect(parseVerifyArgs([])).toMatchObject({ ok: false, error: expect.stringContaining("--stack is required") });
    for (const flag of ["--token", "--rgw-admin-secret-key=x", "--password", "--access-key"]) {
      expect(parseVerifyArgs(["--stack", "dev", flag, "x"])).toMatchObject({ ok: false, error: expect.stringContaining("never from arguments") });
    }
  });
});

describe("differences", () => {
  it("names each difference with its path; string lists compare as sets", () => {
    expect(differences({ a: 1, b: { c: ["x", "y"] } }, { a: 2, b: { c: ["y", "z"] }, d: true })).toEqual([
      "a: expected 1, found 2",
      'b.c: missing ["x"], unexpected ["z"]',
      "d: unexpected true",
    ]);
    expect(differences({ a: [1, 2] }, { a: [1, 2] })).toEqual([]);
    expect(differences(["b", "a"], ["a", "b"])).toEqual([]);
    expect(canonical({ b: 1, a: { d: 1, c: 2 } })).toEqual({ a: { c: 2, d: 1 }, b: 1 });
  });
});

describe("stack outputs", () => {
  it("accepts what the program exports (the golden render of dev)", () => {
    const inventory = JSON.parse(readFileSync(join(__dirname, "..", "golden", "dev", "inventory.json"), "utf8")) as { outputs: unknown };
    const parsed = parseStackOutputs(inventory.outputs);
    expect(parsed).toMatchObject({ ok: true, outputs: { environment: "dev", buckets: { warehouse: "iceberg-warehouse-dev" } } });
  });

  it("says which output is wrong", () => {
    expect(parseStackOutputs({ environment: "dev", buckets: [] })).toMatchObject({ ok: false, error: expect.stringMatching(/s3Endpoint.*buckets/) });
  });
});

describe("report", () => {
  const checks = [
    pass({ system: "rgw", subject: "bucket b", check: "versioning" }, "Enabled"),
    failure({ system: "rgw", subject: "bucket b", check: "policy" }, "4 statements", "different", [
      'policy.Statement.ReadObjects.Action: unexpected ["s3:PutObject"]',
    ]),
    failure({ system: "registry", subject: "image r", check: "tag t" }, "→ sha256:a", "→ sha256:b"),
    notChecked({ system: "kubernetes", subject: "context dev", check: "read" }, "kubeconfig has no context dev"),
  ];
  const report = { stack: "dev", runId: "r1", skipped: ["onepassword" as const], checks };

  it("prints one line per check with what was expected and found, and a summary", () => {
    expect(formatText(report).split("\n")).toEqual([
      "ok   rgw         bucket b: versioning (Enabled)",
      'FAIL rgw         bucket b: policy: expected 4 statements; policy.Statement.ReadObjects.Action: unexpected ["s3:PutObject"]',
      "FAIL registry    image r: tag t: expected → sha256:a, found → sha256:b",
      "FAIL kubernetes  context dev: read: cannot check: kubeconfig has no context dev",
      "verify dev: 4 checks, 1 ok, 3 failed; skipped: onepassword",
      "",
    ]);
    expect(formatCheck(checks[0])).not.toContain("FAIL");
  });

  it("gives machines the same in JSON, and a non-zero exit code on any failure", () => {
    const json = JSON.parse(formatJson(report)) as { summary: unknown; checks: unknown[] };
    expect(json.summary).toEqual({ total: 4, ok: 1, failed: 3 });
    expect(json.checks).toHaveLength(4);
    expect(exitCode(report)).toBe(1);
    expect(exitCode({ ...report, checks: [checks[0]] })).toBe(0);
    expect(summarize([])).toEqual({ total: 0, ok: 0, failed: 0 });
  });
});

describe("credential sources", () => {
  // Regression: hints named RGW_ADMIN_* even when the keys came from the stack's config.
  it("name the environment variable when it is set, else the stack's config key", () => {
    expect(credentialSource("rgwAdminAccessKey", { RGW_ADMIN_ACCESS_KEY: "AK" })).toBe("RGW_ADMIN_ACCESS_KEY");
    expect(credentialSource("rgwAdminAccessKey", { RGW_ADMIN_ACCESS_KEY: "" })).toBe("config rgwAdminAccessKey");
    expect(credentialSource("onepasswordToken", {})).toBe("config onepasswordToken");
  });
});
