#!/usr/bin/env bash
# Build the parts of the test Kubernetes cluster from the Go module proxy, cache them outside the checkout,
# and print the bin folder (tests/integration/kubernetes/cluster.ts reads it from $KUBERNETES_TEST_BIN).
# No container runtime, kind or k3s can be had here; a real kube-apiserver on etcd (Debian etcd-server) with
# Flux's controllers as local processes is enough to see Flux reconcile (docs/flux.md, "Tested against a
# real cluster").
#
# Parts (each built only when missing, in a temp folder, then moved into place, so an interrupted build
# never leaves a half binary):
# - kube-apiserver and kube-controller-manager (k8s.io/kubernetes v1.37.2). `go install` is refused (the
#   module's go.mod replaces every k8s.io/* staging module with a local path), so the module is copied out
#   of the module cache, vendor/ and go.work are dropped and the 33 staging replaces are re-pointed at the
#   published k8s.io/<x> v0.37.2. The controller-manager runs only its garbage collector and namespace
#   controllers in the harness: the Kubernetes provider deletes with foreground propagation, which waits
#   for the collector.
# - source-controller and kustomize-controller v1.9.6 (Flux 2.9): the module's replace of its own api module
#   is dropped (api@v1.9.6 is published); source-controller's github.com/fluxcd/pkg/artifact is pinned to
#   v0.18.0 (v0.18.3 answers 403 at the proxy); `go mod tidy -e` drops a test-only helm server the proxy refuses.
# - pulumi-resource-kubernetes: github.com/pulumi/pulumi-kubernetes/provider/v4 is served only as
#   v4.0.0-20260115033456-f47bc2d6f199 (a January 2026 commit); its cmd/pulumi-resource-kubernetes is
#   copied into a generated consumer module and built with the version @pulumi/kubernetes asks for, then
#   installed as $PULUMI_HOME/plugins/resource-kubernetes-v<that version> (a symlink to the cache). Run
#   the engine with PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true.
# - external-secrets: github.com/external-secrets/external-secrets v0.16.2's controller (its local-path
#   replaces pointed at the published modules of the same release); its CRDs come from the same module.
# Nothing upstream is committed: every build folder is generated here.
#
# Measured on 2 cores with -p 1 beside other builds (docs/flux.md has the current figures): kube-apiserver
# ~16 min cold, each controller ~4 min, the provider ~9 min and 5.4 GB peak; a few seconds per part once
# cached. GOMODCACHE/GOCACHE stay Go's defaults (about 10 GiB after all parts) and make rebuilds fast.
#
# Usage: export KUBERNETES_TEST_BIN="$(bash .ci/kubernetes.sh)"            (stdout is only the bin folder)
#        bash .ci/kubernetes.sh kube-apiserver source-controller          (only these parts)
# Parts: kube-apiserver kube-controller-manager source-controller kustomize-controller
#        pulumi-resource-kubernetes external-secrets (default: all six)
# Env:   DATA_PLATFORM_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/data-platform), PULUMI_HOME
#        (default ~/.pulumi), KUBERNETES_BUILD_JOBS (go build -p; default: Go's, the number of cores).
#        Needs go and node on PATH and npm ci done (it reads @pulumi/kubernetes's version from package-lock.json).
set -euo pipefail

# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ci_script_start kubernetes.sh go node

kubernetes_version=v1.37.2 # kube-apiserver, kube-controller-manager
staging_version=v0.37.2    # the k8s.io/* staging modules of that release
flux_version=v1.9.6        # source-controller, kustomize-controller (Flux 2.9)
flux_artifact_version=v0.18.0
provider_module=github.com/pulumi/pulumi-kubernetes/provider/v4
provider_module_version=v4.0.0-20260115033456-f47bc2d6f199
external_secrets_version=v0.16.2
provider_version="$(node -e 'const p = require(process.argv[1]).packages["node_modules/@pulumi/kubernetes"];
  if (!p || !p.version) { console.error("@pulumi/kubernetes is not in package-lock.json"); process.exit(1); }
  console.log(p.version)' "$root/package-lock.json")"

cache="${DATA_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/data-platform}"
dir="$cache/kubernetes/k8s-$kubernetes_version-flux-$flux_version-provider-v$provider_version"
bin="$dir/bin"
mkdir -p "$bin" "$dir/crds"

