// Benchmark helper: the Pulumi SDK alone registering N trivial resources under the mock engine, in a
// fresh process. It is the part of a render's cost that grows with the resource count whatever the
// program does. Usage: node --import tsx scripts/lib/sdkFloor.ts N
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SDK_FLOOR_HELP, startCommand, usageLine } from "./commands";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

async function main(argv: readonly string[]): Promise<number> {
  const count = Number(argv[0] ?? 0);
  if (argv.length > 1 || !Number.isInteger(count) || count < 0) throw new Error(`N must be a whole number (${usageLine(SDK_FLOOR_HELP)})`);
  await pulumi.runtime.setMocks({ newResource: (args) => ({ id: args.name, state: args.inputs }), call: () => ({}) }, "bench", "bench", false);
  for (let i = 0; i < count; i++) new random.RandomPassword(`password-${i}`, { length: 16, keepers: { rotation: "1" } });
  await settings.waitForRPCs();
  return 0;
}

startCommand(SDK_FLOOR_HELP, main);
