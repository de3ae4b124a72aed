#!/usr/bin/env bash
# What security costs a lookup: GET /discover/{name} driven by wrk against hubs of their own on
# loopback, plain without auth, plain with a bearer token, and HTTPS with a token; nginx serving the
# same answer as a static file over HTTPS is the ceiling for a TLS lookup. One table, one run.
#
#   bench/tls_cost.sh [seconds per case, 10] [connections, 32]
#
# Needs a built tree (tools/dev build), openssl, and Debian's nginx-light and wrk. wrk keeps its
# connections, so the handshakes are a one-off: the figures are TLS's cost per request.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
export SERVICES=100 COMPARE_DIR=$PWD/bench/compare
for tool in nginx wrk curl openssl sha256sum; do
  command -v "$tool" >/dev/null || { echo "tls_cost.sh needs $tool: apt-get install nginx-light wrk curl openssl" >&2; exit 1; }
done
[ -x build/core/hubd ] || { echo "build the tree first: tools/dev build" >&2; exit 1; }

source "$COMPARE_DIR/lib.sh"

# The certificate, made as the README's "From zero to a production hub" does.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$scratch/ca.key" -out "$scratch/ca.crt" -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$scratch/hub.key" -out "$scratch/hub.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$scratch/hub.ext"
openssl x509 -req -in "$scratch/hub.csr" -CA "$scratch/ca.crt" -CAkey "$scratch/ca.key" -CAcreateserial -out "$scratch/hub.crt" \
  -days 1 -extfile "$scratch/hub.ext" 2>/dev/null
token="hub_$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')"
HUB_ADMIN_TOKEN_SHA256=$(printf %s "$token" | sha256sum | cut -d' ' -f1)
export HUB_ADMIN_TOKEN_SHA256

# start_hub NAME SCHEME EXTRA_YAML: a hubd of its own on memory storage, its port in NAME_port.
start_hub() {
  local port
  port=$(free_port $((18400 + ${#pids[@]} * 10)))
  cat >"$scratch/$1.yaml" <<YAML
listen: 127.0.0.1:$port
storage: {backend: memory}
logging: {level: warn}
$3
plugins:
  search_paths: [$PWD/build/plugins]
  libraries:
    - library: discovery
      enable: [{implementation: liveness}]
YAML
  build/core/hubd --config "$scratch/$1.yaml" 2>"$scratch/$1.log" &
  pids+=($!)
  printf -v "$1_port" '%s' "$port"
  wait_for "$2://127.0.0.1:$port/health" --cacert "$scratch/ca.crt"
  for i in $(seq 0 $((SERVICES - 1))); do
    curl -fs -o /dev/null --cacert "$scratch/ca.crt" -H "Authorization: Bearer $token" "$2://127.0.0.1:$port/register" \
      -d "{\"service_name\":\"svc-$i\",\"instance_id\":\"i-0\",\"host\":\"10.0.0.$((i % 250 + 1))\",\"port\":8001}"
  done
}
start_hub plain http ""
start_hub token http "auth: required"
start_hub tls https "auth: required
tls: {certificate: $scratch/hub.crt, key: $scratch/hub.key}"

nginx_port=$(free_port 18500)
mkdir -p "$scratch/www"
curl -fs "http://127.0.0.1:$plain_port/discover/svc-1" >"$scratch/www/discover.json"
cat >"$scratch/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $scratch/nginx.pid;
error_log $scratch/nginx.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  open_file_cache max=16;
  client_body_temp_path $scratch; proxy_temp_path $scratch; fastcgi_temp_path $scratch;
  uwsgi_temp_path $scratch; scgi_temp_path $scratch;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $scratch/hub.crt; ssl_certificate_key $scratch/hub.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $scratch/www; default_type application/json;
  }
}
NGINX
nginx -c "$scratch/nginx.conf" -e "$scratch/nginx.log" &
pids+=($!)
wait_for "https://127.0.0.1:$nginx_port/discover.json" --cacert "$scratch/ca.crt"

drive() { wrk_figures "$@"; }  # URL SCRIPT [WRK ARGS...]

echo "wrk -t2 -c$connections -d${seconds}s per case; GET /discover/{name} over $SERVICES services; hubd on memory storage; $(nproc) cores"
echo
echo "| case | requests/s | p99 ms | of plain |"
echo "|---|---|---|---|"
read -r base base_p99 <<<"$(drive "http://127.0.0.1:$plain_port" hub_lookup.lua)"
printf "| plain HTTP, auth disabled | %s | %s | 1.00 |\n" "$base" "$base_p99"
for case in "plain HTTP, bearer token|http://127.0.0.1:$token_port" "HTTPS, bearer token|https://127.0.0.1:$tls_port"; do
  read -r rate p99 <<<"$(drive "${case#*|}" hub_lookup.lua -H "Authorization: Bearer $token")"
  printf "| %s | %s | %s | %s |\n" "${case%%|*}" "$rate" "$p99" "$(awk -v a="$rate" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
done
read -r rate p99 <<<"$(drive "https://127.0.0.1:$nginx_port/discover.json" "")"
printf "| nginx, the same answer as a static file over HTTPS | %s | %s | %s |\n" "$rate" "$p99" "$(awk -v a="$rate" -v b="$base" 'BEGIN {printf "%.2f", a / b}')"
