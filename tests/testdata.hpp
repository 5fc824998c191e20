// SPDX-License-Identifier: MIT
//
// The real-world test data (tests/data/, SOURCES.md there), found through the Meson option
// testdata_dir, which the build passes in as IAP_EMBEDDED_TESTDATA_DIR. No test framework here:
// the Catch2 suites (support.hpp), the -fno-exceptions program and the benchmarks all read their
// data through it, and all say the same thing when a file is missing.
#ifndef IAP_EMBEDDED_TESTS_TESTDATA_HPP
#define IAP_EMBEDDED_TESTS_TESTDATA_HPP

#include <fstream>
#include <iterator>
#include <string>

#ifndef IAP_EMBEDDED_TESTDATA_DIR
#error "the build defines IAP_EMBEDDED_TESTDATA_DIR (Meson option testdata_dir)"
#endif

namespace testdata {

/// testdata_dir as the build resolved it.
inline std::string dir() { return IAP_EMBEDDED_TESTDATA_DIR; }

/// Absolute path of `relative` under testdata_dir, whether or not it exists.
inline std::string path(const std::string& relative) { return dir() + "/" + relative; }

/// What to report when `relative` cannot be read: the file, where it was looked for, and the option.
inline std::string missing(const std::string& relative) {
    return "test data file " + relative + " is missing: cannot read " + path(relative) + "\n  testdata_dir = " +
           dir() + " (Meson option -Dtestdata_dir; the project's copy is tests/data, see tests/data/SOURCES.md)";
}

/// Reads the exact bytes of `relative` into `bytes`; false when it cannot be read.
inline bool read(const std::string& relative, std::string& bytes) {
    std::ifstream in(path(relative), std::ios::binary);
    if (!in) return false;
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

} // namespace testdata

#endif // IAP_EMBEDDED_TESTS_TESTDATA_HPP
