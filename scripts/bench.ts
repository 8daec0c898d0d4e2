// `npm run bench`: cold-process timings of the offline render, next to the floor every run pays
// (a cold require of the provider SDKs the program loads). Not part of the tests.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { BENCH_HELP, startCommand, usageLine } from "./lib/commands";

const root = resolve(__dirname, "..");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const SDKS = [
  "@pulumi/pulumi",
  "@pulumi/aws",
  "@pulumi/kubernetes",
  "@pulumi/random",
  "@pulumi/tls",
  "@pulumi/docker",
  "@1password/pulumi-onepassword",
  "@aws-sdk/client-s3",
];

/** A large stack: 100 buckets, 100 credentials, 20 Kustomizations in a dependency chain. */
function largeStack(dev: { config: Record<string, unknown> }): { config: Record<string, unknown> } {
  const apps = ["nessie", "spark", "trino"];
  const buckets = Array.from({ length: 100 }, (_, i) => ({ key: `b${i}`, name: `bench-bucket-${i}`, readWrite: [apps[i % 3]], read: [apps[(i + 1) % 3]] }));
  const credentials = Array.from({ length: 100 }, (_, i) =>
    i % 2 === 0 ? { title: `bench-password-${i}`, kind: "password" } : { title: `bench-s3-${i}`, kind: "s3", app: apps[i % 3], bucket: `b${i}` },
  );
  const kustomizations = Array.from({ length: 20 }, (_, i) => ({ name: `k${i}`, path: `./k/${i}`, dependsOn: i === 0 ? [] : [`k${i - 1}`] }));
  return {
    config: {
      ...dev.config,
      "data-platform:environment": "large",
      "data-platform:buckets": buckets,
      "data-platform:credentials": credentials,
      "data-platform:fluxKustomizations": kustomizations,
    },
  };
}

function time(command: string[], label: string): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command[0], command.slice(1), { cwd: root, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${label} failed:\n${result.stderr}`);
    samples.push(ms);
  }
  return samples;
}

/** One line per aim that says plainly whether it is met. */
const aim = (label: string, ratio: number, limit: number) =>
  `${label.padEnd(20)} = ${ratio.toFixed(2)}x: aim <= ${limit}x ${ratio <= limit ? "MET" : "NOT MET"}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(argv: readonly string[]): number {
  if (argv.length > 0) throw new Error(`unknown argument ${argv[0]} (${usageLine(BENCH_HELP)})`);
  const work = mkdtempSync(join(tmpdir(), "bench-"));
  try {
    copyFileSync(join(root, "Pulumi.yaml"), join(work, "Pulumi.yaml"));
    copyFileSync(join(root, "Pulumi.dev.yaml"), join(work, "Pulumi.dev.yaml"));
    const dev = parse(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    writeFileSync(join(work, "Pulumi.large.yaml"), stringify(largeStack(dev)));

    const node = process.execPath;
    // Same loader as the render (tsx), so the difference is the program itself.
    const floor = time([node, "--import", "tsx", "-e", SDKS.map((m) => `require(${JSON.stringify(m)})`).join(";")], "floor");
    const render = (stack: string) => [node, "--import", "tsx", "scripts/render.ts", "--stack", stack, "--stacks-from", work, "--out", join(work, "out")];
    const devRender = time(render("dev"), "dev render");
    const largeRender = time(render("large"), "large render");
    const resources = (stack: string) =>
      (JSON.parse(readFileSync(join(work, "out", stack, "inventory.json"), "utf8")) as { counts: { resources: number } }).counts.resources;

    // What the SDK itself costs per resource under mocks, for the same counts as the two renders.
    const sdkFloor = (count: number) => time([node, "--import", "tsx", "scripts/lib/sdkFloor.ts", String(count)], `sdk floor ${count}`);
    const sdkDev = sdkFloor(resources("dev"));
    const sdkLarge = sdkFloor(resources("large"));

    const rows: [string, number[], string][] = [
      ["cold require of the provider SDKs (floor)", floor, ""],
      ["render dev", devRender, `${resources("dev")} resources`],
      ["render large (100 buckets, 100 credentials, 20 kustomizations)", largeRender, `${resources("large")} resources`],
      [`Pulumi SDK alone: ${resources("dev")} trivial resources under mocks`, sdkDev, ""],
      [`Pulumi SDK alone: ${resources("large")} trivial resources under mocks`, sdkLarge, ""],
    ];
    process.stdout.write(`${runs} cold runs each on ${process.platform}/${process.arch}, node ${process.version}; median and range in ms\n\n`);
    for (const [label, samples, note] of rows) {
      process.stdout.write(
        `${label.padEnd(66)} ${median(samples).toFixed(0).padStart(6)}  (${Math.min(...samples).toFixed(0)}-${Math.max(...samples).toFixed(0)})  ${note}\n`,
      );
    }
    const devRatio = median(devRender) / median(floor);
    const largeRatio = median(largeRender) / median(devRender);
    process.stdout.write(`\n${aim("dev render / floor", devRatio, 1.5)}\n${aim("large render / dev", largeRatio, 2)}\n`);
    const perResource = (median(sdkLarge) - median(sdkDev)) / (resources("large") - resources("dev"));
    const renderPerResource = (median(largeRender) - median(devRender)) / (resources("large") - resources("dev"));
    process.stdout.write(`per extra resource: render ${renderPerResource.toFixed(1)} ms, of which the bare SDK ${perResource.toFixed(1)} ms\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

startCommand(BENCH_HELP, main);
