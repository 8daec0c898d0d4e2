// Removes the run's temporary folder (see tmpdirSetup.ts).
import { rmSync } from "node:fs";

export default async function teardown(): Promise<void> {
  const dir = process.env.DATA_PLATFORM_TEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
