#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs every libFuzzer target for SECONDS seconds each, under AddressSanitizer (with leak
# detection) and UndefinedBehaviorSanitizer, seeded from tests/fuzz/corpus/<target>/ and from the
# seeds tests/fuzz/make_seeds.py derives from the test data (tests/data). Seeds are copied into a
# temporary working corpus, so the repository is never modified. Fails if any target finds a crash, leak, UB or
# violated invariant; the reproducer is kept under BUILD_DIR/fuzz-artifacts/<target>/.
#
#   tools/run_fuzzers.sh SECONDS
#
# Environment: JOBS (targets fuzzed at the same time, default the number of CPUs), CXX (default
# clang++), FUZZ_BUILD_DIR (default build-libfuzzer in the source root), TESTDATA_DIR (the test
# data the seeds are made from; default tests/data).
set -eu

usage() { echo "usage: $0 SECONDS" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in '' | *[!0-9]*) usage ;; esac
seconds=$1
[ "$seconds" -gt 0 ] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-libfuzzer}
targets="fuzz_base64 fuzz_public_key fuzz_purchase_json fuzz_asn1 fuzz_cms fuzz_receipt_payload fuzz_jws fuzz_x509_chain fuzz_ledger fuzz_server_response fuzz_c_api fuzz_ledger_ops"

set -- -Dfuzz=true -Dfuzz_engine=libfuzzer -Dtest_build=as_configured -Dtests=false -Dexamples=false -Dbenchmarks=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dcpp_args=-fno-sanitize-recover=all -Dcpp_link_args=-fno-sanitize-recover=all
if [ -d "$build/meson-private" ]; then
    meson setup --reconfigure "$build" "$root" "$@" >/dev/null
else
    CXX=${CXX:-clang++} meson setup "$build" "$root" "$@" >/dev/null
fi
ninja -C "$build" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

python3 "$root/tests/fuzz/make_seeds.py" "${TESTDATA_DIR:-$root/tests/data}" "$work/seeds"

# halt_on_error: the first finding ends the run with a non-zero status.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

# One target: its fuzzing log in $work/<target>.log, "ok" or "FAILED" in $work/<target>.status.
fuzz_one() {
    target=$1
    corpus="$work/$target"
    artifacts="$build/fuzz-artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    cp -R "$root/tests/fuzz/corpus/$target"/. "$corpus"/
    cp -R "$work/seeds/seeds_$target"/. "$corpus"/ # empty when the test data has nothing for it
    echo "== $target: $seconds s from $(ls "$corpus" | wc -l) seeds"
    if "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" >"$work/$target.log" 2>&1; then
        echo ok >"$work/$target.status"
    else
        echo FAILED >"$work/$target.status"
    fi
}

# Each target is one single-threaded process: run JOBS of them at a time, every one for the
# full SECONDS.
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
running=0
for target in $targets; do
    fuzz_one "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

failed=""
summary=""
for target in $targets; do
    log="$work/$target.log"
    status=$(cat "$work/$target.status" 2>/dev/null || echo FAILED)
    if [ "$status" != ok ]; then
        failed="$failed $target"
        echo "== $target failed:"
        tail -n 60 "$log" 2>/dev/null || true
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    units=$(ls "$work/$target" | wc -l)
    summary="$summary$(printf '%-20s %-7s runs=%-10s exec/s=%-8s %s corpus=%s' \
        "$target" "$status" "${runs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$units")
"
done

printf '\n%s' "$summary"
if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed (reproducers in $build/fuzz-artifacts/)" >&2
    exit 1
fi
echo "no crashes, leaks or invariant violations"
