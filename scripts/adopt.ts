// `npm run adopt -- plan|gate --stack <name>`: the read-only adoption plan and the preview gate (see
// adoption/cli.ts USAGE and docs/adoption.md). Exit 0 ok, 1 a REFUSE or a gate problem, 2 usage/config/credentials.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseAdoptArgs, formatPlan, planExitCode } from "../adoption/cli";
import { type PreviewJson, gate } from "../adoption/gate";
import { kubeReader, observeKubernetesForPlan, observeOnePasswordForPlan, observeRgwForPlan } from "../adoption/observe";
import { type PlanInput, plan } from "../adoption/plan";
import { createRgwAdminClient } from "../providers/rgwAdmin";
import { rgwS3Client } from "../providers/s3Client";
import { configFromStackFile, readStackConfig } from "../config/stackFiles";
import { ADOPT_HELP, startCommand } from "./lib/commands";
import { pulumiCli, readCredential } from "../verify/environment";
import { createConnectClient } from "../verify/onepassword";

const projectRoot = resolve(__dirname, "..");

class UsageError extends Error {}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseAdoptArgs(argv);
  if (!parsed.ok) throw new UsageError(parsed.error);
  const args = parsed.args;
  // --help is answered by startCommand before main runs.
  if (args.command === "help") return 0;
  const stackRoot = args.stacksFrom ? resolve(args.stacksFrom) : projectRoot;
  const config = configFromStackFile(readStackConfig(stackRoot, args.stack));
  if (!config.ok) throw new UsageError(`invalid configuration for stack ${args.stack}:\n${config.errors.map((e) => `  - ${e}`).join("\n")}`);
  const adopt = config.config.adopt;

  if (args.command === "gate") {
    let preview: PreviewJson;
    try {
      preview = JSON.parse(readFileSync(args.preview, "utf8")) as PreviewJson;
    } catch (error) {
      throw new UsageError(`cannot read --preview ${args.preview}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const result = gate(adopt, preview);
    for (const problem of result.problems) process.stdout.write(`gate: ${problem}\n`);
    process.stdout.write(`${result.summary}\n`);
    return result.ok ? 0 : 1;
  }

  const cli = pulumiCli(stackRoot);
  const env = process.env;
  const input: PlanInput = { config: config.config, adopt };
  const reading = async <T>(system: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (error) {
      throw new UsageError(`cannot read ${system}: ${error instanceof Error ? error.message : String(error)} (or --skip ${system})`);
    }
  };
  if (!args.skip.includes("rgw")) {
    const accessKey = await readCredential("rgwAdminAccessKey", args.stack, env, cli);
    const secretKey = await readCredential("rgwAdminSecretKey", args.stack, env, cli);
    if (!accessKey || !secretKey)
      throw new UsageError(
        "no RGW keys: set RGW_ADMIN_ACCESS_KEY/RGW_ADMIN_SECRET_KEY or the stack's secrets rgwAdminAccessKey/rgwAdminSecretKey, or --skip rgw",
      );
    const connection = { endpoint: config.config.rgw.endpoint, region: config.config.rgw.region, accessKey, secretKey };
    const s3 = rgwS3Client(connection);
    try {
      input.rgw = await reading("rgw", () => observeRgwForPlan(config.config, adopt, createRgwAdminClient(connection), s3, accessKey));
    } finally {
      s3.destroy();
    }
  }
  if (!args.skip.includes("onepassword")) {
    const host = env.OP_CONNECT_HOST || config.config.onepassword.connectUrl;
    const token = await readCredential("onepasswordToken", args.stack, env, cli);
    if (!host) throw new UsageError("no Connect server: set OP_CONNECT_HOST or config onepasswordConnectUrl, or --skip onepassword");
    if (!token) throw new UsageError("no Connect token: set OP_CONNECT_TOKEN or the stack's secret onepasswordToken, or --skip onepassword");
    input.onepassword = await reading("onepassword", () => observeOnePasswordForPlan(config.config, createConnectClient(host, token)));
  }
  if (!args.skip.includes("kubernetes")) {
    input.kubernetes = await reading("kubernetes", async () => observeKubernetesForPlan(config.config, await kubeReader(config.config.kubernetes.context)));
  }
  const result = plan(input);
  process.stdout.write(formatPlan(args.stack, result, args.skip));
  return planExitCode(result);
}

startCommand(ADOPT_HELP, main);
