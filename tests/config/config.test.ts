import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, foreignKeyWarnings, redact } from "../../config";
import { OPTIONAL_SECRET_NEEDS } from "../../config/keys";
import { listStacks, readStackConfig } from "../../config/stackFiles";
import { GENERATED_SECTIONS, configReferenceTable, generatedDocs, projectConfigBlock, sectionText } from "../../scripts/lib/configDocs";
import { REQUIRED_SECRETS, configErrors as errors, parseConfig as run, validConfig as ok } from "../lib/fixtures/minimalConfig";

const root = join(__dirname, "..", "..");

describe("valid config", () => {
  it("fills the platform's defaults", () => {
    const config = ok();
    expect(config.rgw.region).toBe("us-east-1");
    expect(config.apps.map((a) => a.name)).toEqual(["nessie", "spark", "trino"]);
    expect(config.buckets.map((b) => [b.key, b.name, b.versioning, b.noncurrentVersionDays])).toEqual([
      ["warehouse", "iceberg-warehouse-dev", true, 30],
      ["nessie-backup", "nessie-backup-dev", true, 30],
    ]);
    // Least privilege: trino only reads the warehouse; only nessie touches its backups.
    expect(config.buckets.map((b) => [b.key, b.readWrite, b.read])).toEqual([
      ["warehouse", ["nessie", "spark"], ["trino"]],
      ["nessie-backup", ["nessie"], []],
    ]);
    // Every app's S3 keys reach 1Password.
    expect(config.credentials.map((c) => [c.title, c.kind, c.app])).toEqual([
      ["nessie-postgres", "database", undefined],
      ["nessie-s3-credentials", "s3", "nessie"],
      ["spark-s3-credentials", "s3", "spark"],
      ["trino-s3-credentials", "s3", "trino"],
    ]);
    expect(config.credentials[0].password).toEqual({ length: 32, special: false, upper: true, lower: true, numeric: true });
    expect(config.flux.kustomizations.map((k) => k.name)).toEqual(["data-platform", "spark-operator", "nessie", "nessie-backup", "spark-iceberg-client"]);
    expect(config.flux.kustomizations.every((k) => k.prune)).toBe(true);
    expect(config.flux.branch).toBe("main");
    expect(config.onepassword.clusterConnectUrl).toBe("https://op-connect.example.com");
    expect(config.rgw.inClusterEndpoint).toBe("http://rgw.example.com:7480");
  });

  it("reads lists, numbers and booleans as Pulumi passes them (JSON strings)", () => {
    const config = ok({
      imagePush: "false",
      s3Apps: ["nessie", "spark"],
      s3KeyRotation: { spark: "2026-11" },
      buckets: [{ key: "warehouse", name: "wh.prod-1", noncurrentVersionDays: 90, readWrite: ["spark"], read: ["nessie"] }],
      credentials: [
        { title: "trino-password", kind: "password", rotation: "2" },
        { title: "nessie-s3", kind: "s3", app: "nessie", bucket: "warehouse" },
        { title: "spark-s3", kind: "s3", app: "spark", bucket: "warehouse" },
      ],
    });
    expect(config.image.push).toBe(false);
    expect(config.apps).toEqual([
      { name: "nessie", keyRotation: "1" },
      { name: "spark", keyRotation: "2026-11" },
    ]);
    expect(config.buckets[0]).toMatchObject({ name: "wh.prod-1", noncurrentVersionDays: 90, abortIncompleteMultipartDays: 7 });
    expect(config.credentials.find((c) => c.title === "trino-password")).toMatchObject({ rotation: "2" });
  });

  it("accepts https Git auth with a token", () => {
    const result = run(
      { fluxGitUrl: "https://github.com/example/platform.git", fluxGitAuth: "https", fluxKnownHosts: "" },
      new Set([...REQUIRED_SECRETS, "fluxGitToken"]),
    );
    expect(result.ok).toBe(true);
  });

  it("accepts the service-account mode without a Connect URL", () => {
    expect(run({ onepasswordMode: "serviceAccount", onepasswordConnectUrl: "" }).ok).toBe(true);
  });
});

describe("rotation values as the CLI writes them", () => {
  // `pulumi config set --path 's3KeyRotation.trino' 2` stores `trino: 2`; Pulumi passes {"trino":2}.
  it("reads a number as its decimal string, the same trigger as the quoted form", () => {
    const stack = (rotation: unknown) => ({
      s3Apps: ["trino"],
      s3KeyRotation: { trino: rotation },
      buckets: [
        { key: "warehouse", name: "iceberg-warehouse-dev", readWrite: [], read: ["trino"] },
        { key: "nessie-backup", remove: true },
      ],
      credentials: [
        { title: "nessie-postgres", kind: "database", username: "nessie", hostname: "h", port: 5432, database: "nessie", rotation },
        { title: "trino-s3-credentials", kind: "s3", app: "trino", bucket: "warehouse" },
      ],
    });
    const asNumber = ok(stack(2));
    const asString = ok(stack("2"));
    expect(asNumber.apps.find((a) => a.name === "trino")?.keyRotation).toBe("2");
    expect(asNumber.credentials.find((c) => c.title === "nessie-postgres")?.rotation).toBe("2");
    expect(asNumber).toEqual(asString);
  });

  it("gives an app named like an Object member no inherited rotation", () => {
    const config = ok({
      s3Apps: ["constructor"],
      buckets: [
        { key: "warehouse", name: "iceberg-warehouse-dev", readWrite: ["constructor"], read: [] },
        { key: "nessie-backup", remove: true },
      ],
      credentials: [{ title: "constructor-s3-credentials", kind: "s3", app: "constructor", bucket: "warehouse" }],
    });
    expect(config.apps).toEqual([{ name: "constructor", keyRotation: "1" }]);
  });
});

