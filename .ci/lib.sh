# shellcheck shell=bash
# Sourced by the .ci build scripts whose stdout is only the folder they print (pulumi-engine.sh,
# kubernetes.sh): `folder=$(bash .ci/<script>.sh)` then holds nothing else.

# ci_script_start NAME TOOL...: every line but the script's last to stderr (its stdout kept as fd 3), the
# checkout as working folder ($root), each TOOL on PATH (else exit 2 naming it), and the clock elapsed reads.
ci_script_start() {
  local name=$1 tool
  shift
  exec 3>&1 1>&2
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cd "$root" || exit 2
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$name: $tool is not on PATH" >&2
      exit 2
    fi
  done
  start_us=${EPOCHREALTIME//[!0-9]/}
}

elapsed() { # seconds since ci_script_start, to 0.1 s
  local us=$((${EPOCHREALTIME//[!0-9]/} - start_us))
  echo "$((us / 1000000)).$((us / 100000 % 10))s"
}

# apply_published_replaces GOMOD: GOMOD's replace directives that point at a published module (New has a
# version) added to the go.mod of the working folder; local-path ones (../sdk) are dropped.
apply_published_replaces() {
  local replace
  # shellcheck disable=SC2016 # JavaScript, not shell
  while IFS= read -r replace; do
    [[ -n "$replace" ]] && go mod edit -replace="$replace"
  done < <(go mod edit -json "$1" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s).Replace ?? []) {
        if (!r.New.Version) continue;
        console.log(`${r.Old.Path}${r.Old.Version ? "@" + r.Old.Version : ""}=${r.New.Path}@${r.New.Version}`);
      }
    })')
  return 0
}
