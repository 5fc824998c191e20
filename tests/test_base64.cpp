// SPDX-License-Identifier: MIT
//
// Strict base64: what it accepts (padded RFC 4648 with spaces and line breaks anywhere) and every
// way of being almost base64 that it must refuse.
#include <iap_embedded/iap_embedded.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace {

using iap_embedded::decode_base64;
using iap_embedded::decode_base64_into;
using iap_embedded::encode_base64;
using iap_embedded::errc;

const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string encode(std::string_view text) {
    return encode_base64(reinterpret_cast<const unsigned char*>(text.data()), text.size());
}

std::string decode_to_string(std::string_view encoded) {
    auto bytes = decode_base64(encoded);
    REQUIRE(bytes);
    return std::string(bytes->begin(), bytes->end());
}

// Bytes 0..n-1 of a pattern that covers 0x00, 0xFF and everything between.
std::vector<unsigned char> pattern(std::size_t n) {
    std::vector<unsigned char> out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(i * 151 + 7 * (i >> 3) + (i % 2 ? 0xFF : 0));
    return out;
}

void check_rejected(std::string_view encoded) {
    INFO("input: \"" << std::string(encoded) << "\"");
    const auto decoded = decode_base64(encoded);
    CHECK_FALSE(decoded);
    CHECK(decoded.error_code() == errc::malformed_input);
    CHECK_FALSE(decoded.message().empty());
}

} // namespace

TEST_CASE("base64: RFC 4648 test vectors encode and decode") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        INFO("plain: \"" << plain << "\"");
        CHECK(encode(plain) == encoded);
        CHECK(decode_to_string(encoded) == plain);
    }
}

TEST_CASE("base64: every length from 0 to 64 bytes round trips") {
    for (std::size_t n = 0; n <= 64; ++n) {
        INFO("length " << n);
        const auto bytes = pattern(n);
        const std::string encoded = encode_base64(bytes.data(), bytes.size());
        CHECK(encoded.size() == (n + 2) / 3 * 4);
        CHECK(encoded.find_first_not_of(alphabet + "=") == std::string::npos);
        const auto decoded = decode_base64(encoded);
        REQUIRE(decoded);
        CHECK(*decoded == bytes);

        // The non-allocating form, into a buffer of exactly the decoded size.
        std::vector<unsigned char> exact(n + 1, 0xA5);
        const auto written = decode_base64_into(encoded, exact.data(), n);
        REQUIRE(written);
        CHECK(*written == n);
        CHECK(std::vector<unsigned char>(exact.begin(), exact.begin() + static_cast<std::ptrdiff_t>(n)) == bytes);
        CHECK(exact[n] == 0xA5); // nothing written past the end
        CHECK(iap_embedded::base64_decoded_size_bound(encoded.size()) >= n);
    }
}

TEST_CASE("base64: spaces, tabs and line breaks are tolerated anywhere") {
    CHECK(decode_to_string("Zm9v\nYmFy") == "foobar");
    CHECK(decode_to_string("Zm9v\r\nYmFy\r\n") == "foobar");
    CHECK(decode_to_string("  Zm9vYmFy  ") == "foobar");
    CHECK(decode_to_string("Z m 9 v\tY m F y") == "foobar");
    CHECK(decode_to_string("Zm9vYg=\n=") == "foob");
    CHECK(decode_to_string("Zm9vYg==\n") == "foob");
    CHECK(decode_to_string("\n\r\t ").empty());

    // A long value broken into 76-character lines, the way PEM bodies and consoles wrap it.
    const auto bytes = pattern(200);
    const std::string encoded = encode_base64(bytes.data(), bytes.size());
    std::string wrapped;
    for (std::size_t i = 0; i < encoded.size(); i += 76) wrapped += encoded.substr(i, 76) + "\r\n";
    const auto decoded = decode_base64(wrapped);
    REQUIRE(decoded);
    CHECK(*decoded == bytes);
}

TEST_CASE("base64: every byte outside the alphabet is rejected") {
    const std::string tolerated = alphabet + " \t\r\n";
    std::size_t rejected = 0;
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        if (ch == '=') continue; // padding has its own tests
        // In the middle of a quartet, at the start and at the end of an otherwise valid text.
        const std::string inputs[] = {std::string("Zm9") + ch + "vYmFy", ch + std::string("Zm9vYmFy"),
                                      std::string("Zm9vYmFy") + ch};
        for (const auto& input : inputs) {
            INFO("byte " << c);
            const auto decoded = decode_base64(input);
            if (alphabet.find(ch) != std::string::npos) {
                CHECK_FALSE(decoded); // nine alphabet characters: not a multiple of 4
            } else if (tolerated.find(ch) != std::string::npos) {
                CHECK(decoded); // whitespace changes nothing
            } else {
                CHECK_FALSE(decoded);
                CHECK(decoded.error_code() == errc::malformed_input);
                ++rejected;
            }
        }
    }
    CHECK(rejected == 3 * (256 - 64 - 4 - 1));
}

