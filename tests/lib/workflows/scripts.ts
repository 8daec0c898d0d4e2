// Runs a workflow step's bash script the way the runner does, with stand-ins for npm and gh on PATH.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type Dict } from "./model";

/** Runs `script` with bash -e (the runner's default shell) in `cwd`, with only the given env (plus PATH). */
export function runBash(script: string, cwd: string, env: Record<string, string>, binDir?: string): { status: number | null; output: string } {
  const r = spawnSync("bash", ["-e", "-c", script], {
    cwd,
    encoding: "utf8",
    env: { PATH: binDir === undefined ? String(process.env.PATH) : `${binDir}${path.delimiter}${process.env.PATH}`, HOME: cwd, LANG: "C.UTF-8", ...env },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export function writeExecutable(file: string, text: string): void {
  fs.writeFileSync(file, text);
  fs.chmodSync(file, 0o755);
}

export function withTmp<T>(prefix: string, fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A stand-in for npm in the render step: `npm ci` needs a package-lock.json; `npm run render --
// --stack <s> --out <dir>` writes <dir>/<s>/inventory.json from Pulumi.<s>.yaml, or fails like the
// real render (stderr, exit 1) when the stack file contains INVALID. Every call is logged.
export const FAKE_NPM = `#!/usr/bin/env bash
printf '%s|%s\\n' "\${PWD##*/}" "$*" >> "$NPM_LOG"
args=()
for a in "$@"; do [[ "$a" == --silent || "$a" == -s ]] || args+=("$a"); done
if [[ "\${args[0]}" == ci ]]; then
  [[ -f package-lock.json ]] && exit 0
  echo "npm error The npm ci command can only install with an existing package-lock.json" >&2
  exit 1
fi
if [[ \${#args[@]} -ne 7 || "\${args[*]:0:4}" != "run render -- --stack" || "\${args[5]}" != --out ]]; then
  echo "fake npm: unexpected arguments: $*" >&2
  exit 99
fi
stack="\${args[4]}"
out="\${args[6]}"
if grep -q INVALID "Pulumi.$stack.yaml"; then
  echo "render failed: invalid configuration for stack $stack (1 problem):" >&2
  echo '  - data-platform:rgwEndpoint: "not a url" is not an http(s) URL' >&2
  exit 1
fi
mkdir -p "$out/$stack/manifests/cluster"
cp "Pulumi.$stack.yaml" "$out/$stack/inventory.json"
echo "rendered $stack"
`;

export interface RenderRun {
  status: number | null;
  output: string;
  npmCalls: string[];
  files: Record<string, string>;
}

/** Runs the render step's script with base/ and head/ holding the given files (path -> content). */
export function runRenderScript(script: string, base: Record<string, string>, head: Record<string, string>): RenderRun {
  return withTmp("render-step-", (tmp) => {
    const work = path.join(tmp, "work");
    const bin = path.join(tmp, "bin");
    const out = path.join(tmp, "runner", "render-diff");
    for (const [side, files] of [
      ["base", base],
      ["head", head],
    ] as const) {
      fs.mkdirSync(path.join(work, side), { recursive: true });
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(work, side, name), text);
    }
    fs.mkdirSync(bin);
    writeExecutable(path.join(bin, "npm"), FAKE_NPM);
    const npmLog = path.join(tmp, "npm.log");
    fs.writeFileSync(npmLog, "");
    const r = runBash(script, work, { OUT: out, PR_NUMBER: "17", NPM_LOG: npmLog, RUNNER_TEMP: path.join(tmp, "runner") }, bin);
    const files: Record<string, string> = {};
    const walk = (dir: string): void => {
      if (!fs.existsSync(dir)) return;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else files[path.relative(out, full)] = fs.readFileSync(full, "utf8");
      }
    };
    walk(out);
    const npmCalls = fs
      .readFileSync(npmLog, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split(out).join("$OUT"));
    return { status: r.status, output: r.output, npmCalls, files };
  });
}

/** Runs the comment-text step (`shell: node {0}`) on an artifact directory with the given files. */
export function runCommentTextScript(script: string, files: Record<string, string>): { status: number | null; output: string; comment: string } {
  return withTmp("comment-text-", (tmp) => {
    const out = path.join(tmp, "render-diff");
    fs.mkdirSync(path.join(out, "errors"), { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(out, name)), { recursive: true });
      fs.writeFileSync(path.join(out, name), text);
    }
    const scriptFile = path.join(tmp, "step");
    fs.writeFileSync(scriptFile, script);
    const r = spawnSync(process.execPath, [scriptFile], {
      cwd: tmp,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { PATH: process.env.PATH, OUT: out, BASE_SHA: "a".repeat(40), HEAD_SHA: "b".repeat(40) },
    });
    const commentFile = path.join(out, "comment.md");
    return { status: r.status, output: `${r.stdout}${r.stderr}`, comment: fs.existsSync(commentFile) ? fs.readFileSync(commentFile, "utf8") : "" };
  });
}

// A stand-in for the GitHub CLI in the comment step: answers `gh api` GETs from files
// (pull.json, comments.json; missing = 404), applies --jq with the real jq, records writes.
export const FAKE_GH = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_DIR/gh.log"
method=GET; jqf=""; input=""; url=""
[[ "$1" == api ]] || { echo "fake gh: only api" >&2; exit 99; }
shift
while (($#)); do
  case "$1" in
    --paginate) shift ;;
    --method|-X) method=$2; shift 2 ;;
    --jq|-q) jqf=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    -*) echo "fake gh: unexpected flag $1" >&2; exit 99 ;;
    *) url=$1; shift ;;
  esac
