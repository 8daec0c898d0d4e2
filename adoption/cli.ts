// Arguments and output of `npm run adopt -- plan|gate`. Credentials never come from arguments (as verify).
import { stringify } from "yaml";
import { PROJECT } from "../config";
import type { Plan, PlanLine, Verdict } from "./plan";
import type { AdoptConfig } from "../config";

export const PLAN_SYSTEMS = ["rgw", "onepassword", "kubernetes"] as const;
export type PlanSystem = (typeof PLAN_SYSTEMS)[number];

/** The ways to run it (scripts/lib/commands.ts ADOPT_HELP prints them with the rest of --help). */
export const USAGE_LINES: readonly string[] = [
  `npm run adopt -- plan --stack <name> [--skip ${PLAN_SYSTEMS.join(",")}] [--stacks-from DIR]`,
  "npm run adopt -- gate --stack <name> --preview FILE [--stacks-from DIR]",
];
export const USAGE = `usage: ${USAGE_LINES.join(" | ")}`;

export type AdoptArgs =
  | { command: "help" }
  | { command: "plan"; stack: string; skip: PlanSystem[]; stacksFrom?: string }
  | { command: "gate"; stack: string; preview: string; stacksFrom?: string };

export type ParsedAdoptArgs = { ok: true; args: AdoptArgs } | { ok: false; error: string };

const SECRET_LOOKING = /^--(token|password|secret|access-key|secret-key|.*-key|.*-token|.*-password)(=|$)/;

export function parseAdoptArgs(argv: readonly string[]): ParsedAdoptArgs {
  const fail = (error: string): ParsedAdoptArgs => ({ ok: false, error: `${error} (${USAGE})` });
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") return { ok: true, args: { command: "help" } };
  if (command !== "plan" && command !== "gate") return fail(`unknown command ${JSON.stringify(command)} (plan or gate)`);
  let stack: string | undefined;
  let preview: string | undefined;
  let stacksFrom: string | undefined;
  const skip = new Set<PlanSystem>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string | undefined => (inline !== undefined ? inline : rest[++i]);
    if (SECRET_LOOKING.test(arg)) return fail(`${flag}: credentials are read from the environment or the stack's secret config, never from arguments`);
    switch (flag) {
      case "--help":
      case "-h":
        return { ok: true, args: { command: "help" } };
      case "--stack":
        stack = value();
        break;
      case "--stacks-from":
        stacksFrom = value();
        break;
      case "--preview":
        if (command !== "gate") return fail("--preview belongs to gate");
        preview = value();
        break;
      case "--skip": {
        if (command !== "plan") return fail("--skip belongs to plan");
        const list = value();
        if (!list) return fail("--skip needs a list");
        for (const name of list
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!(PLAN_SYSTEMS as readonly string[]).includes(name))
            return fail(`--skip: unknown system ${JSON.stringify(name)} (known: ${PLAN_SYSTEMS.join(", ")})`);
          skip.add(name as PlanSystem);
        }
        break;
      }
      default:
        return fail(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (!stack) return fail("--stack is required");
  const from = stacksFrom ? { stacksFrom } : {};
  if (command === "gate")
    return preview
      ? { ok: true, args: { command, stack, preview, ...from } }
      : fail("--preview is required (the JSON of `pulumi preview --json --show-sames`)");
  return { ok: true, args: { command, stack, skip: PLAN_SYSTEMS.filter((s) => skip.has(s)), ...from } };
}

const VERDICTS: Verdict[] = ["ADOPT", "CHANGE", "CREATE", "REFUSE"];

export function formatLine(line: PlanLine): string {
  return `${line.verdict.padEnd(7)}${line.subject}: ${line.text}${line.fix ? ` — fix: ${line.fix}` : ""}`;
}

/** The adopt block as it goes into Pulumi.<stack>.yaml (empty sections left out). */
export function adoptYaml(adopt: AdoptConfig): string {
  const block: Record<string, unknown> = {};
  if (Object.keys(adopt.buckets).length > 0) block.buckets = adopt.buckets;
  if (Object.keys(adopt.users).length > 0) block.users = adopt.users;
  if (Object.keys(adopt.items).length > 0) block.items = adopt.items;
  if (adopt.kubernetes.length > 0) block.kubernetes = adopt.kubernetes.map((o) => o.ref);
  if (Object.keys(block).length === 0) return "";
  return stringify({ config: { [`${PROJECT}:adopt`]: block } }, { lineWidth: 0 });
}

export function formatPlan(stack: string, result: Plan, skipped: readonly PlanSystem[]): string {
  const counts = VERDICTS.map((v) => `${result.lines.filter((l) => l.verdict === v).length} ${v}`).join(", ");
  const yaml = adoptYaml(result.adopt);
  return [
    `adopt plan for stack ${stack}: read-only (GET and HEAD requests only), nothing was written anywhere${skipped.length > 0 ? `; not read: ${skipped.join(", ")}` : ""}`,
    ...result.lines.map(formatLine),
    counts,
    "",
    yaml === ""
      ? "Nothing to adopt: no adopt block needed."
      : `The adopt block for Pulumi.${stack}.yaml (review it; fix every REFUSE first):\n\n${yaml.trimEnd()}`,
    "",
  ].join("\n");
}

export const planExitCode = (result: Plan): number => (result.lines.some((l) => l.verdict === "REFUSE") ? 1 : 0);
