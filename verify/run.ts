// Runs the checks of every system that is not skipped, in the order their inputs need: the stack
// outputs, 1Password (which holds the apps' keys), RGW, the registry, Kubernetes.
import { randomBytes } from "node:crypto";
import type { PlatformConfig } from "../config";
import type { JarLock } from "../components/sparkIcebergImage/jarLock";
import { type CheckResult, type Skippable, notChecked, pass } from "./checks";
import { type DeadlineOptions, Deadlines } from "./deadline";
import type { Credentials } from "./environment";
import { expectedImage, expectedOnePassword, expectedRgw, outputChecks } from "./expected";
import { expectedKubernetes, verifyKubernetes, type ExpectedKubernetes, type ObservedKubernetes } from "./kubernetes";
import { CONNECT_HOST_HINT, type ConnectClient, connectSystem, createConnectClient, verifyOnePassword } from "./onepassword";
import type { StackOutputs } from "./outputs";
import { REGISTRY_HINT, type RegistryClient, createRegistryClient, registryBaseUrl, registrySystem, verifyRegistry } from "./registry";
import type { VerifyReport } from "./report";
import { type RgwAdminReader, verifyRgw } from "./rgw";

export interface VerifyContext {
  stack: string;
  config: PlatformConfig;
  outputs: StackOutputs;
  credentials: Credentials;
  skip: readonly Skippable[];
  lock: JarLock;
  dockerfile: string;
  registryPlainHttp?: boolean;
  runId?: string;
  /** Per-call and whole-run deadlines (default CALL_TIMEOUT_MS, RUN_TIMEOUT_MS). */
  timeouts?: DeadlineOptions;
}

/** The clients verify talks through; tests replace any of them. */
export interface VerifyClients {
  rgwAdmin(connection: { endpoint: string; region: string; accessKey: string; secretKey: string; timeoutMs: number }): RgwAdminReader;
  connect?(host: string, token: string): ConnectClient;
  registry?(baseUrl: string, auth: { username?: string; password?: string }): RegistryClient;
  observeKubernetes?(expected: ExpectedKubernetes, deadlines: Deadlines): Promise<ObservedKubernetes>;
}

export const newRunId = (now = new Date()): string =>
  `${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;

export async function runVerify(context: VerifyContext, clients: VerifyClients): Promise<VerifyReport> {
  const runId = context.runId ?? newRunId();
  const deadlines = new Deadlines(context.timeouts);
  try {
    return await runChecks(context, clients, runId, deadlines);
  } finally {
    deadlines.close();
  }
}

async function runChecks(context: VerifyContext, clients: VerifyClients, runId: string, deadlines: Deadlines): Promise<VerifyReport> {
  const { config, outputs, credentials, skip } = context;
  const checks: CheckResult[] = [...outputChecks(config, outputs)];
  const skipped = (system: Skippable) => skip.includes(system);

  let appKeys: Awaited<ReturnType<typeof verifyOnePassword>>["appKeys"] = {};
  if (!skipped("onepassword")) {
    const host = credentials.connectHost ?? config.onepassword.connectUrl;
    const base = { system: "onepassword" as const, subject: `vault ${config.onepassword.vault}`, check: "read" };
    if (!host)
      checks.push(
        notChecked(
          base,
          `no Connect server: set OP_CONNECT_HOST${config.onepassword.mode === "serviceAccount" ? " (serviceAccount mode: verify reads through a Connect server only)" : " or config onepasswordConnectUrl"}, or --skip onepassword`,
        ),
      );
    else if (!credentials.onepasswordToken)
      checks.push(notChecked(base, "no token: set OP_CONNECT_TOKEN or the stack's secret onepasswordToken, or --skip onepassword"));
    else {
      const connect = clients.connect
        ? clients.connect(host, credentials.onepasswordToken)
        : createConnectClient(host, credentials.onepasswordToken, fetch, deadlines.for(connectSystem(host), CONNECT_HOST_HINT));
      const result = await verifyOnePassword(expectedOnePassword(config), connect);
      checks.push(...result.checks);
      appKeys = result.appKeys;
    }
  }

  if (!skipped("rgw")) {
    const { rgwAdminAccessKey: accessKey, rgwAdminSecretKey: secretKey } = credentials;
    if (!accessKey || !secretKey) {
      checks.push(
        notChecked(
          { system: "rgw", subject: config.rgw.endpoint, check: "read" },
          "no admin keys: set RGW_ADMIN_ACCESS_KEY/RGW_ADMIN_SECRET_KEY or the stack's secrets rgwAdminAccessKey/rgwAdminSecretKey, or --skip rgw",
        ),
      );
    } else {
      const expected = expectedRgw(config);
      checks.push(
        ...(await verifyRgw({
          expected,
          admin: clients.rgwAdmin({ endpoint: config.rgw.endpoint, region: config.rgw.region, accessKey, secretKey, timeoutMs: deadlines.callMs }),
          owner: { accessKey, secretKey },
          ownerKeysFrom: [
            credentials.sources?.rgwAdminAccessKey ?? "RGW_ADMIN_ACCESS_KEY",
            credentials.sources?.rgwAdminSecretKey ?? "RGW_ADMIN_SECRET_KEY",
          ].join(" and "),
          itemKeys: appKeys,
          runId,
          probes: !skipped("probes"),
          deadlines,
        })),
      );
    }
  }

  if (!skipped("registry")) {
    const image = expectedImage(config, outputs, context.lock, context.dockerfile);
    const base = { system: "registry" as const, subject: `image ${config.image.registry}/${config.image.repository}`, check: "resolves" };
    if (!image.ok) checks.push(config.image.push ? notChecked(base, image.reason) : pass(base, image.reason));
    else {
      const auth = { username: credentials.registryUsername ?? config.image.registryUsername, password: credentials.imageRegistryPassword };
      const baseUrl = registryBaseUrl(image.image.registry, context.registryPlainHttp ?? false);
      const client = clients.registry
        ? clients.registry(baseUrl, auth)
        : createRegistryClient(baseUrl, auth, fetch, deadlines.for(registrySystem(baseUrl), REGISTRY_HINT));
      checks.push(...(await verifyRegistry(image.image, client)));
    }
  }

  if (!skipped("kubernetes")) checks.push(...(await verifyKubernetes(expectedKubernetes(config, outputs, context.lock), clients.observeKubernetes, deadlines)));

  return { stack: context.stack, runId, skipped: [...skip], checks };
}
