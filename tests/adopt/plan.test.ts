// The adoption plan on a hand-built platform: its lines and the adopt block, from observations and, end to
// end through verify's real clients, from loopback stand-ins of RGW and 1Password Connect that record every
// request and refuse any method but GET and HEAD (the plan must write nothing). The Kubernetes client runs
// against its stand-in in tests/integration/adoption (the CLI, as a subprocess).
import { parse } from "yaml";
import { type PlatformConfig, parsePlatformConfig } from "../../config";
import { adoptYaml, formatLine, formatPlan, parseAdoptArgs, planExitCode } from "../../adoption/cli";
import { observeKubernetesForPlan, observeOnePasswordForPlan, observeRgwForPlan } from "../../adoption/observe";
import { type ObservedRgwForPlan, type PlanInput, plan } from "../../adoption/plan";
import { type AdoptConfig, emptyAdopt } from "../../config/adopt";
import { createRgwAdminClient, parseBucketInfo } from "../../providers/rgwAdmin";
import { rgwS3Client } from "../../providers/s3Client";
import { createConnectClient } from "../../verify/onepassword";
import { connectId, fullItem, startFakeConnect } from "../lib/fakes/connect";
import type { KubeObject } from "../../verify/kubernetes";
import { type FakeObject, type FakeRgwState, startFakeRgw } from "./lib/readOnlyFakes";

const ADMIN_KEY = "AKADMIN0000000000001";
const ICEBERG_KEY = "AKICEBERG00000000001";

function config(raw: Record<string, string> = {}): PlatformConfig {
  const result = parsePlatformConfig(
    {
      environment: "dev",
      rgwEndpoint: "https://rgw.example.com",
      onepasswordVault: "data-platform-dev",
      onepasswordConnectUrl: "https://op.example.com",
      imageRegistry: "registry.example.com",
      fluxGitUrl: "ssh://git@github.com/example/gitops.git",
      fluxKnownHosts: "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
      buckets: JSON.stringify([
        { key: "warehouse", name: "iceberg-test", readWrite: ["nessie", "spark"], read: ["trino"] },
        { key: "nessie-backup", name: "nessie-backup-dev", readWrite: ["nessie"] },
      ]),
      ...raw,
    },
    { present: new Set(["onepasswordToken", "rgwAdminAccessKey", "rgwAdminSecretKey"]) },
  );
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config;
}

const dev = config();
const adoptNessieUser: AdoptConfig = { ...emptyAdopt(), users: { nessie: { uid: "iceberg", accessKey: ICEBERG_KEY } } };

/** The hand-built RGW: the warehouse bucket owned by the user whose keys the stack uses (the default route). */
const handBuiltRgw = (): FakeRgwState => ({
  users: {
    admin: { keys: [{ accessKey: ADMIN_KEY, secretKey: "admin-secret" }] },
    iceberg: { keys: [{ accessKey: ICEBERG_KEY, secretKey: "iceberg-secret" }] },
    "data-platform-dev-spark": { keys: [{ accessKey: "AKSPARK0000000000001", secretKey: "spark-secret" }] },
  },
  buckets: {
    "iceberg-test": {
      owner: "admin",
      objects: 3,
      size: 1536,
      lifecycleRules: ["<Rule><ID>hand-made-expire-tmp</ID><Prefix>tmp/</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"],
    },
  },
});

const fluxLabels = { "kustomize.toolkit.fluxcd.io/name": "apps", "kustomize.toolkit.fluxcd.io/namespace": "flux-system" };
const kustomization = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>): FakeObject => ({
  apiVersion: "kustomize.toolkit.fluxcd.io/v1",
  kind: "Kustomization",
  metadata: { name, namespace: "flux-system", ...(labels && { labels }) },
  spec: { interval: "10m", sourceRef: { kind: "GitRepository", name: "data-platform" }, ...spec },
});
const handBuiltCluster = (): FakeObject[] => [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "external-secrets" } },
  kustomization("nessie", { path: "./kubernetes/apps/nessie", prune: true }, fluxLabels),
  kustomization("data-platform", { path: "./clusters/dev", prune: true }),
  kustomization("spark-operator", { path: "./kubernetes/apps/data-platform/spark-operator", prune: true }),
  { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "kustomizations.kustomize.toolkit.fluxcd.io" } },
];

