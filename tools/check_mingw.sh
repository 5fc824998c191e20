#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Compiles (compile only: nothing is linked or run) the library for Windows with MinGW-w64, as CI
# cannot run Windows:
#
#   1. tests/integration/mingw_file_windows.cpp: the ledger's Windows file layer
#      (detail/file_windows.hpp) included first and every member of its interface called, with and
#      without exceptions. It needs only error.hpp, config.hpp and version.hpp: no mbedTLS, no
#      picojson.
#   2. tests/integration/mingw_library.cpp: the umbrella header (verifiers, ledger on the Windows
#      file layer), once against include/ and once against single_include/. MinGW has no mbedTLS or
#      picojson, so the host's headers (the same C and C++ declarations on every platform) are put
#      on the include path through a directory holding links to just those two, never the host's
#      whole /usr/include. The library uses std::mutex, which GCC before 13 provides only in
#      MinGW's "posix" threading variant: this step uses x86_64-w64-mingw32-g++-posix when the
#      default compiler lacks std::mutex, and is skipped (said so, exit status unaffected) when
#      neither has it or the host headers are missing.
#
#   tools/check_mingw.sh
#
# Installs nothing. Needs x86_64-w64-mingw32-g++ (Debian: apt-get install g++-mingw-w64-x86-64).
# Environment: MINGW_CXX (default x86_64-w64-mingw32-g++), MINGW_POSIX_CXX (default
# x86_64-w64-mingw32-g++-posix), HOST_INCLUDE_DIR (where mbedtls/ and picojson.h are; default
# /usr/include). Exits 1 when a compile fails, 2 when the compiler is missing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cxx=${MINGW_CXX:-x86_64-w64-mingw32-g++}
posix_cxx=${MINGW_POSIX_CXX:-x86_64-w64-mingw32-g++-posix}
host_include=${HOST_INCLUDE_DIR:-/usr/include}
flags="-std=c++17 -Wall -Wextra -Wpedantic -Werror"

command -v "$cxx" >/dev/null || { echo "$0: $cxx not found (Debian: apt-get install g++-mingw-w64-x86-64)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_mingw.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

failed=0
compile() { # NAME COMPILER ARGS... (compiled with $flags)
    name=$1 compiler=$2
    shift 2
    echo "== $name"
    echo "   $compiler $flags $*"
    # shellcheck disable=SC2086 # $flags is a list of words
    if "$compiler" $flags "$@" -o "$work/out.o" 2>"$work/errors"; then
        echo "   ok"
    else
        failed=$((failed + 1))
        sed 's/^/   | /' "$work/errors" | head -n 40
        echo "   FAILED"
    fi
}

compile "file layer, no mbedTLS" "$cxx" -I "$root/include" -c "$root/tests/integration/mingw_file_windows.cpp"
compile "file layer, no mbedTLS, -fno-exceptions" "$cxx" -fno-exceptions -I "$root/include" \
    -c "$root/tests/integration/mingw_file_windows.cpp"

printf '#include <mutex>\nstd::mutex m;\n' >"$work/mutex.cpp"
library_cxx=
if "$cxx" -std=c++17 -c "$work/mutex.cpp" -o "$work/mutex.o" 2>/dev/null; then
    library_cxx=$cxx
elif command -v "$posix_cxx" >/dev/null && "$posix_cxx" -std=c++17 -c "$work/mutex.cpp" -o "$work/mutex.o" 2>/dev/null; then
    library_cxx=$posix_cxx
fi
if [ -z "$library_cxx" ]; then
    echo "== whole library: SKIPPED ($cxx has no std::mutex and $posix_cxx is not there)"
elif [ ! -f "$host_include/mbedtls/version.h" ] || [ ! -f "$host_include/picojson.h" ]; then
    echo "== whole library: SKIPPED (no mbedtls/version.h or picojson.h in $host_include)"
else
    mkdir "$work/borrowed"
    ln -s "$host_include/mbedtls" "$work/borrowed/mbedtls"
    ln -s "$host_include/picojson.h" "$work/borrowed/picojson.h"
    compile "whole library, include/" "$library_cxx" -I "$root/include" -isystem "$work/borrowed" \
        -c "$root/tests/integration/mingw_library.cpp"
    compile "whole library, single_include/" "$library_cxx" -I "$root/single_include" \
        -isystem "$work/borrowed" -c "$root/tests/integration/mingw_library.cpp"
fi

if [ "$failed" -ne 0 ]; then
    echo "$failed compile(s) failed"
    exit 1
fi
echo "all compiles passed"
