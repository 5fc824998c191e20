// SPDX-License-Identifier: MIT
//
// Shared test helpers: the real-world test data directory passed in by the build, and file
// reading that fails the test loudly (never skips) when data is missing.
#ifndef IAP_EMBEDDED_TESTS_SUPPORT_HPP
#define IAP_EMBEDDED_TESTS_SUPPORT_HPP

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace test_support {

/// Absolute path of a file under the shared test data directory.
inline std::string testdata_path(const std::string& relative) {
    return std::string(IAP_EMBEDDED_TESTDATA_DIR) + "/" + relative;
}

/// The exact bytes of a file; fails the current test when it cannot be read.
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The exact bytes of a test data file.
inline std::string read_testdata(const std::string& relative) { return read_file(testdata_path(relative)); }

} // namespace test_support

#endif // IAP_EMBEDDED_TESTS_SUPPORT_HPP