describe("plan against read-only stand-ins, through verify's clients", () => {
  let lines: string[];
  let block: AdoptConfig;
  const writes: string[] = [];
  const seen: string[] = [];

  beforeAll(async () => {
    const cluster = handBuiltCluster();
    const rgw = await startFakeRgw(handBuiltRgw());
    const connect = await startFakeConnect("data-platform-dev", (vault) => [
      fullItem(vault, {
        title: "nessie-postgres",
        category: "DATABASE",
        builtin: { username: "nessie", password: "hand-typed-pw", hostname: "postgres.old.svc", port: "5432", database: "nessie" },
      }),
      fullItem(vault, { title: "nessie-s3-credentials", category: "LOGIN", builtin: { username: ICEBERG_KEY, password: "iceberg-secret" } }),
      fullItem(vault, { title: "nessie-s3-credentials", category: "LOGIN", builtin: { username: "other", password: "other" } }),
      fullItem(vault, { title: "spark-s3-credentials", category: "PASSWORD", builtin: { password: "x" } }),
    ]);
    const c = config({ rgwEndpoint: rgw.url });
    const connection = { endpoint: rgw.url, region: "us-east-1", accessKey: ADMIN_KEY, secretKey: "admin-secret" };
    const s3 = rgwS3Client(connection);
    try {
      const input: PlanInput = {
        config: c,
        adopt: adoptNessieUser,
        rgw: await observeRgwForPlan(c, adoptNessieUser, createRgwAdminClient(connection), s3, ADMIN_KEY),
        onepassword: await observeOnePasswordForPlan(c, createConnectClient(connect.url, connect.token)),
        // @kubernetes/client-node is ESM, which jest cannot load: the CLI runs it against the same stand-in in
        // tests/integration/adoption; here the objects are read from memory.
        kubernetes: await observeKubernetesForPlan(c, async (ref) => {
          seen.push(`GET ${ref.kind}/${ref.namespace ?? ""}/${ref.name}`);
          return cluster.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === ref.namespace) as KubeObject | undefined;
        }),
      };
      const result = plan(input);
      lines = result.lines.map(formatLine);
      block = result.adopt;
    } finally {
      s3.destroy();
      writes.push(...rgw.writes(), ...connect.requests.filter((r) => !r.startsWith("GET ")));
      seen.push(...rgw.requests, ...connect.requests);
      await Promise.all([rgw.close(), connect.close()]);
    }
  });

  it("sends only GET and HEAD requests to every system", () => {
    expect(seen.length).toBeGreaterThan(20);
    expect(writes).toEqual([]);
  });

  it("adopts the bucket the stack's keys own, and says what changes: versioning, rules added, hand-made rules kept", () => {
    expect(lines).toContain("ADOPT  bucket warehouse: iceberg-test: owner admin, 3 objects (1.5 KiB), import id iceberg-test; nothing in it is changed");
    expect(lines).toContain("CHANGE bucket warehouse: versioning Disabled -> Enabled (no object removed: existing objects become the null version)");
    expect(lines).toContain(
      "CHANGE bucket warehouse: lifecycle + expire-noncurrent-versions 30d; + abort-incomplete-multipart-uploads 7d; hand-made rules kept: hand-made-expire-tmp",
    );
    expect(lines).toContain("CREATE bucket warehouse: policy (6 statements)");
    expect(lines).toContain("CREATE bucket nessie-backup: nessie-backup-dev (does not exist)");
  });

  it("adopts the named user with its key, refuses a hand-made uid without an adopt entry, creates the rest", () => {
    expect(lines).toContain("ADOPT  rgw user nessie: uid iceberg, keeps key AKIC…01 as its current key (1 key); no key created or removed");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^REFUSE rgw user spark: RGW user data-platform-dev-spark exists \(made by hand\) and adopt.users has no entry for spark: .* — fix: add adopt.users.spark: \{ uid: data-platform-dev-spark, accessKey: <the key the app uses> \}/,
      ),
    );
    expect(lines).toContain("CREATE rgw user trino: data-platform-dev-trino with one new key");
  });

  it("adopts a unique item, refuses duplicate titles and another category, creates missing items", () => {
    expect(lines).toContainEqual(
      expect.stringMatching(/^ADOPT {2}item nessie-postgres: database, import id vaults\/[a-z0-9]{26}\/items\/[a-z0-9]{26}, keeps password$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^CHANGE item nessie-postgres: hostname "postgres.old.svc" -> "nessie-postgres-rw.data-platform.svc"/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^REFUSE item nessie-s3-credentials: 2 items titled nessie-s3-credentials .*expected one 1Password Item matching.* — fix: delete or rename all but/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^REFUSE item spark-s3-credentials: category PASSWORD, the stack writes LOGIN/));
    expect(lines).toContain("CREATE item trino-s3-credentials: in vault data-platform-dev");
  });

  it("refuses objects Flux owns and Kustomizations whose path would change; adopts the others", () => {
    expect(lines).toContain("ADOPT  kubernetes Namespace/external-secrets: import id external-secrets");
    expect(lines).toContain("CREATE kubernetes Secret/external-secrets/onepassword-token: (does not exist)");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^REFUSE kubernetes Kustomization\/flux-system\/nessie: owned by Flux Kustomization flux-system\/apps .* — fix: hand it over first/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^REFUSE kubernetes Kustomization\/flux-system\/data-platform: path "\.\/clusters\/dev" -> "\.\/kubernetes\/apps\/data-platform[^"]*": Flux would garbage-collect/,
      ),
    );
    // The stack applies its own spec after the import: the plan lists each field the first up changes.
    const adopted = lines.find((l) => l.startsWith("ADOPT  kubernetes Kustomization/flux-system/spark-operator: "));
    expect(adopted).toMatch(/: import id flux-system\/spark-operator; then up sets spec\.dependsOn: missing \(expected \[\{"name":"data-platform"\}\]\), /);
    expect(adopted).toContain('spec.retryInterval: missing (expected "1m")');
    expect(adopted).toContain("spec.suspend: missing (expected false)");
    expect(adopted).not.toMatch(/spec\.(path|prune|interval|sourceRef)/);
  });

  it("prints the adopt block to paste, which parses back to what was found", () => {
    const yaml = parse(adoptYaml(block)) as {
      config: Record<string, { buckets: unknown; users: unknown; items: Record<string, unknown>; kubernetes: string[] }>;
    };
    const adopt = yaml.config["data-platform:adopt"];
    expect(adopt.buckets).toEqual({ warehouse: { name: "iceberg-test", policy: false, lifecycle: "merge" } });
    expect(adopt.users).toEqual({
      nessie: { uid: "iceberg", accessKey: ICEBERG_KEY },
      spark: { uid: "data-platform-dev-spark", accessKey: "AKSPARK0000000000001" },
    });
    expect(Object.keys(adopt.items)).toEqual(["nessie-postgres"]);
    expect(adopt.kubernetes).toEqual(["Namespace/external-secrets", "Kustomization/flux-system/spark-operator"]);
  });
});

