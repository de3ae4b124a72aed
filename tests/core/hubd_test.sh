#!/usr/bin/env bash
# hubd as an operator runs it: argument errors, --check-config, --listen, and
# a clean stop on SIGTERM. Uses bash's /dev/tcp, so it needs no HTTP client.
set -uo pipefail
hubd=$1
source_dir=$2
plugin_dir=$3
scratch=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*"; [ -f "$scratch/hubd.log" ] && cat "$scratch/hubd.log"; exit 1; }

"$hubd" --version | grep -q "^hubd .* (plugin ABI 1.2.0)$" || fail "--version"

"$hubd" >/dev/null 2>"$scratch/err"; [ $? -eq 2 ] || fail "no arguments should exit 2"
grep -q "give exactly one of --config FILE or --check-config FILE" "$scratch/err" || fail "no-argument message"
"$hubd" --config 2>"$scratch/err"; [ $? -eq 2 ] || fail "--config without a value should exit 2"
grep -q "hubd: --config needs a value" "$scratch/err" || fail "missing value message"

printf 'listen: 127.0.0.1:1\nstorage: {backend: memory}\nlogging: {colour: red}\n' >"$scratch/bad.yaml"
"$hubd" --check-config "$scratch/bad.yaml" 2>"$scratch/err"; [ $? -eq 1 ] || fail "a bad deployment should exit 1"
grep -qF "hubd: $scratch/bad.yaml:3:11: logging.colour: unknown key (expected one of: format, level)" "$scratch/err" || fail "bad deployment message: $(cat "$scratch/err")"
HUB_PLUGIN_DIR=$plugin_dir "$hubd" --check-config "$source_dir/config/test.yaml" | grep -q ": OK$" || fail "--check-config of config/test.yaml"

# Whatever a start refuses, the check refuses first, at the line and column of the cause.
check_refuses() {  # NAME EXPECTED-MESSAGE, with the YAML on stdin
  cat >"$scratch/$1.yaml"
  HUB_PLUGIN_DIR=$plugin_dir "$hubd" --check-config "$scratch/$1.yaml" >/dev/null 2>"$scratch/err"; [ $? -eq 1 ] || fail "$1: the check passed"
  grep -qF "hubd: $scratch/$1.yaml:$2" "$scratch/err" || fail "$1 message: $(cat "$scratch/err")"
  HUB_PLUGIN_DIR=$plugin_dir "$hubd" --config "$scratch/$1.yaml" >/dev/null 2>"$scratch/err"; [ $? -eq 1 ] || fail "$1: the start passed"
  grep -qF "hubd: $scratch/$1.yaml:$2" "$scratch/err" || fail "$1 start message: $(cat "$scratch/err")"
}
probes="plugins:
  search_paths: [$plugin_dir]
  libraries:
    - library: health-probe
      enable: [{implementation: nats}, {implementation: http}]"
check_refuses unknown-probe "7:41: health_monitoring.infrastructure[0].probe: 'natss' is not an enabled health_probe implementation (enabled: http, nats)" <<YAML
listen: 127.0.0.1:0
storage: {backend: memory}
logging: {level: error}
health_monitoring:
  service_probe: http
  infrastructure:
    - {name: events, port: 4222, probe: natss}
$probes
YAML
check_refuses unknown-service-probe "5:18: health_monitoring.service_probe: 'htp' is not an enabled health_probe implementation" <<YAML
listen: 127.0.0.1:0
storage: {backend: memory}
logging: {level: error}
health_monitoring:
  service_probe: htp
$probes
YAML
check_refuses plugin-key-typo "9:47: plugins.libraries[0].enable[0].config.service_timeout: unknown key for implementation 'liveness' (expected one of: auto_deregister_dead_services, deregister_after_seconds, service_timeout_seconds)" <<YAML
listen: 127.0.0.1:0
storage: {backend: memory}
logging: {level: error}
plugins:
  search_paths: [$plugin_dir]
  libraries:
    - library: discovery
      enable:
        - {implementation: liveness, config: {service_timeout: 2}}
YAML

port=18400
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
HUB_PLUGIN_DIR=$plugin_dir "$hubd" --config "$source_dir/config/test.yaml" --listen "127.0.0.1:$port" 2>"$scratch/hubd.log" &
pid=$!
deadline=$((SECONDS + 30))
until reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /health HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null); do
  kill -0 "$pid" 2>/dev/null || fail "hubd exited before answering"
  [ $SECONDS -lt $deadline ] || fail "no answer on port $port within 30 s"
  sleep 0.1
done
grep -q '"status":"healthy"' <<<"$reply" || fail "/health: $reply"
grep -q '"instances":\["test-disk"\]' <<<"$reply" || fail "/health lacks the test-disk probe: $reply"

kill -TERM "$pid"
deadline=$((SECONDS + 30))
while kill -0 "$pid" 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || fail "hubd still running 30 s after SIGTERM"
  sleep 0.1
