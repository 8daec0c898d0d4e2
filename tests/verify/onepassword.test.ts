// The 1Password checks against recorded Connect API responses (shapes of the Connect API 1.x OpenAPI
// document: Vault, Item, FullItem with fields[].section.id and sections[], ErrorResponse), served by a
// loopback fake so the client's requests (bearer token, SCIM title filter) run for real. No 1Password here.
import { type PlatformConfig, parsePlatformConfig } from "../../config";
import { expectedOnePassword } from "../../verify/expected";
import { createConnectClient, itemS3Keys, parseItem, parseItemSummaries, parseVaults, verifyOnePassword } from "../../verify/onepassword";
import { formatCheck } from "../../verify/report";
import { type FakeConnect, type FullItem, fullItem, startFakeConnect } from "../lib/fakes/connect";

function config(): PlatformConfig {
  const result = parsePlatformConfig(
    {
      environment: "dev",
      rgwEndpoint: "https://rgw.example.com",
      rgwInClusterEndpoint: "http://rgw.rook-ceph.svc:80",
      onepasswordVault: "data-platform-dev",
      onepasswordConnectUrl: "https://op.example.com",
      imageRegistry: "registry.example.com",
      fluxGitUrl: "ssh://git@github.com/example/gitops.git",
      fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      s3Apps: JSON.stringify(["nessie"]),
      buckets: JSON.stringify([{ key: "warehouse", name: "iceberg-warehouse-dev", readWrite: ["nessie"], read: [] }]),
      credentials: JSON.stringify([
        { title: "nessie-postgres", kind: "database", username: "nessie", hostname: "nessie-postgres-rw.data-platform.svc", port: 5432, database: "nessie" },
        { title: "nessie-s3-credentials", kind: "s3", app: "nessie", bucket: "warehouse" },
      ]),
    },
    { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) },
  );
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

const expected = expectedOnePassword(config());
const items = (vaultId: string): FullItem[] => [
  fullItem(vaultId, {
    title: "nessie-postgres",
    category: "DATABASE",
    builtin: { username: "nessie", password: "p".repeat(32), hostname: "nessie-postgres-rw.data-platform.svc", port: "5432", database: "nessie" },
  }),
  fullItem(vaultId, {
    title: "nessie-s3-credentials",
    category: "LOGIN",
    builtin: { username: "AKIANESSIE0000000001", password: "s".repeat(40) },
    sections: { s3: { endpoint: "http://rgw.rook-ceph.svc:80", region: "us-east-1", bucket: "iceberg-warehouse-dev" } },
  }),
];

let connect: FakeConnect;
beforeEach(async () => {
  connect = await startFakeConnect("data-platform-dev", items);
});
afterEach(async () => {
  await connect.close();
});

const run = async (token = connect.token) => {
  const result = await verifyOnePassword(expected, createConnectClient(connect.url, token));
  return { ...result, lines: result.checks.map(formatCheck) };
};

