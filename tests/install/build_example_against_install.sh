#!/usr/bin/env bash
# Installs the hub from BUILD_DIR into a scratch prefix, builds the example
# plugin from SOURCE_DIR/plugins/examples against that prefix only (as an
# outside team would), and has the installed hubd load it from YAML.
set -euo pipefail
build_dir=$1
source_dir=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cmake --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source_dir/plugins/examples" -B "$scratch/example" -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/example" >/dev/null
test -f "$scratch/example/disk-space-probe.so"

cat >"$scratch/deployment.yaml" <<YAML
listen: 127.0.0.1:0
storage: {backend: memory}
plugins:
  search_paths: [$scratch/example]
  libraries:
    - library: disk-space-probe
      enable:
        - implementation: disk_space
          config: {path: /, warning_free_percent: 10, critical_free_percent: 5}
YAML
"$scratch/prefix/bin/hubd" --check-config "$scratch/deployment.yaml"
echo "the example plugin built against the installed package loads in the installed hubd"
