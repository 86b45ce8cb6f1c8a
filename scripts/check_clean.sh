#!/usr/bin/env bash
# Hygiene: nbdev_clean, nbdev_export and make_readme must leave the work tree as they found it.
# Compares a fingerprint of the tree (git status, the diff against HEAD, and the hashes of
# untracked files) before and after, so it also works on a tree with uncommitted edits.
# Usage: bash scripts/check_clean.sh [python]
set -euo pipefail
PYTHON="${1:-python3}"
cd "$(dirname "$0")/.."
bindir="$("$PYTHON" -c 'import sys, pathlib; print(pathlib.Path(sys.executable).parent)')"
tool() { if [ -x "$bindir/$1" ]; then echo "$bindir/$1"; else command -v "$1"; fi; }

fingerprint() {
  git status --porcelain --untracked-files=all
  git diff HEAD --binary
  git ls-files --others --exclude-standard -z | xargs -0 -r sha1sum
}

before="$(mktemp)"; after="$(mktemp)"
trap 'rm -f "$before" "$after"' EXIT
fingerprint > "$before"
if [ -n "$(git status --porcelain --untracked-files=all)" ]; then
  echo "note: the tree already has changes; checking that the tools add none"
fi

"$(tool nbdev_clean)"
"$(tool nbdev_export)"
"$PYTHON" scripts/make_readme.py --quiet

fingerprint > "$after"
if cmp -s "$before" "$after"; then
  echo "hygiene: nbdev_clean, nbdev_export and make readme changed nothing"
else
  echo "hygiene FAILED: these tools changed the tree; commit what they produce:" >&2
  diff <(grep -v '^index ' "$before") <(grep -v '^index ' "$after") | head -60 >&2 || true
  git status --short >&2
  exit 1
fi