done
case "$method $url" in
  "GET repos/$REPO/pulls/"*) resp="$FAKE_DIR/pull.json" ;;
  "GET repos/$REPO/issues/"*"/comments"*) resp="$FAKE_DIR/comments.json" ;;
  "PATCH "*|"POST "*)
    cp "$input" "$FAKE_DIR/sent.json"
    printf '%s %s' "$method" "$url" > "$FAKE_DIR/sent-to"
    echo '{}'
    exit 0 ;;
  *) echo "fake gh: unexpected $method $url" >&2; exit 99 ;;
esac
[[ -f "$resp" ]] || { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
if [[ -n "$jqf" ]]; then jq -r "$jqf" "$resp"; else cat "$resp"; fi
`;

export const REPO = "example/data-platform-stack";
export const RUN_HEAD_SHA = "c".repeat(40);

export interface CommentRun {
  status: number | null;
  output: string;
  ghCalls: string[];
  sentTo?: string;
  body?: string;
  pwned: boolean;
}

/** Runs the comment step's script against an artifact (files or symlinks) and a fake GitHub API. */
export function runCommentScript(
  script: string,
  artifact: Record<string, string | { symlink: string }>,
  api: { pull?: Dict; comments?: Dict[] },
  run: { headSha?: string; headRepo?: string } = {},
): CommentRun {
  return withTmp("comment-step-", (tmp) => {
    const bin = path.join(tmp, "bin");
    const fake = path.join(tmp, "fake");
    const dir = path.join(tmp, "runner", "render-diff");
    for (const d of [bin, fake, dir]) fs.mkdirSync(d, { recursive: true });
    writeExecutable(path.join(bin, "gh"), FAKE_GH);
    for (const [name, content] of Object.entries(artifact)) {
      if (typeof content === "string") fs.writeFileSync(path.join(dir, name), content);
      else fs.symlinkSync(content.symlink, path.join(dir, name));
    }
    if (api.pull !== undefined) fs.writeFileSync(path.join(fake, "pull.json"), JSON.stringify(api.pull));
    fs.writeFileSync(path.join(fake, "comments.json"), JSON.stringify(api.comments ?? []));
    fs.writeFileSync(path.join(fake, "gh.log"), "");
    const r = runBash(
      script,
      tmp,
      {
        GH_TOKEN: "fake-token",
        REPO,
        ARTIFACT_DIR: dir,
        RUN_HEAD_SHA: run.headSha ?? RUN_HEAD_SHA,
        RUN_HEAD_REPO: run.headRepo ?? "someone/data-platform-stack",
        RUN_URL: `https://github.com/${REPO}/actions/runs/42`,
        RUNNER_TEMP: path.join(tmp, "runner"),
        FAKE_DIR: fake,
      },
      bin,
    );
    const sent = path.join(fake, "sent.json");
    return {
      status: r.status,
      output: r.output,
      ghCalls: fs
        .readFileSync(path.join(fake, "gh.log"), "utf8")
        .split("\n")
        .filter((l) => l !== ""),
      sentTo: fs.existsSync(sent) ? fs.readFileSync(path.join(fake, "sent-to"), "utf8") : undefined,
      body: fs.existsSync(sent) ? (JSON.parse(fs.readFileSync(sent, "utf8")) as { body: string }).body : undefined,
      pwned: fs.existsSync(path.join(tmp, "pwned")),
    };
  });
}

/** Characters as GitHub counts them (code points, not UTF-16 units). */
export const chars = (text: string): number => [...text].length;
