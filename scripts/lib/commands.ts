// What every command prints for --help, and the one way each command starts: --help before anything
// else (no config, network or tool is touched), then its work, with an error turned into one line on
// stderr and the command's exit code. tests/scripts/commands.test.ts holds every script to this.
import { SKIPPABLE } from "../../verify/checks";
import { USAGE as VERIFY_USAGE } from "../../verify/cli";
import { USAGE_LINES as ADOPT_USAGE_LINES } from "../../adoption/cli";

export interface CommandHelp {
  /** The npm script, e.g. "render". */
  name: string;
  /** One line per way to run it. */
  usage: readonly string[];
  /** What it does, in a sentence or three. */
  summary: string;
  options: readonly (readonly [flag: string, meaning: string])[];
  examples: readonly string[];
  exitCodes: readonly (readonly [code: number, meaning: string])[];
  /** Exit code and stderr prefix when the command fails with an error. */
  failure: { code: number; prefix: string };
}

export const HELP_FLAGS: readonly string[] = ["--help", "-h"];

export const wantsHelp = (argv: readonly string[]): boolean => argv.some((arg) => HELP_FLAGS.includes(arg));

/** The --help text: usage, what it does, options, examples, exit codes. */
export function formatHelp(help: CommandHelp): string {
  const width = Math.max(...help.options.map(([flag]) => flag.length), "--help, -h".length);
  const options = [...help.options, ["--help, -h", "print this help and exit 0"] as const].map(([flag, meaning]) => `  ${flag.padEnd(width)}  ${meaning}`);
  return [
    ...help.usage.map((line, i) => `${i === 0 ? "usage:" : "      "} ${line}`),
    "",
    help.summary,
    "",
    "Options:",
    ...options,
    "",
    "Examples:",
    ...help.examples.map((example) => `  ${example}`),
    "",
    "Exit codes:",
    ...help.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`),
    "",
  ].join("\n");
}

/** The usage lines as one string, for error messages. */
export const usageLine = (help: CommandHelp): string => `usage: ${help.usage.join(" | ")}`;

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: CommandIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

/** Runs a command: --help prints the help and returns 0 without calling `main`. */
export async function runCommand(
  argv: readonly string[],
  help: CommandHelp,
  main: (argv: readonly string[]) => number | Promise<number>,
  io: CommandIo = processIo,
): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(formatHelp(help));
    return 0;
  }
  try {
    return await main(argv);
  } catch (error) {
    io.stderr(`${help.failure.prefix}: ${error instanceof Error ? error.message : String(error)}\n`);
    return help.failure.code;
  }
}

/** Starts a script: runs the command with the process's arguments and exits with its code. */
export function startCommand(help: CommandHelp, main: (argv: readonly string[]) => number | Promise<number>): void {
  void runCommand(process.argv.slice(2), help, main).then((code) => process.exit(code));
}

export const RENDER_HELP: CommandHelp = {
  name: "render",
  usage: ["npm run render -- --stack <name> [--out DIR] [--stacks-from DIR]", "npm run render -- --update"],
  summary: [
    "Renders a stack offline: evaluates the real program with Pulumi.<name>.yaml under Pulumi's mock engine",
    "(no Pulumi CLI, plugins, credentials or network; secrets become placeholders), writes",
    "<out>/<stack>/inventory.json and <out>/<stack>/manifests/, and prints a tree of what the stack creates.",
  ].join("\n"),
  options: [
    ["--stack <name>", "the stack to render (a Pulumi.<name>.yaml must exist)"],
    ["--out DIR", "where to write (default: out/)"],
    ["--stacks-from DIR", "read Pulumi.yaml and the stack file from DIR instead of the project (the benchmark uses it)"],
    ["--update", "render every stack of the project into tests/golden/ (the files the tests compare)"],
  ],
  examples: ["npm run render -- --stack dev", "npm run render -- --update && git diff tests/golden/"],
  exitCodes: [
    [0, "rendered"],
    [1, "invalid configuration (every problem listed), an unknown argument, or the program failed"],
  ],
  failure: { code: 1, prefix: "render failed" },
};

export const VERIFY_HELP: CommandHelp = {
  name: "verify",
  usage: [VERIFY_USAGE.replace(/^usage: /, "")],
  summary: [
    "Checks the live systems (Ceph RGW, 1Password Connect, the registry, Kubernetes/Flux) against the stack's",
    "config and outputs. Read-only, apart from RGW probe objects under .verify/<run-id>/ that it removes again.",
    "Credentials come from the environment (RGW_ADMIN_ACCESS_KEY, RGW_ADMIN_SECRET_KEY, OP_CONNECT_TOKEN,",
    "IMAGE_REGISTRY_PASSWORD, ...) or the stack's secret config, never from arguments. See docs/verify.md.",
  ].join("\n"),
  options: [
    ["--stack <name>", "the stack to check"],
    ["--outputs FILE", "the stack outputs as JSON; default: `pulumi stack output --json --stack <name>`"],
    ["--json", "print the report as JSON"],
    ["--skip LIST", `systems out of reach, comma-separated: ${SKIPPABLE.join(", ")} (probes: only the RGW write probes)`],
    ["--stacks-from DIR", "read Pulumi.yaml and the stack file from DIR instead of the project"],
    ["--registry-plain-http", "talk plain HTTP to a registry that is not on loopback"],
    ["--timeout SECONDS", "deadline of the whole run (default 120); each request gives up after 10 s without an answer"],
  ],
  examples: [
    "npm run verify -- --stack dev",
    "npx pulumi stack output --json --stack dev > outputs.json && npm run verify -- --stack dev --outputs outputs.json --skip kubernetes --json",
  ],
  exitCodes: [
    [0, "every check passed"],
    [1, "a check failed (a system that cannot be reached, or has no credentials, is a failed check)"],
    [2, "verify could not run (arguments, config, outputs)"],
  ],
  failure: { code: 2, prefix: "verify" },
};

export const BENCH_HELP: CommandHelp = {
  name: "bench",
  usage: ["npm run bench"],
  summary: [
    "Times cold-process offline renders of dev and of a generated large stack (100 buckets, 100 credentials,",
    "20 Kustomizations), next to the floor every run pays (a cold require of the provider SDKs) and the bare",
    "Pulumi SDK's cost per resource. Prints medians and ranges, then whether each aim is met:",
    "dev render <= 1.5x the floor, large render <= 2x dev. Not part of the tests.",
  ].join("\n"),
  options: [["BENCH_RUNS=N (environment)", "cold runs per row (default 5)"]],
  examples: ["npm run bench", "BENCH_RUNS=3 npm run bench"],
  exitCodes: [
    [0, "measured (an aim NOT MET is reported, not an error)"],
    [1, "a render or a timed process failed"],
  ],
  failure: { code: 1, prefix: "bench" },
};

export const JARS_UPDATE_HELP: CommandHelp = {
  name: "jars:update",
  usage: ["npm run jars:update -- [--iceberg V] [--nessie V] [--spark V] [--base-image IMG] [--local-repo DIR]"],
  summary: [
    "Re-pins the spark-iceberg image's jars: resolves every jar of docker/spark-iceberg/jars.lock.json at the",
    "requested versions with `mvn dependency:get` (strict checksums), hashes them, and rewrites the lock,",
    "jars.sha256 and the Dockerfile's ARG defaults. With no version flags it re-pins the current versions.",
    "Needs mvn on PATH and access to the Maven repository.",
  ].join("\n"),
  options: [
    ["--iceberg V", "Iceberg version"],
    ["--nessie V", "Nessie Spark extensions version"],
    ["--spark V", "Spark version (a new Spark or Iceberg version picks the matching official base image)"],
    ["--base-image IMG", "base image for the Dockerfile"],
    ["--local-repo DIR", "local Maven repository (default ~/.m2/repository)"],
  ],
  examples: ["npm run jars:update", "npm run jars:update -- --iceberg 1.12.0 --nessie 0.99.0"],
  exitCodes: [
    [0, "the lock, jars.sha256 and the Dockerfile were rewritten"],
    [1, "an unknown argument, a failed download or checksum, or no lock and missing versions"],
  ],
  failure: { code: 1, prefix: "jars:update" },
};

export const DOCS_CONFIG_HELP: CommandHelp = {
  name: "docs:config",
  usage: ["npm run docs:config"],
  summary: [
    "Regenerates Pulumi.yaml's config: block, the config reference in docs/configuration.md and the Flux",
    "variables in docs/flux.md from config/keys.ts and the Flux manifests. Prints which files changed, or",
    "that all are up to date. A test fails while they are out of date.",
  ].join("\n"),
  options: [],
  examples: ["npm run docs:config"],
  exitCodes: [
    [0, "written, or already up to date"],
    [1, "a docs file lacks its generated-section markers, or a file cannot be read or written"],
  ],
  failure: { code: 1, prefix: "docs:config" },
};

export const SDK_FLOOR_HELP: CommandHelp = {
  name: "(bench helper)",
  usage: ["node --import tsx scripts/lib/sdkFloor.ts N"],
  summary: "Used by `npm run bench`: the Pulumi SDK alone registering N trivial resources under the mock engine.",
  options: [["N", "how many resources (default 0)"]],
  examples: ["node --import tsx scripts/lib/sdkFloor.ts 100"],
  exitCodes: [
    [0, "done"],
    [1, "N is not a whole number, or the SDK failed"],
  ],
  failure: { code: 1, prefix: "sdkFloor" },
};

export const COUNT_JEST_HELP: CommandHelp = {
  name: "(.ci/run helper)",
  usage: ["tsx scripts/ci/count-jest.ts count SUITE REPORT.json EXIT_CODE", "tsx scripts/ci/count-jest.ts floors SUITE REPORT.json"],
  summary: [
    "Used by .ci/run. count: prints a jest report's problems and counts on stderr and",
    '"PASSED FAILED SKIPPED TODO" on stdout, failing a suite that ran no tests or fewer than its floors.',
    "floors: writes the report's per-file test counts as SUITE's floors into .ci/test-floors.json",
    "(npm run ci:floors runs it for every suite).",
  ].join("\n"),
  options: [
    ["SUITE", "unit, program or integration"],
    ["REPORT.json", "the report of jest --json --outputFile"],
    ["EXIT_CODE", "jest's exit code (count only)"],
  ],
  examples: ["npx tsx scripts/ci/count-jest.ts count unit out/unit.json 0", "npm run ci:floors"],
  exitCodes: [
    [0, "counted (problems are printed, and .ci/run fails on them) or floors written"],
    [1, "floors: the report is missing or not JSON"],
    [2, "unknown command or missing arguments"],
  ],
  failure: { code: 1, prefix: "count-jest" },
};

/** Every runnable script and its help (tests/scripts/commands.test.ts checks each file uses it). */
export const ADOPT_HELP: CommandHelp = {
  name: "adopt",
  usage: ADOPT_USAGE_LINES,
  summary: [
    "plan: a read-only dry run of taking over a running, hand-built platform: one line per thing (ADOPT, CHANGE,",
    "CREATE, or REFUSE with the fix), then the adopt block to paste into Pulumi.<name>.yaml. Sends only GET and",
    "HEAD requests; credentials as for verify (RGW_ADMIN_ACCESS_KEY/RGW_ADMIN_SECRET_KEY, OP_CONNECT_HOST,",
    "OP_CONNECT_TOKEN or the stack's secrets; the kubeconfig context of kubeContext).",
    "gate: checks `pulumi preview --json --show-sames` of the stack against its adopt block: no replace, delete",
    "or create of an adopted resource, no change of a kept field. See docs/adoption.md.",
  ].join("\n"),
  options: [
    ["--stack <name>", "the stack (a Pulumi.<name>.yaml must exist)"],
    ["--skip LIST", "plan: systems not to read, comma-separated: rgw, onepassword, kubernetes"],
    ["--preview FILE", "gate: the JSON of `pulumi preview --json --show-sames --stack <name>`"],
    ["--stacks-from DIR", "read Pulumi.yaml and the stack file from DIR instead of the project"],
  ],
  examples: [
    "npm run adopt -- plan --stack dev",
    "npx pulumi preview --json --show-sames --stack dev > preview.json && npm run adopt -- gate --stack dev --preview preview.json",
  ],
  exitCodes: [
    [0, "plan: no REFUSE line; gate: no problem (one summary line)"],
    [1, "plan: a REFUSE line; gate: a problem (one line each)"],
    [2, "usage, config, credentials, or a system that cannot be read"],
  ],
  failure: { code: 2, prefix: "adopt" },
};

export const GITOPS_HELP: CommandHelp = {
  name: "gitops",
  usage: ["npm run gitops -- skeleton --stack <name> --out DIR [--force]"],
  summary: [
    "Writes the skeleton of the platform's GitOps repository for a stack, from its offline render: a",
    "kustomization.yaml in each Kustomization's path listing only that folder's files, the workload namespace,",
    "ClusterSecretStore and ExternalSecrets in the root path, and examples/platform-variables.yaml using every",
    "variable the stack publishes the way strict substitution needs. No credentials or network. See docs/gitops-repository.md.",
  ].join("\n"),
  options: [
    ["--stack <name>", "the stack (a Pulumi.<name>.yaml must exist)"],
    ["--out DIR", "the GitOps repository's checkout (created if missing)"],
    ["--force", "overwrite files that exist with other content (default: refuse and write nothing)"],
  ],
  examples: [
    "npm run gitops -- skeleton --stack dev --out ../data-platform-gitops",
    "npm run gitops -- skeleton --stack prod --out /tmp/skeleton && git diff --no-index ../gitops /tmp/skeleton",
  ],
  exitCodes: [
    [0, "written (or already up to date)"],
    [1, "invalid configuration, an unknown argument, or files with other content without --force"],
  ],
  failure: { code: 1, prefix: "gitops failed" },
};

export const COMMANDS: Readonly<Record<string, CommandHelp>> = {
  "scripts/gitops.ts": GITOPS_HELP,
  "scripts/render.ts": RENDER_HELP,
  "scripts/verify.ts": VERIFY_HELP,
  "scripts/adopt.ts": ADOPT_HELP,
  "scripts/bench.ts": BENCH_HELP,
  "scripts/jars-update.ts": JARS_UPDATE_HELP,
  "scripts/config-docs.ts": DOCS_CONFIG_HELP,
  "scripts/lib/sdkFloor.ts": SDK_FLOOR_HELP,
  "scripts/ci/count-jest.ts": COUNT_JEST_HELP,
};