describe("invalid config: each problem names its key", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["missing required key", { environment: undefined }, "data-platform:environment: is required"],
    ["bad environment name", { environment: "Dev_1" }, 'data-platform:environment: "Dev_1" is not a valid environment name'],
    ["wrong type for a boolean", { imagePush: "yes" }, 'data-platform:imagePush: must be true or false, got "yes"'],
    ["wrong type for a list", { s3Apps: "nessie" }, 'data-platform:s3Apps: must be a list, got "nessie"'],
    [
      "bad bucket name",
      {
        buckets: [
          { key: "warehouse", name: "iceberg-dev" },
          { key: "data", name: "Iceberg_Data" },
        ],
      },
      'data-platform:buckets[1].name: "Iceberg_Data" is not a valid S3 bucket name',
    ],
    ["bucket name too short", { buckets: [{ key: "warehouse", name: "ab" }] }, 'data-platform:buckets[0].name: "ab" is not a valid S3 bucket name'],
    ["bucket name like an IP address", { buckets: [{ key: "warehouse", name: "192.168.1.1" }] }, "data-platform:buckets[0].name:"],
    [
      "duplicate bucket names",
      {
        buckets: [
          { key: "warehouse", name: "same-name" },
          { key: "other", name: "same-name" },
        ],
      },
      'data-platform:buckets[1].name: duplicate bucket name "same-name"',
    ],
    [
      "duplicate bucket keys",
      {
        buckets: [
          { key: "warehouse", name: "a-bucket" },
          { key: "warehouse", name: "b-bucket" },
        ],
      },
      "data-platform:buckets[1].key: duplicate bucket key",
    ],
    [
      "negative days",
      { buckets: [{ key: "warehouse", name: "wh-dev", noncurrentVersionDays: -1 }] },
      "data-platform:buckets[0].noncurrentVersionDays: must be a positive number of days (at most 2147483647), got -1",
    ],
    [
      "fractional days",
      { buckets: [{ key: "warehouse", name: "wh-dev", abortIncompleteMultipartDays: 1.5 }] },
      "data-platform:buckets[0].abortIncompleteMultipartDays:",
    ],
    [
      "unknown app referenced by a bucket",
      { buckets: [{ key: "warehouse", name: "wh-dev", readWrite: ["nessie", "flink"] }] },
      'data-platform:buckets[0].readWrite[1]: unknown app "flink"',
    ],
    [
      "unknown bucket field",
      { buckets: [{ key: "warehouse", name: "wh-dev", versoning: true }] },
      "data-platform:buckets[0]: unknown field versoning (did you mean versioning?)",
    ],
    ["bad S3 endpoint URL", { rgwEndpoint: "rgw.example.com" }, 'data-platform:rgwEndpoint: "rgw.example.com" is not an http(s) URL'],
    ["bad Connect URL", { onepasswordConnectUrl: "ftp://op" }, "data-platform:onepasswordConnectUrl:"],
    ["Connect mode without a URL", { onepasswordConnectUrl: "" }, "data-platform:onepasswordConnectUrl: is required when onepasswordMode is connect"],
    ["unknown 1Password mode", { onepasswordMode: "cli" }, 'data-platform:onepasswordMode: must be connect or serviceAccount, got "cli"'],
    [
      "SSH git URL in scp form",
      { fluxGitUrl: "git@github.com:example/platform.git" },
      'data-platform:fluxGitUrl: "git@github.com:example/platform.git" is an scp-style SSH address, which Flux does not accept: write it as ssh://git@github.com/example/platform.git',
    ],
    [
      "git URL with another scheme",
      { fluxGitUrl: "ftp://example.com/repo.git" },
      'data-platform:fluxGitUrl: "ftp://example.com/repo.git" is not an ssh:// or https:// Git URL',
    ],
    ["auth mode that does not match the URL", { fluxGitAuth: "https" }, "data-platform:fluxGitAuth: is https but fluxGitUrl is an ssh URL"],
    ["ssh auth without known_hosts", { fluxKnownHosts: "" }, "data-platform:fluxKnownHosts: is required with ssh auth"],
    [
      "Git server on another port, known_hosts line without [host]:port (Flux: knownhosts: key is unknown)",
      { fluxGitUrl: "ssh://git@github.com:2222/example/platform.git" },
      "data-platform:fluxKnownHosts: line 1 is for github.com on port 22, but fluxGitUrl uses port 2222: Flux looks the server up as [github.com]:2222",
    ],
    [
      "known_hosts line that is not one",
      { fluxKnownHosts: "github.com AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl" },
      'data-platform:fluxKnownHosts: line 1: expected "<hosts> <key type> <base64 key>"',
    ],
    ["Flux ready timeout that is not a duration", { fluxReadyTimeout: "5" }, 'data-platform:fluxReadyTimeout: "5" is not a Go duration'],
    ["bad Flux interval", { fluxGitInterval: "5 minutes" }, 'data-platform:fluxGitInterval: "5 minutes" is not a Go duration'],
    [
      "unknown kustomization in dependsOn",
      { fluxKustomizations: [{ name: "a", path: "./a", dependsOn: ["b"] }] },
      'data-platform:fluxKustomizations[0].dependsOn[0]: unknown Kustomization "b"',
    ],
    [
      "dependsOn cycle",
      {
        fluxKustomizations: [
          { name: "a", path: "./a", dependsOn: ["c"] },
          { name: "b", path: "./b", dependsOn: ["a"] },
          { name: "c", path: "./c", dependsOn: ["b"] },
        ],
      },
      "data-platform:fluxKustomizations: dependsOn cycle a -> c -> b -> a",
    ],
    [
      "kustomization depending on itself",
      { fluxKustomizations: [{ name: "a", path: "./a", dependsOn: ["a"] }] },
      "data-platform:fluxKustomizations[0].dependsOn[0]: a Kustomization cannot depend on itself",
    ],
    [
      "kustomization path not starting with ./",
      { fluxKustomizations: [{ name: "a", path: "apps/a" }] },
      'data-platform:fluxKustomizations[0].path: "apps/a" is not a repository path starting with ./',
    ],
    [
      "duplicate kustomization",
      {
        fluxKustomizations: [
          { name: "a", path: "./a" },
          { name: "a", path: "./b" },
        ],
      },
      'data-platform:fluxKustomizations[1].name: duplicate Kustomization "a"',
    ],
    ["bad image registry", { imageRegistry: "https://registry.example.com" }, "data-platform:imageRegistry:"],
    ["bad platform", { imagePlatform: "windows/amd64" }, 'data-platform:imagePlatform: must be linux/amd64 or linux/arm64, got "windows/amd64"'],
    ["registry user without password", { imageRegistryUsername: "ci" }, "data-platform:imageRegistryPassword: is required when imageRegistryUsername is set"],
    ["unknown key", { rgwEndpiont: "http://x" }, "data-platform:rgwEndpiont: unknown key"],
    [
      "duplicate credential titles",
      {
        credentials: [
          { title: "a", kind: "password" },
          { title: "a", kind: "password" },
        ],
      },
      'data-platform:credentials[1].title: duplicate item title "a"',
    ],
    [
      "s3 credential with an unknown app",
      { s3Apps: [], credentials: [{ title: "x", kind: "s3", app: "flink", bucket: "warehouse" }] },
      'data-platform:credentials[0].app: unknown app "flink"',
    ],
    [
      "s3 credential with an unknown bucket",
      { credentials: [{ title: "x", kind: "s3", app: "spark", bucket: "lake" }] },
      'data-platform:credentials[0].bucket: unknown bucket key "lake"',
    ],
    [
      "database credential without a username",
      { credentials: [{ title: "db", kind: "database", hostname: "h", database: "d" }] },
      "data-platform:credentials[0].username: is required for kind database",
    ],
    [
      "password shorter than 16",
      { credentials: [{ title: "p", kind: "password", password: { length: 8 } }] },
      "data-platform:credentials[0].password.length: must be between 16 and 128",
    ],
    ["key rotation for an unknown app", { s3KeyRotation: { flink: "2" } }, 'data-platform:s3KeyRotation.flink: unknown app "flink"'],
    ["key rotation keyed __proto__", { s3KeyRotation: '{"__proto__": "2"}' }, 'data-platform:s3KeyRotation.__proto__: unknown app "__proto__"'],
    ["key rotation keyed constructor", { s3KeyRotation: { constructor: "2" } }, 'data-platform:s3KeyRotation.constructor: unknown app "constructor"'],
    [
      "key rotation for a misspelt app",
      { s3KeyRotation: { trin: 2 } },
      'data-platform:s3KeyRotation.trin: unknown app "trin" (s3Apps is ["nessie","spark","trino"]) (did you mean trino?)',
    ],
    [
      "key rotation keyed __proto__ while s3Apps is invalid",
      { s3Apps: "nessie", s3KeyRotation: '{"__proto__": "2"}' },
      'data-platform:s3KeyRotation.__proto__: "__proto__" is not an app name',
    ],
    [
      "key rotation that is neither string nor number",
      { s3KeyRotation: { trino: true } },
      "data-platform:s3KeyRotation.trino: must be a string or a number (any value; changing it rotates), got true",
    ],
    ["invalid JSON for an object key", { buckets: "[{not json" }, 'data-platform:buckets: must be a list, got "[{not json"'],
    [
      "credentials in an endpoint URL",
      { rgwEndpoint: "http://admin:pw@rgw:7480" },
      'data-platform:rgwEndpoint: "http://***@rgw:7480" must not contain credentials',
    ],
    [
      "a token in the Git URL",
      { fluxGitUrl: "https://x:ghp_token@github.com/o/r.git", fluxGitAuth: "https" },
      'data-platform:fluxGitUrl: "https://***@github.com/o/r.git" must not contain credentials (they would be stored in plaintext): put the token in fluxGitToken',
    ],
    [
      "item title that is no Kubernetes name",
      { credentials: [{ title: "Nessie_PG", kind: "password" }] },
      'data-platform:credentials[0].title: "Nessie_PG" is not a valid item title',
    ],
    [
      "reserved item title",
      { credentials: [{ title: "flux-deploy-key", kind: "password" }] },
      'data-platform:credentials[0].title: "flux-deploy-key" is reserved',
    ],
    [
      "database credential without a port",
      { credentials: [{ title: "db", kind: "database", username: "u", hostname: "h", database: "d" }] },
      "data-platform:credentials[0].port: is required for kind database",
    ],
    [
      "login credential without a username",
      { credentials: [{ title: "l", kind: "login" }] },
      "data-platform:credentials[0].username: is required for kind login",
    ],
    [
      "rotation on an s3 credential",
      { credentials: [{ title: "x", kind: "s3", app: "spark", bucket: "warehouse", rotation: "2" }] },
      "data-platform:credentials[0].rotation: does not apply to kind s3 (rotate an app's S3 keys with s3KeyRotation)",
    ],
    [
      "hostname on a password credential",
      { credentials: [{ title: "p", kind: "password", hostname: "h" }] },
      "data-platform:credentials[0].hostname: does not apply to kind password",
    ],
    [
      "password policy without a character class",
      { credentials: [{ title: "p", kind: "password", password: { upper: false, lower: false, numeric: false } }] },
      "data-platform:credentials[0].password: enables no character class",
    ],
    [
      "a previous key that is a current key",
      {
        buckets: [
          { key: "warehouse", name: "wh-dev" },
          { key: "lake", name: "lake-dev", previousKeys: ["warehouse"] },
        ],
      },
      'data-platform:buckets[1].previousKeys[0]: "warehouse" is the name of a current entry',
    ],
    [
      "the same previous title on two entries",
      {
        credentials: [
          { title: "a", kind: "password", previousTitles: ["old"] },
          { title: "b", kind: "password", previousTitles: ["old"] },
        ],
      },
      'data-platform:credentials[1].previousTitles[0]: "old" is also listed by credentials[0]',
    ],
    // One line per wrong-typed scalar, with a hint where the mistake is a common one.
    ["a list written as text", { s3Apps: "nessie, spark" }, 'data-platform:s3Apps: must be a list, got "nessie, spark" (write a YAML list: [a, b])'],
    ["an empty environment (YAML null)", { environment: "" }, "data-platform:environment: is required, got an empty value"],
    [
      "a quoted number",
      { buckets: [{ key: "warehouse", name: "wh-dev", noncurrentVersionDays: "90" }] },
      'data-platform:buckets[0].noncurrentVersionDays: must be a positive number of days (at most 2147483647), got "90" (a quoted string: write it without quotes)',
    ],
    [
      "a quoted boolean",
      { buckets: [{ key: "warehouse", name: "wh-dev", versioning: "false" }] },
      'data-platform:buckets[0].versioning: must be true or false, got "false" (a quoted string',
    ],
    // Names close to a known one are suggested.
    ["a misspelt key", { fluxGitBrnch: "main" }, "data-platform:fluxGitBrnch: unknown key (did you mean fluxGitBranch?)"],
    [
      "a field in the wrong case",
      { buckets: [{ key: "warehouse", name: "wh-dev", readwrite: ["spark"] }] },
      "data-platform:buckets[0]: unknown field readwrite (did you mean readWrite?)",
    ],
    [
      "a misspelt app",
      { buckets: [{ key: "warehouse", name: "wh-dev", readWrite: ["sprak"] }] },
      'data-platform:buckets[0].readWrite[0]: unknown app "sprak" (s3Apps is ["nessie","spark","trino"]) (did you mean spark?)',
    ],
    [
      "a misspelt bucket key",
      { credentials: [{ title: "x", kind: "s3", app: "nessie", bucket: "warehose" }] },
      'data-platform:credentials[0].bucket: unknown bucket key "warehose" (buckets are ["warehouse","nessie-backup"]) (did you mean warehouse?)',
    ],
    // Endpoints and URLs: no credentials, no path on an endpoint, no surrounding spaces.
    [
      "a token as the Git URL's user",
      { fluxGitUrl: "https://ghp_abc@github.com/org/repo.git", fluxGitAuth: "https" },
      'data-platform:fluxGitUrl: "https://***@github.com/org/repo.git" must not contain credentials (they would be stored in plaintext): put the token in fluxGitToken',
    ],
    [
      "an endpoint with a path",
      { rgwEndpoint: "https://rgw.example.com/warehouse" },
      'data-platform:rgwEndpoint: "https://rgw.example.com/warehouse" must not have a path ("/warehouse")',
    ],
    ["an endpoint with spaces", { rgwEndpoint: " https://rgw.example.com " }, 'data-platform:rgwEndpoint: " https://rgw.example.com " contains whitespace'],
    [
      "an endpoint with a query",
      { rgwInClusterEndpoint: "http://rgw?secret=s3cr3t" },
      'data-platform:rgwInClusterEndpoint: "http://rgw?***" must not have a query or fragment',
    ],
    ["a Connect URL with a path", { onepasswordConnectUrl: "https://op.example.com/connect" }, "data-platform:onepasswordConnectUrl:"],
    [
      "an endpoint with another scheme and credentials",
      { rgwEndpoint: "ftp://user:pass@rgw.example.com" },
      'data-platform:rgwEndpoint: "ftp://***@rgw.example.com" is not an http(s) URL',
    ],
    [
      "an scp-style Git address with a token user",
      { fluxGitUrl: "ghp_tok@github.com:org/repo.git" },
      'data-platform:fluxGitUrl: "***@github.com:org/repo.git" is an scp-style SSH address, which Flux does not accept: write it as ssh://***@github.com/org/repo.git',
    ],
    // Names RGW refuses and numbers it reads as int32.
    [
      "a bucket name with a hyphen before a dot",
      { buckets: [{ key: "warehouse", name: "data-.lake" }] },
      'data-platform:buckets[0].name: "data-.lake" is not a valid S3 bucket name: must not have a hyphen next to a dot',
    ],
    [
      "a bucket name with a hyphen after a dot",
      { buckets: [{ key: "warehouse", name: "data.-lake" }] },
      'data-platform:buckets[0].name: "data.-lake" is not a valid S3 bucket name: must not have a hyphen next to a dot',
    ],
    [
      "lifecycle days beyond int32",
      { buckets: [{ key: "warehouse", name: "wh-dev", noncurrentVersionDays: 2147483648 }] },
      "data-platform:buckets[0].noncurrentVersionDays: must be a positive number of days (at most 2147483647), got 2147483648",
    ],
    [
      "multipart days beyond int32",
      { buckets: [{ key: "warehouse", name: "wh-dev", abortIncompleteMultipartDays: 4294967297 }] },
      "data-platform:buckets[0].abortIncompleteMultipartDays: must be a positive number of days (at most 2147483647)",
    ],
    // Different names that render as one Flux variable, and Secrets with two owners.
    [
      "bucket keys that become one Flux variable",
      {
        buckets: [
          { key: "a-b", name: "bucket-one", readWrite: ["nessie"] },
          { key: "a--b", name: "bucket-two" },
        ],
        credentials: [{ title: "s3", kind: "s3", app: "nessie", bucket: "a-b" }],
        s3Apps: ["nessie"],
      },
      'data-platform:buckets[1].key: "a--b" and buckets[0].key "a-b" both become the Flux variable S3_BUCKET_A_B',
    ],
    [
      "credential titles that become one Flux variable",
      {
        credentials: [
          { title: "x-y", kind: "password" },
          { title: "x--y", kind: "password" },
        ],
        s3Apps: [],
      },
      'data-platform:credentials[1].title: "x--y" and credentials[0].title "x-y" both become the Flux variable OP_ITEM_X_Y',
    ],
    [
      "the token Secret named like the Git auth Secret",
      { onepasswordTokenSecretName: "data-platform-git-auth", externalSecretsNamespace: "flux-system" },
      'data-platform:onepasswordTokenSecretName: "data-platform-git-auth" is also the name of Flux\'s Git auth Secret',
    ],
    [
      "a credential named like the token Secret in the same namespace",
      { credentials: [{ title: "onepassword-token", kind: "password" }], s3Apps: [], externalSecretsNamespace: "data-platform" },
      'data-platform:credentials[0].title: "onepassword-token" is also the name of the 1Password bootstrap token Secret',
    ],
    // Git and Flux rules.
    ["a branch that climbs", { fluxGitBranch: "../../x" }, 'data-platform:fluxGitBranch: "../../x" is not a valid Git branch name: must not contain ..'],
    ["a branch ending in .lock", { fluxGitBranch: "release.lock" }, "data-platform:fluxGitBranch:"],
    [
      "a Kustomization path that climbs",
      { fluxKustomizations: [{ name: "a", path: "./../../.." }] },
      'data-platform:fluxKustomizations[0].path: "./../../.." must not contain .. segments',
    ],
    ["a zero Git interval", { fluxGitInterval: "0s" }, 'data-platform:fluxGitInterval: "0s" is zero: Flux needs a positive interval'],
    [
      "a zero Kustomization interval",
      { fluxKustomizations: [{ name: "a", path: "./a", interval: "0m0s" }] },
      'data-platform:fluxKustomizations[0].interval: "0m0s" is zero',
    ],
    [
      "a dependsOn that is no Kubernetes name",
      {
        fluxKustomizations: [
          { name: "a", path: "./a" },
          { name: "b", path: "./b", dependsOn: ["A_1"] },
        ],
      },
      'data-platform:fluxKustomizations[1].dependsOn[0]: "A_1" is not a valid Kubernetes name',
    ],
    // Every app's keys reach 1Password.
    [
      "an app whose S3 keys no credential holds",
      { credentials: [{ title: "spark-s3-credentials", remove: true }] },
      'data-platform:s3Apps[1]: app "spark" gets S3 keys, but no s3 credential puts them in 1Password: add {title: spark-s3-credentials, kind: s3, app: spark, bucket: warehouse} to data-platform:credentials',
    ],
  ];

  it("says a value that breaks several rules once (1e21: not a safe integer and over the limit)", () => {
    expect(errors({ buckets: [{ key: "warehouse", name: "wh-dev", noncurrentVersionDays: 1e21 }] })).toEqual([
      "data-platform:buckets[0].noncurrentVersionDays: must be a positive number of days (at most 2147483647), got 1e+21",
    ]);
  });

  it.each(cases)("%s", (_name, overrides, expected) => {
    const found = errors(overrides);
    expect(found.some((e) => e.startsWith(expected))).toBe(true);
    if (!found.some((e) => e.startsWith(expected))) throw new Error(found.join("\n"));
  });

  it("requires every secret, and only as a secret", () => {
    expect(errors({}, new Set())).toEqual([
      "data-platform:onepasswordToken: is required: pulumi config set --secret onepasswordToken ...",
      "data-platform:rgwAdminAccessKey: is required: pulumi config set --secret rgwAdminAccessKey ...",
      "data-platform:rgwAdminSecretKey: is required: pulumi config set --secret rgwAdminSecretKey ...",
    ]);
    expect(errors({}, REQUIRED_SECRETS, new Set(["onepasswordToken"]))).toEqual([
      "data-platform:onepasswordToken: must be set as a secret: pulumi config set --secret onepasswordToken ...",
    ]);
  });

  it("lists every problem at once, not just the first", () => {
    const found = errors({
      environment: "PROD",
      rgwEndpoint: "nope",
      buckets: [
        { key: "warehouse", name: "Bad_Name", readWrite: ["flink"] },
        { key: "b", name: "ok-bucket", readWrite: ["hive"] },
      ],
      fluxGitUrl: "git@github.com:x/y.git",
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^data-platform:environment:/),
        expect.stringMatching(/^data-platform:rgwEndpoint:/),
        expect.stringMatching(/^data-platform:buckets\[0\]\.name:/),
        expect.stringMatching(/^data-platform:buckets\[1\]\.readWrite\[0\]: unknown app "hive"/),
        expect.stringMatching(/^data-platform:fluxGitUrl:/),
      ]),
    );
  });
});

