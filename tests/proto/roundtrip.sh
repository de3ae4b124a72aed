#!/usr/bin/env bash
# The schemas across languages: C++, Python and Node each write every message of messages.json in
# MessageEnvelopes, and each of the others reads them back and compares them with the fixture.
#   roundtrip.sh CPP_PROGRAM PYTHON_GENERATED_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cpp=$1
export PYTHONPATH=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fixture=$here/messages.json

"$cpp" write "$fixture" "$scratch/cpp.bin"
/usr/bin/python3 "$here/schemas_roundtrip.py" write "$fixture" "$scratch/python.bin"
node "$here/schemas_roundtrip.mjs" write "$fixture" "$scratch/node.bin"
for file in cpp python node; do
  "$cpp" read "$fixture" "$scratch/$file.bin"
  /usr/bin/python3 "$here/schemas_roundtrip.py" read "$fixture" "$scratch/$file.bin"
  node "$here/schemas_roundtrip.mjs" read "$fixture" "$scratch/$file.bin"
done
