#!/usr/bin/env bash
# An outside team's path, step by step from an installed copy: install the hub
# from BUILD_DIR into a scratch prefix, build the example probe from
# SOURCE_DIR/plugins/examples and a user of the schemas against that prefix only, have the installed hubd
# load it from YAML, then run the installed hubd with the probe enabled as an
# infrastructure target next to a built-in probe and read its verdicts from
# GET /health/infrastructure. The outside team's probe runs as the README
# advises, out of process, in the installed hub-plugin-host.
set -euo pipefail
build_dir=$1
source_dir=$2
scratch=$(mktemp -d)
hubd_pid=
cleanup() {
  if [[ -n $hubd_pid ]]; then kill "$hubd_pid" 2>/dev/null || true; wait "$hubd_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; [[ -f $scratch/hubd.log ]] && sed 's/^/  hubd: /' "$scratch/hubd.log" >&2; exit 1; }

cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source_dir/plugins/examples" -B "$scratch/example" -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
test -f "$scratch/example/disk-space-probe.so" || fail "the example did not build to disk-space-probe.so"
# A service using the platform's schemas through find_package(hub), from the installed headers.
# A sanitized build (tools/dev test) installs sanitized libraries: their users must be sanitized too.
sanitize=()
linked=$(ldd "$(find "$scratch/prefix" -name 'libhubschemas.so' -print -quit)")  # not piped: grep -q would end ldd early
[[ $linked == *libasan* ]] && sanitize=(-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined)
cmake -S "$source_dir/tests/install/schemas_consumer" -B "$scratch/consumer" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${sanitize[@]}" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
[[ $(LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/consumer/schemas_consumer") == "tick_data EURUSD 1.0851 SIGNAL_DIRECTION_BUY" ]] ||
  fail "the schemas consumer did not read back what it wrote"
cmake -S "$source_dir/tests/install/client_consumer" -B "$scratch/client-consumer" -DCMAKE_PREFIX_PATH="$scratch/prefix" "${sanitize[@]}" >/dev/null
cmake --build "$scratch/client-consumer" >/dev/null
[[ $(LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/client-consumer/client_consumer" 2>/dev/null) == "KeyError 'order-<num>' 1 kept" ]] ||
  fail "the client consumer did not fingerprint, time and keep as expected"
installed_plugins=$(dirname "$(find "$scratch/prefix" -name health-probe.so -print -quit)")
[[ $installed_plugins != . ]] || fail "the installed package has no health-probe.so"

# Warning and critical at 0% keep the verdict independent of this machine's free space.
cat >"$scratch/deployment.yaml" <<YAML
listen: 127.0.0.1:0
storage: {backend: memory}
health_monitoring:
  check_interval_seconds: 60
  infrastructure:
    - {name: root-disk, probe: local-disk, endpoint: /}
    - {name: missing-volume, probe: local-disk, endpoint: /no/such/volume}
    - {name: nothing-listening, probe: tcp, host: 127.0.0.1, port: 1}
plugins:
  search_paths: [$scratch/example, $installed_plugins]
  libraries:
    - library: disk-space-probe
      isolation: process
      enable:
        - implementation: disk_space
          id: local-disk
          config: {path: /, warning_free_percent: 0, critical_free_percent: 0}
    - library: health-probe
      enable:
        - implementation: tcp
YAML
"$scratch/prefix/bin/hubd" --check-config "$scratch/deployment.yaml"

"$scratch/prefix/bin/hubd" --config "$scratch/deployment.yaml" 2>"$scratch/hubd.log" &
hubd_pid=$!

# GET PATH from the running hubd; prints the body.
get() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n' "$1" >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}

deadline=$((SECONDS + 30))
port=
until [[ -n $port ]]; do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$scratch/hubd.log")
  kill -0 "$hubd_pid" 2>/dev/null || fail "the installed hubd exited at start"
  ((SECONDS < deadline)) || fail "the installed hubd did not start listening within 30 s"
  [[ -n $port ]] || sleep 0.1
done

# Infrastructure is checked as soon as the hub starts: wait for all three verdicts.
until status=$(get /health/infrastructure) && [[ $(grep -o '"last_result"' <<<"$status" | wc -l) -eq 3 ]]; do
  ((SECONDS < deadline)) || fail "no verdict for all three targets within 30 s: $status"
  sleep 0.1
done
expect() { grep -Eq "$1" <<<"$status" || fail "GET /health/infrastructure lacks $2: $status"; }
expect '"root-disk":\{[^}]*"status":"healthy"' "root-disk healthy (the custom probe)"
expect '"missing-volume":\{[^}]*"error_message":"statvfs /no/such/volume: No such file or directory"' \
  "missing-volume down with the custom probe's own message"
expect '"missing-volume":\{[^}]*"status":"down"' "missing-volume down"
expect '"nothing-listening":\{[^}]*"status":"down"' "nothing-listening down (the built-in tcp probe)"
plugins=$(get /plugins)
grep -q '"disk-space-probe"' <<<"$plugins" && grep -q '"health-probe"' <<<"$plugins" ||
  fail "GET /plugins does not list both libraries: $plugins"
grep -q '"isolation":"process"' <<<"$(get /health)" || fail "GET /health does not show the example probe out of process"

kill "$hubd_pid"
wait "$hubd_pid" || fail "the installed hubd did not stop cleanly on SIGTERM"
hubd_pid=
echo "the example probe, built against the installed package, checks infrastructure in the installed hubd next to the built-in probes"
