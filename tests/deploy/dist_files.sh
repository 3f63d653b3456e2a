#!/usr/bin/env bash
# The release tarball holds every file git tracks but those listed below, so that
# scripts/check, scripts/up, the benches and README's commands work from it too.
# Usage: tests/deploy/dist_files.sh TARBALL (from a git checkout).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tarball=$1
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    echo "not a git checkout: nothing to compare the tarball with"
    echo "0 passed, 0 failed"
    exit 0
fi
# tracked on purpose but not released: git's own files
not_released='^(\.gitignore|m4/\.gitkeep)$'
missing=$(comm -23 <(git -C "$top" ls-files | grep -Ev "$not_released" | sort) \
    <(tar tzf "$tarball" | sed 's|^[^/]*/||' | sort))
if [ -n "$missing" ]; then
    echo "FAIL: tracked files not in $(basename "$tarball") (add them to EXTRA_DIST):"
    echo "$missing" | sed 's/^/  /'
    echo "0 passed, 1 failed"
    exit 1
fi
echo "$(basename "$tarball") holds all $(git -C "$top" ls-files | grep -cEv "$not_released") tracked files"
echo "1 passed, 0 failed"
