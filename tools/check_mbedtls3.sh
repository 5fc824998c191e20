#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the library, iapctl, the examples and the test suites against mbedTLS 3.6 LTS and runs them, so that
# both mbedTLS lines the library supports (2.28 and 3.6; every difference is in
# include/iap_embedded/detail/mbedtls_compat.hpp) are compiled and tested.
#
# Debian 12 ships mbedTLS 2.28. The 3.6 packages of Debian 13 (libmbedtls-dev and its three
# libraries) are fetched with apt from Debian's archive into a private directory and unpacked
# there: nothing is installed on the system and the system's apt state is untouched. Their
# libraries need only glibc 2.25, so they run on Debian 12.
#
#   tools/check_mbedtls3.sh [BUILD_DIR]      (default: build-mbedtls3)
#
# Environment: MBEDTLS3_PREFIX, a directory that already holds an unpacked mbedTLS 3.x (usr/include,
# usr/lib/<triplet>): skips the download. Exits non-zero when the build or a test fails, or when
# the build did not use mbedTLS 3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-mbedtls3}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_mbedtls3.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

prefix=${MBEDTLS3_PREFIX:-}
if [ -z "$prefix" ]; then
    prefix="$build-mbedtls"
    if [ ! -f "$prefix/usr/include/mbedtls/version.h" ]; then
        apt_dir="$work/apt"
        mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
            >"$apt_dir/sources.list"
        apt_options=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=-"
                     -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
                     -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
        apt-get "${apt_options[@]}" update -q >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log"; exit 1; }
        (cd "$apt_dir/debs" && apt-get "${apt_options[@]}" download -q \
            libmbedtls-dev libmbedcrypto16 libmbedx509-7 libmbedtls21)
        rm -rf "$prefix"
        mkdir -p "$prefix"
        for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
    fi
fi

libdir=$(dirname "$(find "$prefix/usr/lib" -name 'libmbedcrypto.so' | head -n 1)")
[ -d "$libdir" ] || { echo "$0: no libmbedcrypto.so under $prefix/usr/lib" >&2; exit 1; }
# The packages' pkg-config files say prefix=/usr: point them at the unpacked tree.
mkdir -p "$work/pkgconfig"
for pc in "$libdir"/pkgconfig/*.pc; do
    sed "s|^prefix=.*|prefix=$prefix/usr|; s|^libdir=.*|libdir=$libdir|" "$pc" >"$work/pkgconfig/$(basename "$pc")"
done
version=$(PKG_CONFIG_PATH="$work/pkgconfig" pkg-config --modversion mbedcrypto)
case "$version" in
    3.*) echo "mbedTLS $version from $prefix" ;;
    *) echo "$0: expected mbedTLS 3.x, found $version" >&2; exit 1 ;;
esac

cd "$root"
rm -rf "$build"
PKG_CONFIG_PATH="$work/pkgconfig" meson setup "$build" --werror -Dsync=enabled -Dfuzz=false -Dbenchmarks=false \
    "-Dcpp_link_args=-Wl,-rpath,$libdir" >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; exit 1; }
grep -q "mbedcrypto found: YES 3\." "$work/setup.log" || { echo "$0: meson did not pick mbedTLS 3" >&2; cat "$work/setup.log"; exit 1; }
# The suites that reach mbedTLS: the unit tests (every verifier, the ledger, iapctl), the sync tests
# (the TLS stream and transport against the dev server) and the examples. The single-header and
# separately compiled variants of the unit tests compile the same code again and are left out.
meson compile -C "$build" iap_tests_unit iap_tests_sync iapctl iap_dev_server forged_pki forged_receipts test_pki \
    quickstart_google app_store_receipt storekit2_jws purchase_flow sync_dev_server
# Every compiled translation unit must have read the 3.x headers, never the system's 2.28 ones.
if ninja -C "$build" -t deps | grep -q '^ */usr/include/mbedtls/'; then
    echo "$0: a translation unit included the system mbedTLS headers:" >&2
    ninja -C "$build" -t deps | grep '^ */usr/include/mbedtls/' | sort -u | head >&2
    exit 1
fi
meson test -C "$build" --no-rebuild --print-errorlogs unit sync
meson test -C "$build" --no-rebuild --print-errorlogs --suite examples
