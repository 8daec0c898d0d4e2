// Every command answers --help (usage, options, examples, exit codes) with exit code 0 and without doing
// its work, and fails with its own prefix and exit code. Tested through the one runner every script
// starts with, plus a check that each script file really starts through it with its own help.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as commands from "../../scripts/lib/commands";
import { COMMANDS, type CommandHelp, runCommand } from "../../scripts/lib/commands";

const root = resolve(__dirname, "..", "..");

function capture() {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: (text: string) => void (out.stdout += text), stderr: (text: string) => void (out.stderr += text) } };
}

const entries = Object.entries(COMMANDS);

describe("every command's --help", () => {
  it.each(entries)("%s: --help and -h print usage, options, examples and exit codes, exit 0, and do no work", async (_file, help) => {
    for (const flag of ["--help", "-h"]) {
      const { out, io } = capture();
      const main = jest.fn(() => 3);
      await expect(runCommand(["--stack", "dev", flag], help, main, io)).resolves.toBe(0);
      expect(main).not.toHaveBeenCalled();
      expect(out.stderr).toBe("");
      expect(out.stdout.startsWith(`usage: ${help.usage[0]}\n`)).toBe(true);
      for (const heading of ["Options:", "Examples:", "Exit codes:"]) expect(out.stdout).toContain(`\n${heading}\n`);
      for (const [code] of help.exitCodes) expect(out.stdout).toMatch(new RegExp(`\\n  ${code}  \\S`));
      expect(help.exitCodes.map(([code]) => code)).toEqual(expect.arrayContaining([0, help.failure.code]));
    }
  });

  it.each(entries)("%s: without --help it runs, and an error becomes one line with the command's exit code", async (_file, help) => {
    const { out, io } = capture();
    await expect(runCommand(["--stack", "dev"], help, () => 0, io)).resolves.toBe(0);
    await expect(runCommand([], help, () => Promise.reject(new Error("boom")), io)).resolves.toBe(help.failure.code);
    expect(out.stderr).toBe(`${help.failure.prefix}: boom\n`);
  });

  it("verify's help lists every flag its argument parser accepts", () => {
    const flags = [...commands.VERIFY_HELP.usage[0].matchAll(/--[a-z-]+/g)].map((m) => m[0]);
    expect(flags.length).toBeGreaterThan(4);
    for (const flag of flags) expect(commands.VERIFY_HELP.options.map(([option]) => option.split(" ")[0])).toContain(flag);
  });
});

describe("every script starts through runCommand with its own help", () => {
  const helpName = (help: CommandHelp) => Object.entries(commands).find(([, value]) => value === help)?.[0];

  it.each(entries)("%s", (file, help) => {
    expect(readFileSync(join(root, file), "utf8")).toMatch(new RegExp(`^startCommand\\(${helpName(help)}, main\\);$`, "m"));
  });

  it("every script in scripts/ and every npm script that runs one has an entry, named like the npm script", () => {
    // A script: a file directly in scripts/, one that starts a command or reads its command line, or one
    // that package.json or .ci/ runs (the runner itself aside).
    const runners = [join(root, "package.json"), ...readdirSync(join(root, ".ci")).map((f) => join(root, ".ci", f))]
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const files = (readdirSync(join(root, "scripts"), { recursive: true }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `scripts/${f.split("\\").join("/")}`);
    const isScript = (file: string) => {
      const text = readFileSync(join(root, file), "utf8");
      return !file.slice("scripts/".length).includes("/") || /startCommand\(|process\.argv/.test(text) || runners.includes(`tsx ${file}`);
    };
    const scripts = files.filter((file) => file !== "scripts/lib/commands.ts" && isScript(file));
    expect(scripts.length).toBeGreaterThanOrEqual(Object.keys(COMMANDS).length);
    expect(scripts.filter((file) => !(file in COMMANDS))).toEqual([]);
    const npmScripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const run = Object.entries(npmScripts).flatMap(([name, command]) => {
      const match = /^tsx (scripts\/\S+\.ts)$/.exec(command);
      return match ? [[name, match[1]] as const] : [];
    });
    expect(run.length).toBeGreaterThanOrEqual(5);
    for (const [name, file] of run) expect({ name, help: COMMANDS[file]?.name }).toEqual({ name, help: name });
  });
});
