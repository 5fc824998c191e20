#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Cross-builds the library, iapctl and the unit tests for another Linux architecture with
# Debian's cross compiler and that architecture's multiarch mbedTLS, and runs the unit tests
# under qemu-user:
#
#   arm64  aarch64-linux-gnu    64-bit little-endian, unsigned char
#   armhf  arm-linux-gnueabihf  32-bit: 32-bit size_t, long and time_t (Debian 12)
#   s390x  s390x-linux-gnu      64-bit big-endian
#
#   1. installs what is missing (as root, or through sudo): the architecture in dpkg, the cross
#      g++, qemu-user, libmbedtls-dev and libstdc++6 of the architecture, file. Nothing is
#      installed when everything is already there;
#   2. writes a Meson cross file (build directory/TRIPLET.ini) whose exe_wrapper is
#      `qemu-ARCH -L /`, and configures with -Dsync=disabled -Dfuzz=false -Dbenchmarks=false.
#      The programs run on the multiarch runtime in / (libc6 of the architecture, which its
#      mbedTLS brings, and its libstdc++6), not on the cross toolchain's copy in /usr/TRIPLET:
#      with `-L /usr/TRIPLET` the dynamic loader comes from there but libc.so.6 from
#      /lib/TRIPLET (it is searched first), two different glibc builds, and the first
#      pthread_create never returns;
#   3. builds iapctl and the `unit` test program (the suite against include/), checks with
#      file(1) that both are executables of the architecture, and runs the suite with
#      `meson test`. The tests that run iapctl start it through IAP_EMBEDDED_TEST_EXE_WRAPPER
#      (the same qemu command; see tests/iapctl_runner.hpp), since the host kernel cannot exec
#      a foreign program without binfmt_misc;
#   4. the ledger across byte orders: the unit test program of the architecture writes the
#      sample ledger of tests/test_ledger_fixture.cpp with its description (hidden test case
#      [.ledger_fixture_write]), and the host's unit test program opens it and must describe it
#      the same way: HOST_BUILD_DIR/tests/iap_tests_unit, which must exist when HOST_BUILD_DIR is
#      set (CI sets it), else build/tests/iap_tests_unit, skipped with a note when absent
#      ([.ledger_fixture_read]). The other direction, the ledger written on x86_64
#      (tests/fixtures/ledger_x86_64.hpp), is read by the unit suite itself.
#
#   tools/check_cross.sh ARCH [--all]
#
# --all also builds and runs the suite against the single header (`unit_single_header`), which
# doubles the build time. Environment: CROSS_BUILD_DIR (default build-ARCH in the source tree,
# reused when present), JOBS (default 2), HOST_BUILD_DIR (step 4). Needs, besides what step 1
# installs, the project's build dependencies (meson, ninja, pkg-config, picojson-dev, catch2,
# openssl, python3). Exits 1 when the build or a test fails or a binary is not of the
# architecture, 2 when something is missing and cannot be installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 arm64|armhf|s390x [--all]" >&2; exit 2; }
arch=${1:-}
# Per architecture: GNU triplet, qemu program, Meson cpu_family and cpu, endianness, and the
# start of file(1)'s description of an executable.
cpp_args=
case $arch in
    arm64) triplet=aarch64-linux-gnu qemu=qemu-aarch64 cpu_family=aarch64 cpu=aarch64 endian=little
           elf='ELF 64-bit LSB *ARM aarch64*' ;;
    armhf) triplet=arm-linux-gnueabihf qemu=qemu-arm cpu_family=arm cpu=armv7 endian=little
           elf='ELF 32-bit LSB *ARM, EABI5*'
           # g++ notes every std::map / std::vector iterator passed by value that GCC 7.1 passed
           # differently (-Wpsabi): thousands of lines about an ABI this build does not mix.
           cpp_args="'-Wno-psabi'" ;;
    s390x) triplet=s390x-linux-gnu qemu=qemu-s390x cpu_family=s390x cpu=s390x endian=big
           elf='ELF 64-bit MSB *IBM S/390*' ;;
    *) usage ;;
esac
build=${CROSS_BUILD_DIR:-$root/build-$arch}
jobs=${JOBS:-2}
variants=(unit)
variant_option=unit
case ${2:-} in
    "") ;;
    --all) variants=(unit unit_single_header); variant_option=all ;;
    *) usage ;;
