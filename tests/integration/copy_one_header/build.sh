#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The single header copied alone into an app, built with the command line its usage block and
# README.md give: the app's source next to single_include/iap_embedded/iap_embedded.hpp, only
# `-I single_include`, the system's mbedTLS and picojson headers, and the three mbedTLS libraries.
# testing.hpp is not in the single header, so consumer_main.cpp signs with mbedTLS itself here.
#
#   tests/integration/copy_one_header/build.sh SINGLE_HEADER CONSUMER_MAIN OUT_DIR
#
# Writes OUT_DIR/single_include/iap_embedded/iap_embedded.hpp, OUT_DIR/app.cpp and the program
# OUT_DIR/consumer. Environment: CXX (default g++).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 SINGLE_HEADER CONSUMER_MAIN OUT_DIR" >&2; exit 2; }
header=$1 main=$2 out=$3

mkdir -p "$out/single_include/iap_embedded"
cp "$header" "$out/single_include/iap_embedded/iap_embedded.hpp"
cp "$main" "$out/app.cpp"
cd "$out"
set -x
${CXX:-g++} -std=c++17 -Wall -Wextra -Wpedantic -Werror '-DCONSUMER_KIND="copy_one_header"' -I single_include \
    app.cpp -o consumer -lmbedtls -lmbedx509 -lmbedcrypto -pthread
