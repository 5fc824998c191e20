#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# From a fresh Debian 12 machine to a running demo: installs the Debian packages the build needs
# (with sudo when not root), configures build/ with meson (sync component included), compiles only
# iapctl, and runs `iapctl demo`. README's second command builds the rest and runs the tests.
# Extra arguments go to `meson setup` (for example --werror). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ meson ninja-build pkg-config python3 openssl libmbedtls-dev picojson-dev catch2 libboost-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  echo "installing: ${missing[*]}"
  # An index that fails to download (a mirror in the middle of a sync, a foreign architecture
  # added by the cross builds) is not fatal: the install below fails if a package is missing.
  "${as_root[@]}" apt-get update -q || echo "apt-get update reported errors; installing with the indexes it has" >&2
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The sync component (Boost.Beast transport, IAP dev server and their tests) is built too.
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build -Dsync=enabled "$@"
else
  meson setup build -Dsync=enabled "$@"
fi
meson compile -C build examples/iapctl
build/examples/iapctl demo
