#!/usr/bin/env bash
# Build the real Pulumi engine (the `pulumi` CLI and the Node.js language host `pulumi-language-nodejs`)
# from the Go module proxy, cache it outside the checkout, make `npx pulumi` find it, and print the bin
# folder to put on PATH. (The `pulumi` npm launcher would download the CLI from get.pulumi.com, which
# is not reachable here; see /work/shared/notes/pulumi-engine.md.)
#
# - CLI: github.com/pulumi/pulumi/pkg/v3 + sdk/v3 at the version of @pulumi/pulumi in package-lock.json.
#   `go install pkg@version` is refused (pkg's go.mod has replace directives), so each binary is built
#   from a generated consumer module that requires the modules and copies their replace directives
#   that point at published modules.
# - Language host: package nodejs/cmd/pulumi-language-nodejs of sdk/v3 at v3.68.0, the last version
#   where it is inside sdk/v3 (later it is its own module, which the proxy refuses). It works with the
#   newer CLI and @pulumi/pulumi.
# - Cache: $DATA_PLATFORM_CACHE/pulumi-engine/<cli>-<host>/bin; reused when both binaries exist and
#   `pulumi version` prints the expected version. Built in a temp folder and moved into place, so an
#   interrupted build never leaves a half binary. GOMODCACHE/GOCACHE stay Go's defaults and are reused:
#   measured on 2 cores, cold (empty Go caches) 6 min and 2.2 GB RAM, rebuild with warm Go caches 15-45 s,
#   cached 0.2-0.7 s.
# - Dynamic providers: the engine starts `pulumi-resource-pulumi-nodejs` from PATH or next to `pulumi`; the
#   release archives ship that shell script (it runs @pulumi/pulumi's cmd/dynamic-provider found from the
#   program's folder), so it is copied from node_modules/@pulumi/pulumi into the bin folder.
# - `npx pulumi`: the launcher (devDependency `pulumi`) runs $PULUMI_HOME/versions/<launcher version>/bin/pulumi
#   if it exists, and the Automation API's PulumiCommand.install looks in versions/<CLI version>; both bin
#   folders are made symlinks to the cache (a real folder there, e.g. a downloaded CLI, is left alone).
#
# Usage: export PATH="$(bash .ci/pulumi-engine.sh):$PATH"    (stdout is only the bin folder)
# Env:   DATA_PLATFORM_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/data-platform),
#        PULUMI_HOME (default ~/.pulumi), PULUMI_ENGINE_CLI_VERSION (default: @pulumi/pulumi's, as vX.Y.Z),
#        PULUMI_ENGINE_HOST_VERSION (default v3.68.0). Needs go and node on PATH, and npm ci done (it reads
#        package-lock.json and copies a script from node_modules/@pulumi/pulumi).
set -euo pipefail

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_script_start pulumi-engine.sh go node

locked_version() { # locked_version NPM_PACKAGE: its version in package-lock.json
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e 'const p = require(process.argv[1]).packages["node_modules/" + process.argv[2]];
           if (!p || !p.version) { console.error(`${process.argv[2]} is not in package-lock.json`); process.exit(1); }
           console.log(p.version)' "$root/package-lock.json" "$1"
}

cli_version="${PULUMI_ENGINE_CLI_VERSION:-v$(locked_version @pulumi/pulumi)}"
host_version="${PULUMI_ENGINE_HOST_VERSION:-v3.68.0}"
launcher_version="$(locked_version pulumi)"
cache="${DATA_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/data-platform}"
dir="$cache/pulumi-engine/$cli_version-$host_version"
bin="$dir/bin"
version_var="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

export PULUMI_SKIP_UPDATE_CHECK=true

cli_reports() { # cli_reports BIN_DIR: what its pulumi says its version is (empty if it does not run)
  "$1/pulumi" version 2>/dev/null || true
}

is_built() { # is_built BIN_DIR
  [[ -x "$1/pulumi" && -x "$1/pulumi-language-nodejs" ]] && [[ "$(cli_reports "$1")" == "$cli_version" ]]
}

