#!/usr/bin/env bash
# Keeps tests/data/conformance/ an exact copy of the team's shared conformance
# vectors (../shared/conformance/ beside this repository), so that the tests
# pass from a fresh clone alone.
#
#   scripts/sync_conformance.sh           refresh the copy from ../shared/conformance/
#   scripts/sync_conformance.sh --check   exit 1 if the copy differs from it (CI)
#
# SCOUR_SHARED_CONFORMANCE=DIR reads another folder. The project's own vectors
# live beside the copy, in tests/data/vectors/, and are never touched here.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${SCOUR_SHARED_CONFORMANCE:-../shared/conformance}
dst=tests/data/conformance

[ -d "$src" ] || { echo "sync_conformance: $src does not exist; nothing to compare with" >&2; exit 2; }

if [ "${1:-}" = "--check" ]; then
  if diff -r "$src" "$dst" >/dev/null; then
    echo "sync_conformance: $dst matches $src"
    exit 0
  fi
  echo "sync_conformance: $dst is stale; run scripts/sync_conformance.sh and commit:" >&2
  diff -rq "$src" "$dst" >&2 || true
  exit 1
fi

rm -rf "$dst.tmp"
cp -R "$src" "$dst.tmp"
rm -rf "$dst"
mv "$dst.tmp" "$dst"
echo "sync_conformance: copied $(ls "$dst" | wc -l) files from $src to $dst"
