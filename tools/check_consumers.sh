#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds and runs the integration consumers of tests/integration/ the way users take the library,
# each against a clean copy of the repository (the files git tracks or would track; no build
# directories), out of tree, in a temporary directory:
#
#   meson_subproject     the copy in subprojects/iap_embedded, dependency('iap_embedded')
#   cmake_subdirectory   add_subdirectory(<copy>), iap_embedded::iap_embedded
#   cmake_find_package   `meson install --destdir` of the copy into a staging prefix, then
#                        find_package(iap_embedded) with CMAKE_PREFIX_PATH=<staging prefix>
#   copy_one_header      the single header alone, `g++ -I single_include app.cpp -lmbedtls ...`
#   cmake_compiled       add_subdirectory(<copy>) with -DIAP_EMBEDDED_COMPILED=ON: the consumer is
#                        compiled with -fno-exceptions and links iap_embedded::compiled
#   c_pkg_config         the C interface from the staging install: `cc -std=c99 ... $(pkg-config
#                        --cflags --libs iap_embedded_c)`, tests/integration/c_consumer_main.c
#   c_find_package       the same program through find_package(iap_embedded) and iap_embedded::c
#
# Each one builds tests/integration/consumer_main.cpp and runs it; it must print its
# "consumer ok (<name>)" line and exit 0. Builds of the repository itself are restricted to the
# headers (-Dtests=false -Dexamples=false -Dbenchmarks=false -Dfuzz=false). Prints a summary and
# exits 1 if any consumer failed (its log's tail is shown), 2 on a usage error or a missing tool.
#
#   tools/check_consumers.sh [REPO_DIR]     (default: this checkout)
#
# Environment: CXX (default: what meson and CMake pick, g++ for copy_one_header), JOBS (default 2),
# KEEP_WORK=1 keeps the temporary directory. Needs g++, meson, ninja, cmake, libmbedtls-dev,
# picojson-dev, and git when REPO_DIR is a git checkout.
set -euo pipefail

[ $# -le 1 ] || { echo "usage: $0 [REPO_DIR]" >&2; exit 2; }
repo=$(cd "${1:-$(dirname "$0")/..}" && pwd)
jobs=${JOBS:-2}
if [ ! -f "$repo/meson.build" ] || [ ! -d "$repo/tests/integration" ]; then
    echo "$0: $repo is not an iap_embedded tree" >&2
    exit 2
fi
for tool in "${CXX:-g++}" meson ninja cmake; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (Debian: apt-get install g++ meson ninja-build cmake)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_consumers.XXXXXX")
if [ "${KEEP_WORK:-0}" = 1 ]; then
    trap 'echo "work directory kept: $work"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
src=$work/iap_embedded          # the clean copy
consumers=$work/consumers       # tests/integration/ of the clean copy
mkdir -p "$work/logs" "$work/build" "$work/run"
repo_build_options=(-Dtests=false -Dexamples=false -Dbenchmarks=false -Dfuzz=false)

# The clean copy: in a git checkout, the tracked and untracked-but-not-ignored files as they are
# in the working tree (so uncommitted work is checked too, build directories are not copied);
# otherwise the tree without build*/ and .git.
mkdir -p "$src"
if [ "$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null)" = "$repo" ]; then
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done |
        tar --null -T - -cf -) | tar -C "$src" -xf -
else
    tar -C "$repo" --exclude='./build*' --exclude=./.git --exclude=__pycache__ -cf - . | tar -C "$src" -xf -
fi
cp -a "$src/tests/integration" "$consumers"

build_meson_subproject() {
    mkdir -p "$consumers/meson_subproject/subprojects"
    cp -a "$src" "$consumers/meson_subproject/subprojects/iap_embedded"
    meson setup "$work/build/meson_subproject" "$consumers/meson_subproject" --force-fallback-for=iap_embedded
    ninja -C "$work/build/meson_subproject" -j "$jobs"
}

build_cmake_subdirectory() {
    cmake -S "$consumers/cmake_subdirectory" -B "$work/build/cmake_subdirectory" -G Ninja -DIAP_EMBEDDED_DIR="$src"
    cmake --build "$work/build/cmake_subdirectory" -j "$jobs"
}

stage=$work/stage
prefix=/opt/iap_embedded
# `meson install --destdir` of the copy into the staging prefix, once, for every consumer of it.
stage_install() {
    [ -f "$work/build/install/.staged" ] && return 0
    meson setup "$work/build/install" "$src" --prefix="$prefix" "${repo_build_options[@]}"
    meson install -C "$work/build/install" --destdir "$stage"
    touch "$work/build/install/.staged"
}