describe("1Password checks", () => {
  it("pass when every item exists once with the fields the ExternalSecrets reference, and hand on the s3 keys", async () => {
    const { lines, appKeys } = await run();
    expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
    expect(lines).toContain('ok   onepassword item nessie-s3-credentials: field bucket ("iceberg-warehouse-dev")');
    expect(lines).toContain("ok   onepassword item nessie-s3-credentials: field password (set (concealed))");
    expect(lines).toHaveLength(1 + 2 * 7);
    expect(appKeys).toEqual({ nessie: { title: "nessie-s3-credentials", keys: { accessKey: "AKIANESSIE0000000001", secretKey: "s".repeat(40) } } });
    // The client asks by title with Connect's SCIM filter, with the token as a bearer token.
    expect(connect.requests).toContain(`GET /v1/vaults/${connect.vaultId}/items?filter=${encodeURIComponent('title eq "nessie-postgres"')}`);
    // Secret values never reach the report.
    expect(lines.join("\n")).not.toMatch(/AKIANESSIE|sssss|ppppp/);
  });

  it("name a missing item, a duplicate title, a renamed field, a field outside its section and a wrong value", async () => {
    const [postgres, s3] = connect.items;
    connect.items = [
      {
        ...s3,
        fields: s3.fields.map((f) =>
          f.label === "hostname"
            ? f
            : f.label === "bucket"
              ? { ...f, value: "other-bucket" }
              : f.label === "region"
                ? { id: "region", type: "STRING", label: "region", value: "us-east-1" }
                : f,
        ),
      },
      { ...s3, id: "duplicate0000000000000000a" },
      { ...postgres, title: "nessie-postgres-old" },
    ];
    expect((await run()).lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL onepassword item nessie-postgres: exists: expected one item with this title, found no such item",
      "FAIL onepassword item nessie-s3-credentials: exists: expected one item with this title (External Secrets refuses duplicates), found 2 items",
    ]);
    connect.items = [
      { ...postgres, fields: postgres.fields.map((f) => (f.label === "hostname" ? { ...f, label: "server" } : f.label === "port" ? { ...f, value: "" } : f)) },
      {
        ...s3,
        category: "PASSWORD",
        fields: s3.fields.map((f) =>
          f.label === "bucket"
            ? { ...f, value: "other-bucket" }
            : f.label === "region"
              ? { id: "region", type: "STRING", label: "region", value: "us-east-1" }
              : f,
        ),
      },
    ];
    expect((await run()).lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL onepassword item nessie-postgres: field hostname: expected present (an ExternalSecret reads it), found missing (labels: username, password, server, port, database, notesPlain)",
      "FAIL onepassword item nessie-postgres: field port: expected a value, found empty",
      "FAIL onepassword item nessie-s3-credentials: category: expected LOGIN, found PASSWORD",
      "FAIL onepassword item nessie-s3-credentials: field region: expected in section s3, found in no section",
      'FAIL onepassword item nessie-s3-credentials: field bucket: expected "iceberg-warehouse-dev", found "other-bucket"',
    ]);
  });

  it("say what to fix when the token is rejected or the vault is not visible", async () => {
    expect((await run("wrong")).lines).toEqual([
      "FAIL onepassword vault data-platform-dev: read: cannot check: 1Password Connect /v1/vaults: 401 Invalid token signature (check OP_CONNECT_TOKEN or the stack's onepasswordToken)",
    ]);
    const other = await verifyOnePassword({ ...expected, vault: "data-platform-prod" }, createConnectClient(connect.url, connect.token));
    expect(other.checks.map(formatCheck)).toEqual([
      "FAIL onepassword vault data-platform-prod: exists: expected exactly one vault with that name, found none (the token sees: data-platform-dev)",
    ]);
    // A port nothing listens on (and no pooled connection points to).
    const closed = await startFakeConnect("unused");
    await closed.close();
    const unreachable = await verifyOnePassword(expected, createConnectClient(closed.url, "t"));
    expect(unreachable.checks.map(formatCheck)[0]).toContain(
      `cannot check: cannot reach 1Password Connect at ${closed.url}: ECONNREFUSED — check OP_CONNECT_HOST or config onepasswordConnectUrl`,
    );
  });
});

describe("Connect response parsing", () => {
  it("reads the documented shapes, tolerating null for an empty filter result", () => {
    expect(parseVaults([{ id: "ytrfte14kw1uex5txaore1emkz", name: "Demo", attributeVersion: 1, contentVersion: 72, items: 7, type: "USER_CREATED" }])).toEqual([
      { id: "ytrfte14kw1uex5txaore1emkz", name: "Demo" },
    ]);
    expect(parseItemSummaries(null)).toEqual([]);
    const item = parseItem({
      id: "2fcbqwe9ndg175zg2dzwftvkpa",
      title: "Secrets Automation Item",
      vault: { id: "ftz4pm2xxwmwrsd7rjqn7grzfz" },
      category: "LOGIN",
      sections: [{ id: "95cdbc3b-7742-47ec-9056-44d6af82d562", label: "Security Questions" }],
      fields: [
        { id: "username", type: "STRING", purpose: "USERNAME", label: "username", value: "wendy" },
        {
          id: "password",
          type: "CONCEALED",
          purpose: "PASSWORD",
          label: "password",
          value: "hLDegPkuMQqyQiyDZqRdWGoojiN5KYQtXuA0wBDe9z3Caj6FQGHpbGu",
          entropy: 189.78,
        },
        { id: "a6cvmeqakbxoflkgmor4haji7y", type: "URL", label: "Example", value: "https://example.com" },
        {
          id: "boot3vsxwhuht6g7cmcx4m6rcm",
          section: { id: "95cdbc3b-7742-47ec-9056-44d6af82d562" },
          type: "CONCEALED",
          label: "Recovery Key",
          value: "s=^J@GhHP_isYP>LCq?vv8u7T:*wBP.c",
        },
      ],
    });
    expect(item.fields.map((f) => [f.label, f.sectionId ?? "-"])).toEqual([
      ["username", "-"],
      ["password", "-"],
      ["Example", "-"],
      ["Recovery Key", "95cdbc3b-7742-47ec-9056-44d6af82d562"],
    ]);
    expect(itemS3Keys(item)).toEqual({ accessKey: "wendy", secretKey: "hLDegPkuMQqyQiyDZqRdWGoojiN5KYQtXuA0wBDe9z3Caj6FQGHpbGu" });
    expect(() => parseVaults({ message: "x" })).toThrow("not an array");
  });
});
