// Evaluates the real program under Pulumi's mock engine and records every resource registration as the
// engine would see it: type, name, parent, dependencies, options and inputs (with secrets still marked).
// Used by the offline render and by the whole-graph tests; it needs no CLI, plugin, credential or network.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { unknownValue, specialSigKey, specialSecretSig, specialResourceSig } from "@pulumi/pulumi/runtime/rpc";
import { PROJECT } from "../../config";

/** A value that was a Pulumi secret, kept visible to tests but never printed by the render. */
export interface SecretValue {
  secret: true;
  value: unknown;
}

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  aliases: unknown[];
  /** The `replacementTrigger` resource option, if set. */
  replacementTrigger?: unknown;
  /** The `import` resource option (the ID of an existing resource to adopt), if set. */
  importId?: string;
  /** Inputs with secrets as {@link SecretValue} and resource references as `{ ref: urn }`. */
  inputs: Record<string, unknown>;
}

export interface RecordedInvoke {
  token: string;
  args: Record<string, unknown>;
}

export interface MockRun {
  stack: string;
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
  /** Stack outputs, resolved, with secrets as {@link SecretValue}. */
  outputs: Record<string, unknown>;
  /** What the program logged with pulumi.log.info (preview and up print it; the render prints it too). */
  infos: string[];
}

export interface EvaluateOptions {
  stack: string;
  /** Fully qualified keys (`data-platform:foo`) to the strings Pulumi would pass. */
  config: Record<string, string>;
  secretKeys: string[];
  /** Returns the program's export: a function run like Pulumi's Node.js host runs it. */
  loadProgram: () => unknown;
}

export const isSecretValue = (v: unknown): v is SecretValue =>
  typeof v === "object" && v !== null && (v as SecretValue).secret === true && "value" in v && Object.keys(v).length === 2;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Strip secret wrappers: the value a provider would receive. */
export function reveal(value: unknown): unknown {
  if (isSecretValue(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  return value;
}

/** Replace every secret with a placeholder naming where it sits. */
export function redact(value: unknown, path = ""): unknown {
  if (isSecretValue(value)) return `[secret${path ? `:${path}` : ""}]`;
  if (Array.isArray(value)) return value.map((v, i) => redact(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, path ? `${path}.${k}` : k)]));
  }
  return value;
}

/** Paths of every secret inside a value. */
export function secretPaths(value: unknown, path = ""): string[] {
  if (isSecretValue(value)) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => secretPaths(v, path ? `${path}.${k}` : k));
  return [];
}

/** Wire format (what the monitor receives) to plain JS with secrets and references marked. */
function fromWire(value: unknown): unknown {
  if (value === unknownValue) return "[unknown]";
  if (Array.isArray(value)) return value.map(fromWire);
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (record[specialSigKey] === specialSecretSig) return { secret: true, value: fromWire(record.value) };
    if (record[specialSigKey] === specialResourceSig) return { ref: record.urn };
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fromWire(v)]));
  }
  return value;
}

/** Outputs the real providers would compute, made deterministic from the resource's name and inputs. */
function computedState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const plain = reveal(fromWire(inputs)) as Record<string, unknown>;
  const digest = sha256(`${type}:${name}:${JSON.stringify(plain)}`);
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { result: `mock-password-${sha256(`${name}:${JSON.stringify(plain.keepers ?? {})}`).slice(0, 16)}`, bcryptHash: "mock" };
    case "tls:index/privateKey:PrivateKey": {
      const fingerprint = sha256(`${name}:${JSON.stringify(plain)}`).slice(0, 24);
      return {
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\nmock-${fingerprint}\n-----END OPENSSH PRIVATE KEY-----\n`,
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock-${fingerprint}\n-----END PRIVATE KEY-----\n`,
        publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5mock${fingerprint}\n`,
        publicKeyFingerprintSha256: `SHA256:${fingerprint}`,
      };
    }
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = String(plain.bucket ?? name);
      return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.mock` };
    }
    case "docker:index/image:Image": {
      const imageName = String(plain.imageName ?? name);
      const repository = imageName.replace(/:[^/:]+$/, "");
      // Pushed: the registry digest; not pushed: only the local image ID exists.
      return { repoDigest: plain.skipPush === true ? `sha256:${digest}` : `${repository}@sha256:${digest}`, baseImageName: imageName };
    }
    case "onepassword:index/item:Item":
      return { uuid: `mock-item-${digest.slice(0, 26)}` };
    case "pulumi-nodejs:dynamic/rgw:RgwUser": {
      // Keys change when the rotation trigger does, like the real provider's update.
      const keySeed = `${String(plain.uid)}:${String(plain.keyRotation ?? "")}`;
      // An adopted user keeps its key until the first rotation; its secret is read only when asked.
      const adopt = plain.adopt as { accessKey?: string; readSecret?: boolean } | undefined;
      if (adopt?.accessKey !== undefined && String(plain.keyRotation ?? "") === "1") {
        return { accessKey: adopt.accessKey, secretKey: adopt.readSecret === true ? `mock-secret-${sha256(`sk:${adopt.accessKey}`).slice(0, 32)}` : "" };
      }
      return {
        accessKey: `MOCK${sha256(`ak:${keySeed}`).slice(0, 16).toUpperCase()}`,
        secretKey: `mock-secret-${sha256(`sk:${keySeed}`).slice(0, 32)}`,
      };
    }
    default:
      return {};
  }
}