all_parts=(kube-apiserver kube-controller-manager source-controller kustomize-controller pulumi-resource-kubernetes external-secrets)
parts=("$@")
[[ ${#parts[@]} -gt 0 ]] || parts=("${all_parts[@]}")

build_flags=(-trimpath)
[[ -n "${KUBERNETES_BUILD_JOBS:-}" ]] && build_flags+=(-p "$KUBERNETES_BUILD_JOBS")


module_dir() { # module_dir MODULE@VERSION: download it, print its folder in the module cache
  go mod download -json "$1" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const m = JSON.parse(s); if (m.Error) { console.error(m.Error); process.exit(1); } console.log(m.Dir) })'
}

copy_module() { # copy_module MODULE@VERSION DEST: a writable copy of a module to build in
  local src
  src="$(module_dir "$1")"
  cp -r "$src" "$2"
  chmod -R u+w "$2"
}

# Temp folders of builds that were killed (no EXIT trap on SIGKILL) and whose process is gone.
for old in "$dir"/.build.*; do
  [[ -d "$old" ]] || continue
  old_pid="${old##*/.build.}"
  kill -0 "${old_pid%%.*}" 2>/dev/null || rm -rf "$old"
done
tmp=""
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

tidy() { # tidy [-e]: go mod tidy; its long list of refused test-only modules goes to a log shown on failure
  if ! go mod tidy "$@" >"$tmp/tidy.log" 2>&1; then
    cat "$tmp/tidy.log" >&2
    return 1
  fi
  local refused
  refused="$(grep -o 'reading https://proxy.golang.org/[^ ]*: 403' "$tmp/tidy.log" | sort -u | sed 's|reading https://proxy.golang.org/||; s|/@v/| |; s|\.[a-z]*: 403$||' | tr '\n' ',' || true)"
  [[ -z "$refused" ]] || echo "kubernetes.sh: go mod tidy: the proxy refused (403) ${refused%,} (only tests import them)" >&2
}

install_crds() { # install_crds NAME MODULE@VERSION SUBDIR: the CRDs a controller needs, from its module
  [[ -d "$dir/crds/$1" ]] && return 0
  local src part="$dir/crds/.$1.$$"
  src="$(module_dir "$2")"
  mkdir -p "$part"
  # Only the CRDs: the folder also holds a kustomization.yaml, which kubectl apply -f would refuse.
  local file
  for file in "$src/$3"/*.yaml; do
    if grep -q '^kind: CustomResourceDefinition' "$file"; then cp "$file" "$part/"; fi
  done
  chmod u+w "$part"/*.yaml
  mv -T "$part" "$dir/crds/$1" 2>/dev/null || rm -rf "$part"
}

install_binary() { # install_binary BUILT NAME: move a built binary into the bin folder, atomically
  mv -f "$1" "$bin/$2"
}

build_kubernetes() { # build_kubernetes: kube-apiserver and kube-controller-manager, from one module copy
  local src="$tmp/kubernetes" staging version_ldflags
  copy_module "k8s.io/kubernetes@$kubernetes_version" "$src"
  (
    cd "$src"
    rm -rf vendor go.work go.work.sum
    # Every `k8s.io/<x> => ./staging/src/k8s.io/<x>` replace becomes a requirement of the published module.
    staging="$(go mod edit -json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s).Replace ?? []) if (r.New.Path.startsWith("./staging/")) console.log(r.Old.Path) })')"
    local edits=() m
    for m in $staging; do edits+=("-dropreplace=$m" "-require=$m@$staging_version"); done
    go mod edit "${edits[@]}"
    tidy -e
    # What `kube-apiserver --version` and the API's /version report (Flux and the provider read it).
    version_ldflags="-X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1"
    version_ldflags+=" -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean"
    version_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$kubernetes_version"
    local cmd
    for cmd in "$@"; do
      CGO_ENABLED=0 go build "${build_flags[@]}" -ldflags "$version_ldflags" -o "$tmp/$cmd" "./cmd/$cmd"
      echo "kubernetes.sh: $cmd built after $(elapsed)" >&2
    done
  )
}

build_flux() { # build_flux NAME: source-controller or kustomize-controller
  local name=$1 src="$tmp/src-$1"
  copy_module "github.com/fluxcd/$name@$flux_version" "$src"
  (
    cd "$src"
    go mod edit -dropreplace="github.com/fluxcd/$name/api" -require="github.com/fluxcd/$name/api@$flux_version"
    if [[ "$name" == source-controller ]]; then
      go mod edit -require="github.com/fluxcd/pkg/artifact@$flux_artifact_version"
    fi
    tidy -e
    CGO_ENABLED=0 go build "${build_flags[@]}" -o "$tmp/$name" .
  )
}

build_provider() { # build_provider: pulumi-resource-kubernetes from a consumer module
  local work="$tmp/provider" src gomod
  mkdir -p "$work"
  src="$(module_dir "$provider_module@$provider_module_version")"
  gomod="$(go mod download -json "$provider_module@$provider_module_version" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).GoMod))')"
  (
    cd "$work"
    go mod init pulumi-kubernetes-provider-build >/dev/null 2>&1
    cp "$src"/cmd/pulumi-resource-kubernetes/{main.go,schema.json,terraform-mapping.json} .
    chmod u+w ./*
    # main.go embeds files that the upstream build generates (generate.go, `//go:build ignore`): the schema
    # with the version set, and the Terraform mapping, both as compact JSON.
    # shellcheck disable=SC2016 # JavaScript, not shell
    node -e 'const fs = require("fs");
      const schema = JSON.parse(fs.readFileSync("schema.json", "utf8"));
      schema.version = process.argv[1];
      fs.writeFileSync("schema-embed.json", JSON.stringify(schema));
      fs.writeFileSync("terraform-mapping-embed.json", JSON.stringify(JSON.parse(fs.readFileSync("terraform-mapping.json", "utf8"))));' "$provider_version"
    go mod edit -require="$provider_module@$provider_module_version"
    # The provider's replace directives to published modules (local-path ones are dropped).
    apply_published_replaces "$gomod"
    tidy
    CGO_ENABLED=0 go build "${build_flags[@]}" \
      -ldflags "-X $provider_module/pkg/version.Version=$provider_version" -o "$tmp/pulumi-resource-kubernetes" .
  )
}

build_external_secrets() { # build_external_secrets: the external-secrets controller
  local src="$tmp/src-external-secrets"
  copy_module "github.com/external-secrets/external-secrets@$external_secrets_version" "$src"
  (
    cd "$src"
    # Local-path replaces (its own apis/ or e2e modules) point at published versions of the same release.
    local r edits=()
    while IFS= read -r r; do
      [[ -n "$r" ]] && edits+=("-dropreplace=$r" "-require=$r@$external_secrets_version")
    done < <(go mod edit -json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s).Replace ?? []) if (!r.New.Version) console.log(r.Old.Path) })')
    [[ ${#edits[@]} -eq 0 ]] || go mod edit "${edits[@]}"
    tidy -e
    CGO_ENABLED=0 go build "${build_flags[@]}" -o "$tmp/external-secrets" .
  )
}

link_plugin() { # link_plugin: $PULUMI_HOME/plugins/resource-kubernetes-v<version> -> the cached provider
  local plugin_dir="$dir/plugin" link="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-kubernetes-v$provider_version"
  mkdir -p "$plugin_dir"
  ln -sfn "$bin/pulumi-resource-kubernetes" "$plugin_dir/pulumi-resource-kubernetes"
  if [[ -L "$link" || ! -e "$link" ]]; then
    mkdir -p "$(dirname "$link")"
    [[ "$(readlink "$link" 2>/dev/null || true)" == "$plugin_dir" ]] || ln -sfn "$plugin_dir" "$link"
    echo "kubernetes.sh: $link -> $plugin_dir" >&2
  else
    echo "kubernetes.sh: $link is a real folder (a downloaded plugin?), left alone" >&2
  fi
}

for part in "${parts[@]}"; do
  if [[ -f "$bin/$part" && -x "$bin/$part" ]]; then
    echo "kubernetes.sh: cached $part in $bin" >&2
  else
    part_start=$(elapsed)
    echo "kubernetes.sh: building $part (at $part_start)" >&2
    tmp="$(mktemp -d "$dir/.build.$$.XXXXXX")"
    case "$part" in
      kube-apiserver | kube-controller-manager) build_kubernetes "$part" ;;
      source-controller | kustomize-controller) build_flux "$part" ;;
      pulumi-resource-kubernetes) build_provider ;;
      external-secrets) build_external_secrets ;;
      *) echo "kubernetes.sh: unknown part $part (one of ${all_parts[*]})" >&2; exit 2 ;;
    esac
    install_binary "$tmp/$part" "$part"
    rm -rf "$tmp"
    tmp=""
    echo "kubernetes.sh: built $part (started at $part_start, now $(elapsed))" >&2
  fi
  case "$part" in
    pulumi-resource-kubernetes) link_plugin ;;
    source-controller | kustomize-controller) install_crds "$part" "github.com/fluxcd/$part@$flux_version" config/crd/bases ;;
    external-secrets) install_crds "$part" "github.com/external-secrets/external-secrets@$external_secrets_version" config/crds/bases ;;
  esac
done

echo "kubernetes.sh: ready after $(elapsed)" >&2
echo "$bin" >&3
