// SPDX-License-Identifier: MIT
//
// Every RSASSA-PKCS1-v1_5 vector of Wycheproof, run through the exact code the store verifiers
// use: detail::parse_rsa_public_key_der, then detail::verify_rsa_pkcs1v15. "valid" must verify,
// "invalid" must fail as signature_invalid, "acceptable" may go either way but must come back as
// one of those two answers.
#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/detail/crypto.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>
#include <picojson.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace {

using iap_embedded::errc;
using iap_embedded::detail::digest_kind;
using bytes = std::vector<unsigned char>;

using test_support::from_hex;

// Wycheproof's "sha" names; SHA-224 has no digest_kind (no store uses it).
std::optional<digest_kind> digest_from_name(const std::string& name) {
    if (name == "SHA-1") return digest_kind::sha1;
    if (name == "SHA-256") return digest_kind::sha256;
    if (name == "SHA-384") return digest_kind::sha384;
    if (name == "SHA-512") return digest_kind::sha512;
    return std::nullopt;
}

constexpr digest_kind supported_digests[] = {digest_kind::sha1, digest_kind::sha256, digest_kind::sha384,
                                             digest_kind::sha512};

bool has_only_flags(const picojson::array& flags, std::initializer_list<const char*> allowed) {
    for (const auto& flag : flags) {
        bool found = false;
        for (const char* a : allowed) found = found || flag.get<std::string>() == a;
        if (!found) return false;
    }
    return true;
}

struct vector_counts {
    std::size_t total = 0;
    std::size_t valid = 0;
    std::size_t invalid = 0;
    std::size_t acceptable = 0;
    std::size_t unsupported_digest = 0;
    std::size_t weak_but_accepted = 0; // acceptable only for a 1024-bit modulus or SHA-1
};

// Runs every vector of one file. `key_field` names the group's DER SubjectPublicKeyInfo.
vector_counts run_file(const std::string& file, const char* key_field, double& number_of_tests) {
    const auto document = test_support::read_testdata_json("wycheproof/" + file);
    REQUIRE(document.at("algorithm").get<std::string>() == "RSASSA-PKCS1-v1_5");
    number_of_tests = document.at("numberOfTests").get<double>();

    vector_counts counts;
    for (const auto& group_value : document.at("testGroups").get<picojson::array>()) {
        const auto& group = group_value.get<picojson::object>();
        const bytes key_der = from_hex(group.at(key_field).get<std::string>());
        const auto key = iap_embedded::detail::parse_rsa_public_key_der(key_der.data(), key_der.size());
        INFO("group with " << group.at("sha").get<std::string>() << ", " << group.at("keySize").to_str() << " bits");
        REQUIRE(key);
        const auto digest = digest_from_name(group.at("sha").get<std::string>());

        for (const auto& test_value : group.at("tests").get<picojson::array>()) {
            const auto& test = test_value.get<picojson::object>();
            const std::string result = test.at("result").get<std::string>();
            const bytes msg = from_hex(test.at("msg").get<std::string>());
            const bytes sig = from_hex(test.at("sig").get<std::string>());
            INFO("tcId " << test.at("tcId").to_str() << " (" << result << "): " << test.at("comment").get<std::string>());
            ++counts.total;

            if (!digest) {
                // Fail closed: no digest the library knows verifies a SHA-224 signature, and a
                // digest value outside the enumeration is refused as unsupported.
                ++counts.unsupported_digest;
                for (const digest_kind d : supported_digests) {
                    const auto verified = iap_embedded::detail::verify_rsa_pkcs1v15(**key, d, msg.data(), msg.size(),
                                                                                    sig.data(), sig.size());
                    CHECK(verified.error_code() == errc::signature_invalid);
                }
                const auto unknown = iap_embedded::detail::verify_rsa_pkcs1v15(
                    **key, static_cast<digest_kind>(224), msg.data(), msg.size(), sig.data(), sig.size());
                CHECK(unknown.error_code() == errc::unsupported_algorithm);
                continue;
            }

            const auto verified =
                iap_embedded::detail::verify_rsa_pkcs1v15(**key, *digest, msg.data(), msg.size(), sig.data(), sig.size());
            if (result == "valid") {
                ++counts.valid;
                INFO(verified.message());
                CHECK(verified);
            } else if (result == "invalid") {
                ++counts.invalid;
                CHECK_FALSE(verified);
                CHECK(verified.error_code() == errc::signature_invalid);
            } else {
                REQUIRE(result == "acceptable");
                ++counts.acceptable;
                CHECK((verified || verified.error_code() == errc::signature_invalid));
                // The library accepts RSA-1024 and SHA-1 on purpose (Google Play keys and
                // signatures use them), so vectors acceptable only for those reasons must verify.
                if (has_only_flags(test.at("flags").get<picojson::array>(), {"SmallModulus", "WeakHash"})) {
                    ++counts.weak_but_accepted;
                    INFO(verified.message());
                    CHECK(verified);
                }
            }
        }
    }
    return counts;
}

void check_counts(const vector_counts& counts, double number_of_tests) {
    CHECK(counts.total > 0);
    CHECK(static_cast<double>(counts.total) == number_of_tests);
    CHECK(counts.valid + counts.invalid + counts.acceptable + counts.unsupported_digest == counts.total);
}

} // namespace

TEST_CASE("wycheproof: rsa_signature_2048_sha256 (PKCS#1 v1.5 verify)") {
    double number_of_tests = 0;
    const auto counts = run_file("rsa_signature_2048_sha256_test.json", "publicKeyDer", number_of_tests);
    check_counts(counts, number_of_tests);
    CHECK(counts.valid > 0);
    CHECK(counts.invalid > counts.valid);
}

TEST_CASE("wycheproof: rsa_signature_2048_sha512 (PKCS#1 v1.5 verify)") {
    double number_of_tests = 0;
    const auto counts = run_file("rsa_signature_2048_sha512_test.json", "publicKeyDer", number_of_tests);
    check_counts(counts, number_of_tests);
    CHECK(counts.valid > 0);
    CHECK(counts.invalid > counts.valid);
}

TEST_CASE("wycheproof: rsa_signature_4096_sha512 (PKCS#1 v1.5 verify)") {
    double number_of_tests = 0;
    const auto counts = run_file("rsa_signature_4096_sha512_test.json", "publicKeyDer", number_of_tests);
    check_counts(counts, number_of_tests);
    CHECK(counts.valid > 0);
    CHECK(counts.invalid > counts.valid);
}

TEST_CASE("wycheproof: rsa_pkcs1_2048_sig_gen (signatures generated with SHA-1..SHA-512)") {
    double number_of_tests = 0;
    const auto counts = run_file("rsa_pkcs1_2048_sig_gen_test.json", "keyDer", number_of_tests);
    check_counts(counts, number_of_tests);
    CHECK(counts.valid > 0);
    CHECK(counts.unsupported_digest > 0); // the SHA-224 group, failing closed
    CHECK(counts.weak_but_accepted > 0); // the SHA-1 group
}

TEST_CASE("wycheproof: rsa_pkcs1_1024_sig_gen (RSA-1024, as old Google Play keys)") {
    double number_of_tests = 0;
    const auto counts = run_file("rsa_pkcs1_1024_sig_gen_test.json", "keyDer", number_of_tests);
    check_counts(counts, number_of_tests);
    CHECK(counts.acceptable > 0);
    CHECK(counts.unsupported_digest > 0);
    CHECK(counts.weak_but_accepted > 0);
}