function callResult(token: string, args: Record<string, unknown>): Record<string, unknown> {
  if (token === "onepassword:index/getVault:getVault") {
    const vault = String(args.name ?? args.uuid);
    return { name: vault, uuid: `mockvault${sha256(vault).slice(0, 17)}`, description: "mock vault" };
  }
  // ListBuckets' Owner.ID: on RGW the uid the admin keys belong to.
  if (token === "aws:s3/getCanonicalUserId:getCanonicalUserId") return { id: MOCK_RGW_OWNER_UID, displayName: MOCK_RGW_OWNER_UID };
  return {};
}

/** The uid the stack's S3 keys belong to under mocks (real runs read it from RGW). */
export const MOCK_RGW_OWNER_UID = "data-platform-admin";

/** Await every Output inside a value; secrets become {@link SecretValue}. */
async function resolve(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as pulumi.Output<unknown>;
    const [inner, secret] = await Promise.all([new Promise<unknown>((r) => output.apply((v) => r(v))), pulumi.isSecret(output)]);
    const resolved = await resolve(inner);
    return secret ? { secret: true, value: resolved } : resolved;
  }
  if (value instanceof pulumi.Resource) return { ref: await new Promise((r) => value.urn.apply(r)) };
  if (value instanceof Promise) return resolve(await value);
  if (Array.isArray(value)) return Promise.all(value.map(resolve));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void };
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getAliasesList(): { toObject(): unknown }[];
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
  getImportid(): string;
  getObject(): { toJavaScript(): Record<string, unknown> };
}

interface Monitor {
  registerResource(req: RegisterRequest, callback: (err: unknown, resp: unknown) => void): void;
}

// Internal SDK hooks, stable across 3.x: the mock monitor and the RPC queue drain.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): Monitor; waitForRPCs(): Promise<void> };

/** The URN the mock monitor gives a resource (the parent's type qualifies the child's, as in real URNs). */
function urnFor(stack: string, parent: string, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${stack}::${PROJECT}::${qualified}::${name}`;
}

/** Run the program once under mocks and return what it registered. */
export async function evaluateProgram(options: EvaluateOptions): Promise<MockRun> {
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const secretOutputsByResource = new Map<string, string[]>();

  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(options.secretKeys);
  pulumi.runtime.setAllConfig(options.config, options.secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs, ...computedState(args.type, args.name, args.inputs) };
        // The engine marks these outputs secret; so do we.
        for (const key of secretOutputsByResource.get(`${args.type}::${args.name}`) ?? []) {
          if (key in state) state[key] = { [specialSigKey]: specialSecretSig, value: state[key] };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args) {
        invokes.push({ token: args.token, args: args.inputs });
        return callResult(args.token, args.inputs);
      },
    },
    PROJECT,
    options.stack,
    false,
  );

  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const type = req.getType();
    const name = req.getName();
    secretOutputsByResource.set(`${type}::${name}`, req.getAdditionalsecretoutputsList());
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
    resources.push({
      urn: urnFor(options.stack, req.getParent(), type, name),
      type,
      name,
      custom: req.getCustom(),
      parent: req.getParent() || undefined,
      provider: req.getProvider() || undefined,
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      aliases: req.getAliasesList().map((a) => a.toObject()),
      replacementTrigger: req.getReplacementTrigger()?.toJavaScript(),
      ...(req.getImportid() !== "" && { importId: req.getImportid() }),
      inputs: fromWire(req.getObject().toJavaScript()) as Record<string, unknown>,
    });
    register(req, callback);
  };

  // Without an engine the SDK would print log.info to stdout; record it instead, for the caller to show.
  const infos: string[] = [];
  const info = pulumi.log.info;
  (pulumi.log as { info: (message: string) => Promise<void> }).info = async (message: string) => void infos.push(message);
  try {
    const program = options.loadProgram();
    const exported = typeof program === "function" ? await (program as () => unknown)() : program;
    const outputs = (await resolve(exported ?? {})) as Record<string, unknown>;
    await settings.waitForRPCs();
    return { stack: options.stack, resources, invokes, outputs, infos };
  } finally {
    (pulumi.log as { info: typeof info }).info = info;
  }
}
