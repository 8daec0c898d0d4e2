// The program's whole output for every stack file, against the golden render committed in tests/golden/.
// A failure means the resource graph or a manifest changed: review it, then `npm run render -- --update`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GOLDEN_DIR, compareTrees, listFiles } from "../scripts/lib/golden";
import { renderStack } from "../scripts/lib/render";
import { listStacks } from "../config/stackFiles";

const root = join(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadProgram = () => require("../index");

describe("golden render", () => {
  let outDir: string;
  beforeAll(() => (outDir = mkdtempSync(join(tmpdir(), "golden-"))));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("has a golden folder for every stack file and none for a removed one", () => {
    expect(
      listFiles(GOLDEN_DIR)
        .map((f) => f.split("/")[0])
        .filter((v, i, a) => a.indexOf(v) === i),
    ).toEqual(listStacks(root));
  });

  it.each(listStacks(root))("stack %s renders exactly its golden files (npm run render -- --update to accept a change)", async (stack) => {
    await renderStack({ root, stack, outDir, loadProgram });
    expect(compareTrees(join(GOLDEN_DIR, stack), join(outDir, stack))).toEqual([]);
  });
});
