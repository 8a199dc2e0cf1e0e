#!/usr/bin/env bash
# Generates the Go (gen/go/ferry) and Python (gen/python/ferry/v1) clients for
# the ferry.v1 API under $1 (default: the checkout). Run by `npm run generate`
# and by test/gen/staleness.test.ts. Needs protoc-gen-go, protoc-gen-go-grpc
# (go install, versions pinned in .ci/run) and grpcio-tools (pip, pinned in
# .ci/run). The hand-written helpers (gen/go/ferryclient, gen/python/ferry/
# client.py) and gen/go/go.mod are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(cd "${1:-.}" && pwd)"
export PATH="$PWD/node_modules/.bin:${GOBIN:-$(go env GOPATH)/bin}:$PATH"

rm -rf "$out/gen/go/ferry" "$out/gen/python/ferry/v1"
buf generate --template buf.gen.go.yaml --path proto/ferry --output "$out"

mkdir -p "$out/gen/python"
# shellcheck disable=SC2046
"${PYTHON:-python3}" -m grpc_tools.protoc -I proto \
  --python_out="$out/gen/python" --pyi_out="$out/gen/python" --grpc_python_out="$out/gen/python" \
  $(find proto/ferry -name '*.proto' | LC_ALL=C sort)
: >"$out/gen/python/ferry/v1/__init__.py"
