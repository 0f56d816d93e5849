#!/usr/bin/env bash
# The test bed: every server the suites use, installed and started by the project itself.
#
#   scripts/services.sh start  [service...]   install what is missing, start what is down
#   scripts/services.sh stop   [service...]   stop what this script started
#   scripts/services.sh status [service...]   one line per service; exit 1 if one is down
#
# Services (all on 127.0.0.1):
#   postgres        PostgreSQL, port 5432, trust auth, user postgres, database test
#   redis           Redis, port 6379, no persistence
#   redis-cluster   a 3-master Redis Cluster on ports 7000, 7001, 7002
#   ferretdb        FerretDB (MongoDB wire protocol) on port 27017, SQLite handler
#   chromium        the Debian browser at /usr/bin/chromium (installed, nothing to start)
#
# Idempotent: a service that answers is left alone. State lives under .services/ (ignored by
# git): logs in .services/logs/<service>.log, data and pid files beside them. As root, missing
# Debian packages are installed with apt-get (one `apt-get update` first); otherwise the script
# prints the one command that would install them. FerretDB is built once with the machine's Go
# from the Go module proxy and kept in a cache shared by every checkout on the machine.
#
# Environment: PASSPORT_SERVICES_DIR (default <repo>/.services), FERRETDB_VERSION (default
# v1.24.2), PASSPORT_SERVICES_CACHE (default ~/.cache/passport-services). A fault test that must
# stop a server without disturbing the suites running beside it starts a private one:
#   PASSPORT_SERVICES_DIR=$tmp PASSPORT_REDIS_PORT=6390 scripts/services.sh start redis
#   PASSPORT_SERVICES_DIR=$tmp PASSPORT_FERRETDB_PORT=27018 scripts/services.sh start ferretdb
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PASSPORT_SERVICES_DIR:-$ROOT/.services}
LOGS=$STATE/logs
CACHE=${PASSPORT_SERVICES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/passport-services}
FERRETDB_VERSION=${FERRETDB_VERSION:-v1.24.2}
FERRETDB_BIN=$CACHE/ferretdb-$FERRETDB_VERSION/ferretdb
PG_PORT=5432
REDIS_PORT=${PASSPORT_REDIS_PORT:-6379}
CLUSTER_PORTS=(7000 7001 7002)
MONGO_PORT=${PASSPORT_FERRETDB_PORT:-27017}
ALL=(postgres redis redis-cluster ferretdb chromium)
START_COMMAND="scripts/services.sh start"

mkdir -p "$LOGS"

is_root() { [ "$(id -u)" = 0 ]; }

# --- helpers -------------------------------------------------------------------------------------

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or the time is up.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

# fail_with_log SERVICE LOGFILE MESSAGE: prints the message and the log's last 30 lines.
fail_with_log() {
  echo "$1: FAILED: $3"
  if [ -f "$2" ]; then
    echo "---- last 30 lines of $2"
    tail -n 30 "$2"
    echo "----"
  fi
  return 1
}

APT_UPDATED=0
# need_packages SERVICE PACKAGE...: installs the Debian packages that are missing (as root),
# or prints the command that would and fails.
need_packages() {
  local service=$1
  shift
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
    echo "$service: missing Debian packages ${missing[*]}: run  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    return 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$LOGS/apt.log" 2>&1 || true
    APT_UPDATED=1
  fi
  # policy-rc.d 101 keeps the packages' own init scripts from starting system-wide daemons:
  # this script starts every server itself, on its own ports and directories.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1
  local rc=$?
  [ "$created_policy" = 1 ] && rm -f "$policy"
  if [ $rc -ne 0 ]; then
    fail_with_log "$service" "$LOGS/apt.log" "apt-get install ${missing[*]} failed"
    return 1
  fi
  INSTALLED=1
}

# report SERVICE PORTS: the line for a service that this run started (or installed and started).
report_started() {
  if [ "${INSTALLED:-0}" = 1 ]; then echo "$1: installed and started on $2"; else echo "$1: started on $2"; fi
}

