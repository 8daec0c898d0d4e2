// .ci/run's counting of jest reports: what makes a suite fail although jest says little or nothing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { countJest, floorsFrom, formatCounts, type Floors } from "../../scripts/ci/jestCounts";

const rootDir = "/repo";
type Status = "passed" | "failed" | "pending" | "skipped" | "todo" | "disabled";

const file = (name: string, statuses: Status[], extra: { status?: string; message?: string } = {}) => ({
  name: `${rootDir}/${name}`,
  status: extra.status ?? (statuses.includes("failed") ? "failed" : "passed"),
  message: extra.message ?? "",
  assertionResults: statuses.map((status, i) => ({ title: `test ${i}`, status })),
});
const report = (...files: ReturnType<typeof file>[]) => ({ success: true, testResults: files });
const count = (r: unknown, options: { exitCode?: number; floors?: Floors } = {}) =>
  countJest({ suite: "unit", report: r, exitCode: options.exitCode ?? 0, floors: options.floors ?? {}, rootDir });

it("counts passed, failed, skipped and todo tests per status", () => {
  const counts = count(report(file("tests/a.test.ts", ["passed", "passed", "pending", "todo"]), file("tests/b.test.ts", ["failed", "skipped", "disabled"])), {
    exitCode: 1,
  });
  expect(counts).toMatchObject({ passed: 2, failed: 1, skipped: 3, todo: 1, problems: [] });
  expect(formatCounts("unit", counts)).toBe("unit: 2 passed, 1 failed, 3 skipped, 1 todo");
});

it("fails a run with no report (jest or tsc stopped first), naming the exit code", () => {
  const counts = count(undefined, { exitCode: 2 });
  expect(counts.failed).toBe(1);
  expect(counts.problems).toEqual([expect.stringContaining("no report (exit code 2)")]);
});

it("fails a report without testResults", () => {
  expect(count({ success: true, numPassedTests: 0 }).problems).toEqual([expect.stringContaining("no testResults")]);
});

it("fails a run of zero tests, which jest reports as success", () => {
  // jest with no test files: exit 1, yet `success: true` and 0/0 in the JSON.
  expect(count(report(), { exitCode: 1 })).toMatchObject({ passed: 0, failed: 1, problems: [expect.stringContaining("ran no tests")] });
  // Every test skipped is zero tests run, too.
  expect(count(report(file("tests/a.test.ts", ["pending", "todo"]))).problems).toEqual([expect.stringContaining("ran no tests")]);
});

it("fails a file that broke outside its tests (import error, hook, teardown), with jest's message", () => {
  const broken = file("tests/broken.test.ts", [], {
    status: "failed",
    message: "\u001b[1m● Test suite failed to run\u001b[22m\n\n  Cannot find module './gone'",
  });
  const hookFailed = file("tests/hook.test.ts", ["passed"], { status: "failed", message: "afterAll: server did not stop" });
  const counts = count(report(file("tests/a.test.ts", ["passed"]), broken, hookFailed), { exitCode: 1 });
  expect(counts.failed).toBe(2);
  expect(counts.problems).toEqual([
    "tests/broken.test.ts: failed outside its tests: Cannot find module './gone'",
    "tests/hook.test.ts: failed outside its tests: afterAll: server did not stop",
  ]);
});

it("does not count a file twice when its failure is a failed test", () => {
  expect(count(report(file("tests/a.test.ts", ["failed", "passed"])), { exitCode: 1 })).toMatchObject({ passed: 1, failed: 1, problems: [] });
});

it("fails a test file that is missing or runs fewer tests than its floor; skipped tests do not count", () => {
  const floors = { unit: { "tests/a.test.ts": 2, "tests/gone/b.test.ts": 1, "tests/c.test.ts": 2 } };
  const counts = count(report(file("tests/a.test.ts", ["passed", "passed"]), file("tests/c.test.ts", ["passed", "pending"])), { floors });
  expect(counts.failed).toBe(2);
  expect(counts.problems).toEqual([
    "tests/gone/b.test.ts: not run (floor 1 tests in .ci/test-floors.json): moved or deleted?",
    "tests/c.test.ts: ran 1 tests, fewer than its floor of 2 (.ci/test-floors.json)",
  ]);
});

