#!/usr/bin/env bash
# The compatibility gate (api.md: field numbers and names are forever once
# landed): `buf breaking` (FILE rules, buf.yaml) of the working tree's proto/
# against every earlier version of the contract on this branch's main line
# (first parents only: a merged branch's intermediate commits never landed).
# With a release tag (v*), that is the tag and every commit since it that
# changed proto/; without one, every earlier commit that changed proto/.
# Checking each version, not just HEAD~1, catches a break made by any commit
# of a multi-commit change, not only by its last one. Run by .ci/run;
# `npm run breaking` runs it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf

# A shallow clone lacks the history to compare with: fetch it when possible.
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --unshallow 2>/dev/null ||
    echo "buf breaking: WARNING: shallow clone and its history cannot be fetched; checking what is here" >&2
fi
if ! git rev-parse --verify --quiet HEAD~1 >/dev/null; then
  echo "buf breaking: WARNING: no commit before HEAD here, nothing to compare with; skipped" >&2
  exit 0
fi

tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD~1 2>/dev/null || true)
if [ -n "$tag" ]; then
  mapfile -t versions < <(echo "$tag"; git rev-list --first-parent "$tag"..HEAD~1 -- proto)
else
  mapfile -t versions < <(git rev-list --first-parent HEAD~1 -- proto)
fi
if [ ${#versions[@]} -eq 0 ]; then
  echo "buf breaking: no earlier commit with proto/; skipped"
  exit 0
fi
for v in "${versions[@]}"; do
  "$buf" breaking --against ".git#ref=$v" || {
    echo "buf breaking: proto/ breaks the contract as of $(git log -1 --format='%h %s' "$v")" >&2
    exit 1
  }
done
echo "buf breaking: compatible with ${#versions[@]} earlier version(s) of the contract${tag:+ (since $tag)}"
