// SPDX-License-Identifier: MIT
//
// Shared test helpers: the real-world test data (testdata.hpp) read so that a missing file fails
// the test loudly, naming the file and testdata_dir (never skips), and other file helpers.
#ifndef IAP_EMBEDDED_TESTS_SUPPORT_HPP
#define IAP_EMBEDDED_TESTS_SUPPORT_HPP

#include "testdata.hpp"

#include <catch2/catch.hpp>
#include <picojson.h>

#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace test_support {

/// Instants where 32-bit time arithmetic breaks, in ms since the epoch: 2^31 s
/// (2038-01-19T03:14:08Z) and 2^32 s (2106-02-07T06:28:16Z).
constexpr std::int64_t ms2038 = 2147483648000;
constexpr std::int64_t ms2106 = 4294967296000;


/// The exact bytes of a file; fails the current test when it cannot be read.
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO("reading " << path);
    REQUIRE(in.good());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The exact bytes of a test data file; fails the current test, naming the file and testdata_dir,
/// when it cannot be read.
inline std::string read_testdata(const std::string& relative) {
    std::string bytes;
    if (!testdata::read(relative, bytes)) FAIL(testdata::missing(relative));
    return bytes;
}

/// Absolute path of a file under testdata_dir (tests/data by default), for a program to read;
/// fails the current test, naming the file and testdata_dir, when it cannot be read.
inline std::string testdata_path(const std::string& relative) {
    (void)read_testdata(relative);
    return testdata::path(relative);
}

/// `s` quoted for /bin/sh.
inline std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// A fresh directory under /tmp, removed with everything in it at scope exit.
class scratch_dir {
public:
    scratch_dir() {
        char pattern[] = "/tmp/iap_embedded_test_XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        path_ = pattern;
    }
    ~scratch_dir() { (void)std::system(("rm -rf " + shell_quote(path_)).c_str()); }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    const std::string& path() const { return path_; }
    /// The path of `name` inside the directory.
    std::string file(const std::string& name) const { return path_ + "/" + name; }
    /// Writes `content` to `name` inside the directory and returns its path.
    std::string write(const std::string& name, const std::string& content) const {
        const std::string p = file(name);
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

private:
    std::string path_;
};

/// Decodes hex test vectors; fails the current test on odd length or a non-hex digit.
inline std::vector<unsigned char> from_hex(const std::string& hex) {
    const auto digit = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    bool well_formed = hex.size() % 2 == 0;
    std::vector<unsigned char> out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; well_formed && i < hex.size(); i += 2) {
        const int high = digit(hex[i]), low = digit(hex[i + 1]);
        well_formed = high >= 0 && low >= 0;
        out.push_back(static_cast<unsigned char>(high << 4 | low));
    }
    INFO("hex: " << hex.substr(0, 64));
    REQUIRE(well_formed);
    return out;
}

/// Parses trusted test JSON (plain picojson) that must be an object.
inline picojson::object parse_json_object(const std::string& text) {
    picojson::value root;
    const std::string error = picojson::parse(root, text);
    INFO(error);
    REQUIRE(error.empty());
    REQUIRE(root.is<picojson::object>());
    return root.get<picojson::object>();
}

/// A test data file that holds a JSON object.
inline picojson::object read_testdata_json(const std::string& relative) {
    INFO(relative);
    return parse_json_object(read_testdata(relative));
}

} // namespace test_support

#endif // IAP_EMBEDDED_TESTS_SUPPORT_HPP