it("only applies the suite's own floors, and notes files without one", () => {
  const floors = { integration: { "tests/integration/x.test.ts": 5 } };
  const counts = count(report(file("tests/new.test.ts", ["passed"])), { floors });
  expect(counts).toMatchObject({ failed: 0, problems: [] });
  expect(counts.notes).toEqual([expect.stringContaining("tests/new.test.ts: no floor")]);
});

it("fails a non-zero exit that the report does not explain (coverage, open handles, a crashed worker)", () => {
  expect(count(report(file("tests/a.test.ts", ["passed"])), { exitCode: 1 }).problems).toEqual(["unit: jest exited 1 though its report shows no failure"]);
});

it("takes every defined test of a listing run as a file's floor", () => {
  const listing = report(file("tests/b.test.ts", ["pending", "pending", "todo"]), file("tests/a.test.ts", ["skipped"]));
  expect(floorsFrom(listing, rootDir)).toEqual({ "tests/a.test.ts": 1, "tests/b.test.ts": 2 });
});

describe("the committed floors", () => {
  const floors = JSON.parse(readFileSync(resolve(__dirname, "../../.ci/test-floors.json"), "utf8")) as Floors;

  it("name every unit test folder, so removing one fails .ci/run", () => {
    const folders = new Set(Object.keys(floors.unit).map((name) => name.split("/").slice(0, 2).join("/")));
    expect([...folders].sort()).toEqual(expect.arrayContaining(["tests/ci", "tests/components", "tests/config", "tests/providers", "tests/verify"]));
    expect(Object.keys(floors.integration).map((name) => name.split("/")[2])).toEqual(expect.arrayContaining(["engine", "image", "platform", "rgw", "verify"]));
  });

  it("are all checked: .ci/run runs and counts one jest suite per entry", () => {
    const run = readFileSync(resolve(__dirname, "../../.ci/run"), "utf8");
    const suites = [...run.matchAll(/^run_jest (\S+) /gm)].map((m) => m[1]);
    expect(suites.sort()).toEqual(Object.keys(floors).sort());
  });

  it("put each test file in one suite, and jest.config.js's whole-program files in program", () => {
    const { programTests } = createRequire(__filename)("../../jest.config.js") as { programTests: string[] };
    expect(Object.keys(floors.program).sort()).toEqual([...programTests].sort());
    const names = Object.values(floors).flatMap((suite) => Object.keys(suite));
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("name only test files that exist (a rename updates the floors too)", () => {
    const missing = Object.values(floors)
      .flatMap((suite) => Object.keys(suite))
      .filter((name) => !existsSync(resolve(__dirname, "../..", name)));
    expect(missing).toEqual([]);
  });
});

describe("the CLI .ci/run calls", () => {
  const cli = resolve(__dirname, "../../scripts/ci/count-jest.ts");
  const tsx = resolve(__dirname, "../../node_modules/.bin/tsx");
  const dir = mkdtempSync(join(tmpdir(), "count-jest-"));

  it("prints the four counts on stdout and the problems on stderr", () => {
    const path = join(dir, "report.json");
    writeFileSync(path, JSON.stringify(report()));
    const result = spawnSync(tsx, [cli, "count", "nothing", path, "1"], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("0 1 0 0\n");
    expect(result.stderr).toContain("FAILED: nothing: ran no tests");
  });

  it("counts a missing report file as one failure", () => {
    const result = spawnSync(tsx, [cli, "count", "nothing", join(dir, "absent.json"), "2"], { encoding: "utf8" });
    expect(result.stdout).toBe("0 1 0 0\n");
    expect(result.stderr).toContain("no report (exit code 2)");
  });
});
