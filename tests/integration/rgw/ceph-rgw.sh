#!/usr/bin/env bash
# Starts/stops a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, 1 radosgw) for the
# RGW integration tests. Everything lives under DIR; daemons are stopped by their recorded PIDs.
#
#   ceph-rgw.sh start DIR   -> writes DIR/env (RGW_ENDPOINT, RGW_ADMIN_ACCESS_KEY, RGW_ADMIN_SECRET_KEY)
#                              and prints it; exits non-zero (after cleaning up) if anything fails.
#   ceph-rgw.sh stop DIR    -> kills only the PIDs recorded in DIR/run/*.pid, waits, removes DIR.
#
# Needs: ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl (Debian 12: Ceph 16 "pacific").
set -euo pipefail

readonly STARTUP_TIMEOUT_SECONDS=60
# Exit code when a daemon's port was taken between free_port and its bind: the caller retries with a
# fresh cluster (cephRgwCluster.ts), since another process (another test's RGW) may be answering there.
readonly PORT_TAKEN_EXIT=75

die() {
  echo "ceph-rgw.sh: $*" >&2
  exit 1
}

# Finds a free TCP port on 127.0.0.1 by letting the kernel choose one (bind to port 0).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Two consecutive free ports for the mon (msgr v2 on P, v1 on P+1): both must bind right now (a port
# held by a listener or by another socket's local end does not).
free_port_pair() {
  python3 -c '
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", port + 1))
    except OSError:
        continue
    finally:
        a.close(); b.close()
    print(port); break
else:
    raise SystemExit(1)
' || die "no free port pair found"
}

# The PID listening on a loopback port; empty when nobody listens (not a failure under pipefail).
listener_pid() {
  ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true
}

