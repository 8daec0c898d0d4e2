// CLI for .ci/run around jestCounts.ts.
//   count-jest.ts count SUITE REPORT.json EXIT_CODE   prints problems and the suite's counts on stderr and
//                                                    "PASSED FAILED SKIPPED TODO" on stdout
//   count-jest.ts floors SUITE REPORT.json            writes the report's per-file test counts as SUITE's
//                                                    floors into .ci/test-floors.json
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { COUNT_JEST_HELP, startCommand, usageLine } from "../lib/commands";
import { countJest, floorsFrom, formatCounts, type Floors } from "./jestCounts";

const rootDir = resolve(__dirname, "..", "..");
const floorsFile = join(rootDir, ".ci", "test-floors.json");

function readJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const readFloors = (): Floors => (readJson(floorsFile) as Floors | undefined) ?? {};

function main(args: readonly string[]): number {
  const [command, suite, reportFile, exitCode] = args;
  if (command === "count" && suite && reportFile && exitCode !== undefined) {
    const counts = countJest({ suite, report: readJson(reportFile), exitCode: Number(exitCode), floors: readFloors(), rootDir });
    for (const note of counts.notes) console.error(`note: ${note}`);
    for (const problem of counts.problems) console.error(`FAILED: ${problem}`);
    console.error(formatCounts(suite, counts));
    console.log(`${counts.passed} ${counts.failed} ${counts.skipped} ${counts.todo}`);
    return 0;
  }
  if (command === "floors" && suite && reportFile) {
    const report = readJson(reportFile);
    if (report === undefined) throw new Error(`${reportFile}: no jest report`);
    const floors = { ...readFloors(), [suite]: floorsFrom(report, rootDir) };
    writeFileSync(floorsFile, JSON.stringify(floors, null, 2) + "\n");
    console.error(`${floorsFile}: ${Object.keys(floors[suite]).length} files for ${suite}`);
    return 0;
  }
  console.error(usageLine(COUNT_JEST_HELP));
  return 2;
}

startCommand(COUNT_JEST_HELP, main);
