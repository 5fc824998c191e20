// SPDX-License-Identifier: MIT
//
// Every Wycheproof ECDSA vector (P-256 raw r||s as JWS uses it, P-256 DER, P-384 DER as Apple's
// certificates use it) through the code the JWS path uses: strict signature parsing, then
// detail::verify_ecdsa. Every "valid" vector verifies, every "invalid" one fails, none crashes.
#include "support.hpp"

#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/detail/ecdsa.hpp>

#include <catch2/catch.hpp>
#include <mbedtls/pk.h>

#include <memory>
#include <string>

namespace {

using iap_embedded::detail::digest_kind;
using test_support::from_hex;

enum class encoding { raw, der };

struct counts {
    std::size_t valid = 0, invalid = 0, acceptable = 0;
};

counts run_file(const std::string& file, encoding enc, digest_kind digest) {
    const auto document = test_support::read_testdata_json("wycheproof/" + file);
    counts seen;
    std::size_t total = 0;
    for (const auto& group_value : document.at("testGroups").get<picojson::array>()) {
        const auto& group = group_value.get<picojson::object>();
        const auto der = from_hex(group.at("publicKeyDer").get<std::string>());
        iap_embedded::detail::pk_key key;
        const bool key_ok = mbedtls_pk_parse_public_key(key.get(), der.data(), der.size()) == 0;
        const std::size_t scalar = key_ok ? iap_embedded::detail::ecdsa_key_scalar_bytes(key.get()) : 0;
        for (const auto& test_value : group.at("tests").get<picojson::array>()) {
            const auto& test = test_value.get<picojson::object>();
            const auto msg = from_hex(test.at("msg").get<std::string>());
            const auto sig = from_hex(test.at("sig").get<std::string>());
            const std::string result = test.at("result").get<std::string>();
            ++total;
            bool verified = false;
            if (scalar != 0) {
                auto parsed = enc == encoding::raw
                                  ? iap_embedded::detail::ecdsa_signature_from_raw(sig.data(), sig.size(), scalar)
                                  : iap_embedded::detail::ecdsa_signature_from_der(sig.data(), sig.size(), scalar);
                verified = parsed && iap_embedded::detail::verify_ecdsa(key.get(), digest, msg.data(), msg.size(), *parsed)
                                         .has_value();
            }
            INFO(file << " tcId " << test.at("tcId").get<double>() << ": " << test.at("comment").get<std::string>());
            if (result == "valid") {
                CHECK(verified);
                ++seen.valid;
            } else if (result == "invalid") {
                CHECK_FALSE(verified);
                ++seen.invalid;
            } else {
                ++seen.acceptable;
            }
        }
    }
    CHECK(static_cast<double>(total) == document.at("numberOfTests").get<double>());
    return seen;
}

} // namespace

TEST_CASE("Wycheproof ECDSA P-256 SHA-256, raw r||s (the JWS ES256 encoding)") {
    const auto seen = run_file("ecdsa_secp256r1_sha256_p1363_test.json", encoding::raw, digest_kind::sha256);
    CHECK(seen.valid > 0);
    CHECK(seen.invalid > 0);
}

TEST_CASE("Wycheproof ECDSA P-256 SHA-256, DER") {
    const auto seen = run_file("ecdsa_secp256r1_sha256_test.json", encoding::der, digest_kind::sha256);
    CHECK(seen.valid > 0);
    CHECK(seen.invalid > 0);
}

TEST_CASE("Wycheproof ECDSA P-384 SHA-384, DER") {
    const auto seen = run_file("ecdsa_secp384r1_sha384_test.json", encoding::der, digest_kind::sha384);
    CHECK(seen.valid > 0);
    CHECK(seen.invalid > 0);
}

TEST_CASE("a DER signature is not accepted where raw r||s is expected, nor the reverse") {
    const auto document = test_support::read_testdata_json("wycheproof/ecdsa_secp256r1_sha256_test.json");
    const auto& group = document.at("testGroups").get<picojson::array>().at(0).get<picojson::object>();
    const auto& test = group.at("tests").get<picojson::array>().at(0).get<picojson::object>();
    REQUIRE(test.at("result").get<std::string>() == "valid");
    const auto der_sig = from_hex(test.at("sig").get<std::string>());
    CHECK_FALSE(iap_embedded::detail::ecdsa_signature_from_raw(der_sig.data(), der_sig.size(), 32));
    const std::string raw(64, '\x01');
    CHECK_FALSE(iap_embedded::detail::ecdsa_signature_from_der(reinterpret_cast<const unsigned char*>(raw.data()),
                                                                raw.size(), 32));
}
