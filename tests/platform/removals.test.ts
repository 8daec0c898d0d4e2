// Issue 19, "remove or rename a bucket entry, then up without a preview step": the removal guard stops a
// run whose config dropped an entry apps depend on, unless the config lets it go on purpose.
import { type RawConfig, parsePlatformConfig } from "../../config";
import type { StackModel } from "../../config/parse";
import { removalGuardInputs } from "../../platform/removals";
import { removalGuardProvider, removalProblems } from "../../providers/removalGuard";
import { MINIMAL_CONFIG } from "../lib/fixtures/minimalConfig";

const minimal: Record<string, string> = { ...MINIMAL_CONFIG };

function model(overrides: Record<string, unknown> = {}): StackModel {
  const raw: Record<string, string> = { ...minimal };
  for (const [key, value] of Object.entries(overrides)) raw[key] = JSON.stringify(value);
  const result = parsePlatformConfig(raw as RawConfig, { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

const before = removalGuardInputs(model({ buckets: [{ key: "lake", name: "lake-dev", readWrite: ["spark"] }] }));
const problemsAfter = (overrides: Record<string, unknown>) => removalProblems(before, removalGuardInputs(model(overrides)));

describe("the removal guard", () => {
  it("lets a first run and an unchanged config through", () => {
    expect(removalProblems({}, before)).toEqual([]);
    expect(removalProblems(before, before)).toEqual([]);
  });

  it("refuses a bucket entry that is gone, with the rename and the removal that would be accepted", () => {
    expect(problemsAfter({})).toEqual([
      "bucket entry lake is gone from data-platform:buckets: the apps would lose their grants and Flux its S3_BUCKET variable before the protected bucket stops the update. If you renamed it, add previousKeys: [lake] to the new entry; to remove it on purpose, write {key: lake, remove: true}",
    ]);
  });

  it("refuses a bucket entry renamed without previousKeys, accepts it with them", () => {
    expect(problemsAfter({ buckets: [{ key: "datalake", name: "lake-dev", readWrite: ["spark"] }] })).toHaveLength(1);
    expect(problemsAfter({ buckets: [{ key: "datalake", name: "lake-dev", readWrite: ["spark"], previousKeys: ["lake"] }] })).toEqual([]);
  });

  it("accepts a bucket entry removed with remove: true", () => {
    expect(problemsAfter({ buckets: [{ key: "lake", remove: true }] })).toEqual([]);
  });

  it("refuses a bucket whose S3 name changes", () => {
    expect(problemsAfter({ buckets: [{ key: "lake", name: "lake-dev-2", readWrite: ["spark"] }] })).toEqual([
      expect.stringMatching(/^bucket entry lake changes its name from lake-dev to lake-dev-2: an S3 bucket cannot be renamed/),
    ]);
  });

  it("refuses an app dropped from s3Apps, and accepts it (with its default item) in s3AppsRemoved", () => {
    const withoutTrino = {
      s3Apps: ["nessie", "spark"],
      buckets: [
        { key: "warehouse", read: [] },
        { key: "lake", name: "lake-dev", readWrite: ["spark"] },
      ],
    };
    expect(problemsAfter(withoutTrino)).toEqual([
      expect.stringMatching(/^app trino is gone from data-platform:s3Apps: its grants would be dropped .* add it to data-platform:s3AppsRemoved$/),
      expect.stringMatching(/^1Password item trino-s3-credentials is gone/),
    ]);
    expect(problemsAfter({ ...withoutTrino, s3AppsRemoved: ["trino"] })).toEqual([]);
  });

  it("refuses a removed default item or Kustomization unless remove: true says so", () => {
    const base = removalGuardInputs(model());
    expect(removalProblems(base, removalGuardInputs(model({ fluxKustomizations: [{ name: "nessie-backup", remove: true }] })))).toEqual([]);
    expect(removalProblems({ ...base, entries: [...base.entries, "kustomization:airflow"] }, base)).toEqual([
      expect.stringMatching(/^Kustomization airflow is gone .* \{name: airflow, remove: true\}$/),
    ]);
  });

  it("fails the provider's check, so preview and up --skip-preview stop at the guard", async () => {
    const result = await removalGuardProvider.check?.(before, removalGuardInputs(model()));
    expect(result?.failures).toEqual([{ property: "entries", reason: expect.stringMatching(/^bucket entry lake is gone/) }]);
  });
});
