#!/usr/bin/env bash
# Generates the Go (gen/go/ferry) and Python (gen/python/ferry/v1) clients for
# the ferry.v1 API under $1 (default: the checkout) with buf and
# buf.gen.clients.yaml. Run by `npm run generate` and by
# test/gen/staleness.test.ts. Needs protoc-gen-go, protoc-gen-go-grpc (go
# install) and grpcio-tools in $PYTHON or python3 (pip), versions pinned in
# .ci/run. The hand-written helpers (gen/go/ferryclient, gen/go/go.mod,
# gen/python/ferry/__init__.py and client.py) are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(cd "${1:-.}" && pwd)"
gobin="${GOBIN:-}"
if [ -z "$gobin" ]; then gobin="$(go env GOPATH)/bin"; fi
export PATH="$PWD/node_modules/.bin:$gobin:$PATH"

rm -rf "$out/gen/go/ferry" "$out/gen/python/ferry/v1"
buf generate --template buf.gen.clients.yaml --path proto/ferry --output "$out"