describe("each problem once, every problem in one pass", () => {
  it.each([
    ["imagePush", "yes please", 'data-platform:imagePush: must be true or false, got "yes please"'],
    ["fluxInstall", "True", 'data-platform:fluxInstall: must be true or false, got "True"'],
    ["s3Apps", "nessie, spark", 'data-platform:s3Apps: must be a list, got "nessie, spark" (write a YAML list: [a, b])'],
  ])("a wrong-typed %s gives one line", (key, value, expected) => {
    expect(errors({ [key]: value }).filter((e) => e.startsWith(`data-platform:${key}`))).toEqual([expected]);
  });

  it("checks references of an entry that also has a field error", () => {
    const found = errors({
      buckets: [
        { key: "warehouse", name: "Bad_Name", readWrite: ["nessie", "sprak"] },
        { key: "nessie-backup", name: "nessie-backup-dev" },
      ],
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^data-platform:buckets\[0\]\.name: "Bad_Name" is not a valid S3 bucket name/),
        expect.stringMatching(/^data-platform:buckets\[0\]\.readWrite\[1\]: unknown app "sprak" .*did you mean spark\?/),
      ]),
    );
    const credential = errors({ credentials: [{ title: "nessie-s3", kind: "s3", app: "nesie", bucket: "lake", rotation: "2" }] });
    expect(credential).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^data-platform:credentials\[0\]\.rotation: does not apply to kind s3/),
        expect.stringMatching(/^data-platform:credentials\[0\]\.app: unknown app "nesie" .*did you mean nessie\?/),
        expect.stringMatching(/^data-platform:credentials\[0\]\.bucket: unknown bucket key "lake"/),
      ]),
    );
  });

  it("accepts the largest lifecycle days RGW reads (int32)", () => {
    expect(
      ok({
        buckets: [
          {
            key: "warehouse",
            name: "wh-dev",
            noncurrentVersionDays: 2147483647,
            abortIncompleteMultipartDays: 2147483647,
            readWrite: ["nessie", "spark"],
            read: ["trino"],
          },
        ],
      }).buckets[0].noncurrentVersionDays,
    ).toBe(2147483647);
  });

  it("warns about keys in another project's namespace, not about provider keys", () => {
    expect(
      foreignKeyWarnings([
        "dataplatform:fluxGitBranch",
        "aws:region",
        "kubernetes:context",
        "data-platform:environment",
        "other:fluxGitUrl",
        "data_platform:fluxGitBrnch",
      ]),
    ).toEqual([
      "dataplatform:fluxGitBranch is ignored: it is not in this project's namespace data-platform (did you mean data-platform:fluxGitBranch?)",
      "other:fluxGitUrl is ignored: it is not in this project's namespace data-platform (did you mean data-platform:fluxGitUrl?)",
      "data_platform:fluxGitBrnch is ignored: it is not in this project's namespace data-platform (did you mean data-platform:fluxGitBranch?)",
    ]);
  });
});

