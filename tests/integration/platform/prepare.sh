#!/usr/bin/env bash
# Prepares what the platform contract test (platform.test.ts) needs and caches the large downloads
# outside the checkout, so a fresh clone on the same machine reuses them. Idempotent: a second run
# only checks what is there. Prints what it did and how long each part took.
#
#   cache: ${DATA_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/data-platform}/platform-test
#     pyspark-<spark>/          venv with pyspark==<lock's spark.version> (Spark's own jars)
#     jars/<artifact>.jar       exactly the jars of docker/spark-iceberg/jars.lock.json, sha256-checked
#     nessie/nessie-quarkus-<v>-runner.jar   the Nessie server (Maven Central), v = lock's nessie
#                               (override: NESSIE_SERVER_VERSION)
#     manifest.json             paths and versions for the test
#
# Needs: python3 (with venv), mvn, a Java 21+ for Nessie (found under /usr/lib/jvm, or NESSIE_JAVA),
# and Debian's postgresql (installed here when missing; needs root).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
lock="$root/docker/spark-iceberg/jars.lock.json"
cache="${DATA_PLATFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/data-platform}/platform-test"
mkdir -p "$cache/jars" "$cache/nessie"

now() { date +%s.%N; }
since() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f} s")' "$1" "$(now)"; }
say() { printf 'prepare: %s\n' "$*"; }
all_started="$(now)"

lockjson() { python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"l": l}))' "$lock" "$1"; }
spark_version="$(lockjson 'l["spark"]["version"]')"
nessie_version="${NESSIE_SERVER_VERSION:-$(lockjson 'l["nessie"]')}"

# 1. PostgreSQL (Debian package; the test runs its own throwaway cluster with initdb/pg_ctl).
started="$(now)"
pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
if [ -z "$pg_bin" ]; then
  say "postgresql: installing the Debian package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends postgresql >/dev/null
  # The package creates and starts a default cluster; the test needs only the binaries.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h | while read -r version name _; do pg_ctlcluster "$version" "$name" stop || true; done
  fi
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && pg_bin="$dir"; done
  say "postgresql: installed $("$pg_bin/postgres" --version) in $(since "$started")"
else
  say "postgresql: present ($("$pg_bin/postgres" --version))"
fi

# 2. A Java 21+ for Nessie (class file 65); Spark itself runs on the default Java 17.
java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
nessie_java="${NESSIE_JAVA:-}"
if [ -z "$nessie_java" ]; then
  best=0
  for candidate in /usr/lib/jvm/*/bin/java /opt/*/bin/java "$(command -v java || true)"; do
    [ -x "$candidate" ] || continue
    major="$(java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best" ]; then best="$major"; nessie_java="$candidate"; fi
  done
fi
[ -n "$nessie_java" ] || { echo "prepare: no Java 21+ found for Nessie (set NESSIE_JAVA)" >&2; exit 1; }
say "java for nessie: $nessie_java (major $(java_major "$nessie_java"))"

# 3. The locked jars, through Maven (strict checksums against the repository), then sha256 against the lock.
started="$(now)"
fetched=0
while IFS=' ' read -r coordinates file sha; do
  target="$cache/jars/$file"
  if [ -f "$target" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$sha" ]; then continue; fi
  group="${coordinates%%:*}"; rest="${coordinates#*:}"; artifact="${rest%%:*}"; version="${rest#*:}"
  mvn -B -q -Dstyle.color=never --strict-checksums dependency:get "-Dartifact=$coordinates" -Dtransitive=false >/dev/null
  cp "$HOME/.m2/repository/${group//.//}/$artifact/$version/$file" "$target.part"
  actual="$(sha256sum "$target.part" | cut -d' ' -f1)"
  if [ "$actual" != "$sha" ]; then rm -f "$target.part"; echo "prepare: $file sha256 $actual, the lock pins $sha" >&2; exit 1; fi
  mv "$target.part" "$target"
  fetched=$((fetched + 1))
done < <(python3 - "$lock" <<'PY'
import json, sys
for j in json.load(open(sys.argv[1]))["jars"]:
    print(f'{j["groupId"]}:{j["artifactId"]}:{j["version"]} {j["artifactId"]}-{j["version"]}.jar {j["sha256"]}')
PY
)
# Nothing but the locked jars may sit in the folder: the test puts all of it on Spark's class path.
python3 - "$lock" "$cache/jars" <<'PY'
import json, os, sys
want = {f'{j["artifactId"]}-{j["version"]}.jar' for j in json.load(open(sys.argv[1]))["jars"]}
for name in os.listdir(sys.argv[2]):
    if name not in want:
        os.remove(os.path.join(sys.argv[2], name))
PY
jar_bytes="$(du -cb "$cache"/jars/*.jar | tail -1 | cut -f1)"
say "locked jars: $fetched fetched, $(ls "$cache"/jars | wc -l) in cache ($jar_bytes bytes), sha256 as locked, $(since "$started")"

# 4. The Nessie server runner jar (Maven Central checks it against the published sha1).
started="$(now)"
nessie_jar="$cache/nessie/nessie-quarkus-$nessie_version-runner.jar"
if [ -s "$nessie_jar" ]; then
  say "nessie $nessie_version: cached ($(stat -c %s "$nessie_jar") bytes)"
else
  mvn -B -q -Dstyle.color=never --strict-checksums dependency:get "-Dartifact=org.projectnessie.nessie:nessie-quarkus:$nessie_version:jar:runner" -Dtransitive=false >/dev/null
  cp "$HOME/.m2/repository/org/projectnessie/nessie/nessie-quarkus/$nessie_version/nessie-quarkus-$nessie_version-runner.jar" "$nessie_jar.part"
  mv "$nessie_jar.part" "$nessie_jar"
  say "nessie $nessie_version: fetched $(stat -c %s "$nessie_jar") bytes in $(since "$started")"
fi

# 5. pyspark of the lock's Spark version in a venv (its jars/ is Spark's own set, without the locked jars).
started="$(now)"
venv="$cache/pyspark-$spark_version"
if [ -f "$venv/.complete" ] && "$venv/bin/python" -c 'import pyspark, sys; sys.exit(pyspark.__version__ != sys.argv[1])' "$spark_version"; then
  say "pyspark $spark_version: cached venv"
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "pyspark==$spark_version"
  touch "$venv/.complete"
  say "pyspark $spark_version: venv installed ($(du -sb "$venv" | cut -f1) bytes) in $(since "$started")"
fi

python3 - "$cache/manifest.json" <<PY
import json, sys
json.dump({
    "cacheDir": "$cache",
    "sparkVersion": "$spark_version",
    "python": "$venv/bin/python",
    "jarsDir": "$cache/jars",
    "nessieVersion": "$nessie_version",
    "nessieJar": "$nessie_jar",
    "nessieJava": "$nessie_java",
    "postgresBin": "$pg_bin",
}, open(sys.argv[1], "w"), indent=2)
PY
say "ready in $(since "$all_started"): $cache/manifest.json"
