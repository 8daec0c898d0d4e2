// The spark-iceberg image's runtime environment, read from its Dockerfile: the test runs Spark with
// exactly the ENV the image sets, so a setting dropped from the Dockerfile fails the test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_DOCKERFILE } from "../../../components/sparkIcebergImage/jarLock";

/** Joins `\`-continued lines and drops comment lines (as Docker does inside a continued instruction). */
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

/** `KEY=value` words, values optionally double- or single-quoted (no variable expansion needed here). */
function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  const word = /([A-Za-z_][A-Za-z0-9_]*)=("([^"\\]*(?:\\.[^"\\]*)*)"|'([^']*)'|(\S*))/g;
  const rest = args.replace(word, (_match, key: string, _value, double?: string, single?: string, bare?: string) => {
    pairs[key] = double !== undefined ? double.replace(/\\(.)/g, "$1") : (single ?? bare ?? "");
    return "";
  });
  if (rest.trim() !== "") {
    throw new Error(`unsupported ENV form (use ENV KEY=value ...): ENV ${args}`);
  }
  return pairs;
}

/** ENV of the final stage (what containers of the image get), in order; later values win. */
export function dockerfileFinalStageEnv(dockerfile: string): Record<string, string> {
  let env: Record<string, string> = {};
  for (const instruction of instructions(dockerfile)) {
    const [keyword, ...rest] = instruction.split(/\s+/);
    const args = instruction.slice(keyword.length).trim();
    if (keyword.toUpperCase() === "FROM") env = {};
    else if (keyword.toUpperCase() === "ENV" && rest.length > 0) Object.assign(env, envPairs(args));
  }
  return env;
}

export function sparkIcebergImageEnv(projectRoot: string): Record<string, string> {
  return dockerfileFinalStageEnv(readFileSync(join(projectRoot, IMAGE_DOCKERFILE), "utf8"));
}
