#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The warnings matrix: g++ and clang++, each with -std=c++17 and -std=c++20, all with
#
#   -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -O2
#
# (-O2 so that the warnings computed by the optimizer, such as -Wmaybe-uninitialized, appear).
# For each of the four combinations, compile only (nothing is linked or run):
#
#   1. every public header, include/iap_embedded/*.hpp, alone in its translation unit, Boost
#      included (beast_transport.hpp); then the single header, single_include/, the same way.
#      The separate-compilation sources (src.hpp, beast_transport_src.hpp, and the single header
#      with IAP_EMBEDDED_SOURCE) are compiled to object code with
#      IAP_EMBEDDED_SEPARATE_COMPILATION: every non-template function of the library, optimized;
#   2. through Meson (-Dsync=enabled, fuzz targets and benchmarks off): every object file of the
#      build - iapctl, the dev server and any other example, the unit tests against include/,
#      the sync tests and the header self-containment units - which instantiates the library
#      through real use. The unit tests' other builds (iap_tests_unit_*: the same sources with
#      the single header force-included, or compiled separately) are left out: they compile the
#      same code again, and step 1 already compiles the single header and src.hpp.
#
#   tools/check_warnings.sh [--headers-only] [COMBINATION...]
#
# --headers-only: step 1 alone (about 1/10 of the time of step 2).
#
# COMBINATION is gcc-c++17, gcc-c++20, clang-c++17 or clang-c++20; default all four. Build
# directories are $WARN_BUILD_PREFIX-COMBINATION (default: build-warn-COMBINATION in the source
# tree), reused when present. Environment: GXX (default g++), CLANGXX (default clang++),
# WARN_JOBS (default 2). Installs nothing: needs g++, clang++, meson, ninja, and the project's
# build dependencies including libboost-dev. Exits 1 when any compile warns, 2 when a compiler is
# missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${WARN_BUILD_PREFIX:-$root/build-warn}
jobs=${WARN_JOBS:-2}
strict=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -O2)

headers_only=0
if [ "${1:-}" = --headers-only ]; then headers_only=1; shift; fi
combinations=("$@")
[ ${#combinations[@]} -gt 0 ] || combinations=(gcc-c++17 gcc-c++20 clang-c++17 clang-c++20)

work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_warnings.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

failed=()
# COMPILER STD INCLUDE_DIR HEADER [ARGS...]: HEADER (a path relative to INCLUDE_DIR) alone in a
# translation unit, compiled with ARGS (default -fsyntax-only). Runs in the background, at most
# $jobs at a time; header_results waits for them all and reports.
header_jobs=0
header_alone() {
    local compiler=$1 std=$2 include_dir=$3 header=$4
    shift 4
    [ $# -gt 0 ] || set -- -fsyntax-only
    header_jobs=$((header_jobs + 1))
    local log=$work/header.$header_jobs.log
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    (
        if ! printf '#include "%s"\n' "$header" |
            "$compiler" "-std=$std" "${strict[@]}" -I "$include_dir" "${@//@OUT@/$work/object.$header_jobs.o}" \
                -x c++ - 2>"$log.out"; then
            { echo "   $header $*: FAILED"; sed 's/^/   | /' "$log.out" | head -n 60; } >"$log.failed"
        fi
    ) &
}
# Waits for the header_alone jobs; prints their failures; returns 1 if any failed.
header_results() {
    wait
    local f status=0
    for f in "$work"/header.*.log.failed; do
        [ -e "$f" ] || continue
        cat "$f"; status=1
    done
    rm -f "$work"/header.*
    return $status
}

for combination in "${combinations[@]}"; do
    case $combination in
        gcc-c++17) compiler=${GXX:-g++} std=c++17 ;;
        gcc-c++20) compiler=${GXX:-g++} std=c++20 ;;
        clang-c++17) compiler=${CLANGXX:-clang++} std=c++17 ;;
        clang-c++20) compiler=${CLANGXX:-clang++} std=c++20 ;;
        *) echo "$0: unknown combination $combination (gcc-c++17, gcc-c++20, clang-c++17, clang-c++20)" >&2; exit 2 ;;
    esac
    command -v "$compiler" >/dev/null || { echo "$0: $compiler not found" >&2; exit 2; }
    started=$(date +%s)
    echo "== $combination: $compiler -std=$std ${strict[*]}"

    echo "-- public headers, each alone"
    ok=1
    separate=(-DIAP_EMBEDDED_SEPARATE_COMPILATION -c -o @OUT@)
    for header in "$root"/include/iap_embedded/*.hpp; do
        case ${header##*/} in
            # The library's definitions for separate compilation: compiled to object code, so
            # that the optimizer's warnings cover every non-template function of the library.
            *src.hpp) header_alone "$compiler" "$std" "$root/include" "iap_embedded/${header##*/}" "${separate[@]}" ;;
            *) header_alone "$compiler" "$std" "$root/include" "iap_embedded/${header##*/}" ;;
        esac
    done
    header_alone "$compiler" "$std" "$root/single_include" iap_embedded/iap_embedded.hpp
    header_alone "$compiler" "$std" "$root/single_include" iap_embedded/iap_embedded.hpp \
        -DIAP_EMBEDDED_SOURCE "${separate[@]}"
    header_results || ok=0
    [ $ok -eq 1 ] || failed+=("$combination headers")
    if [ $headers_only -eq 1 ]; then
        echo "   $(( $(date +%s) - started )) s"
        continue
    fi

    echo "-- examples, tests and self-containment units through Meson"
    dir=$prefix-$combination
    options=(--werror -Dwarning_level=3 "-Dcpp_std=$std" "-Dcpp_args=-Wshadow -Wconversion"
             -Doptimization=2 -Ddebug=false -Dtest_build=as_configured -Dsync=enabled -Dexamples=true -Dtests=true
             -Dfuzz=false -Dbenchmarks=false)
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "${options[@]}" >/dev/null
    else
        rm -rf "$dir"
        CXX=$compiler meson setup "$dir" "$root" "${options[@]}" >"$work/setup.log" 2>&1 ||
            { sed 's/^/   | /' "$work/setup.log" | tail -n 30; failed+=("$combination meson setup"); continue; }
    fi
    # Every object file but those of the unit tests' other variants (iap_tests_unit_*).
    mapfile -t objects < <(ninja -C "$dir" -t targets all |
        sed -n 's/^\([^:]*\.o\): cpp_COMPILER$/\1/p' | grep -v '^tests/iap_tests_unit_[a-z_]*\.p/' | sort)
    if [ ${#objects[@]} -eq 0 ]; then
        echo "   no object files found in $dir"; failed+=("$combination meson"); continue
    fi
    echo "   ${#objects[@]} object files"
    if ! ninja -C "$dir" -j "$jobs" -k 0 "${objects[@]}" >"$work/ninja.log" 2>&1; then
        grep -E 'error:|warning:|^FAILED' "$work/ninja.log" | sort -u | sed 's/^/   | /' | head -n 100
        failed+=("$combination meson")
    fi
    echo "   $(( $(date +%s) - started )) s"
done

if [ ${#failed[@]} -ne 0 ]; then
    printf 'warnings found: %s\n' "${failed[@]}"
    exit 1
fi
echo "no warnings in ${combinations[*]}"