describe("plan lines", () => {
  const rgw = (over: Partial<ObservedRgwForPlan> = {}): ObservedRgwForPlan => ({ stackUid: "admin", buckets: {}, users: {}, ...over });

  it("refuses a bucket another user owns, with the fix, and reads nothing else of it", () => {
    const result = plan({
      config: dev,
      adopt: emptyAdopt(),
      rgw: rgw({ buckets: { "iceberg-test": { owner: "iceberg", ownerIsStack: false, objects: 2, sizeBytes: 10 } } }),
    });
    const line = result.lines.find((l) => l.subject === "bucket warehouse");
    expect(line?.verdict).toBe("REFUSE");
    expect(formatLine(line ?? { verdict: "REFUSE", subject: "", text: "" })).toMatch(
      /owned by RGW user iceberg, not by the stack's S3 identity \(admin\).*403.* — fix: make the owner's keys the stack's/,
    );
    expect(result.adopt.buckets).toEqual({});
    expect(planExitCode(result)).toBe(1);
  });

  it("refuses an adopt entry that contradicts what exists (policy, uid, key)", () => {
    const adopt: AdoptConfig = {
      ...emptyAdopt(),
      buckets: { warehouse: { name: "iceberg-test", policy: true, lifecycle: "merge" } },
      users: { nessie: { uid: "iceberg", accessKey: "AKWRONG" }, trino: { uid: "gone", accessKey: "AK" } },
    };
    const result = plan({
      config: dev,
      adopt,
      rgw: rgw({
        buckets: { "iceberg-test": { owner: "admin", ownerIsStack: true, objects: 0, sizeBytes: 0, lifecycle: [] } },
        users: { iceberg: { suspended: true, accessKeys: [ICEBERG_KEY] }, gone: undefined },
      }),
    });
    const text = result.lines.filter((l) => l.verdict === "REFUSE").map(formatLine);
    expect(text).toContainEqual(expect.stringMatching(/adopt.buckets.warehouse.policy is true, but iceberg-test has no policy/));
    expect(text).toContainEqual(expect.stringMatching(/adopt.users.nessie.accessKey AKWR…NG is not a key of iceberg/));
    expect(text).toContainEqual(expect.stringMatching(/iceberg is suspended: the stack reports it and never un-suspends it/));
    expect(text).toContainEqual(expect.stringMatching(/adopt.users.trino names uid gone, which does not exist/));
  });

  it("with nothing built by hand: every line is CREATE, no adopt block, exit 0", () => {
    const result = plan({
      config: dev,
      adopt: emptyAdopt(),
      rgw: rgw(),
      onepassword: { vault: { id: connectId(), name: "data-platform-dev" }, vaults: ["data-platform-dev"], items: {} },
      kubernetes: { objects: {}, fluxInstalled: false },
    });
    expect(new Set(result.lines.map((l) => l.verdict))).toEqual(new Set(["CREATE"]));
    expect(adoptYaml(result.adopt)).toBe("");
    expect(planExitCode(result)).toBe(0);
    expect(formatPlan("dev", result, [])).toMatch(/^adopt plan for stack dev: read-only \(GET and HEAD requests only\), nothing was written anywhere\n/);
  });

  it("refuses fluxInstall on a cluster where Flux runs", () => {
    const result = plan({ config: config({ fluxInstall: "true" }), adopt: emptyAdopt(), kubernetes: { objects: {}, fluxInstalled: true } });
    expect(result.lines[0]).toMatchObject({ verdict: "REFUSE", subject: "flux install" });
  });
});

