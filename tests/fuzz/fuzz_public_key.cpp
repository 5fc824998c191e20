// SPDX-License-Identifier: MIT
//
// Fuzzes public key parsing, with every input read two ways:
// - as base64 text, the way an app passes its Play Console / ONE store licence key: both store
//   verifiers must accept exactly the keys that decode and then parse as DER;
// - as raw DER SubjectPublicKeyInfo: a key that parses must be an RSA key of an accepted size,
//   must survive a base64 round trip into a verifier, and must reject a signature nobody made.
#include "fuzz_assert.hpp"

#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/google_play.hpp"
#include "iap_embedded/one_store.hpp"

#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

// Bits of the public exponent, so huge exponents (legal, but slow to verify with) can be skipped.
std::size_t exponent_bits(const iap_embedded::detail::pk_key& key) {
    mbedtls_mpi e;
    mbedtls_mpi_init(&e);
    std::size_t bits = 0;
    if (mbedtls_rsa_export(mbedtls_pk_rsa(*key.get()), nullptr, nullptr, nullptr, nullptr, &e) == 0)
        bits = mbedtls_mpi_bitlen(&e);
    mbedtls_mpi_free(&e);
    return bits;
}

void fuzz_base64_key(std::string_view text) {
    using namespace iap_embedded;
    const auto google = google_play_verifier::create(text, "com.example.fuzz");
    const auto one = one_store_verifier::create(text);
    IAP_EMBEDDED_FUZZ_ASSERT(google.has_value() == one.has_value());
    if (!google) {
        IAP_EMBEDDED_FUZZ_ASSERT(google.error_code() == errc::malformed_key);
        IAP_EMBEDDED_FUZZ_ASSERT(one.error_code() == errc::malformed_key);
    }
    const auto der = decode_base64(text);
    const bool parses = der && detail::parse_rsa_public_key_der(der->data(), der->size()).has_value();
    IAP_EMBEDDED_FUZZ_ASSERT(google.has_value() == parses);
}

void fuzz_der_key(const unsigned char* der, std::size_t size) {
    using namespace iap_embedded;
    const auto key = detail::parse_rsa_public_key_der(der, size);
    if (!key) {
        IAP_EMBEDDED_FUZZ_ASSERT(key.error_code() == errc::malformed_key);
        return;
    }
    const detail::pk_key& k = **key;
    IAP_EMBEDDED_FUZZ_ASSERT(k.is_rsa());
    IAP_EMBEDDED_FUZZ_ASSERT(k.bits() >= IAP_EMBEDDED_MIN_RSA_BITS && k.bits() <= IAP_EMBEDDED_MAX_RSA_BITS);
    IAP_EMBEDDED_FUZZ_ASSERT(google_play_verifier::create(encode_base64(der, size)).has_value());

    if (exponent_bits(k) > 64) return;
    // A modulus-sized signature nobody made must never verify, whatever the key.
    static constexpr std::string_view message = "{\"orderId\":\"GPA.0000-0000-0000-00000\"}";
    const std::vector<unsigned char> forged((k.bits() + 7) / 8, 0x5a);
    for (const auto digest : {detail::digest_kind::sha1, detail::digest_kind::sha512}) {
        const auto verified =
            detail::verify_rsa_pkcs1v15(k, digest, reinterpret_cast<const unsigned char*>(message.data()),
                                        message.size(), forged.data(), forged.size());
        IAP_EMBEDDED_FUZZ_ASSERT(!verified);
        IAP_EMBEDDED_FUZZ_ASSERT(verified.error_code() == errc::signature_invalid ||
                                 verified.error_code() == errc::internal_error);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_base64_key(std::string_view(reinterpret_cast<const char*>(data), size));
    fuzz_der_key(data, size);
    return 0;
}