# --- PostgreSQL ----------------------------------------------------------------------------------
# Its own cluster (not the Debian one), so the settings the suites rely on are ours: trust auth
# on 127.0.0.1 only, no Unix socket, pg_stat_statements loaded for the benchmarks' profiles. As
# root the server runs as the `postgres` user with its data under /var/lib/postgresql (a path
# that user can reach from any checkout); otherwise as the current user under .services/.

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && echo "$dir"
}

pg_data() {
  if is_root; then echo "/var/lib/postgresql/passport-test-bed"; else echo "$STATE/postgres/data"; fi
}

pg_as_owner() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_has_test_db() {
  "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d test -tAc 'select 1' >/dev/null 2>&1
}

start_postgres() {
  INSTALLED=0
  local log=$LOGS/postgres.log
  if port_open "$PG_PORT"; then
    if [ -n "$(pg_bin)" ] && pg_has_test_db; then
      echo "postgres: already running on 127.0.0.1:$PG_PORT"
      return 0
    fi
    echo "postgres: port $PG_PORT is taken by something that does not accept user postgres on database test (trust auth)"
    return 1
  fi
  need_packages postgres postgresql postgresql-contrib || return 1
  local bin data
  bin=$(pg_bin)
  data=$(pg_data)
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    is_root && chown postgres:postgres "$data" && chmod 700 "$data"
    if ! pg_as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >>"$log" 2>&1; then
      fail_with_log postgres "$log" "initdb failed"
      return 1
    fi
  fi
  # The server runs in the background with its output appended to the log; the redirection is
  # opened here, by the caller, so the log may live where the server's user cannot write.
  local cmd=("$bin/postgres" -D "$data" -c listen_addresses=127.0.0.1 -c port="$PG_PORT"
    -c unix_socket_directories= -c max_connections=300
    -c shared_preload_libraries=pg_stat_statements)
  is_root && cmd=(runuser -u postgres -- "${cmd[@]}")
  setsid nohup "${cmd[@]}" >>"$log" 2>&1 </dev/null &
  if ! wait_for 60 pg_ready; then
    fail_with_log postgres "$log" "not accepting connections on 127.0.0.1:$PG_PORT after 60 s"
    return 1
  fi
  if ! pg_has_test_db; then
    "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres test >>"$log" 2>&1 || {
      fail_with_log postgres "$log" "createdb test failed"
      return 1
    }
  fi
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d test -qc 'create extension if not exists pg_stat_statements' >>"$log" 2>&1
  report_started postgres "127.0.0.1:$PG_PORT (database test, user postgres, trust)"
}

stop_postgres() {
  local bin data
  bin=$(pg_bin)
  data=$(pg_data)
  if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
    pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 && echo "postgres: stopped" && return 0
  fi
  if port_open "$PG_PORT"; then echo "postgres: running on $PG_PORT but not started by this script: left alone"; else echo "postgres: not running"; fi
}

status_postgres() {
  if port_open "$PG_PORT" && [ -n "$(pg_bin)" ] && pg_has_test_db; then
    echo "postgres: running on 127.0.0.1:$PG_PORT"
  else
    echo "postgres: DOWN (start: $START_COMMAND postgres)"
    return 1
  fi
}

# --- Redis ---------------------------------------------------------------------------------------

redis_ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }

# start_redis_node PORT DIR EXTRA...: one redis-server, daemonized, without persistence.
start_redis_node() {
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --save "" --appendonly no --pidfile "$dir/redis.pid" --logfile "$LOGS/redis-$port.log" "$@" \
    >>"$LOGS/redis-$port.log" 2>&1
}

start_redis() {
  INSTALLED=0
  if redis_ping "$REDIS_PORT"; then
    echo "redis: already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  if port_open "$REDIS_PORT"; then
    echo "redis: port $REDIS_PORT is taken by something that does not answer PING"
    return 1
  fi
  need_packages redis redis-server redis-tools || return 1
  start_redis_node "$REDIS_PORT" "$STATE/redis/$REDIS_PORT"
  if ! wait_for 20 redis_ping "$REDIS_PORT"; then
    fail_with_log redis "$LOGS/redis-$REDIS_PORT.log" "no PONG on 127.0.0.1:$REDIS_PORT after 20 s"
    return 1
  fi
  report_started redis "127.0.0.1:$REDIS_PORT"
}