describe("adopt arguments", () => {
  it("plan and gate with their flags; --help; usage errors; no credentials as arguments", () => {
    expect(parseAdoptArgs(["plan", "--stack", "dev", "--skip", "kubernetes"])).toEqual({
      ok: true,
      args: { command: "plan", stack: "dev", skip: ["kubernetes"] },
    });
    expect(parseAdoptArgs(["gate", "--stack=dev", "--preview", "p.json"])).toEqual({ ok: true, args: { command: "gate", stack: "dev", preview: "p.json" } });
    expect(parseAdoptArgs(["--help"])).toEqual({ ok: true, args: { command: "help" } });
    expect(parseAdoptArgs(["plan", "--help"])).toEqual({ ok: true, args: { command: "help" } });
    for (const bad of [
      ["plan"],
      ["gate", "--stack", "dev"],
      ["apply", "--stack", "dev"],
      ["plan", "--stack", "dev", "--skip", "s3"],
      ["plan", "--stack", "dev", "--access-key", "x"],
    ]) {
      const parsed = parseAdoptArgs(bad);
      expect(parsed.ok).toBe(false);
    }
  });
});

describe("RGW bucket info (GET /admin/bucket?stats=True)", () => {
  it("names the owner and sums usage over RGW's categories", () => {
    const info = parseBucketInfo("http://rgw", {
      bucket: "iceberg-test",
      owner: "iceberg",
      usage: { "rgw.main": { size: 1000, num_objects: 3 }, "rgw.multimeta": { size: 0, num_objects: 1 } },
    });
    expect(info).toEqual({ bucket: "iceberg-test", owner: "iceberg", objects: 4, sizeBytes: 1000 });
    expect(parseBucketInfo("http://rgw", { bucket: "empty", owner: "admin", usage: {} })).toEqual({
      bucket: "empty",
      owner: "admin",
      objects: 0,
      sizeBytes: 0,
    });
    expect(() => parseBucketInfo("http://rgw", { usage: {} })).toThrow(/bucket info without bucket\/owner/);
  });
});