esac
start=$(date +%s)

# 1. Packages.
packages=("g++-$triplet" qemu-user "libmbedtls-dev:$arch" "libstdc++6:$arch" file)
package_installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
installed() {
    command -v "$triplet-g++" >/dev/null && command -v "$qemu" >/dev/null && command -v file >/dev/null &&
        package_installed "libmbedtls-dev:$arch" && package_installed "libstdc++6:$arch"
}
if ! installed; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "$0: not root and no sudo: install ${packages[*]}" >&2; exit 2; }
        as_root=(sudo)
    fi
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        "${as_root[@]}" dpkg --add-architecture "$arch"
    fi
    # An index that fails to download (a mirror in the middle of a sync) makes apt-get update
    # exit non-zero; the install below says whether what it needs was found.
    "${as_root[@]}" apt-get update -q || echo "$0: apt-get update reported errors; installing anyway" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
    installed || { echo "$0: the $arch toolchain is still missing after apt-get install" >&2; exit 2; }
fi

# 2. Cross file and configuration. Debian 12's mbedTLS has no pkg-config file: the cross
# compiler finds the libraries in /usr/lib/TRIPLET (multiarch) by itself, and the headers (shared
# by every architecture) in /usr/include. pkg-config, for anything that has a .pc file, looks only
# at the architecture's and architecture-independent ones.
wrapper=("$qemu" -L /)
cross_file=$build/$triplet.ini
# Meson keeps the cross file a build directory was first configured with: start afresh when it
# was another one.
if [ -f "$build/meson-private/cmd_line.txt" ] && ! grep -qF "$cross_file" "$build/meson-private/cmd_line.txt"; then
    rm -rf "$build"
fi
mkdir -p "$build"
cat >"$cross_file" <<INI
[binaries]
c = '$triplet-gcc'
cpp = '$triplet-g++'
ar = '$triplet-ar'
strip = '$triplet-strip'
pkg-config = 'pkg-config'
exe_wrapper = ['${wrapper[0]}', '${wrapper[1]}', '${wrapper[2]}']

[built-in options]
cpp_args = [$cpp_args]

[properties]
pkg_config_libdir = ['/usr/lib/$triplet/pkgconfig', '/usr/share/pkgconfig']

[host_machine]
system = 'linux'
cpu_family = '$cpu_family'
cpu = '$cpu'
endian = '$endian'
INI
options=(-Dsync=disabled -Dfuzz=false -Dbenchmarks=false -Dexamples=true -Dtests=true
         -Doptimization=2 -Ddebug=false -Dtest_variants=$variant_option)
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
    # shellcheck disable=SC2254 # $elf is a pattern
    case $description in
        $elf) ;;
        *) echo "$0: $b is not an $arch ELF executable" >&2; exit 1 ;;
    esac
done

IAP_EMBEDDED_TEST_EXE_WRAPPER="${wrapper[*]}" \
    meson test -C "$build" --no-rebuild --print-errorlogs --timeout-multiplier 3 "${variants[@]}"
echo "== $arch tests passed ($(( $(date +%s) - start )) s)"

# 4. A ledger written here opens on the host. (The other direction, a ledger written on x86_64
# opened here, is in the suite: test_ledger_fixture.cpp.)
host_tests=${HOST_BUILD_DIR:-$root/build}/tests/iap_tests_unit
exchange=$build/ledger-exchange
rm -rf "$exchange"
mkdir -p "$exchange"
IAP_EMBEDDED_LEDGER_FIXTURE=$exchange/ledger \
    "${wrapper[@]}" "$build/tests/iap_tests_unit" --warn NoTests "[.ledger_fixture_write]"
if [ -x "$host_tests" ]; then
    IAP_EMBEDDED_LEDGER_FIXTURE=$exchange/ledger "$host_tests" --warn NoTests "[.ledger_fixture_read]"
    echo "== the ledger written on $arch opens on $(uname -m) ($(( $(date +%s) - start )) s)"
elif [ -n "${HOST_BUILD_DIR:-}" ]; then
    echo "$0: HOST_BUILD_DIR has no test program at $host_tests" >&2
    exit 1
else
    echo "== no host test program at $host_tests (HOST_BUILD_DIR): the ledger written on $arch was not opened on $(uname -m)"
fi
