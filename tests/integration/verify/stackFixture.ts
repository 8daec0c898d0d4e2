// A throwaway stack for the verify integration tests: Pulumi.yaml plus Pulumi.<stack>.yaml in a temp
// folder (so `npm run verify -- --stacks-from DIR` reads it like a real one), its parsed config, and the
// outputs the real program exports for it under Pulumi's mock engine.
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import type { PlatformConfig } from "../../../config";
import { evaluateProgram, reveal } from "../../../scripts/lib/mockEngine";
import { configFromStackFile, readStackConfig } from "../../../config/stackFiles";
import { type StackOutputs, parseStackOutputs } from "../../../verify/outputs";

export const projectRoot = resolve(__dirname, "../../..");

export interface StackFixture {
  dir: string;
  stack: string;
  config: PlatformConfig;
  outputs: StackOutputs;
  outputsFile: string;
}

/** Writes the stack file, parses it with the stack's model and evaluates the program for its outputs. */
export async function stackFixture(stack: string, values: Record<string, unknown>, outputOverrides: Partial<StackOutputs> = {}): Promise<StackFixture> {
  const dir = mkdtempSync(join(tmpdir(), "verify-stack-"));
  copyFileSync(join(projectRoot, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  writeFileSync(
    join(dir, `Pulumi.${stack}.yaml`),
    stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`data-platform:${k}`, v])) }),
  );
  const input = readStackConfig(dir, stack);
  const parsed = configFromStackFile(input);
  if (!parsed.ok) throw new Error(`test stack config is invalid:\n${parsed.errors.join("\n")}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const run = await evaluateProgram({ ...input, loadProgram: () => require("../../../index") });
  const outputs = parseStackOutputs({ ...(reveal(run.outputs) as Record<string, unknown>), ...outputOverrides });
  if (!outputs.ok) throw new Error(outputs.error);
  const outputsFile = join(dir, "outputs.json");
  writeFileSync(outputsFile, JSON.stringify(outputs.outputs, null, 2));
  return { dir, stack, config: parsed.config, outputs: outputs.outputs, outputsFile };
}

/**
 * `npm run verify` for a fixture's stack as `node` arguments (tsx's CLI, no npm in between): the stack file
 * from its folder, the outputs from its file unless `outputs: false` (then verify asks the Pulumi CLI).
 */
export function verifyArgs(fixture: Pick<StackFixture, "stack" | "dir" | "outputsFile">, skip: string, options: { outputs?: boolean } = {}): string[] {
  const outputs = options.outputs === false ? [] : ["--outputs", fixture.outputsFile];
  return [
    join(projectRoot, "node_modules/.bin/tsx"),
    join(projectRoot, "scripts/verify.ts"),
    "--stack",
    fixture.stack,
    "--stacks-from",
    fixture.dir,
    ...outputs,
    "--skip",
    skip,
  ];
}
