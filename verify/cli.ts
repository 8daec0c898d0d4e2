// Command-line arguments of `npm run verify`. Credentials never come from arguments (see docs/verify.md).
import { SKIPPABLE, type Skippable } from "./checks";

export const USAGE =
  "usage: npm run verify -- --stack <name> [--outputs FILE] [--json] [--skip rgw,probes,onepassword,registry,kubernetes] [--stacks-from DIR] [--registry-plain-http] [--timeout SECONDS]";

export interface VerifyArgs {
  stack: string;
  /** A JSON file of the stack outputs; absent: `pulumi stack output --json --stack <name>`. */
  outputsFile?: string;
  json: boolean;
  skip: Skippable[];
  /** Folder with Pulumi.yaml and Pulumi.<stack>.yaml; absent: the project root. */
  stacksFrom?: string;
  /** Talk plain HTTP to a registry that is not on loopback (loopback registries always get HTTP, as Docker does). */
  registryPlainHttp: boolean;
  /** Deadline of the whole run in seconds; absent: RUN_TIMEOUT_MS. */
  timeoutSeconds?: number;
}

export type ParsedArgs = { ok: true; args: VerifyArgs } | { ok: false; error: string };

const SECRET_LOOKING = /^--(token|password|secret|access-key|secret-key|.*-key|.*-token|.*-password)(=|$)/;

export function parseVerifyArgs(argv: readonly string[]): ParsedArgs {
  let stack: string | undefined;
  let outputsFile: string | undefined;
  let stacksFrom: string | undefined;
  let json = false;
  let registryPlainHttp = false;
  let timeoutSeconds: number | undefined;
  const skip = new Set<Skippable>();
  const fail = (error: string): ParsedArgs => ({ ok: false, error: `${error} (${USAGE})` });

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    if (SECRET_LOOKING.test(arg)) return fail(`${flag}: credentials are read from the environment or the stack's secret config, never from arguments`);
    switch (flag) {
      case "--stack":
        stack = value();
        break;
      case "--outputs":
        outputsFile = value();
        break;
      case "--stacks-from":
        stacksFrom = value();
        break;
      case "--json":
        json = true;
        break;
      case "--registry-plain-http":
        registryPlainHttp = true;
        break;
      case "--timeout": {
        const text = value();
        const seconds = Number(text);
        if (text === undefined || text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0)
          return fail(`--timeout needs a number of seconds > 0, got ${JSON.stringify(text ?? "")}`);
        timeoutSeconds = seconds;
        break;
      }
      case "--skip": {
        const list = value();
        if (list === undefined || list === "") return fail("--skip needs a list");
        for (const name of list
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!(SKIPPABLE as readonly string[]).includes(name)) return fail(`--skip: unknown system ${JSON.stringify(name)} (known: ${SKIPPABLE.join(", ")})`);
          skip.add(name as Skippable);
        }
        break;
      }
      default:
        return fail(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (!stack) return fail("--stack is required");
  if (outputsFile === "") return fail("--outputs needs a file");
  return {
    ok: true,
    args: {
      stack,
      json,
      registryPlainHttp,
      skip: SKIPPABLE.filter((s) => skip.has(s)),
      ...(outputsFile && { outputsFile }),
      ...(stacksFrom && { stacksFrom }),
      ...(timeoutSeconds !== undefined && { timeoutSeconds }),
    },
  };
}
