// Every test run writes its temporary files into one folder of its own, removed when the run ends
// (tmpdirTeardown.ts), so no run leaves /tmp/render-*, /tmp/broken-* and the like behind. Jest's
// workers start after this and inherit TMPDIR, which os.tmpdir() reads.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function setup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "data-platform-jest-"));
  // Traversable (not listable) by other users, as /tmp is: the PostgreSQL test runs initdb as postgres in
  // a folder of its own below this one. What the tests create here stays private (mkdtemp makes 0700).
  chmodSync(dir, 0o711);
  process.env.DATA_PLATFORM_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
