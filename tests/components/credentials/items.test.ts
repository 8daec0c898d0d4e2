import { CredentialConfig } from "../../../config/schema";
import { clusterSecretStoreManifest, externalSecretManifest, itemCategory, itemFields, remoteRef } from "../../../components/credentials/items";
import { schemaProblems } from "../../lib/schemas/kubernetes";

const credential = (overrides: Partial<CredentialConfig>): CredentialConfig => ({
  title: "nessie-postgres",
  kind: "database",
  username: "nessie",
  hostname: "db",
  port: 5432,
  database: "nessie",
  password: { length: 32, special: false, upper: true, lower: true, numeric: true },
  rotation: "1",
  previousTitles: [],
  ...overrides,
});

describe("item fields", () => {
  it("uses the labels the provider writes for a database item", () => {
    expect(itemCategory(credential({}))).toBe("database");
    expect(itemFields(credential({})).map((f) => f.label)).toEqual(["username", "password", "hostname", "port", "database"]);
  });

  it("stores S3 keys as a login with an s3 section, keys named as the Nessie chart expects", () => {
    const s3 = credential({ title: "nessie-s3-credentials", kind: "s3", app: "nessie", bucket: "warehouse" });
    expect(itemCategory(s3)).toBe("login");
    expect(itemFields(s3).map((f) => [f.label, f.secretKey, f.placement])).toEqual([
      ["username", "awsAccessKeyId", "builtin"],
      ["password", "awsSecretAccessKey", "builtin"],
      ["endpoint", "endpoint", "section"],
      ["region", "region", "section"],
      ["bucket", "bucket", "section"],
    ]);
  });

  it("has unique labels per item (External Secrets rejects ambiguous labels)", () => {
    for (const kind of ["database", "login", "password", "s3"] as const) {
      const labels = itemFields(credential({ kind })).map((f) => f.label);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });
});

describe("External Secrets manifests", () => {
  it("addresses fields by item title and label with Connect, by path with the SDK provider", () => {
    const [, password, endpoint] = [...itemFields(credential({ kind: "s3" }))];
    expect(remoteRef("connect", "x", password)).toEqual({ key: "x", property: "password" });
    expect(remoteRef("serviceAccount", "x", password)).toEqual({ key: "x/password" });
    expect(remoteRef("serviceAccount", "x", endpoint)).toEqual({ key: "x/s3/endpoint" });
  });

  it.each(["connect", "serviceAccount"] as const)("renders a schema-valid ClusterSecretStore and ExternalSecret for %s mode", (mode) => {
    const store = clusterSecretStoreManifest({
      storeName: "onepassword",
      mode,
      vault: "data-platform-dev",
      connectHost: "http://onepassword-connect:8080",
      tokenSecret: { name: "onepassword-token", namespace: "external-secrets" },
    });
    expect(schemaProblems(store)).toEqual([]);
    expect(Object.keys(store.spec?.provider ?? {})).toEqual([mode === "connect" ? "onepassword" : "onepasswordSDK"]);
    const es = externalSecretManifest(credential({}), { storeName: "onepassword", mode, namespace: "data-platform" });
    expect(schemaProblems(es)).toEqual([]);
    expect(es.spec?.target?.name).toBe("nessie-postgres");
  });

  it("the schema check is not vacuous: a broken manifest is reported", () => {
    const es = externalSecretManifest(credential({}), { storeName: "onepassword", mode: "connect", namespace: "data-platform" });
    const broken = { ...es, spec: { ...es.spec, data: [{ remoteRef: { property: "password" } }] } };
    expect(schemaProblems(broken).join("\n")).toMatch(/secretKey|key/);
  });
});
