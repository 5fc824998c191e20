#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Cross-builds the library, iapctl and the unit tests for 64-bit ARM Linux (aarch64) with Debian's
# cross compiler and the arm64 mbedTLS, and runs the unit tests under qemu-user:
#
#   1. installs what is missing (as root, or through sudo): the arm64 architecture in dpkg,
#      g++-aarch64-linux-gnu, qemu-user, libmbedtls-dev:arm64, libstdc++6:arm64, file. Nothing
#      is installed when everything is already there;
#   2. writes a Meson cross file (build directory/aarch64-linux-gnu.ini) whose exe_wrapper is
#      `qemu-aarch64 -L /`, and configures with -Dsync=disabled -Dfuzz=false -Dbenchmarks=false.
#      The programs run on the multiarch arm64 runtime in / (libc6:arm64, which the arm64
#      mbedTLS brings, and libstdc++6:arm64), not on the cross toolchain's copy in
#      /usr/aarch64-linux-gnu: with `-L /usr/aarch64-linux-gnu` the dynamic loader comes from
#      there but libc.so.6 from /lib/aarch64-linux-gnu (it is searched first), two different
#      glibc builds, and the first pthread_create never returns;
#   3. builds iapctl and the `unit` test program (the suite against include/), checks with
#      file(1) that both are aarch64 ELF executables, and runs the suite with `meson test`.
#      The tests that run iapctl start it through IAP_EMBEDDED_TEST_EXE_WRAPPER (the same qemu
#      command; see tests/iapctl_runner.hpp), since the host kernel cannot exec an arm64 program
#      without binfmt_misc.
#
#   tools/check_arm64.sh [--all]
#
# --all also builds and runs the suite against the single header (`unit_single_header`), which
# doubles the build time. Environment: ARM64_BUILD_DIR (default build-arm64 in the source tree,
# reused when present), JOBS (default 2). Needs, besides what step 1 installs, the project's build
# dependencies (meson, ninja, pkg-config, picojson-dev, catch2, openssl, python3). Exits 1 when the
# build or a test fails or a binary is not aarch64, 2 when something is missing and cannot be
# installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ARM64_BUILD_DIR:-$root/build-arm64}
jobs=${JOBS:-2}
variants=(unit)
case ${1:-} in
    "") ;;
    --all) variants=(unit unit_single_header) ;;
    *) echo "usage: $0 [--all]" >&2; exit 2 ;;
esac
start=$(date +%s)

# 1. Packages.
installed() {
    command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null &&
        command -v file >/dev/null && package_installed libmbedtls-dev:arm64 && package_installed libstdc++6:arm64
}
package_installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
if ! installed; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: not root and no sudo: install g++-aarch64-linux-gnu qemu-user libmbedtls-dev:arm64 libstdc++6:arm64 file" >&2; exit 2; }
        as_root=(sudo)
    fi
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        "${as_root[@]}" dpkg --add-architecture arm64
    fi
    "${as_root[@]}" apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        g++-aarch64-linux-gnu qemu-user libmbedtls-dev:arm64 libstdc++6:arm64 file
    installed || { echo "$0: the arm64 toolchain is still missing after apt-get install" >&2; exit 2; }
fi

# 2. Cross file and configuration. Debian 12's mbedTLS has no pkg-config file: the cross
# compiler finds the arm64 libraries in /usr/lib/aarch64-linux-gnu (multiarch) by itself, and the
# headers (shared by every architecture) in /usr/include. pkg-config, for anything that has a .pc
# file, looks only at arm64 and architecture-independent ones.
wrapper=(qemu-aarch64 -L /)
cross_file=$build/aarch64-linux-gnu.ini
# Meson keeps the cross file a build directory was first configured with: start afresh when it
# was another one.
if [ -f "$build/meson-private/cmd_line.txt" ] && ! grep -qF "$cross_file" "$build/meson-private/cmd_line.txt"; then
    rm -rf "$build"
fi
mkdir -p "$build"
cat >"$cross_file" <<EOF
[binaries]
c = 'aarch64-linux-gnu-gcc'
cpp = 'aarch64-linux-gnu-g++'
ar = 'aarch64-linux-gnu-ar'
strip = 'aarch64-linux-gnu-strip'
pkg-config = 'pkg-config'
exe_wrapper = ['${wrapper[0]}', '${wrapper[1]}', '${wrapper[2]}']

[properties]
pkg_config_libdir = ['/usr/lib/aarch64-linux-gnu/pkgconfig', '/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'aarch64'
endian = 'little'
EOF
options=(-Dsync=disabled -Dfuzz=false -Dbenchmarks=false -Dexamples=true -Dtests=true
         -Doptimization=2 -Ddebug=false)
if [ -f "$build/build.ninja" ]; then
    meson setup --reconfigure "$build" "$root" --cross-file "$cross_file" "${options[@]}" >/dev/null
else
    meson setup "$build" "$root" --cross-file "$cross_file" "${options[@]}" >/dev/null
fi
echo "== configured ($(( $(date +%s) - start )) s)"

# 3. Build, check the binaries, run.
programs=(iapctl)
for v in "${variants[@]}"; do programs+=("iap_tests_$v"); done
meson compile -C "$build" -j "$jobs" "${programs[@]}" forged_pki forged_receipts
echo "== built ($(( $(date +%s) - start )) s)"

binaries=("$build/examples/iapctl")
for v in "${variants[@]}"; do binaries+=("$build/tests/iap_tests_$v"); done
for b in "${binaries[@]}"; do
    description=$(file -b "$b")
    echo "${b#"$build"/}: $description"
    case $description in
        ELF\ 64-bit\ LSB\ *ARM\ aarch64*) ;;
        *) echo "$0: $b is not an aarch64 ELF executable" >&2; exit 1 ;;
    esac
done

IAP_EMBEDDED_TEST_EXE_WRAPPER="${wrapper[*]}" \
    meson test -C "$build" --no-rebuild --print-errorlogs --timeout-multiplier 3 "${variants[@]}"
echo "== arm64 tests passed ($(( $(date +%s) - start )) s)"
