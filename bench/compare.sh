#!/usr/bin/env bash
# The hub beside etcd (its v3 JSON gateway) and nginx, all on loopback ports of their own, driven
# by wrk for the same time and connections per case; prints one table with the ratios. The writes
# run again on SQLite with synchronous: full and on a PostgreSQL started here (when installed).
#
#   bench/compare.sh [seconds per case, 10] [connections, 32]
#
# Needs a built tree (tools/dev build) and Debian's etcd-server, etcd-client, nginx-light and wrk.
# A fresh key or instance per request for the writes; a service among SERVICES (100) for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
export SERVICES=100 COMPARE_DIR=$PWD/bench/compare
for tool in etcd etcdctl nginx wrk curl; do
  command -v "$tool" >/dev/null || { echo "compare.sh needs $tool: apt-get install etcd-server etcd-client nginx-light wrk curl" >&2; exit 1; }
done
[ -x build/core/hubd ] || { echo "build the tree first: tools/dev build" >&2; exit 1; }

source "$COMPARE_DIR/lib.sh"

# start_hub NAME STORAGE_YAML: a hubd of its own, its port in NAME_port.
start_hub() {
  local port
  port=$(free_port $((18100 + ${#pids[@]} * 10)))
  cat >"$scratch/$1.yaml" <<YAML
listen: 127.0.0.1:$port
storage: $2
logging: {level: warn}
plugins:
  search_paths: [$PWD/build/plugins]
  libraries:
    - library: discovery
      enable: [{implementation: liveness}]
YAML
  build/core/hubd --config "$scratch/$1.yaml" 2>"$scratch/$1.log" &
  pids+=($!)
  printf -v "$1_port" '%s' "$port"
  wait_for "http://127.0.0.1:$port/health"
}
start_hub hub "{backend: sqlite, sqlite: {path: $scratch/hub.db}}"

etcd_port=$(free_port 18200)
peer_port=$(free_port $((etcd_port + 1)))
etcd --data-dir "$scratch/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "default=http://127.0.0.1:$peer_port" \
  --log-level error >"$scratch/etcd.log" 2>&1 &
pids+=($!)

wait_for "http://127.0.0.1:$etcd_port/health"

# The same services in both: one instance each in the hub, one key each in etcd.
for i in $(seq 0 $((SERVICES - 1))); do
  curl -fs -o /dev/null "http://127.0.0.1:$hub_port/register" \
    -d "{\"service_name\":\"svc-$i\",\"instance_id\":\"i-0\",\"host\":\"10.0.0.$((i % 250 + 1))\",\"port\":8001}"
  ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$etcd_port" put "svc-$i" "{\"host\":\"10.0.0.$((i % 250 + 1))\",\"port\":8001}" >/dev/null
done
lease=$(curl -fs "http://127.0.0.1:$etcd_port/v3/lease/grant" -d '{"TTL": 3600}' | sed 's/.*"ID":"\([0-9]*\)".*/\1/')
export LEASE=$lease

# nginx serves the hub's own /discover answer as a static file: the ceiling for an HTTP lookup.
nginx_port=$(free_port 18300)
mkdir -p "$scratch/www"
curl -fs "http://127.0.0.1:$hub_port/discover/svc-1" >"$scratch/www/discover.json"
cat >"$scratch/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $scratch/nginx.pid;
error_log $scratch/nginx.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;  # as the hub: no reconnect every 1,000 requests
  open_file_cache max=16;
  sendfile on;
  client_body_temp_path $scratch; proxy_temp_path $scratch; fastcgi_temp_path $scratch;
  uwsgi_temp_path $scratch; scgi_temp_path $scratch;
  server { listen 127.0.0.1:$nginx_port; root $scratch/www; default_type application/json; }
}
NGINX
nginx -c "$scratch/nginx.conf" -e "$scratch/nginx.log" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/discover.json"

drive() { wrk_figures "$1" "${2:-}"; }  # URL [SCRIPT]

hub="http://127.0.0.1:$hub_port"
etcd="http://127.0.0.1:$etcd_port"
row() {  # CASE HUB_RESULT PEER_NAME PEER_RESULT
  read -r hub_rate hub_p99 <<<"$2"
  read -r peer_rate peer_p99 <<<"$4"
  printf "| %s | %s/s, p99 %s ms | %s %s/s, p99 %s ms | %s× |\n" "$1" "$hub_rate" "$hub_p99" "$3" "$peer_rate" "$peer_p99" \
    "$(awk -v a="$hub_rate" -v b="$peer_rate" 'BEGIN {printf "%.2f", a / b}')"
}

echo "wrk -t2 -c$connections -d${seconds}s per case; hubd on SQLite, etcd $(etcd --version | awk 'NR==1 {print $3}'), nginx static; $(nproc) cores"
echo
echo "| case | hub | peer | hub / peer |"
echo "|---|---|---|---|"
lookup=$(drive "$hub" hub_lookup.lua)
range=$(drive "$etcd" etcd_range.lua)
static=$(drive "http://127.0.0.1:$nginx_port/discover.json")
row "lookup: GET /discover/{name} vs etcd range" "$lookup" "etcd" "$range"
row "lookup vs nginx's static answer" "$lookup" "nginx" "$static"
row "balanced pick: GET /lb/{service} (circuit permit, leased pick) vs GET /discover" "$(drive "$hub" hub_lb.lua)" "/discover" "$lookup"
row "heartbeat with a metric vs etcd lease keepalive" "$(drive "$hub" hub_heartbeat.lua)" "etcd" "$(drive "$etcd" etcd_keepalive.lua)"
put=$(drive "$etcd" etcd_put.lua)
row "registration, a new instance each, durable, vs etcd put" "$(drive "$hub" hub_register.lua)" "etcd" "$put"
row "config update, a new version each, durable, vs etcd put" "$(drive "$hub" hub_config.lua)" "etcd" "$put"

# The writes again on SQLite with synchronous: full (an fsync per group commit, as etcd syncs its
# WAL) and on PostgreSQL (Debian's, started here with fsync and synchronous_commit on).
start_hub full "{backend: sqlite, sqlite: {path: $scratch/full.db, synchronous: full}}"
full="http://127.0.0.1:$full_port"
row "registration, SQLite synchronous: full, vs etcd put" "$(drive "$full" hub_register.lua)" "etcd" "$put"
row "config update, SQLite synchronous: full, vs etcd put" "$(drive "$full" hub_config.lua)" "etcd" "$put"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then
  echo "(no PostgreSQL rows: apt-get install postgresql)"
  exit 0
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_port=$(free_port 18400)
mkdir "$scratch/pg"
chmod 755 "$scratch"
[ "$(id -u)" = 0 ] && chown postgres "$scratch/pg"
as_postgres "$pg_bin/initdb" -D "$scratch/pg" -U postgres -A trust >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$scratch/pg" -l "$scratch/pg/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $scratch/pg" \
  start >/dev/null
stop_pg() { as_postgres "$pg_bin/pg_ctl" -D "$scratch/pg" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'stop_pg; stop_all' EXIT
start_hub on_pg "{backend: postgres, postgres: {host: 127.0.0.1, port: $pg_port, dbname: postgres, user: postgres}}"
on_pg="http://127.0.0.1:$on_pg_port"
row "registration, PostgreSQL, vs etcd put" "$(drive "$on_pg" hub_register.lua)" "etcd" "$put"
row "config update, PostgreSQL, vs etcd put" "$(drive "$on_pg" hub_config.lua)" "etcd" "$put"
