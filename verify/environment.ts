// Where verify gets its inputs besides the stack's config (config/stackFiles.ts reads that): its outputs
// (pulumi CLI or a file) and credentials (environment first, then the stack's secret config through the
// pulumi CLI; never command-line arguments).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { type OutputsResult, parseStackOutputs } from "./outputs";

/** Runs the pulumi CLI; rejects with a short message when it is missing or fails. */
export type PulumiCli = (args: string[]) => Promise<string>;

export function pulumiCli(cwd: string): PulumiCli {
  return async (args) => {
    try {
      const { stdout } = await promisify(execFile)("pulumi", args, { cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const fields = error as { code?: unknown; stderr?: string };
      if (fields.code === "ENOENT") throw new Error("the pulumi CLI is not on PATH");
      throw new Error(`pulumi ${args.slice(0, 3).join(" ")} failed: ${(fields.stderr ?? String(error)).trim().split("\n").slice(-1)[0]}`);
    }
  };
}

export async function loadOutputs(stack: string, outputsFile: string | undefined, cli: PulumiCli): Promise<OutputsResult> {
  let text: string;
  try {
    text = outputsFile !== undefined ? readFileSync(outputsFile, "utf8") : await cli(["stack", "output", "--json", "--stack", stack]);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error:
        outputsFile !== undefined
          ? `cannot read --outputs ${outputsFile}: ${why}`
          : `cannot read the stack outputs (${why}); pass --outputs FILE (the JSON of \`pulumi stack output --json\`)`,
    };
  }
  try {
    return parseStackOutputs(JSON.parse(text));
  } catch (error) {
    return { ok: false, error: `stack outputs are not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Environment variables verify reads, with the stack secret each falls back to. */
export const CREDENTIAL_VARIABLES = {
  rgwAdminAccessKey: { env: "RGW_ADMIN_ACCESS_KEY", secret: "rgwAdminAccessKey" },
  rgwAdminSecretKey: { env: "RGW_ADMIN_SECRET_KEY", secret: "rgwAdminSecretKey" },
  onepasswordToken: { env: "OP_CONNECT_TOKEN", secret: "onepasswordToken" },
  imageRegistryPassword: { env: "IMAGE_REGISTRY_PASSWORD", secret: "imageRegistryPassword" },
} as const;
export type CredentialName = keyof typeof CREDENTIAL_VARIABLES;

export type Credentials = Partial<Record<CredentialName, string>> & {
  connectHost?: string;
  registryUsername?: string;
  /** Where each credential came from ("RGW_ADMIN_ACCESS_KEY" or "config rgwAdminAccessKey"), for hints. */
  sources?: Partial<Record<CredentialName, string>>;
};

/** The environment variable of a credential when it is set there, else its stack config key. */
export function credentialSource(name: CredentialName, env: NodeJS.ProcessEnv): string {
  const { env: variable, secret } = CREDENTIAL_VARIABLES[name];
  return env[variable] !== undefined && env[variable] !== "" ? variable : `config ${secret}`;
}

/** One credential: its environment variable, else `pulumi config get <key> --stack <stack>` (decrypts secrets). */
export async function readCredential(name: CredentialName, stack: string, env: NodeJS.ProcessEnv, cli: PulumiCli | undefined): Promise<string | undefined> {
  const { env: variable, secret } = CREDENTIAL_VARIABLES[name];
  const value = env[variable];
  if (value !== undefined && value !== "") return value;
  if (!cli) return undefined;
  try {
    const stdout = (await cli(["config", "get", secret, "--stack", stack])).replace(/\n$/, "");
    return stdout === "" ? undefined : stdout;
  } catch {
    return undefined;
  }
}
