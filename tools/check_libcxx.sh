#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the library, iapctl, the examples and the unit tests with clang 14 and LLVM's C++
# standard library (libc++, what Android's NDK and Apple's toolchains ship) instead of
# libstdc++, and runs them:
#
#   1. installs what is missing (as root, or through sudo): clang-14, libc++-14-dev,
#      libc++abi-14-dev;
#   2. configures with CXX=clang++-14 and -stdlib=libc++ in cpp_args and cpp_link_args
#      (-Dsync=disabled -Dfuzz=false -Dbenchmarks=false, -Dtest_variants=all for the separately
#      compiled library; mbedTLS is C and picojson and Catch2 v2
#      are header-only, so nothing else needs a libc++ build), and -Dtest_build=as_configured:
#      the tests too are compiled at -O2, file by file, so that CI runs the unit suite optimized
#      as apps build the library (the default build compiles test programs at -O1);
#   3. builds iapctl, the example programs, the `unit` test program and the library compiled
#      once on its own (IAP_EMBEDDED_SEPARATE_COMPILATION, iap_embedded_separate), checks that
#      every program needs libc++.so.1 and not libstdc++.so.6, and runs the unit suite (which
#      also runs iapctl) and the examples' tests with `meson test`.
#
#   tools/check_libcxx.sh
#
# Environment: LIBCXX_BUILD_DIR (default build-libcxx in the source tree, reused when present),
# JOBS (default 2). Needs the project's build dependencies (meson, ninja, pkg-config,
# libmbedtls-dev, picojson-dev, catch2, openssl, python3). Exits 1 when the build or a test fails
# or a program is not linked with libc++, 2 when something is missing and cannot be installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${LIBCXX_BUILD_DIR:-$root/build-libcxx}
jobs=${JOBS:-2}
[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }
start=$(date +%s)

# 1. Packages.
packages=(clang-14 libc++-14-dev libc++abi-14-dev)
package_installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
installed() { for p in "${packages[@]}"; do package_installed "$p" || return 1; done; }
if ! installed; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: not root and no sudo: install ${packages[*]}" >&2; exit 2; }
        as_root=(sudo)
    fi
    "${as_root[@]}" apt-get update -q || echo "$0: apt-get update reported errors; installing anyway" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
    installed || { echo "$0: ${packages[*]} still missing after apt-get install" >&2; exit 2; }
fi

# 2. Configuration.
options=(-Dsync=disabled -Dfuzz=false -Dbenchmarks=false -Dexamples=true -Dtests=true -Dtest_variants=all
         -Doptimization=2 -Ddebug=false -Dtest_build=as_configured
         -Dcpp_args=-stdlib=libc++ -Dcpp_link_args=-stdlib=libc++)
if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" "$root" "${options[@]}" >/dev/null
else
    CXX=clang++-14 meson setup "$build" "$root" "${options[@]}" >/dev/null
fi
grep -q "C++ compiler for the host machine: clang++-14" "$build/meson-logs/meson-log.txt" ||
    { echo "$0: $build was configured with another compiler than clang++-14; remove it" >&2; exit 1; }
echo "== configured ($(( $(date +%s) - start )) s)"

# 3. Build, check the programs' C++ library, run.
examples=(quickstart_google app_store_receipt storekit2_jws purchase_flow)
meson compile -C "$build" -j "$jobs" iapctl "${examples[@]}" iap_tests_unit iap_embedded_separate \
    forged_pki forged_receipts
echo "== built ($(( $(date +%s) - start )) s)"
programs=("$build/examples/iapctl" "$build/tests/iap_tests_unit")
for e in "${examples[@]}"; do programs+=("$build/examples/$e"); done
for p in "${programs[@]}"; do
    needed=$(readelf -d "$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    echo "${p#"$build"/}: $needed"
    case " $needed " in
        *" libstdc++.so.6 "*) echo "$0: $p is linked with libstdc++" >&2; exit 1 ;;
        *" libc++.so.1 "*) ;;
        *) echo "$0: $p is not linked with libc++" >&2; exit 1 ;;
    esac
done
meson test -C "$build" --no-rebuild --print-errorlogs unit
meson test -C "$build" --no-rebuild --print-errorlogs --suite examples
echo "== libc++ tests passed ($(( $(date +%s) - start )) s)"
