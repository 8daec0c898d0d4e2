// How results are printed: one line per check and a summary for people, one JSON document for machines.
import type { CheckResult, Skippable } from "./checks";

export interface VerifyReport {
  stack: string;
  runId: string;
  skipped: Skippable[];
  checks: CheckResult[];
}

export interface Summary {
  total: number;
  ok: number;
  failed: number;
}

export function summarize(checks: readonly CheckResult[]): Summary {
  const failed = checks.filter((c) => c.status === "fail").length;
  return { total: checks.length, ok: checks.length - failed, failed };
}

/** One line: `ok   rgw          bucket x: versioning (Enabled)` or `FAIL rgw bucket x: versioning: expected Enabled, found Suspended`. */
export function formatCheck(check: CheckResult): string {
  const head = `${check.status === "ok" ? "ok  " : "FAIL"} ${check.system.padEnd(11)} ${check.subject}: ${check.check}`;
  const note = check.note ? ` [${check.note}]` : "";
  if (check.status === "ok") return `${head}${check.found ? ` (${check.found})` : ""}${note}`;
  if (check.expected === undefined) return `${head}: cannot check: ${check.found ?? "no answer"}`;
  const what = check.differences?.length
    ? `${check.expected ? `expected ${check.expected}; ` : ""}${check.differences.join("; ")}`
    : `expected ${check.expected}, found ${check.found}`;
  return `${head}: ${what}${note}`;
}

export function formatText(report: VerifyReport): string {
  const { total, ok, failed } = summarize(report.checks);
  const skipped = report.skipped.length > 0 ? `; skipped: ${report.skipped.join(", ")}` : "";
  const lines = report.checks.map(formatCheck);
  lines.push(`verify ${report.stack}: ${total} checks, ${ok} ok, ${failed} failed${skipped}`);
  return `${lines.join("\n")}\n`;
}

export function formatJson(report: VerifyReport): string {
  return `${JSON.stringify({ stack: report.stack, runId: report.runId, skipped: report.skipped, summary: summarize(report.checks), checks: report.checks }, null, 2)}\n`;
}

/** 0 when every check passed, 1 when any failed (2 is reserved for "could not run": bad arguments or config). */
export const exitCode = (report: VerifyReport): number => (summarize(report.checks).failed > 0 ? 1 : 0);
