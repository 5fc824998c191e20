// SPDX-License-Identifier: MIT
//
// tools/embed_key.py and embedded_key.hpp: the real go-iap Google Play key (testdata/SOURCES.md),
// generated twice at build time (go_iap_key_a.hpp, go_iap_key_b.hpp), put back together at run
// time and used to verify the real go-iap purchase; neither the generated header nor this test's
// own executable holds the key's base64 text or DER bytes; two generations store different bytes.
#include <iap_embedded/base64.hpp>
#include <iap_embedded/embedded_key.hpp>
#include <iap_embedded/google_play.hpp>
#include <iap_embedded/verifier.hpp>

#include "go_iap_key_a.hpp"
#include "go_iap_key_b.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using iap_embedded::errc;

std::string testdata_key_text() {
    std::string text = test_support::read_testdata("google_play/go-iap/public_key.b64");
    text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; }),
               text.end());
    return text;
}

std::string testdata_key_der() {
    auto der = iap_embedded::decode_base64(testdata_key_text());
    REQUIRE(der);
    return std::string(der->begin(), der->end());
}

/// Whether any `window` consecutive bytes of `needle` occur in `haystack`.
bool shares_a_window(const std::string& haystack, const std::string& needle, std::size_t window) {
    for (std::size_t i = 0; i + window <= needle.size(); ++i)
        if (haystack.find(needle.substr(i, window)) != std::string::npos) return true;
    return false;
}

/// The bytes a generated header spells as hex literals (0x..), in the order it spells them.
std::string hex_literal_bytes(const std::string& header) {
    std::string bytes;
    for (std::size_t i = header.find("0x"); i != std::string::npos; i = header.find("0x", i + 2)) {
        std::size_t end = i + 2;
        while (end < header.size() && std::isxdigit(static_cast<unsigned char>(header[end]))) ++end;
        if (end - i == 4) bytes += static_cast<char>(std::stoi(header.substr(i + 2, 2), nullptr, 16));
    }
    return bytes;
}

} // namespace

TEST_CASE("embedded key: the generated key is the testdata key and verifies the real purchase") {
    const std::string der = testdata_key_der();
    CHECK(go_iap_key_a.der() == der);
    CHECK(go_iap_key_b.der() == der);
    CHECK(go_iap_key_a.base64() == testdata_key_text());

    const std::string signed_data = test_support::read_testdata("google_play/go-iap/signed_data.json");
    const std::string signature = test_support::read_testdata("google_play/go-iap/signature.b64");
    iap_embedded::verifier verifier;
    REQUIRE(verifier.add_google_play(go_iap_key_a.base64(), "my.package"));
    const auto verified = verifier.verify(iap_embedded::receipt::google_play(signed_data, signature));
    INFO(verified.message());
    REQUIRE(verified);
    REQUIRE(verified->purchases.size() == 1);
    CHECK(verified->purchases[0].product_id == "myproduct");

    auto one = iap_embedded::google_play_verifier::create(go_iap_key_b.base64());
    REQUIRE(one);
    CHECK(one->verify(signed_data, signature));
    std::string tampered = signed_data;
    tampered[tampered.find("myproduct")] = 'M';
    CHECK(one->verify(tampered, signature).error_code() == errc::signature_invalid);
}

TEST_CASE("embedded key: two generations store different bytes") {
    CHECK(go_iap_key_a.seed != go_iap_key_b.seed);
    const std::string a(reinterpret_cast<const char*>(go_iap_key_a.masked), sizeof go_iap_key_a.masked);
    const std::string b(reinterpret_cast<const char*>(go_iap_key_b.masked), sizeof go_iap_key_b.masked);
    REQUIRE(a.size() == b.size());
    std::size_t equal = 0;
    for (std::size_t i = 0; i < a.size(); ++i) equal += a[i] == b[i] ? 1 : 0;
    CHECK(equal < a.size() / 8); // about 1 in 256 by chance
}

TEST_CASE("embedded key: neither the header nor the executable holds the key in plain sight") {
    const std::string text = testdata_key_text();
    const std::string der = testdata_key_der();
    const std::string header = test_support::read_file(IAP_EMBEDDED_EMBEDDED_KEY_HEADER);
    REQUIRE(header.find("embedded_key<162") != std::string::npos);
    CHECK_FALSE(shares_a_window(header, text, 12));
    const std::string spelled = hex_literal_bytes(header);
    REQUIRE(spelled.size() >= der.size());
    CHECK_FALSE(shares_a_window(spelled, der, 8));
    // The masked bytes are what the header spells, and they are not the DER in another order:
    // the RSA modulus (the last 140 bytes hold it) appears in no 8-byte run.
    CHECK_FALSE(shares_a_window(spelled, der.substr(der.size() - 140), 8));

#ifdef __linux__
    // This test's own executable, debug information included: the compiler must not have folded
    // the key into a constant. Only the key's own bytes count: the first 22 bytes of the DER (and
    // the first 38 characters of the base64) are the same for every RSA-1024 key, and the
    // library and other tests hold those.
    const std::string self = test_support::read_file("/proc/self/exe");
    REQUIRE(self.size() > 4096);
    CHECK(self.find("embedded key: two generations") != std::string::npos); // the read works
    const std::string modulus_and_exponent = der.substr(der.size() - 140);
    CHECK_FALSE(shares_a_window(self, modulus_and_exponent, 16));
    CHECK_FALSE(shares_a_window(self, text.substr(40, text.size() - 48), 24));
#endif
}

TEST_CASE("embedded key: an inconsistent object gives an empty key, never out-of-range reads") {
    iap_embedded::embedded_key<4, 2> broken{{1, 2, 3, 4}, {0, 5}, 7, 2};
    CHECK(broken.der().empty());
    CHECK(broken.base64().empty());
    iap_embedded::embedded_key<4, 2> overlong{{1, 2, 3, 4}, {1, 0}, 7, 5};
    CHECK(overlong.der().empty());
    iap_embedded::embedded_key<4, 2> twice{{1, 2, 3, 4}, {0, 0}, 7, 2};
    CHECK(twice.der().empty());
    iap_embedded::embedded_key<4, 2> no_chunks{{1, 2, 3, 4}, {0, 1}, 7, 0};
    CHECK(no_chunks.der().empty());
    iap_embedded::embedded_key<4, 2> consistent{{1, 2, 3, 4}, {1, 0}, 7, 3};
    CHECK(consistent.der().size() == 4);
}