TEST_CASE("base64: other whitespace (vertical tab, form feed, NUL) is not tolerated") {
    check_rejected("Zm9v\vYmFy");
    check_rejected("Zm9v\fYmFy");
    check_rejected(std::string_view("Zm9v\0YmFy", 9));
    check_rejected("Zm9vYmFy\x85"); // NEL
    check_rejected("Zm9vYmFy\xC2\xA0"); // UTF-8 no-break space
}

TEST_CASE("base64url characters '-' and '_' are rejected") {
    check_rejected("-_-_");
    check_rejected("Zm9v-A==");
    check_rejected("Zm9v_A==");
    // The same bytes in both alphabets: only the standard spelling decodes.
    const unsigned char high[] = {0xFB, 0xFF, 0xBF};
    CHECK(encode_base64(high, 3) == "+/+/");
    CHECK(decode_base64("+/+/"));
    check_rejected("-_-_-_-_");
}

TEST_CASE("base64: missing padding is rejected") {
    check_rejected("Z");
    check_rejected("Zg");
    check_rejected("Zm8");
    check_rejected("Zm9vY");
    check_rejected("Zm9vYg");
    check_rejected("Zm9vYmE");
    check_rejected("Zg=");    // one '=' short
    check_rejected("Zm9vYg="); // one '=' short
}

TEST_CASE("base64: misplaced or excess padding is rejected") {
    check_rejected("=");
    check_rejected("==");
    check_rejected("===");
    check_rejected("====");
    check_rejected("Z===");
    check_rejected("=Zm9");
    check_rejected("Z=m9");
    check_rejected("Zm=9");
    check_rejected("Zg===");
    check_rejected("Zg====");
    check_rejected("Zm8==");
    check_rejected("Zm9v=");
    check_rejected("Zm9v==");
    check_rejected("Zm9v====");
}

TEST_CASE("base64: data after the padding is rejected") {
    check_rejected("Zg==Zg==");
    check_rejected("Zm8=Zm8=");
    check_rejected("Zg==A");
    check_rejected("Zm8=Zm9v");
    check_rejected("Zg== Zm9v");
    check_rejected("Zm8=\nZ");
}

TEST_CASE("base64: non-zero bits before the padding are rejected") {
    // One byte: the second character carries 2 data bits and 4 bits that must be zero.
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        const std::string input = std::string("Q") + alphabet[i] + "==";
        INFO(input);
        CHECK(static_cast<bool>(decode_base64(input)) == (i % 16 == 0));
    }
    // Two bytes: the third character carries 4 data bits and 2 bits that must be zero.
    for (std::size_t i = 0; i < alphabet.size(); ++i) {
        const std::string input = std::string("QU") + alphabet[i] + "=";
        INFO(input);
        CHECK(static_cast<bool>(decode_base64(input)) == (i % 4 == 0));
    }
    check_rejected("Zh==");
    check_rejected("Zm9=");
    CHECK(decode_to_string("Zg==") == "f");
    CHECK(decode_to_string("Zm8=") == "fo");
}

TEST_CASE("decode_base64_into: an output buffer that is too small is an error, never an overflow") {
    unsigned char buffer[16];
    const auto fill = [&] {
        for (auto& b : buffer) b = 0xA5;
    };

    // "foobar" needs 6 bytes, "foob" 4, "fo" 2.
    const std::pair<const char*, std::size_t> cases[] = {{"Zm9vYmFy", 6}, {"Zm9vYg==", 4}, {"Zm8=", 2}, {"Zm9v", 3}};
    for (const auto& [encoded, needed] : cases) {
        INFO(encoded);
        for (std::size_t size = 0; size < needed; ++size) {
            fill();
            const auto written = decode_base64_into(encoded, buffer, size);
            CHECK_FALSE(written);
            CHECK(written.error_code() == errc::malformed_input);
            for (std::size_t i = size; i < sizeof buffer; ++i) CHECK(buffer[i] == 0xA5);
        }
        fill();
        const auto written = decode_base64_into(encoded, buffer, needed);
        REQUIRE(written);
        CHECK(*written == needed);
        CHECK(buffer[needed] == 0xA5);
    }

    // Empty input needs no room at all.
    const auto nothing = decode_base64_into("", nullptr, 0);
    REQUIRE(nothing);
    CHECK(*nothing == 0);
}

TEST_CASE("decode_base64_into: malformed input into a large buffer is still malformed") {
    unsigned char buffer[64];
    CHECK(decode_base64_into("Zg=", buffer, sizeof buffer).error_code() == errc::malformed_input);
    CHECK(decode_base64_into("Zh==", buffer, sizeof buffer).error_code() == errc::malformed_input);
    CHECK(decode_base64_into("Zg==Zg==", buffer, sizeof buffer).error_code() == errc::malformed_input);
    CHECK(decode_base64_into("Zm9v!", buffer, sizeof buffer).error_code() == errc::malformed_input);
}
