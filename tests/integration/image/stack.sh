#!/usr/bin/env bash
# Local stand-ins for building and pushing the spark-iceberg image without Docker or internet:
#   stack.sh up STATE_DIR    start an htpasswd-protected docker-registry and a Maven-layout HTTP server
#                            (the locked jars from Maven Central via mvn, plus a tampered copy), and
#                            commit a busybox-static base `localhost/tiny-base` with a spark (185) user.
#                            Writes STATE_DIR/env.json for the tests.
#   stack.sh down STATE_DIR  stop what `up` started (by PID) and delete its buildah storage.
set -euo pipefail

cmd="${1:?usage: stack.sh up|down STATE_DIR}"
state="${2:?usage: stack.sh up|down STATE_DIR}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
context="$root/docker/spark-iceberg"

# buildah configuration private to this run: nothing touches the machine's containers storage.
export BUILDAH_ISOLATION=chroot
export CONTAINERS_STORAGE_CONF="$state/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$state/registries.conf"
export REGISTRY_AUTH_FILE="$state/auth.json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# owns_port PORT PID: waits until PID itself listens on PORT (0), or fails (1) when PID exited or another
# process holds the port: free_port's port can be taken before the server binds it (another test's
# registry would then answer in its place).
owns_port() {
  local port=$1 pid=$2 owner
  for _ in $(seq 1 300); do
    owner="$(ss -Hltnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true)"
    [ "$owner" = "$pid" ] && return 0
    [ -n "$owner" ] && { echo "port $port is taken by PID $owner" >&2; return 1; }
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_on_free_port NAME PIDFILE START_FUNCTION: runs START_FUNCTION PORT (which starts a server in the
# background, writing its PID to PIDFILE) with fresh ports until the server owns its port; prints the port.
start_on_free_port() {
  local name=$1 pidfile=$2 start=$3 port attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    "$start" "$port"
    if owns_port "$port" "$(cat "$pidfile")"; then echo "$port"; return 0; fi
    kill "$(cat "$pidfile")" 2>/dev/null || true
    echo "$name: port $port was taken before it bound it (attempt $attempt)" >&2
  done
  echo "$name: no port after 5 attempts" >&2; return 1
}

wait_http() { # url expected-status...
  local url="$1"; shift
  for _ in $(seq 1 100); do
    code="$(python3 - "$url" <<'PY' 2>/dev/null || true
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=1).status)
except urllib.error.HTTPError as e:
    print(e.code)
PY
)"
    for want in "$@"; do [ "$code" = "$want" ] && return 0; done
    sleep 0.1
  done
  echo "timed out waiting for $url" >&2; return 1
}

start_registry() { # PORT
  cat > "$state/registry.yml" <<CONF
version: 0.1
storage:
  filesystem:
    rootdirectory: $state/registry-data
http:
  addr: 127.0.0.1:$1
auth:
  htpasswd:
    realm: test-registry
    path: $state/htpasswd
CONF
  env -u REGISTRY_AUTH_FILE -u REGISTRY_AUTH docker-registry serve "$state/registry.yml" > "$state/registry.log" 2>&1 &
  echo $! > "$state/registry.pid"
}

start_maven_http() { # PORT
  (cd "$state/www" && exec python3 -m http.server --bind 127.0.0.1 "$1" > "$state/http.log" 2>&1) &
  echo $! > "$state/http.pid"
}

up() {
  for tool in buildah skopeo docker-registry htpasswd busybox python3 mvn sha256sum; do
    command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install docker-registry buildah skopeo apache2-utils busybox-static; mvn)" >&2; exit 1; }
  done
  mkdir -p "$state"/{storage,run,registry-data,www/good,www/tampered}
  cat > "$CONTAINERS_STORAGE_CONF" <<CONF
[storage]
driver = "overlay"
graphroot = "$state/storage"
runroot = "$state/run"
CONF

  # Registry with htpasswd auth. docker-registry reads REGISTRY_* variables as config overrides.
  local registry_port user=builder password
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  htpasswd -Bbn "$user" "$password" > "$state/htpasswd"
  registry_port="$(start_on_free_port registry "$state/registry.pid" start_registry)"
  printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$registry_port" > "$CONTAINERS_REGISTRIES_CONF"
  echo '{}' > "$REGISTRY_AUTH_FILE"

  # Maven stand-in: the real jars (fetched from Maven Central through mvn) in Maven layout, and a copy
  # in which the first jar has one byte appended.
  local checksum path coordinates
  while read -r checksum path; do
    coordinates="$(python3 -c 'import sys; p=sys.argv[1].split("/"); print(".".join(p[:-3]) + ":" + p[-3] + ":" + p[-2])' "$path")"
    mvn -B -q dependency:get "-Dartifact=$coordinates" -Dtransitive=false >/dev/null
    for tree in good tampered; do
      mkdir -p "$state/www/$tree/$(dirname "$path")"
      cp "$HOME/.m2/repository/$path" "$state/www/$tree/$path"
    done
  done < "$context/jars.sha256"
  path="$(head -n1 "$context/jars.sha256" | awk '{print $2}')"
  printf 'x' >> "$state/www/tampered/$path"
  local http_port
  http_port="$(start_on_free_port "maven stand-in" "$state/http.pid" start_maven_http)"

  # Tiny base: busybox-static (it has wget and sha256sum) plus root and spark users, like apache/spark.
  local rootfs="$state/rootfs" applet
  mkdir -p "$rootfs"/{bin,etc,tmp,opt/spark/jars,opt/spark/work-dir}
  chmod 1777 "$rootfs/tmp"
  cp "$(command -v busybox)" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nspark:x:185:185::/nonexistent:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nspark:x:185:\n' > "$rootfs/etc/group"
  chown -R 185:185 "$rootfs/opt/spark"
  local ctr
  ctr="$(buildah from scratch)"
  buildah copy "$ctr" "$rootfs/" / >/dev/null
  buildah config --user spark --workingdir /opt/spark/work-dir "$ctr"
  buildah commit --rm -q "$ctr" localhost/tiny-base >/dev/null

  wait_http "http://127.0.0.1:$registry_port/v2/" 401
  wait_http "http://127.0.0.1:$http_port/good/$path" 200
  cat > "$state/env.json" <<JSON
{
  "stateDir": "$state",
  "registry": "127.0.0.1:$registry_port",
  "registryUser": "$user",
  "registryPassword": "$password",
  "mavenGood": "http://127.0.0.1:$http_port/good",
  "mavenTampered": "http://127.0.0.1:$http_port/tampered",
  "tamperedPath": "$path",
  "env": {
    "BUILDAH_ISOLATION": "chroot",
    "CONTAINERS_STORAGE_CONF": "$CONTAINERS_STORAGE_CONF",
    "CONTAINERS_REGISTRIES_CONF": "$CONTAINERS_REGISTRIES_CONF",
    "REGISTRY_AUTH_FILE": "$REGISTRY_AUTH_FILE"
  }
}
JSON
}

down() {
  local pidfile
  for pidfile in "$state/registry.pid" "$state/http.pid"; do
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
  done
  if [ -f "$CONTAINERS_STORAGE_CONF" ]; then
    buildah rm --all >/dev/null 2>&1 || true
    buildah rmi --all --force >/dev/null 2>&1 || true
    # overlay leaves its own mounts under graphroot; unmount before deleting.
    grep -o " $state/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  fi
  rm -rf "$state"
}

case "$cmd" in
  up) up ;;
  down) down ;;
  *) echo "usage: stack.sh up|down STATE_DIR" >&2; exit 2 ;;
esac
