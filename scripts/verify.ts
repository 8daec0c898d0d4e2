// `npm run verify -- --stack <name>`: checks the live systems (Ceph RGW, 1Password Connect, the registry,
// Kubernetes/Flux) against the stack's config and outputs, read-only apart from RGW probe objects under
// `.verify/<run-id>/` that it removes again. One line per check and a summary (or --json); exit code
// 1 when any check fails, 2 when verify cannot run (arguments, config, outputs). See docs/verify.md.
import { resolve } from "node:path";
import { loadJarLock } from "../components/sparkIcebergImage/jarLock";
import { createRgwAdminClient } from "../providers/rgwAdmin";
import { configFromStackFile, readStackConfig } from "../config/stackFiles";
import { VERIFY_HELP, startCommand } from "./lib/commands";
import { parseVerifyArgs } from "../verify/cli";
import { credentialSource, loadOutputs, pulumiCli, readCredential } from "../verify/environment";
import { readDockerfile } from "../components/sparkIcebergImage/dockerfile";
import { exitCode, formatJson, formatText } from "../verify/report";
import { runVerify } from "../verify/run";

const projectRoot = resolve(__dirname, "..");

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseVerifyArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`verify: ${parsed.error}\n`);
    return 2;
  }
  const args = parsed.args;
  const stackRoot = args.stacksFrom ? resolve(args.stacksFrom) : projectRoot;
  const config = configFromStackFile(readStackConfig(stackRoot, args.stack));
  if (!config.ok) {
    process.stderr.write(`verify: invalid configuration for stack ${args.stack}:\n${config.errors.map((e) => `  - ${e}`).join("\n")}\n`);
    return 2;
  }
  const cli = pulumiCli(stackRoot);
  const outputs = await loadOutputs(args.stack, args.outputsFile, cli);
  if (!outputs.ok) {
    process.stderr.write(`verify: ${outputs.error}\n`);
    return 2;
  }
  const env = process.env;
  const credential = (name: Parameters<typeof readCredential>[0]) => readCredential(name, args.stack, env, cli);
  const skipping = (system: string) => (args.skip as string[]).includes(system);
  const credentials = {
    ...(!skipping("rgw") && { rgwAdminAccessKey: await credential("rgwAdminAccessKey"), rgwAdminSecretKey: await credential("rgwAdminSecretKey") }),
    ...(!skipping("onepassword") && { onepasswordToken: await credential("onepasswordToken") }),
    ...(!skipping("registry") && { imageRegistryPassword: await credential("imageRegistryPassword") }),
    ...(env.OP_CONNECT_HOST && { connectHost: env.OP_CONNECT_HOST }),
    ...(env.IMAGE_REGISTRY_USERNAME && { registryUsername: env.IMAGE_REGISTRY_USERNAME }),
    sources: { rgwAdminAccessKey: credentialSource("rgwAdminAccessKey", env), rgwAdminSecretKey: credentialSource("rgwAdminSecretKey", env) },
  };
  const report = await runVerify(
    {
      stack: args.stack,
      config: config.config,
      outputs: outputs.outputs,
      credentials,
      skip: args.skip,
      lock: loadJarLock(projectRoot),
      dockerfile: readDockerfile(projectRoot),
      registryPlainHttp: args.registryPlainHttp,
      ...(args.timeoutSeconds !== undefined && { timeouts: { runMs: args.timeoutSeconds * 1000 } }),
    },
    { rgwAdmin: (connection) => createRgwAdminClient(connection) },
  );
  process.stdout.write(args.json ? formatJson(report) : formatText(report));
  return exitCode(report);
}

startCommand(VERIFY_HELP, main);
