#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Checks the shared C library's exported symbols against the committed list.
# Usage: check_c_symbols.sh LIBIAP_EMBEDDED_SO SYMBOL_LIST
#
# Fails when
#  - the library exports any symbol that does not start with iap_;
#  - the library and the list differ: a symbol removed or renamed, or a new one not yet listed;
#  - the list's "major N" line is not the major version in the library's SONAME;
#  - in the list's git history (and the working tree's copy), a symbol disappeared from one version
#    of the list to the next while the major version stayed the same. A removal or rename is an ABI
#    break: it needs the list and the major version (meson.build's project version, hence the
#    SONAME) to change together.
set -eu
lib=$1
list=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

nm -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u > "$tmp/exported"
if grep -v '^iap_' "$tmp/exported" > "$tmp/foreign"; then
  echo "$lib exports symbols outside the iap_ prefix:"; sed 's/^/  /' "$tmp/foreign"; status=1
fi

symbols_of() { grep -E '^iap_[A-Za-z0-9_]+$' "$1" | sort -u; }
major_of() { sed -n 's/^major \([0-9][0-9]*\)$/\1/p' "$1"; }

symbols_of "$list" > "$tmp/listed"
list_major=$(major_of "$list")
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
so_major=${soname##*.so.}
if [ -z "$list_major" ]; then
  echo "$list has no 'major N' line"; status=1
elif [ "$list_major" != "$so_major" ]; then
  echo "$list is for major version $list_major, the library's SONAME is $soname: update the list with the major version"
  status=1
fi

comm -23 "$tmp/listed" "$tmp/exported" > "$tmp/removed"
comm -13 "$tmp/listed" "$tmp/exported" > "$tmp/added"
if [ -s "$tmp/removed" ]; then
  echo "listed in $list but not exported by $lib (removed or renamed: an ABI break, which needs a new major version):"
  sed 's/^/  /' "$tmp/removed"; status=1
fi
if [ -s "$tmp/added" ]; then
  echo "exported by $lib but not listed in $list (add them to the list):"; sed 's/^/  /' "$tmp/added"; status=1
fi

# Every version of the list, oldest first, then the working tree's: no symbol may disappear
# without a major version change.
list_dir=$(cd "$(dirname "$list")" && pwd)
list_name=$(basename "$list")
if git -C "$list_dir" rev-parse --git-dir >/dev/null 2>&1; then
  n=0
  for commit in $(git -C "$list_dir" log --format=%H --reverse -- "$list_name"); do
    n=$((n + 1))
    git -C "$list_dir" show "$commit:./$list_name" > "$tmp/version_$n"
    echo "$commit" > "$tmp/name_$n"
  done
  n=$((n + 1))
  cp "$list" "$tmp/version_$n"
  echo "working tree" > "$tmp/name_$n"
  i=1
  while [ "$i" -lt "$n" ]; do
    j=$((i + 1))
    old_major=$(major_of "$tmp/version_$i")
    new_major=$(major_of "$tmp/version_$j")
    symbols_of "$tmp/version_$i" > "$tmp/old"
    symbols_of "$tmp/version_$j" > "$tmp/new"
    comm -23 "$tmp/old" "$tmp/new" > "$tmp/dropped"
    if [ -s "$tmp/dropped" ] && [ "$old_major" = "$new_major" ]; then
      echo "$list: symbols removed between $(cat "$tmp/name_$i") and $(cat "$tmp/name_$j") without a major version change ($old_major):"
      sed 's/^/  /' "$tmp/dropped"; status=1
    fi
    i=$j
  done
else
  echo "note: $list is not in a git checkout; its history was not checked"
fi

if [ "$status" -eq 0 ]; then
  echo "$(wc -l < "$tmp/exported") exported symbols, all iap_, all listed for major $so_major"
fi
exit "$status"
