// A test run is quiet and leaves nothing behind.
import { tmpdir } from "node:os";

it("writes temporary files only into the run's own folder, removed when the run ends", () => {
  const dir = process.env.DATA_PLATFORM_TEST_TMPDIR;
  expect(dir).toMatch(/data-platform-jest-/);
  expect(tmpdir()).toBe(dir);
});
