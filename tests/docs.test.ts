// The docs are split by reader (README, docs/, CONTRIBUTING.md): every link between them must resolve,
// every docs page must be one click from the README, and no doc may point outside the repository.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(__dirname, "..");
const docFiles = [
  "README.md",
  "CONTRIBUTING.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Markdown text without fenced code blocks (links and headings inside them are not links or headings). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, "");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const anchors = (text: string) => new Set([...prose(text).matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));

/** Relative links of a Markdown file: [text](target). */
const links = (text: string) => [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target));

describe("docs", () => {
  it("computes GitHub's anchors", () => {
    expect(anchorOf("Consumers' settings: Nessie, Spark, Trino")).toBe("consumers-settings-nessie-spark-trino");
    expect(anchorOf("Where the outputs come from")).toBe("where-the-outputs-come-from");
  });

  it.each(docFiles)("%s: every relative link resolves to a file (and heading) inside the repository", (file) => {
    const broken: string[] = [];
    for (const target of links(readFileSync(join(root, file), "utf8"))) {
      const [path, anchor] = target.split("#");
      const resolved = path === "" ? join(root, file) : resolve(root, dirname(file), path);
      if (relative(root, resolved).startsWith("..")) broken.push(`${target}: outside the repository`);
      else if (!existsSync(resolved)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && resolved.endsWith(".md") && !anchors(readFileSync(resolved, "utf8")).has(anchor))
        broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });

  it.each(docFiles)("%s names no path outside the repository", (file) => {
    expect(readFileSync(join(root, file), "utf8")).not.toMatch(/\/work\/|\.\.\/shared\/|(^|[\s`(])shared\/notes/m);
  });

  it("the README links every docs page and CONTRIBUTING.md (one click away)", () => {
    const linked = new Set(links(readFileSync(join(root, "README.md"), "utf8")).map((target) => target.split("#")[0]));
    expect(docFiles.filter((file) => file !== "README.md" && !linked.has(file))).toEqual([]);
  });
});
