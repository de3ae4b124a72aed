# What the bench scripts share: a scratch folder whose servers stop with the script, free loopback
# ports, waiting for a URL, and one wrk run read as "RATE P99_MS". Sourced, not run.

scratch=$(mktemp -d /tmp/hub-bench.XXXXXX)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap stop_all EXIT

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port=$1
  while ! port_is_free "$port"; do port=$((port + 1)); done
  echo "$port"
}

# wait_for URL [CURL ARGS...]
wait_for() {
  local url=$1
  shift
  for _ in $(seq 1 200); do curl -fs -o /dev/null "$@" "$url" && return 0; sleep 0.05; done
  echo "nothing answered $url" >&2
  return 1
}

# wrk_figures URL SCRIPT [WRK ARGS...]: "RATE P99_MS" of one run of $seconds with $connections.
wrk_figures() {
  local url=$1 script=$2 out rate p99
  shift 2
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency ${script:+-s "$COMPARE_DIR/$script"} "$@" "$url" 2>&1)
  if echo "$out" | grep -q "Non-2xx"; then echo "$url ${script}: some answers were not 2xx" >&2; echo "$out" >&2; fi
  rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')
  echo "${rate%.*} $p99"
}
