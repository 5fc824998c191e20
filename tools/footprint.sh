#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Measures what the library costs a program and prints a markdown table:
#
#   1. compile time (wall clock, best of 3) of `g++ -std=c++17 -O2 -c` on a translation unit that
#      includes the single header, and on an empty one for reference;
#   2. bytes added to a stripped `g++ -O2` executable (dynamically linked to mbedTLS, then
#      `strip`) by verifying one Google Play purchase (Google-only), one App Store receipt and one
#      StoreKit 2 JWS (Apple-only), and every store plus a ledger consume (all stores), each
#      relative to a baseline that links the same libraries and reads the same files but calls
#      nothing of the library;
#   3. "unused stores add nothing": the Google-only program built with the whole single header
#      against the same program built with only include/iap_embedded/google_play.hpp. Both must
#      define exactly the same symbols with the same sizes (`nm -S`, before stripping: any function,
#      object or static initialiser of another store would show), and their loadable bytes
#      (`size`: text + data + bss) may differ by at most 64 bytes: assert()'s file-name strings
#      (the single header's path is not error.hpp's) and the alignment padding between functions
#      emitted in another order. Exits 1 when either does not hold.
#      This pair is built a second time for the check, with g++'s unit-wide inlining cap lifted
#      (--param inline-unit-growth): g++ limits inlining by the growth of the whole translation
#      unit, counting code it never emits, so at plain -O2 more headers can change what a shared
#      function inlines (its size) or whether a small one is inlined at all (a symbol). Without
#      the cap, inlining depends on the code that is used alone, and any difference is code. The
#      table reports the plain -O2 pair; a stripped file size may step by a page when a few bytes
#      cross a segment boundary, which is reported, not judged.
#
# Every program is run once on the real test data and must succeed, so the sizes are those of
# programs that really verify.
#
#   tools/footprint.sh [TESTDATA_DIR]     (default: tests/data)
#
# Environment: CXX (default g++), CXXFLAGS_EXTRA (added to every compile), KEEP_WORK=1 keeps the
# temporary directory. Needs the compiler, binutils (strip, nm, size), libmbedtls-dev and
# picojson-dev. Takes about 1.5 minutes on a 2-core machine. Exit 0 when every program ran and the
# check held, 1 when the check failed or a program did not build or run, 2 on a usage error or a
# missing input.
set -euo pipefail

