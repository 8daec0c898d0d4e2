#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint.
#
# actionlint is built from source through the Go module proxy at a pinned version
# and cached in .tmp/bin/actionlint-<version>/ (git-ignored); later runs reuse it.
# Needs `go` on PATH for the first run. If `shellcheck` is on PATH, actionlint also
# checks `run:` scripts with it (Debian: apt-get install shellcheck); without it
# that check is skipped and a note is printed.
#
# Usage: .ci/actionlint.sh [extra actionlint flags...]
# Env:   ACTIONLINT_VERSION (default below), ACTIONLINT_CACHE_DIR (default .tmp/bin)
# Exit:  0 clean, 1 findings, >1 actionlint/setup failure.
set -euo pipefail

ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

cache_dir="${ACTIONLINT_CACHE_DIR:-$root/.tmp/bin}"
bin_dir="$cache_dir/actionlint-$ACTIONLINT_VERSION"
actionlint="$bin_dir/actionlint"

if [[ ! -x "$actionlint" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "actionlint.sh: go is not installed; cannot build actionlint $ACTIONLINT_VERSION" >&2
    exit 2
  fi
  echo "actionlint.sh: installing actionlint $ACTIONLINT_VERSION into $bin_dir" >&2
  mkdir -p "$bin_dir"
  start=$SECONDS
  # Build into a temp dir and move into place, so an interrupted build never
  # leaves a half-written binary that would be reused.
  tmp_bin="$(mktemp -d "$cache_dir/.install.XXXXXX")"
  trap 'rm -rf "$tmp_bin"' EXIT
  GOBIN="$tmp_bin" CGO_ENABLED=0 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  mv "$tmp_bin/actionlint" "$actionlint"
  rm -rf "$tmp_bin"
  trap - EXIT
  echo "actionlint.sh: go install took $((SECONDS - start))s" >&2
fi

installed_version="$("$actionlint" -version | head -n 1)"
if [[ "$installed_version" != "$ACTIONLINT_VERSION" ]]; then
  echo "actionlint.sh: $actionlint reports version '$installed_version', expected $ACTIONLINT_VERSION" >&2
  exit 2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "actionlint.sh: no workflow files in .github/workflows" >&2
  exit 2
fi

flags=()
if shellcheck_path="$(command -v shellcheck)"; then
  flags+=("-shellcheck=$shellcheck_path")
else
  echo "actionlint.sh: shellcheck not found, run: scripts are not checked by shellcheck" >&2
  flags+=("-shellcheck=")
fi
# pyflakes only matters for `shell: python` steps; none here, keep it deterministic.
flags+=("-pyflakes=")

echo "actionlint.sh: actionlint $installed_version on ${workflows[*]}" >&2
exec "$actionlint" "${flags[@]}" "$@" "${workflows[@]}"
