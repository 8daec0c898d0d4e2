// Issue 19, "set buckets, credentials or fluxKustomizations in a stack file to add one entry": the lists
// extend their defaults by key, removing a default is explicit, and every message names the entry's source.
import { describeList } from "../../config/lists";
import { configErrors as errors, validConfig as ok } from "../lib/fixtures/minimalConfig";

const PLATFORM_KUSTOMIZATIONS = ["data-platform", "spark-operator", "nessie", "nessie-backup", "spark-iceberg-client"];
const DEFAULT_ITEMS = ["nessie-postgres", "nessie-s3-credentials", "spark-s3-credentials", "trino-s3-credentials"];

describe("a stack file's list entries extend the defaults", () => {
  it("one added bucket keeps both default buckets", () => {
    const config = ok({ buckets: [{ key: "lake", name: "lake-dev", readWrite: ["spark"] }] });
    expect(config.buckets.map((b) => b.key)).toEqual(["warehouse", "nessie-backup", "lake"]);
    expect(config.lists.buckets).toEqual([
      { id: "warehouse", source: "default" },
      { id: "nessie-backup", source: "default" },
      { id: "lake", source: "stack" },
    ]);
  });

  it("one added credential keeps nessie-postgres and every app's S3 item", () => {
    const config = ok({ credentials: [{ title: "trino-password", kind: "password" }] });
    expect(config.credentials.map((c) => c.title)).toEqual([...DEFAULT_ITEMS, "trino-password"]);
  });

  it("one added Kustomization keeps the five platform ones", () => {
    const config = ok({ fluxKustomizations: [{ name: "airflow", path: "./kubernetes/apps/airflow", dependsOn: ["data-platform"] }] });
    expect(config.flux.kustomizations.map((k) => k.name)).toEqual([...PLATFORM_KUSTOMIZATIONS, "airflow"]);
  });

  it("an entry with a default's key changes only the fields it writes, in the default's place", () => {
    const config = ok({ buckets: [{ key: "warehouse", noncurrentVersionDays: 90 }] });
    expect(config.buckets[0]).toMatchObject({
      key: "warehouse",
      name: "iceberg-warehouse-dev",
      noncurrentVersionDays: 90,
      readWrite: ["nessie", "spark"],
      read: ["trino"],
    });
    expect(config.lists.buckets[0]).toEqual({ id: "warehouse", source: "default+stack" });
  });

  it("remove: true drops a default, and the model records it", () => {
    const config = ok({ buckets: [{ key: "nessie-backup", remove: true }], fluxKustomizations: [{ name: "nessie-backup", remove: true }] });
    expect(config.buckets.map((b) => b.key)).toEqual(["warehouse"]);
    expect(config.flux.kustomizations.map((k) => k.name)).toEqual(PLATFORM_KUSTOMIZATIONS.filter((n) => n !== "nessie-backup"));
    expect(config.removed).toEqual({ buckets: ["nessie-backup"], credentials: [], fluxKustomizations: ["nessie-backup"], s3Apps: [] });
  });

  it("a default renamed with previousKeys is replaced by the renamed entry", () => {
    const config = ok({
      buckets: [{ key: "lake", name: "iceberg-warehouse-dev", previousKeys: ["warehouse"], readWrite: ["nessie", "spark"], read: ["trino"] }],
    });
    expect(config.buckets.map((b) => b.key)).toEqual(["nessie-backup", "lake"]);
  });

  it("a new app's default item names the bucket it is granted, not the warehouse", () => {
    const config = ok({ s3Apps: ["nessie", "spark", "trino", "flink"], buckets: [{ key: "lake", name: "lake-dev", readWrite: ["flink"] }] });
    expect(config.credentials.find((c) => c.title === "flink-s3-credentials")).toMatchObject({ app: "flink", bucket: "lake" });
  });

  it("describes what the stack holds, per list, with sources and removals", () => {
    const config = ok({
      buckets: [
        { key: "warehouse", noncurrentVersionDays: 90 },
        { key: "nessie-backup", remove: true },
        { key: "lake", name: "lake-dev", read: ["trino"] },
      ],
    });
    expect(describeList("buckets", config.lists.buckets, config.removed.buckets)).toBe(
      "buckets: warehouse (default changed by the stack file), lake (stack file); removed: nessie-backup",
    );
  });
});

describe("messages name each entry's source", () => {
  it("a default the stack file does not name is [default <key>], with how to change or drop it", () => {
    const found = errors({ s3Apps: ["spark", "trino"], credentials: [{ title: "nessie-postgres", remove: true }] });
    expect(found).toContain(
      'data-platform:buckets[default nessie-backup].readWrite[0]: unknown app "nessie" (s3Apps is ["spark","trino"]) (from the default entry "nessie-backup": change it with {key: nessie-backup, ...} in the stack file\'s buckets, or drop it with {key: nessie-backup, remove: true})',
    );
  });

  it("a field the stack entry did not write is marked as the default's; one it wrote is not", () => {
    const found = errors({
      s3Apps: ["spark", "trino"],
      buckets: [
        { key: "warehouse", readWrite: ["spark", "sprak"] },
        { key: "nessie-backup", remove: true },
      ],
    });
    expect(found).toContain('data-platform:buckets[0].readWrite[1]: unknown app "sprak" (s3Apps is ["spark","trino"]) (did you mean spark?)');
    expect(found.some((e) => e.startsWith("data-platform:buckets[0].readWrite[1]") && e.includes("from the default"))).toBe(false);
  });

  it("remove takes true and only the key", () => {
    expect(errors({ buckets: [{ key: "nessie-backup", remove: "yes" }] })).toContain(
      'data-platform:buckets[0].remove: must be true (to remove the entry) or left out, got "yes"',
    );
    expect(errors({ buckets: [{ key: "nessie-backup", remove: true, name: "x" }] })).toContain(
      'data-platform:buckets[0]: remove: true takes only key, got also name: removing "nessie-backup" drops the whole entry',
    );
  });
});

describe("apps without a grant, items on a bucket their app cannot read", () => {
  it("refuses an app with no grant on any bucket, with the fix", () => {
    expect(errors({ s3Apps: ["nessie", "spark", "trino", "flink"] })).toContain(
      'data-platform:s3Apps[3]: app "flink" has no grant on any bucket, so its S3 keys could read nothing: add it to a bucket\'s readWrite or read (e.g. {key: warehouse, read: [..., flink]} in data-platform:buckets), or remove the app',
    );
  });

  it("refuses an s3 item whose app cannot read its bucket, naming the buckets it can", () => {
    expect(errors({ credentials: [{ title: "trino-s3-credentials", bucket: "nessie-backup" }] })).toContain(
      'data-platform:credentials[0].bucket: app "trino" cannot read bucket "nessie-backup" (no readWrite or read grant there): point the item at a bucket it can read (warehouse) or grant it in data-platform:buckets',
    );
  });
});