build_cmake_find_package() {
    stage_install
    cmake -S "$consumers/cmake_find_package" -B "$work/build/cmake_find_package" -G Ninja \
        -DCMAKE_PREFIX_PATH="$stage$prefix" | tee "$work/build/cmake_find_package.configure"
    # The package must come from the staging prefix, not from a copy installed on this machine.
    grep -q "^-- iap_embedded .* from $stage$prefix/" "$work/build/cmake_find_package.configure" ||
        { echo "find_package(iap_embedded) did not use $stage$prefix"; return 1; }
    cmake --build "$work/build/cmake_find_package" -j "$jobs"
}

build_c_pkg_config() {
    stage_install
    local pc_dir libdir
    pc_dir=$(dirname "$(find "$stage$prefix" -name iap_embedded_c.pc | head -n 1)")
    libdir=$(dirname "$(find "$stage$prefix" -name libiap_embedded.so | head -n 1)")
    mkdir -p "$work/build/c_pkg_config"
    # shellcheck disable=SC2046 # pkg-config's output is a list of arguments
    ${CC:-cc} -std=c99 -Wall -Wextra -pedantic -Werror -DCONSUMER_KIND='"c_pkg_config"' \
        "$consumers/c_consumer_main.c" -o "$work/build/c_pkg_config/consumer" \
        $(PKG_CONFIG_PATH="$pc_dir" PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config --cflags --libs iap_embedded_c) \
        -Wl,-rpath,"$libdir"
}

build_c_find_package() {
    stage_install
    cmake -S "$consumers/c_find_package" -B "$work/build/c_find_package" -G Ninja \
        -DCMAKE_PREFIX_PATH="$stage$prefix" -DCMAKE_BUILD_RPATH="$(dirname "$(find "$stage$prefix" -name 'libiap_embedded.so' | head -n 1)")"
    cmake --build "$work/build/c_find_package" -j "$jobs"
}

build_cmake_compiled() {
    cmake -S "$consumers/cmake_compiled" -B "$work/build/cmake_compiled" -G Ninja -DIAP_EMBEDDED_DIR="$src"
    cmake --build "$work/build/cmake_compiled" -j "$jobs"
}
build_copy_one_header() {
    sh "$consumers/copy_one_header/build.sh" "$src/single_include/iap_embedded/iap_embedded.hpp" \
        "$consumers/consumer_main.cpp" "$work/build/copy_one_header"
}

# The line each program must print: its own name, and for the single header the mbedTLS signer
# (proof that testing.hpp, which only include/ has, was not found on the include path).
expected_line() {
    case $1 in
    copy_one_header) echo "^consumer ok \\(copy_one_header\\): iap_embedded [0-9.]+, mbedTLS key: " ;;
    c_*) echo "^consumer ok \\($1\\): iap_embedded [0-9.]+, C interface$" ;;
    *) echo "^consumer ok \\($1\\): iap_embedded [0-9.]+, testing.hpp key: " ;;
    esac
}

names=(meson_subproject cmake_subdirectory cmake_find_package copy_one_header cmake_compiled c_pkg_config c_find_package)
results=()
failed=0
for name in "${names[@]}"; do
    log=$work/logs/$name.log
    started=$(date +%s)
    echo "== $name"
    status=ok
    set +e # (set -e would be ignored inside an `if` condition)
    ( set -e; "build_$name" ) >"$log" 2>&1
    built=$?
    set -e
    if [ "$built" -ne 0 ]; then
        status="FAILED to build"
    else
        output=$("$work/build/$name/consumer" "$work/run/$name.ledger" 2>>"$log") || status="FAILED to run"
        echo "$output" >>"$log"
        if [ "$status" = ok ] && ! grep -Eq "$(expected_line "$name")" <<<"$output"; then
            status="FAILED: unexpected output"
        fi
    fi
    seconds=$(( $(date +%s) - started ))
    if [ "$status" = ok ]; then
        echo "   $output"
    else
        failed=$((failed + 1))
        echo "   $status; last lines of its log (KEEP_WORK=1 keeps $log):"
        tail -n 25 "$log" | sed 's/^/   | /'
    fi
    results+=("$(printf '%-20s %-28s %4d s' "$name" "$status" "$seconds")")
done

echo
echo "== summary ($repo)"
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
    echo "$failed of ${#names[@]} consumers failed"
    exit 1
fi
echo "all ${#names[@]} consumers built and ran"