# stop_redis_port PORT: shuts one node down; true if it was running.
stop_redis_port() {
  redis_ping "$1" || return 1
  redis-cli -h 127.0.0.1 -p "$1" shutdown nosave >/dev/null 2>&1
  wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null"
}

stop_redis() {
  if stop_redis_port "$REDIS_PORT"; then echo "redis: stopped"; else echo "redis: not running"; fi
}

status_redis() {
  if redis_ping "$REDIS_PORT"; then
    echo "redis: running on 127.0.0.1:$REDIS_PORT"
  else
    echo "redis: DOWN (start: $START_COMMAND redis)"
    return 1
  fi
}

# --- Redis Cluster -------------------------------------------------------------------------------

cluster_ok() { redis-cli -h 127.0.0.1 -p "${CLUSTER_PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

cluster_all_up() {
  local p
  for p in "${CLUSTER_PORTS[@]}"; do redis_ping "$p" || return 1; done
}

start_redis_cluster() {
  INSTALLED=0
  local ports="127.0.0.1:${CLUSTER_PORTS[0]}, ${CLUSTER_PORTS[1]}, ${CLUSTER_PORTS[2]}"
  if cluster_all_up && cluster_ok; then
    echo "redis-cluster: already running on $ports"
    return 0
  fi
  need_packages redis-cluster redis-server redis-tools || return 1
  # Anything half-up is torn down: the cluster holds test data only, and a fresh cluster is the
  # one state that is certain to converge.
  local p
  for p in "${CLUSTER_PORTS[@]}"; do
    redis_ping "$p" && redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1
  done
  for p in "${CLUSTER_PORTS[@]}"; do
    wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null"
    if port_open "$p"; then
      echo "redis-cluster: port $p is taken by something else"
      return 1
    fi
    rm -rf "$STATE/redis-cluster/$p"
    start_redis_node "$p" "$STATE/redis-cluster/$p" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 5000
  done
  for p in "${CLUSTER_PORTS[@]}"; do
    if ! wait_for 20 redis_ping "$p"; then
      fail_with_log redis-cluster "$LOGS/redis-$p.log" "node $p gives no PONG after 20 s"
      return 1
    fi
  done
  local nodes=()
  for p in "${CLUSTER_PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  if ! redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >>"$LOGS/redis-cluster.log" 2>&1; then
    fail_with_log redis-cluster "$LOGS/redis-cluster.log" "redis-cli --cluster create failed"
    return 1
  fi
  if ! wait_for 30 cluster_ok; then
    fail_with_log redis-cluster "$LOGS/redis-cluster.log" "cluster_state is not ok after 30 s"
    return 1
  fi
  report_started redis-cluster "$ports (3 masters, cluster_state:ok)"
}

stop_redis_cluster() {
  local p stopped=0
  for p in "${CLUSTER_PORTS[@]}"; do stop_redis_port "$p" && stopped=1; done
  if [ "$stopped" = 1 ]; then echo "redis-cluster: stopped"; else echo "redis-cluster: not running"; fi
}

status_redis_cluster() {
  if cluster_all_up && cluster_ok; then
    echo "redis-cluster: running on 127.0.0.1:${CLUSTER_PORTS[0]}-${CLUSTER_PORTS[2]} (cluster_state:ok)"
  else
    echo "redis-cluster: DOWN (start: $START_COMMAND redis-cluster)"
    return 1
  fi
}

# --- FerretDB ------------------------------------------------------------------------------------
# FerretDB speaks the MongoDB wire protocol. Its SQLite handler keeps the data in files under
# .services/ferretdb: independent of the PostgreSQL above, so a PostgreSQL fault test or benchmark
# never disturbs the Mongo suites, and the Mongo bench's server CPU is one process.

build_ferretdb() {
  [ -x "$FERRETDB_BIN" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    echo "ferretdb: Go is not installed; FerretDB $FERRETDB_VERSION is built from the Go module proxy with it (https://go.dev/dl/)"
    return 1
  fi
  local log=$LOGS/ferretdb-build.log
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  echo "ferretdb: building $FERRETDB_VERSION with $(go version | cut -d' ' -f3) (once per machine; log: $log)"
  # `go install ...@version` builds a binary that panics at start: the module as published has no
  # build/version/version.txt, which FerretDB embeds. So: download the module, copy it, write that
  # file, and build its cmd/ferretdb.
  local src work
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" 2>>"$log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src" ]; then
    fail_with_log ferretdb "$log" "go mod download github.com/FerretDB/FerretDB@$FERRETDB_VERSION failed"
    return 1
  fi
  work=$(mktemp -d)
  cp -r "$src/." "$work/" && chmod -R u+w "$work" && echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  if ! (cd "$work" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) >>"$log" 2>&1; then
    rm -rf "$work"
    fail_with_log ferretdb "$log" "go build of FerretDB $FERRETDB_VERSION failed"
    return 1
  fi
  rm -rf "$work"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  INSTALLED=1
}

start_ferretdb() {
  INSTALLED=0
  local log=$LOGS/ferretdb.log pidfile=$STATE/ferretdb/ferretdb.pid
  if port_open "$MONGO_PORT"; then
    echo "ferretdb: already running on 127.0.0.1:$MONGO_PORT"
    return 0
  fi
  build_ferretdb || return 1
  mkdir -p "$STATE/ferretdb/data" "$STATE/ferretdb/state"
  : >"$log"
  setsid nohup "$FERRETDB_BIN" \
    --listen-addr="127.0.0.1:$MONGO_PORT" \
    --handler=sqlite --sqlite-url="file:$STATE/ferretdb/data/" \
    --state-dir="$STATE/ferretdb/state" \
    --debug-addr=- --telemetry=disable --log-level=warn \
    >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  if ! wait_for 30 port_open "$MONGO_PORT"; then
    fail_with_log ferretdb "$log" "not listening on 127.0.0.1:$MONGO_PORT after 30 s"
    return 1
  fi
  report_started ferretdb "127.0.0.1:$MONGO_PORT (FerretDB $FERRETDB_VERSION, SQLite handler)"
}

stop_ferretdb() {
  local pidfile=$STATE/ferretdb/ferretdb.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill "$(cat "$pidfile")"
    wait_for 15 bash -c "! kill -0 $(cat "$pidfile") 2>/dev/null" || kill -9 "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
    echo "ferretdb: stopped"
  elif port_open "$MONGO_PORT"; then
    echo "ferretdb: running on $MONGO_PORT but not started by this checkout: left alone"
  else
    echo "ferretdb: not running"
  fi
}

status_ferretdb() {
  if port_open "$MONGO_PORT"; then
    echo "ferretdb: running on 127.0.0.1:$MONGO_PORT"
  else
    echo "ferretdb: DOWN (start: $START_COMMAND ferretdb)"
    return 1
  fi
}

# --- Chromium ------------------------------------------------------------------------------------

start_chromium() {
  INSTALLED=0
  if [ -x /usr/bin/chromium ]; then
    echo "chromium: already installed at /usr/bin/chromium"
    return 0
  fi
  need_packages chromium chromium || return 1
  echo "chromium: installed at /usr/bin/chromium"
}
stop_chromium() { :; }
status_chromium() {
  if [ -x /usr/bin/chromium ]; then
    echo "chromium: installed at /usr/bin/chromium"
  else
    echo "chromium: MISSING (install: $START_COMMAND chromium)"
    return 1
  fi
}

# --- main ----------------------------------------------------------------------------------------

action=${1:-status}
shift || true
services=("$@")
[ ${#services[@]} -eq 0 ] && services=("${ALL[@]}")
case "$action" in
  start | stop | status) ;;
  *)
    echo "usage: scripts/services.sh start|stop|status [${ALL[*]}]" >&2
    exit 2
    ;;
esac

# Stop in reverse order (nothing depends on another today, but keep start order meaningful).
if [ "$action" = stop ]; then
  reversed=()
  for ((i = ${#services[@]} - 1; i >= 0; i--)); do reversed+=("${services[$i]}"); done
  services=("${reversed[@]}")
fi

rc=0
for s in "${services[@]}"; do
  case "$s" in
    postgres | redis | redis-cluster | ferretdb | chromium) "${action}_${s//-/_}" || rc=1 ;;
    *)
      echo "unknown service: $s (one of: ${ALL[*]})" >&2
      rc=2
      ;;
  esac
done
exit $rc