dynamic_provider_shim="$root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
install_shim() { # install_shim BIN_DIR: (re)place the dynamic provider script, atomically
  if [[ ! -f "$dynamic_provider_shim" ]]; then
    echo "pulumi-engine.sh: $dynamic_provider_shim not found (run npm ci): dynamic providers will not start" >&2
  elif ! cmp -s "$dynamic_provider_shim" "$1/pulumi-resource-pulumi-nodejs"; then
    cp "$dynamic_provider_shim" "$1/.pulumi-resource-pulumi-nodejs.$$"
    chmod 755 "$1/.pulumi-resource-pulumi-nodejs.$$"
    mv -f "$1/.pulumi-resource-pulumi-nodejs.$$" "$1/pulumi-resource-pulumi-nodejs"
  fi
}

link_for_launcher() { # link_for_launcher VERSION: make $PULUMI_HOME/versions/VERSION/bin point at the cache
  local link="${PULUMI_HOME:-$HOME/.pulumi}/versions/$1/bin"
  if [[ -L "$link" || ! -e "$link" ]]; then
    if [[ "$(readlink "$link" 2>/dev/null || true)" != "$bin" ]]; then
      mkdir -p "$(dirname "$link")"
      ln -sfn "$bin" "$link"
    fi
    echo "pulumi-engine.sh: $link -> $bin" >&2
  else
    echo "pulumi-engine.sh: $link is a real folder (a downloaded CLI?), left alone: it has pulumi $(cli_reports "$link")" >&2
  fi
}

build() { # build WORK_DIR OUT_BINARY VERSION PACKAGE MODULE...: go build PACKAGE from a consumer module
  local work=$1 out=$2 version=$3 package=$4
  shift 4
  local modules=("$@") m gomod
  mkdir -p "$work"
  (
    cd "$work"
    go mod init pulumi-engine-build >/dev/null 2>&1
    # A build-tagged file importing the main package keeps `go mod tidy` from dropping the requirements.
    printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" > tools.go
    for m in "${modules[@]}"; do
      go mod edit -require="$m@$version"
      gomod="$(go mod download -json "$m@$version" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).GoMod))')"
      apply_published_replaces "$gomod"
    done
    go mod tidy
    CGO_ENABLED=0 go build -trimpath -ldflags "-X $version_var=$version" -o "$out" "$package"
  )
}


if is_built "$bin"; then
  echo "pulumi-engine.sh: cached pulumi $cli_version + pulumi-language-nodejs $host_version in $bin" >&2
else
  echo "pulumi-engine.sh: building pulumi $cli_version and pulumi-language-nodejs $host_version into $bin (cold: ~6 min on 2 cores, 2.3 GB RAM)" >&2
  mkdir -p "$dir"
  # Temp folders of builds that were killed (no EXIT trap on SIGKILL) and whose process is gone.
  for old in "$dir"/.build.*; do
    [[ -d "$old" ]] || continue
    old_pid="${old##*/.build.}"
    kill -0 "${old_pid%%.*}" 2>/dev/null || rm -rf "$old"
  done
  tmp="$(mktemp -d "$dir/.build.$$.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/bin"
  build "$tmp/host" "$tmp/bin/pulumi-language-nodejs" "$host_version" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs github.com/pulumi/pulumi/sdk/v3
  echo "pulumi-engine.sh: pulumi-language-nodejs built after $(elapsed)" >&2
  build "$tmp/cli" "$tmp/bin/pulumi" "$cli_version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3
  if ! is_built "$tmp/bin"; then
    echo "pulumi-engine.sh: the built pulumi reports version '$(cli_reports "$tmp/bin")', expected $cli_version" >&2
    exit 2
  fi
  install_shim "$tmp/bin"
  rm -rf "$bin"
  # -T: if a concurrent run moved its bin in meanwhile, fail instead of nesting ours inside it.
  mv -T "$tmp/bin" "$bin" 2>/dev/null || is_built "$bin"
  rm -rf "$tmp"
  trap - EXIT
  echo "pulumi-engine.sh: built in $(elapsed)" >&2
fi

install_shim "$bin"
# `npx pulumi` (node_modules/pulumi/lib/cache.js) and PulumiCommand.install's default root.
link_for_launcher "$launcher_version"
[[ "$launcher_version" == "${cli_version#v}" ]] || link_for_launcher "${cli_version#v}"

echo "pulumi-engine.sh: ready after $(elapsed)" >&2
echo "$bin" >&3