# daemon_failed WHAT: a daemon exited or its start command failed. One that could not bind retries a
# few times and gives up (ceph-mon after ~10 s, before it forks); its log says so, and that is a port taken.
daemon_failed() {
  if grep -qsE 'Address already in use|unable to bind' "$LOG_DIR"/*.log; then
    echo "ceph-rgw.sh: $1 could not bind its port (logs: $LOG_DIR)" >&2
    exit "$PORT_TAKEN_EXIT"
  fi
  die "$1 exited before it listened (logs: $LOG_DIR)"
}

# wait_own_port WHAT PORT PID: until PID itself listens on PORT. Another process there means the port was
# taken after free_port chose it: exit PORT_TAKEN_EXIT (the EXIT trap stops what was started).
wait_own_port() {
  local what=$1 port=$2 pid=$3 owner
  local deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
  while ((SECONDS < deadline)); do
    owner=$(listener_pid "$port")
    [[ $owner == "$pid" ]] && return 0
    if [[ -n $owner ]]; then
      echo "ceph-rgw.sh: port $port of $what is taken by PID $owner (ours: $pid)" >&2
      exit "$PORT_TAKEN_EXIT"
    fi
    kill -0 "$pid" 2>/dev/null || daemon_failed "$what (PID $pid)"
    sleep 0.2
  done
  die "timed out after ${STARTUP_TIMEOUT_SECONDS}s waiting for $what to listen on $port (logs: $LOG_DIR)"
}

wait_until() {
  local description=$1
  shift
  local deadline=$((SECONDS + STARTUP_TIMEOUT_SECONDS))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${STARTUP_TIMEOUT_SECONDS}s waiting for $description (logs: $LOG_DIR)"
    fi
    sleep 0.2
  done
}

osd_is_up() {
  ceph -c "$CONF" osd dump -f json | grep -q '"up":1'
}

rgw_answers() {
  curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/"
}

recorded_pids() {
  local dir=$1 pid_file pid
  for pid_file in "$dir"/run/*.pid; do
    [[ -f $pid_file ]] || continue
    pid=$(cat "$pid_file")
    [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
  done
}

any_alive() {
  local pid
  for pid in "$@"; do
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

# The cluster is throwaway (memstore), so no graceful shutdown is needed: TERM, then KILL after 2 s.
# Daemons are not our children (they daemonize), so poll instead of `wait`.
stop_cluster() {
  local dir=$1 pids pid
  mapfile -t pids < <(recorded_pids "$dir")
  ((${#pids[@]} > 0)) || return 0
  kill "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 1 20); do
    any_alive "${pids[@]}" || return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    any_alive "${pids[@]}" || return 0
    sleep 0.1
  done
  echo "ceph-rgw.sh: daemons still running: ${pids[*]}" >&2
  return 1
}

# Radosgw writes its pid file late; wait for it so `stop` can find the daemon.
wait_for_pid_file() {
  local pid_file=$1
  wait_until "pid file $pid_file" test -s "$pid_file"
}

start_cluster() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  CONF=$dir/ceph.conf
  LOG_DIR=$dir/log
  local run_dir=$dir/run keyring=$dir/keyring
  mkdir -p "$run_dir" "$LOG_DIR" "$dir/mon.a" "$dir/osd.0"

  # If anything below fails, do not leave daemons behind.
  trap 'status=$?; if ((status != 0)); then echo "ceph-rgw.sh: start failed, last log lines:" >&2; tail -n 5 "$LOG_DIR"/*.log >&2 2>/dev/null || true; stop_cluster "'"$dir"'"; fi' EXIT

  local mon_port fsid
  mon_port=$(free_port_pair)
  RGW_PORT=$(free_port)
  fsid=$(uuidgen)

  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port,v1:127.0.0.1:$((mon_port + 1))]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $keyring
run dir = $run_dir
admin socket = $run_dir/\$cluster-\$name.asok
pid file = $run_dir/\$name.pid
log file = $LOG_DIR/\$name.log
mon data = $dir/mon.\$id
osd data = $dir/osd.\$id
# Single replica, small PG budget (RGW creates ~8 pools; defaults exceed the per-OSD PG limit).
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1

[mon]
paxos propose interval = 0.1
paxos min wait = 0.01

[osd]
keyring = $dir/osd.\$id/keyring
osd objectstore = memstore
memstore device bytes = 4294967296
osd fast shutdown = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
EOF

  # Monitor.
  ceph-authtool --create-keyring "$keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port,v1:127.0.0.1:$((mon_port + 1))]" \
    "$dir/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$dir/monmap" --keyring "$keyring" 2>>"$LOG_DIR/setup.log"
  # Daemons inherit no extra fds (a caller's lock fd would otherwise be held forever).
  ceph-mon -c "$CONF" -i a 2>>"$LOG_DIR/setup.log" </dev/null || daemon_failed "the monitor"
  wait_for_pid_file "$run_dir/mon.a.pid"
  wait_own_port "the monitor" "$mon_port" "$(cat "$run_dir/mon.a.pid")"
  wait_own_port "the monitor (msgr v1)" "$((mon_port + 1))" "$(cat "$run_dir/mon.a.pid")"
  wait_until "the monitor" ceph -c "$CONF" --connect-timeout 5 mon stat

  # OSD on memstore.
  local osd_uuid osd_secret osd_id
  osd_uuid=$(uuidgen)
  osd_secret=$(ceph-authtool --gen-print-key)
  osd_id=$(echo "{\"cephx_secret\": \"$osd_secret\"}" | ceph -c "$CONF" osd new "$osd_uuid" -i -)
  [[ $osd_id == 0 ]] || die "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --key "$osd_secret" --osd-uuid "$osd_uuid" 2>>"$LOG_DIR/setup.log" >/dev/null
  printf '[osd.0]\n\tkey = %s\n' "$osd_secret" >"$dir/osd.0/keyring"
  ceph-osd -c "$CONF" -i 0 2>>"$LOG_DIR/setup.log" </dev/null
  wait_for_pid_file "$run_dir/osd.0.pid"
  wait_until "osd.0 to be up" osd_is_up

  # radosgw.
  ceph -c "$CONF" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' >>"$keyring"
  radosgw -c "$CONF" -n client.rgw.a 2>>"$LOG_DIR/setup.log" </dev/null || daemon_failed "radosgw"
  wait_for_pid_file "$run_dir/client.rgw.a.pid"
  wait_own_port "radosgw" "$RGW_PORT" "$(cat "$run_dir/client.rgw.a.pid")"
  wait_until "radosgw on port $RGW_PORT" rgw_answers

  # The default zonegroup's api_name is "default": S3 clients sending LocationConstraint us-east-1
  # get InvalidLocationConstraint. Rename it and restart radosgw once so it picks the change up.
  radosgw-admin -c "$CONF" -n client.admin zonegroup modify --rgw-zonegroup=default --api-name=us-east-1 \
    >/dev/null 2>>"$LOG_DIR/setup.log"
  local rgw_pid
  rgw_pid=$(cat "$run_dir/client.rgw.a.pid")
  kill "$rgw_pid"
  for _ in $(seq 1 100); do
    kill -0 "$rgw_pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$run_dir/client.rgw.a.pid"
  radosgw -c "$CONF" -n client.rgw.a 2>>"$LOG_DIR/setup.log" </dev/null || daemon_failed "radosgw"
  wait_for_pid_file "$run_dir/client.rgw.a.pid"
  wait_own_port "radosgw after restart" "$RGW_PORT" "$(cat "$run_dir/client.rgw.a.pid")"
  wait_until "radosgw on port $RGW_PORT after restart" rgw_answers

  # Admin Ops user (caps users=* for user management, buckets=* for bucket info).
  local admin_json access_key secret_key
  admin_json=$(radosgw-admin -c "$CONF" -n client.admin user create --uid=admin --display-name=admin \
    --caps="users=*;buckets=*" 2>>"$LOG_DIR/setup.log")
  access_key=$(node -e 'const u=JSON.parse(process.argv[1]);process.stdout.write(u.keys[0].access_key)' "$admin_json")
  secret_key=$(node -e 'const u=JSON.parse(process.argv[1]);process.stdout.write(u.keys[0].secret_key)' "$admin_json")

  cat >"$dir/env" <<EOF
RGW_ENDPOINT=http://127.0.0.1:$RGW_PORT
RGW_ADMIN_ACCESS_KEY=$access_key
RGW_ADMIN_SECRET_KEY=$secret_key
CEPH_CONF=$CONF
EOF
  trap - EXIT
  cat "$dir/env"
}

main() {
  [[ $# == 2 ]] || die "usage: $0 start|stop DIR"
  local command=$1 dir=$2
  case $command in
  start) start_cluster "$dir" ;;
  stop)
    [[ -d $dir ]] || exit 0
    stop_cluster "$dir"
    rm -rf "$dir"
    ;;
  *) die "usage: $0 start|stop DIR" ;;
  esac
}

main "$@"