[ $# -le 1 ] || { echo "usage: $0 [TESTDATA_DIR]" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
testdata=$(cd "${1:-$repo/tests/data}" 2>/dev/null && pwd) || {
    echo "$0: test data directory not found (pass it as the argument)" >&2; exit 2; }
cxx=${CXX:-g++}
single="$repo/single_include/iap_embedded/iap_embedded.hpp"
for f in "$single" "$testdata/google_play/go-iap/public_key.b64" \
         "$testdata/apple_receipts/tpinappreceipt/receipt-production" \
         "$testdata/apple_jws/app-store-server-library/xcode/xcode-signed-transaction"; do
    [ -f "$f" ] || { echo "$0: missing $f" >&2; exit 2; }
done
command -v "$cxx" >/dev/null || { echo "$0: $cxx not found" >&2; exit 2; }
for tool in strip nm size; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/iap_footprint.XXXXXX")
if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work directory: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
libs=(-lmbedtls -lmbedx509 -lmbedcrypto -pthread)
read -r -a extra <<< "${CXXFLAGS_EXTRA:-}"

# The programs. Each reads its inputs from files named on the command line, so nothing can be
# computed at compile time; LIBRARY_HEADER is the one include of the library.
cat > "$work/common.hpp" <<'EOF'
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
static std::string slurp(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
EOF
cat > "$work/baseline.cpp" <<'EOF'
#include "common.hpp"
int main(int argc, char** argv) {
    std::size_t total = 0;
    for (int i = 1; i < argc; ++i) total += slurp(argv[i]).size();
    std::printf("%zu\n", total);
    return argc > 1 && total > 0 ? 0 : 1;
}
EOF
cat > "$work/google_only.cpp" <<'EOF'
#include LIBRARY_HEADER
#include "common.hpp"
int main(int argc, char** argv) {
    if (argc != 4) return 2;
    auto google = iap_embedded::google_play_verifier::create(slurp(argv[1]));
    if (!google) return 1;
    const auto p = google->verify(slurp(argv[2]), slurp(argv[3]));
    std::printf("%s\n", p ? p->product_id.c_str() : p.message().c_str());
    return p ? 0 : 1;
}
EOF
cat > "$work/apple_only.cpp" <<'EOF'
#include LIBRARY_HEADER
#include "common.hpp"
int main(int argc, char** argv) {
    if (argc != 4) return 2;
    iap_embedded::app_store_receipt_options receipt_options;
    receipt_options.expected_bundle_id = "org.getpure.pure-iphone";
    const auto receipt = iap_embedded::verify_app_store_receipt(slurp(argv[1]), receipt_options);
    iap_embedded::app_store_jws_options options;
    options.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
    options.allow_xcode = true; // the JWS is Xcode's transaction: real transactions are not public
    auto roots = iap_embedded::trusted_roots::from_certificates({slurp(argv[3])});
    if (!receipt || !roots) return 1;
    options.roots = std::move(*roots);
    const auto jws = iap_embedded::verify_app_store_jws(slurp(argv[2]), options);
    std::printf("%s %s\n", receipt->bundle_id.c_str(), jws ? jws->bundle_id.c_str() : jws.message().c_str());
    return jws ? 0 : 1;
}
EOF
cat > "$work/all_stores.cpp" <<'EOF'
#include LIBRARY_HEADER
#include "common.hpp"
int main(int argc, char** argv) {
    if (argc != 8) return 2;
    const std::string key = slurp(argv[1]), data = slurp(argv[2]), signature = slurp(argv[3]);
    const std::string receipt = slurp(argv[4]), jws = slurp(argv[5]), test_ca = slurp(argv[6]);
    iap_embedded::verifier verifier;
    iap_embedded::app_store_jws_options jws_options;
    jws_options.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
    jws_options.allow_xcode = true; // the JWS is Xcode's transaction: real transactions are not public
    auto roots = iap_embedded::trusted_roots::from_certificates({test_ca});
    if (!roots) return 1;
    jws_options.roots = std::move(*roots);
    iap_embedded::app_store_receipt_options receipt_options;
    receipt_options.expected_bundle_id = "org.getpure.pure-iphone";
    if (!verifier.add_google_play(key) || !verifier.add_one_store(key) || !verifier.add_app_store(receipt_options) ||
        !verifier.add_app_store_jws(jws_options))
        return 1;
    const auto google = verifier.verify(iap_embedded::receipt::google_play(data, signature));
    const auto one = verifier.verify(iap_embedded::receipt::one_store(data, signature)); // SHA-1 signed: rejected
    const auto apple = verifier.verify(iap_embedded::receipt::app_store(receipt));
    const auto storekit = verifier.verify(iap_embedded::receipt::app_store_jws(jws));
    auto ledger = iap_embedded::ledger::open(argv[7]);
    if (!google || one || !apple || !storekit || !ledger) return 1;
    const auto consumed = ledger->consume(google->purchases.at(0));
    std::printf("%s\n", consumed ? consumed->key.to_string().c_str() : consumed.message().c_str());
    return consumed ? 0 : 1;
}
EOF

# build NAME SOURCE INCLUDE_DIR HEADER [FLAG...]: compiles and links $work/NAME, strips it, prints
# its size.
build() {
    local name=$1 source=$2 include_dir=$3 header=$4
    shift 4
    local defines=()
    [ -n "$header" ] && defines=("-DLIBRARY_HEADER=<$header>")
    if ! "$cxx" -std=c++17 -O2 "${extra[@]}" "$@" -I "$include_dir" "${defines[@]}" "$work/$source" -o "$work/$name" \
            "${libs[@]}" > "$work/$name.log" 2>&1; then
        echo "$0: building $name failed:" >&2
        tail -n 30 "$work/$name.log" >&2
        exit 1
    fi
    cp "$work/$name" "$work/$name.unstripped"
    strip "$work/$name"
    stat -c %s "$work/$name"
}

# run NAME ARGS...: runs a built program; it must exit 0.
run() {
    local name=$1
    shift
    if ! "$work/$name" "$@" > "$work/$name.out" 2>&1; then
        echo "$0: $name did not succeed on the test data:" >&2
        cat "$work/$name.out" >&2
        exit 1
    fi
}

# best_of_3 ARGS...: the shortest wall time of three runs of the command, in seconds.
best_of_3() {
    local best="" start end elapsed
    for _ in 1 2 3; do
        start=$EPOCHREALTIME
        "$@" > /dev/null 2>&1 || { echo "$0: failed: $*" >&2; exit 1; }
        end=$EPOCHREALTIME
        elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
        if [ -z "$best" ] || awk -v a="$elapsed" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$elapsed; fi
    done
    echo "$best"
}

started=$SECONDS
gp="$testdata/google_play/go-iap"
receipt="$testdata/apple_receipts/tpinappreceipt/receipt-production"
jws="$testdata/apple_jws/app-store-server-library/xcode/xcode-signed-transaction"
test_ca="$testdata/apple_jws/app-store-server-library/certs/testCA.der"

echo '#include <iap_embedded/iap_embedded.hpp>' > "$work/single_tu.cpp"
: > "$work/empty_tu.cpp"
t_empty=$(best_of_3 "$cxx" -std=c++17 -O2 -c "$work/empty_tu.cpp" -o "$work/empty_tu.o")
t_single=$(best_of_3 "$cxx" -std=c++17 -O2 -I "$repo/single_include" -c "$work/single_tu.cpp" -o "$work/single_tu.o")

s_base=$(build baseline baseline.cpp "$repo/single_include" "")
s_google=$(build google_single google_only.cpp "$repo/single_include" iap_embedded/iap_embedded.hpp)
s_google_own=$(build google_own google_only.cpp "$repo/include" iap_embedded/google_play.hpp)
s_apple=$(build apple_single apple_only.cpp "$repo/single_include" iap_embedded/iap_embedded.hpp)
s_all=$(build all_single all_stores.cpp "$repo/single_include" iap_embedded/iap_embedded.hpp)
uncapped=(--param inline-unit-growth=1000000)
build google_single_uncapped google_only.cpp "$repo/single_include" iap_embedded/iap_embedded.hpp "${uncapped[@]}" \
    > /dev/null
build google_own_uncapped google_only.cpp "$repo/include" iap_embedded/google_play.hpp "${uncapped[@]}" > /dev/null

run baseline "$gp/public_key.b64"
run google_single "$gp/public_key.b64" "$gp/signed_data.json" "$gp/signature.b64"
run google_own "$gp/public_key.b64" "$gp/signed_data.json" "$gp/signature.b64"
run google_single_uncapped "$gp/public_key.b64" "$gp/signed_data.json" "$gp/signature.b64"
run google_own_uncapped "$gp/public_key.b64" "$gp/signed_data.json" "$gp/signature.b64"
run apple_single "$receipt" "$jws" "$test_ca"
run all_single "$gp/public_key.b64" "$gp/signed_data.json" "$gp/signature.b64" "$receipt" "$jws" "$test_ca" \
    "$work/footprint.ledger"

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
cxx_version=$("$cxx" --version | head -n 1)
mbedtls_version=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' /usr/include/mbedtls/version.h \
    2>/dev/null || true)

cat <<EOF
Compile time, \`$cxx -std=c++17 -O2 -c\`, wall clock, best of 3 ($cxx_version):

| translation unit | seconds |
|---|---:|
| empty | $t_empty |
| \`#include <iap_embedded/iap_embedded.hpp>\` (single header) | $t_single |

Size added to a stripped \`$cxx -O2\` executable, dynamically linked to mbedTLS ${mbedtls_version:-?},
against a baseline that links the same libraries and reads the same files ($s_base bytes):

| program | stripped bytes | added |
|---|---:|---:|
| Google-only: verify one Google Play purchase | $s_google | $((s_google - s_base)) ($(kib $((s_google - s_base)))) |
| Apple-only: verify a receipt and a StoreKit 2 JWS | $s_apple | $((s_apple - s_base)) ($(kib $((s_apple - s_base)))) |
| all stores (+ ONE store, verifier, ledger consume) | $s_all | $((s_all - s_base)) ($(kib $((s_all - s_base)))) |
| Google-only, including only \`google_play.hpp\` | $s_google_own | \
$((s_google_own - s_base)) ($(kib $((s_google_own - s_base)))) |

EOF

# symbols NAME: the defined symbols of the unstripped program, with their sizes, without addresses
# and without the numbers the compiler appends to local names (CSWTCH.421, f.constprop.0).
symbols() {
    nm -C -S --defined-only "$work/$1.unstripped" | awk 'NF >= 4 { $1 = ""; print }' |
        sed -E 's/\.[0-9]+([^0-9A-Za-z_]|$)/\1/g' | sort
}
loadable() { size "$work/$1" | awk 'NR == 2 { print $4 }'; }
if ! diff <(symbols google_own_uncapped) <(symbols google_single_uncapped) > "$work/symbols.diff"; then
    echo "FAILED: unused stores add symbols to the Google-only program (< google_play.hpp alone, > single header):" >&2
    head -n 40 "$work/symbols.diff" >&2
    exit 1
fi
l_single=$(loadable google_single_uncapped)
l_own=$(loadable google_own_uncapped)
l_diff=$((l_single > l_own ? l_single - l_own : l_own - l_single))
if [ "$l_diff" -gt 64 ]; then
    echo "FAILED: the Google-only program has $l_single loadable bytes with the single header and $l_own with" \
         "google_play.hpp alone ($l_diff apart, at most 64 allowed)" >&2
    exit 1
fi
echo "Unused stores add nothing: built with the whole single header or with \`google_play.hpp\` alone (and"
echo "the inlining cap lifted), the Google-only program defines the same $(symbols google_own_uncapped | wc -l) symbols with the same sizes;"
echo "its loadable sections differ by $l_diff bytes (assert()'s file names and alignment padding; at most 64"
echo "allowed). (Measured in $((SECONDS - started)) s.)"
