// Reads what the spark-iceberg Dockerfile gives the image it builds: the final stage's labels, ENV and
// USER, with `${ARG}` values substituted. verify compares a pushed image with it; the platform test runs
// Spark with exactly this ENV. Pure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_DOCKERFILE } from "./jarLock";

export interface FinalStage {
  labels: Record<string, string>;
  env: Record<string, string>;
  user?: string;
}

/** Instructions with `\`-continued lines joined and comment lines dropped (as Docker does inside one). */
function instructions(dockerfile: string): string[] {
  const result: string[] = [];
  let current = "";
  for (const raw of dockerfile.split("\n")) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      current += line.slice(0, -1) + " ";
      continue;
    }
    current += line;
    if (current.trim() !== "") result.push(current.trim());
    current = "";
  }
  if (current.trim() !== "") result.push(current.trim());
  return result;
}

/** `KEY=value` words, values optionally double- or single-quoted; anything else is refused, not guessed. */
function pairs(keyword: string, args: string): [string, string][] {
  const found: [string, string][] = [];
  const word = /([A-Za-z_][A-Za-z0-9_.-]*)=("([^"\\]*(?:\\.[^"\\]*)*)"|'([^']*)'|(\S*))/g;
  const rest = args.replace(word, (_match, key: string, _value, double?: string, single?: string, bare?: string) => {
    found.push([key, double !== undefined ? double.replace(/\\(.)/g, "$1") : (single ?? bare ?? "")]);
    return "";
  });
  if (rest.trim() !== "") throw new Error(`unsupported ${keyword} form (use ${keyword} KEY=value ...): ${keyword} ${args}`);
  return found;
}

/** The final stage's labels, ENV and USER; `${NAME}` takes the build's args, then earlier ENV. */
export function dockerfileFinalStage(dockerfile: string, args: Readonly<Record<string, string>> = {}): FinalStage {
  let stage: FinalStage = { labels: {}, env: {} };
  const substitute = (value: string) => value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => args[name] ?? stage.env[name] ?? "");
  for (const instruction of instructions(dockerfile)) {
    const keyword = instruction.split(/\s+/)[0].toUpperCase();
    const rest = instruction.slice(keyword.length).trim();
    if (keyword === "FROM") stage = { labels: {}, env: {} };
    else if (keyword === "ENV") for (const [key, value] of pairs(keyword, rest)) stage.env[key] = substitute(value);
    else if (keyword === "LABEL") for (const [key, value] of pairs(keyword, rest)) stage.labels[key] = substitute(value);
    else if (keyword === "USER") stage.user = substitute(rest.split(/\s+/)[0]);
  }
  return stage.user === undefined ? { labels: stage.labels, env: stage.env } : stage;
}

export const readDockerfile = (projectRoot: string): string => readFileSync(join(projectRoot, IMAGE_DOCKERFILE), "utf8");
