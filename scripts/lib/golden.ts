// Golden render output: every stack's render committed under tests/golden/<stack>/, so a change to the
// program shows as a file diff, and a test fails when the output drifts without `npm run render -- --update`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const GOLDEN_DIR = join(__dirname, "..", "..", "tests", "golden");

/** Every file below `dir`, as paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((name) => {
      const path = join(d, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(dir, path)];
    });
  return walk(dir).sort();
}

/** What differs between two render folders: missing, extra and changed files (empty when equal). */
export function compareTrees(expectedDir: string, actualDir: string): string[] {
  const expected = listFiles(expectedDir);
  const actual = new Set(listFiles(actualDir));
  const problems: string[] = [];
  for (const file of expected) {
    if (!actual.has(file)) problems.push(`missing: ${file}`);
    else if (readFileSync(join(expectedDir, file), "utf8") !== readFileSync(join(actualDir, file), "utf8")) problems.push(`changed: ${file}`);
    actual.delete(file);
  }
  for (const file of actual) problems.push(`new: ${file}`);
  return problems;
}
