// The result of one check and the small helpers that build one. Every system module returns these;
// report.ts prints them. Pure data: no I/O here.

export const SYSTEMS = ["stack", "rgw", "onepassword", "registry", "kubernetes"] as const;
export type System = (typeof SYSTEMS)[number];
/** Systems that `--skip` accepts; `probes` skips only the RGW write probes. */
export const SKIPPABLE = ["rgw", "probes", "onepassword", "registry", "kubernetes"] as const;
export type Skippable = (typeof SKIPPABLE)[number];

export interface CheckResult {
  system: System;
  /** What is checked, e.g. `bucket iceberg-warehouse-dev` or `user data-platform-dev-nessie`. */
  subject: string;
  /** Which property, e.g. `versioning`. */
  check: string;
  status: "ok" | "fail";
  /** ok: what was found (short); fail: what was expected. */
  expected?: string;
  found?: string;
  /** Field-level differences, one per entry (e.g. `statement ReadObjects: Action unexpected [s3:PutObject]`). */
  differences?: string[];
  /** Extra context, e.g. where the keys for a probe came from. */
  note?: string;
}

type Base = Pick<CheckResult, "system" | "subject" | "check">;

export const pass = (base: Base, found?: string, note?: string): CheckResult => ({
  ...base,
  status: "ok",
  ...(found !== undefined && { found }),
  ...(note !== undefined && { note }),
});

export const failure = (base: Base, expected: string, found: string, differences?: string[], note?: string): CheckResult => ({
  ...base,
  status: "fail",
  expected,
  found,
  ...(differences !== undefined && differences.length > 0 && { differences }),
  ...(note !== undefined && { note }),
});

/** ok when `differences` is empty, else a failure that lists them. */
export const compared = (base: Base, summary: string, differences: string[], note?: string): CheckResult =>
  differences.length === 0 ? pass(base, summary, note) : failure(base, summary, "different", differences, note);

/** A check that could not be made (the system did not answer, a credential is missing): a failure. */
export const notChecked = (base: Base, reason: string): CheckResult => ({ ...base, status: "fail", found: reason, note: "not checked" });

/** The message of anything thrown, on one line. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim();
}

/** An access key id shown in messages: enough to tell keys apart, not the whole id. Secret keys are never shown. */
export const maskKey = (accessKey: string): string => (accessKey.length <= 6 ? "***" : `${accessKey.slice(0, 4)}…${accessKey.slice(-2)}`);