describe("no credential in any message", () => {
  const CANARY = "CANARYt0k3nQ9";
  const leaky: [string, Record<string, unknown>][] = [
    ["token as the https user", { fluxGitUrl: `https://${CANARY}@github.com/org/repo.git`, fluxGitAuth: "https" }],
    ["password in an ssh URL", { fluxGitUrl: `ssh://git:${CANARY}@github.com/org/repo.git` }],
    ["scp form with a token user", { fluxGitUrl: `${CANARY}@github.com:org/repo.git` }],
    ["another scheme with userinfo", { fluxGitUrl: `ftp://user:${CANARY}@example.com/repo.git` }],
    ["an endpoint with another scheme", { rgwEndpoint: `ftp://user:${CANARY}@rgw.example.com` }],
    ["an unparsable endpoint with userinfo", { rgwEndpoint: `http://us er:${CANARY}@rgw.example.com` }],
    ["an unparsable endpoint, password with a slash", { onepasswordConnectUrl: `https://user:a/${CANARY}@op.example.com` }],
    ["an endpoint with a secret query", { rgwInClusterEndpoint: `http://rgw.example.com?secret=${CANARY}` }],
    ["an endpoint with a path and a query", { rgwEndpoint: `https://rgw.example.com/x?sig=${CANARY}` }],
    ["a URL with a fragment", { imageSourceUrl: `https://github.com/org/repo#${CANARY}` }],
    ["a credential URL with userinfo", { credentials: [{ title: "l", kind: "login", username: "u", url: `https://${CANARY}@app.example.com` }] }],
    ["a list of URLs where a list of apps belongs", { s3Apps: [`https://${CANARY}@x`] }],
    ["a non-JSON list", { buckets: `https://u:${CANARY}@x` }],
  ];

  it.each(leaky)("%s: refused, value redacted", (_name, overrides) => {
    const found = errors(overrides);
    expect(found.length).toBeGreaterThan(0);
    for (const message of found) expect(message).not.toContain(CANARY);
  });

  it("redacts userinfo, query and fragment, keeping the SSH user git", () => {
    expect(redact(`https://x:${CANARY}@host/p?q=1#f`)).toBe("https://***@host/p?***");
    expect(redact("ssh://git@github.com/org/repo.git")).toBe("ssh://git@github.com/org/repo.git");
    expect(redact(`${CANARY}@github.com:org/repo`)).toBe("***@github.com:org/repo");
    expect(redact("plain-name")).toBe("plain-name");
  });

  it("the offline render prints no credential and writes nothing for an invalid stack", () => {
    const dir = mkdtempSync(join(tmpdir(), "config-canary-"));
    const out = join(dir, "out");
    try {
      copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      writeFileSync(
        join(dir, "Pulumi.leak.yaml"),
        [
          "config:",
          "  data-platform:environment: leak",
          `  data-platform:rgwEndpoint: "ftp://admin:${CANARY}@rgw.example.com"`,
          `  data-platform:rgwInClusterEndpoint: "http://rgw.example.com/?secret=${CANARY}"`,
          `  data-platform:onepasswordConnectUrl: "https://op.example.com#${CANARY}"`,
          "  data-platform:imageRegistry: registry.example.com",
          `  data-platform:fluxGitUrl: "https://${CANARY}@github.com/org/repo.git"`,
          "  data-platform:fluxGitAuth: https",
          `  dataplatform:fluxGitBranch: "https://${CANARY}@x"`,
          "",
        ].join("\n"),
      );
      const result = spawnSync(
        process.execPath,
        [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "scripts", "render.ts"), "--stacks-from", dir, "--stack", "leak", "--out", out],
        {
          encoding: "utf8",
          timeout: 120_000,
        },
      );
      const printed = `${result.stdout}${result.stderr}`;
      expect(result.status).toBe(1);
      expect(printed).toContain("data-platform:fluxGitUrl:");
      expect(printed).toContain("data-platform:rgwEndpoint:");
      expect(printed).not.toContain(CANARY);
      expect(printed).toContain("dataplatform:fluxGitBranch is ignored");
      const written = existsSync(out) ? readdirSync(out, { recursive: true, encoding: "utf8" }) : [];
      for (const file of written) {
        const path = join(out, file);
        if (statSync(path).isFile()) expect(readFileSync(path, "utf8")).not.toContain(CANARY);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("stack files are read as the Pulumi CLI reads them", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "stack-files-"));
    copyFileSync(join(root, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("passes an empty value as an empty string, which is refused for a required key", () => {
    writeFileSync(join(dir, "Pulumi.x.yaml"), "config:\n  data-platform:environment:\n");
    const { config } = readStackConfig(dir, "x");
    expect(config["data-platform:environment"]).toBe("");
    expect(errors({ environment: config["data-platform:environment"] })).toContain("data-platform:environment: is required, got an empty value");
  });

  it("names the file of a YAML syntax error", () => {
    writeFileSync(join(dir, "Pulumi.x.yaml"), "config:\n  data-platform:environment: [dev\n");
    expect(() => readStackConfig(dir, "x")).toThrow(`${join(dir, "Pulumi.x.yaml")}: `);
  });

  it("warns about a key in another project's namespace", () => {
    writeFileSync(join(dir, "Pulumi.x.yaml"), "config:\n  data-platform:environment: x\n  dataplatform:fluxGitBranch: dev\n  aws:region: us-east-1\n");
    expect(readStackConfig(dir, "x").warnings).toEqual([
      `${join(dir, "Pulumi.x.yaml")}: dataplatform:fluxGitBranch is ignored: it is not in this project's namespace data-platform (did you mean data-platform:fluxGitBranch?)`,
    ]);
  });
});

describe("config is documented where users look", () => {
  it("Pulumi.yaml declares exactly the keys CONFIG_KEYS can declare", () => {
    const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string; config: unknown };
    expect(project.name).toBe("data-platform");
    expect(project.config).toEqual(projectConfigBlock());
  });

  it("Pulumi.yaml only uses types Pulumi's project schema allows", () => {
    for (const declaration of Object.values(projectConfigBlock())) {
      expect(["string", "integer", "boolean", "array"]).toContain(declaration.type);
      if (declaration.type === "array") expect(declaration.items).toEqual({ type: "string" });
    }
  });

  it("the docs' generated tables (config keys, Flux variables) are up to date (npm run docs:config)", () => {
    for (const section of GENERATED_SECTIONS) expect(sectionText(readFileSync(join(root, section.file), "utf8"), section)).toBe(section.render());
    for (const key of Object.keys(CONFIG_KEYS)) expect(configReferenceTable()).toContain(`data-platform:${key}`);
  });

  it("docs:config changes nothing when the docs are current, and rewrites only a stale section", () => {
    const read = (file: string) => readFileSync(join(root, file), "utf8");
    const identity = (text: string) => text;
    expect(
      generatedDocs(read, identity)
        .filter((f) => f.next !== f.current)
        .map((f) => f.file),
    ).toEqual([]);
    const stale = (file: string) => (file === "docs/flux.md" ? read(file).replace("| `S3_REGION` |", "| `S3_REGION_OLD` |") : read(file));
    const changed = generatedDocs(stale, identity).filter((f) => f.next !== f.current);
    expect(changed.map((f) => f.file)).toEqual(["docs/flux.md"]);
    expect(changed[0].next).toBe(read("docs/flux.md"));
  });

  it("stack files hold no plaintext secret", () => {
    // Secret keys set in a stack file, as written there; every one must be `{ secure: ... }`.
    const secretKeys = Object.entries(CONFIG_KEYS)
      .filter(([, spec]) => "secret" in spec && spec.secret)
      .map(([key]) => key);
    const plaintextIn = (config: Record<string, unknown>) =>
      secretKeys.filter((key) => {
        const value = config[`data-platform:${key}`];
        if (value === undefined) return false;
        const secure =
          typeof value === "object" && value !== null && Object.keys(value).join() === "secure" && typeof (value as { secure: unknown }).secure === "string";
        return !secure;
      });
    expect(secretKeys).toContain("rgwAdminSecretKey");
    expect(plaintextIn({ "data-platform:rgwAdminSecretKey": "plain", "data-platform:onepasswordToken": { secure: "v1:abc" } })).toEqual(["rgwAdminSecretKey"]);
    const stacks = listStacks(root);
    expect(stacks).toEqual(expect.arrayContaining(["dev", "prod"]));
    const found = stacks.flatMap((stack) => {
      const doc = parse(readFileSync(join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
      return plaintextIn(doc.config).map((key) => `Pulumi.${stack}.yaml: ${key}`);
    });
    expect(found).toEqual([]);
  });
});

it("says for every optional secret, and only for those, when it is needed", () => {
  const optional = Object.entries(CONFIG_KEYS)
    .filter(([, spec]) => "optionalSecret" in spec && spec.optionalSecret)
    .map(([key]) => key);
  expect(Object.keys(OPTIONAL_SECRET_NEEDS).sort()).toEqual(optional.sort());
});
