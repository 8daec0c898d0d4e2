// Turns one jest run's JSON report (`jest --json --outputFile=...`) and its exit code into the counts
// `.ci/run` prints, and the reasons the run cannot count as a pass: no report, no tests at all, a file
// that broke before or after its tests, a file missing or running fewer tests than its committed floor
// (`.ci/test-floors.json`), or a non-zero exit the report does not explain. Pure: the CLI beside it
// (count-jest.ts) reads the files.
import { isAbsolute, relative } from "node:path";

/** The floors file: suite name -> test file (relative to the repository) -> minimum tests that must run. */
export type Floors = Record<string, Record<string, number>>;

export interface SuiteCounts {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  /** Why the suite fails beyond its failed tests; each one is counted as one failure. */
  problems: string[];
  /** Worth saying, not a failure (a test file without a floor yet). */
  notes: string[];
}

interface FileReport {
  name: string;
  status?: string;
  message?: string;
  assertionResults: { status?: string }[];
}

/** Tests jest ran (passed or failed) per test file, keyed relative to rootDir. */
export type RanPerFile = Map<string, number>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function fileReports(report: unknown): FileReport[] | string {
  if (!isRecord(report)) return "the report is not a JSON object";
  if (!Array.isArray(report.testResults)) return "the report has no testResults";
  const files: FileReport[] = [];
  for (const entry of report.testResults) {
    if (!isRecord(entry) || typeof entry.name !== "string" || !Array.isArray(entry.assertionResults))
      return "a testResults entry has no name or assertionResults";
    files.push({
      name: entry.name,
      status: typeof entry.status === "string" ? entry.status : undefined,
      message: typeof entry.message === "string" ? entry.message : undefined,
      assertionResults: entry.assertionResults.map((a) => (isRecord(a) && typeof a.status === "string" ? { status: a.status } : {})),
    });
  }
  return files;
}

const relativeName = (name: string, rootDir: string) => (isAbsolute(name) ? relative(rootDir, name) : name).split("\\").join("/");

/** First meaningful line of jest's failure message (it starts with the file name and ANSI codes). */
function firstLine(message: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const plain = (message ?? "").replace(/\u001b\[[0-9;]*m/g, "");
  const line = plain
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith("●"));
  return line ? line.slice(0, 200) : "no message";
}

export interface CountInput {
  suite: string;
  /** The parsed report; undefined when the file is missing, empty or not JSON. */
  report: unknown;
  /** jest's exit code (a shell's $?). */
  exitCode: number;
  floors: Floors;
  rootDir: string;
}

export function countJest({ suite, report, exitCode, floors, rootDir }: CountInput): SuiteCounts {
  const counts: SuiteCounts = { passed: 0, failed: 0, skipped: 0, todo: 0, problems: [], notes: [] };
  const fail = (problem: string) => {
    counts.failed += 1;
    counts.problems.push(problem);
  };
  if (report === undefined) {
    fail(`${suite}: jest wrote no report (exit code ${exitCode}): it stopped before running tests`);
    return counts;
  }
  const files = fileReports(report);
  if (typeof files === "string") {
    fail(`${suite}: unreadable jest report: ${files}`);
    return counts;
  }
  const ran: RanPerFile = new Map();
  for (const file of files) {
    const name = relativeName(file.name, rootDir);
    let failedHere = 0;
    let ranHere = 0;
    for (const { status } of file.assertionResults) {
      if (status === "passed") {
        counts.passed += 1;
        ranHere += 1;
      } else if (status === "failed") {
        counts.failed += 1;
        failedHere += 1;
        ranHere += 1;
      } else if (status === "todo") counts.todo += 1;
      else counts.skipped += 1; // pending, skipped, disabled
    }
    ran.set(name, (ran.get(name) ?? 0) + ranHere);
    // A file that failed without a failed test broke outside its tests: at import, in a hook, on teardown.
    if (file.status === "failed" && failedHere === 0) fail(`${name}: failed outside its tests: ${firstLine(file.message)}`);
  }
  if (counts.passed + counts.failed === 0) fail(`${suite}: ran no tests (${files.length} test files found)`);
  const suiteFloors = floors[suite] ?? {};
  for (const [name, floor] of Object.entries(suiteFloors)) {
    const got = ran.get(name);
    if (got === undefined) fail(`${name}: not run (floor ${floor} tests in .ci/test-floors.json): moved or deleted?`);
    else if (got < floor) fail(`${name}: ran ${got} tests, fewer than its floor of ${floor} (.ci/test-floors.json)`);
  }
  for (const name of ran.keys()) {
    if (!(name in suiteFloors)) counts.notes.push(`${name}: no floor in .ci/test-floors.json yet (npm run ci:floors)`);
  }
  if (exitCode !== 0 && counts.failed === 0) fail(`${suite}: jest exited ${exitCode} though its report shows no failure`);
  return counts;
}

/** The tests each file ran, as floors for `suite` (what `npm run ci:floors` writes). */
export function floorsFrom(report: unknown, rootDir: string): Record<string, number> {
  const files = fileReports(report);
  if (typeof files === "string") throw new Error(`unreadable jest report: ${files}`);
  const floors: Record<string, number> = {};
  for (const file of files) {
    // Every test the file defines: a listing run (`-t` matching nothing) reports them all as skipped.
    const ran = file.assertionResults.filter(({ status }) => status !== "todo").length;
    floors[relativeName(file.name, rootDir)] = ran;
  }
  return Object.fromEntries(Object.entries(floors).sort(([a], [b]) => a.localeCompare(b)));
}

export const formatCounts = (label: string, c: Pick<SuiteCounts, "passed" | "failed" | "skipped" | "todo">) =>
  `${label}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c.todo} todo`;