done
wait "$pid"; status=$?
[ $status -eq 0 ] || fail "hubd exited with $status after SIGTERM"
grep -q "Terminated, stopping" "$scratch/hubd.log" || fail "no stop message"
# Tokens offline, against the storage a manifest names.
printf 'listen: 127.0.0.1:0\nauth: required\nstorage: {backend: sqlite, sqlite: {path: %s/tokens.db}}\nlogging: {level: info}\n' "$scratch" >"$scratch/secured.yaml"
token=$("$hubd" token create --config "$scratch/secured.yaml" --role admin --description "first admin" --expires-in 30d 2>"$scratch/err") || fail "token create: $(cat "$scratch/err")"
[[ $token =~ ^hub_[A-Za-z0-9_-]{43}$ ]] || fail "token create printed '$token'"
grep -q "shown this once" "$scratch/err" || fail "token create does not say the token is shown once"
"$hubd" token list --config "$scratch/secured.yaml" >"$scratch/list" || fail "token list"
grep -q "admin .*first admin" "$scratch/list" || fail "token list: $(cat "$scratch/list")"
grep -qF "$token" "$scratch/list" && fail "token list shows the token"
id=$(awk 'NR == 2 {print $1}' "$scratch/list")
"$hubd" token revoke --config "$scratch/secured.yaml" "$id" 2>"$scratch/err" || fail "token revoke: $(cat "$scratch/err")"
"$hubd" token list --config "$scratch/secured.yaml" | awk 'NR == 2 {print $5}' | grep -q "^20" || fail "the revoked token shows no revocation time"
"$hubd" token revoke --config "$scratch/secured.yaml" no-such-id 2>"$scratch/err"; [ $? -eq 1 ] || fail "revoking an unknown id should exit 1"
"$hubd" token create --config "$scratch/secured.yaml" --role root 2>"$scratch/err"; [ $? -eq 1 ] || fail "a bad role should exit 1"
grep -q 'role: "root" is not a role' "$scratch/err" || fail "bad role message: $(cat "$scratch/err")"
"$hubd" token create --config "$scratch/secured.yaml" --role admin --expires-in soon 2>/dev/null; [ $? -eq 2 ] || fail "a bad --expires-in should exit 2"
"$hubd" token create --config "$source_dir/config/test.yaml" --role admin 2>"$scratch/err"; [ $? -eq 1 ] || fail "tokens in memory storage should be refused"
grep -q "storage is memory" "$scratch/err" || fail "memory storage message: $(cat "$scratch/err")"

# Without auth, nothing but loopback.
HUB_PLUGIN_DIR=$plugin_dir "$hubd" --config "$source_dir/config/test.yaml" --listen 0.0.0.0:0 2>"$scratch/err"; [ $? -eq 1 ] || fail "auth disabled on 0.0.0.0 should refuse to start"
grep -q "auth is disabled and listen is 0.0.0.0:0, not a loopback address" "$scratch/err" || fail "exposure message: $(cat "$scratch/err")"

# SIGHUP reloads the TLS certificate; the hub serves on.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$scratch/hub.key" -out "$scratch/hub.crt" -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl could not make a certificate"
printf 'tls: {certificate: %s/hub.crt, key: %s/hub.key}\n' "$scratch" "$scratch" >>"$scratch/secured.yaml"
"$hubd" --config "$scratch/secured.yaml" 2>"$scratch/hubd.log" &
pid=$!
deadline=$((SECONDS + 30))
until grep -q "listening on" "$scratch/hubd.log"; do
  kill -0 "$pid" 2>/dev/null || fail "the TLS hub exited"
  [ $SECONDS -lt $deadline ] || fail "the TLS hub did not start within 30 s"
  sleep 0.1
done
grep -q "no admin token exists" "$scratch/hubd.log" || fail "no warning that the only admin token is revoked"
kill -HUP "$pid"
deadline=$((SECONDS + 30))
until grep -q "reloaded the TLS certificate" "$scratch/hubd.log"; do
  [ $SECONDS -lt $deadline ] || fail "no reload after SIGHUP"
  sleep 0.1
done
kill -0 "$pid" || fail "hubd stopped on SIGHUP"
kill -TERM "$pid"
wait "$pid" || fail "the TLS hub did not stop cleanly"

# Snapshots offline: the tokens database saved, restored into a fresh one, refused over it without --force.
"$hubd" --snapshot-save "$scratch/hub.snapshot" --config "$scratch/secured.yaml" 2>"$scratch/err" || fail "snapshot save: $(cat "$scratch/err")"
grep -q "verified" "$scratch/err" || fail "snapshot save does not say it verified: $(cat "$scratch/err")"
head -1 "$scratch/hub.snapshot" | grep -qx "central-hub-snapshot 1" || fail "the snapshot's first line: $(head -1 "$scratch/hub.snapshot")"
printf 'listen: 127.0.0.1:0\nstorage: {backend: sqlite, sqlite: {path: %s/restored.db}}\n' "$scratch" >"$scratch/restored.yaml"
"$hubd" --snapshot-restore "$scratch/hub.snapshot" --config "$scratch/restored.yaml" 2>"$scratch/err" || fail "snapshot restore: $(cat "$scratch/err")"
printf 'x' >>"$scratch/hub.snapshot"
"$hubd" --snapshot-restore "$scratch/hub.snapshot" --config "$scratch/restored.yaml" --force 2>"$scratch/err"; [ $? -eq 1 ] || fail "a snapshot with a byte added should be refused"
grep -q "cut short or added to" "$scratch/err" || fail "the refusal does not say why: $(cat "$scratch/err")"
"$hubd" --snapshot-save "$scratch/x.snapshot" 2>/dev/null; [ $? -eq 2 ] || fail "--snapshot-save without --config should exit 2"

echo "hubd: arguments, --check-config, --listen and SIGTERM behave; tokens, snapshots, exposure and SIGHUP too"
