// SPDX-License-Identifier: MIT
//
// Test support, not part of the umbrella header: an RSA key that signs purchase data the way
// Google Play and ONE store do, so an app can test its purchase flow offline (and so can this
// library's own tests and `iapctl demo`). Never ship a signing key in an app.
#ifndef IAP_EMBEDDED_TESTING_HPP
#define IAP_EMBEDDED_TESTING_HPP

#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/ecdsa.hpp"
#include "iap_embedded/error.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
namespace testing {

/// Digests a test key can sign with.
enum class digest { sha1, sha256, sha384, sha512 };

/// An RSA key pair that signs like a store. Move-only.
class rsa_test_key {
public:
    /// Generates a key of `bits` bits. With a non-empty `seed`, generation is deterministic (the
    /// same seed gives the same key on every run, for reproducible tests); with an empty one it
    /// draws from the system's entropy.
    static result<rsa_test_key> generate(unsigned bits = 2048, std::string_view seed = {}) {
        auto state = std::make_unique<key_state>();
        if (auto seeded = state->seed(seed); !seeded) return std::move(seeded).error();
        mbedtls_pk_context* pk = state->key.get();
        int rc = mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (rc == 0)
            rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), mbedtls_ctr_drbg_random, &state->drbg, bits, 65537);
        if (rc != 0) return make_error(errc::internal_error, "RSA key generation failed", rc);
        return rsa_test_key(std::move(state));
    }

    /// The public key as the store consoles show it: base64 of the DER SubjectPublicKeyInfo.
    std::string public_key_base64() const {
        unsigned char buf[4096];
        const int len = mbedtls_pk_write_pubkey_der(state_->key.get(), buf, sizeof buf);
        if (len <= 0) return {};
        return encode_base64(buf + sizeof buf - len, static_cast<std::size_t>(len));
    }

    /// Signs `data` with RSASSA-PKCS1-v1_5 and `d` (Google Play: sha1; ONE store: sha512) and
    /// returns the signature in base64.
    result<std::string> sign_base64(std::string_view data, digest d) const {
        const auto kind = static_cast<detail::digest_kind>(d);
        auto hash = detail::compute_digest(kind, reinterpret_cast<const unsigned char*>(data.data()), data.size());
        if (!hash) return std::move(hash).error();
        unsigned char sig[1024];
        std::size_t sig_len = 0;
        const int rc = detail::compat::pk_sign(state_->key.get(), detail::md_type(kind), hash->bytes, hash->size, sig,
                                               sizeof sig, &sig_len, &state_->drbg);
        if (rc != 0) return make_error(errc::internal_error, "RSA signing failed", rc);
        return encode_base64(sig, sig_len);
    }

private:
    struct key_state {
        detail::pk_key key;
        mbedtls_entropy_context entropy;
        mbedtls_ctr_drbg_context drbg;
        std::string fixed_seed;
        std::size_t fixed_seed_counter = 0;

        key_state() {
            mbedtls_entropy_init(&entropy);
            mbedtls_ctr_drbg_init(&drbg);
        }
        ~key_state() {
            mbedtls_ctr_drbg_free(&drbg);
            mbedtls_entropy_free(&entropy);
        }
        key_state(const key_state&) = delete;
        key_state& operator=(const key_state&) = delete;

        // Deterministic "entropy": SHA-256(seed || counter), repeated.
        static int seeded_entropy(void* self, unsigned char* out, std::size_t len) {
            auto* st = static_cast<key_state*>(self);
            while (len > 0) {
                std::string block = st->fixed_seed + '#' + std::to_string(st->fixed_seed_counter++);
                auto h = detail::compute_digest(detail::digest_kind::sha256,
                                                reinterpret_cast<const unsigned char*>(block.data()), block.size());
                if (!h) return -1;
                const std::size_t n = len < h->size ? len : h->size;
                std::memcpy(out, h->bytes, n);
                out += n;
                len -= n;
            }
            return 0;
        }

        result<void> seed(std::string_view fixed) {
            int rc;
            if (fixed.empty()) {
                rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
            } else {
                fixed_seed.assign(fixed.data(), fixed.size());
                rc = mbedtls_ctr_drbg_seed(&drbg, seeded_entropy, this, nullptr, 0);
            }
            if (rc != 0) return make_error(errc::internal_error, "seeding the random generator failed", rc);
            return {};
        }
    };

    explicit rsa_test_key(std::unique_ptr<key_state> state) noexcept : state_(std::move(state)) {}

    std::unique_ptr<key_state> state_;
    friend class ec_test_key;
};

/// An EC private key (PEM, as `openssl genpkey` writes it) that signs StoreKit 2 JWS the way the
/// App Store does: ES256, raw `r || s`. Move-only.
class ec_test_key {
public:
    static result<ec_test_key> from_pem(std::string_view pem) {
        auto state = std::make_unique<rsa_test_key::key_state>();
        if (auto seeded = state->seed({}); !seeded) return std::move(seeded).error();
        const std::string text(pem); // mbedTLS wants the PEM's terminating NUL counted
        const int rc = detail::compat::pk_parse_key(state->key.get(), reinterpret_cast<const unsigned char*>(text.c_str()),
                                                    text.size() + 1, &state->drbg);
        if (rc != 0) return make_error(errc::malformed_key, "not a PEM private key", rc);
        if (detail::ecdsa_key_scalar_bytes(state->key.get()) != 32)
            return make_error(errc::malformed_key, "ES256 needs a P-256 key");
        return ec_test_key(std::move(state));
    }

    /// The ES256 signature of `data` as raw `r || s` (64 bytes), base64url without padding.
    result<std::string> sign_es256_base64url(std::string_view data) const {
        auto hash = detail::compute_digest(detail::digest_kind::sha256,
                                           reinterpret_cast<const unsigned char*>(data.data()), data.size());
        if (!hash) return std::move(hash).error();
        unsigned char der[2 * 66 + 8];
        std::size_t der_len = 0;
        const int rc = detail::compat::pk_sign(state_->key.get(), MBEDTLS_MD_SHA256, hash->bytes, hash->size, der,
                                               sizeof der, &der_len, &state_->drbg);
        if (rc != 0) return make_error(errc::internal_error, "ECDSA signing failed", rc);
        auto rs = detail::ecdsa_signature_from_der(der, der_len, 32);
        if (!rs) return std::move(rs).error();
        unsigned char raw[64] = {};
        std::memcpy(raw + 32 - rs->r_size, rs->r, rs->r_size);
        std::memcpy(raw + 64 - rs->s_size, rs->s, rs->s_size);
        return base64url(raw, sizeof raw);
    }

    /// Base64url without padding, as JWS writes every part.
    static std::string base64url(const unsigned char* data, std::size_t size) {
        std::string text = encode_base64(data, size);
        while (!text.empty() && text.back() == '=') text.pop_back();
        for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
        return text;
    }

private:
    explicit ec_test_key(std::unique_ptr<rsa_test_key::key_state> state) noexcept : state_(std::move(state)) {}
    std::unique_ptr<rsa_test_key::key_state> state_;
};

} // namespace testing
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_TESTING_HPP
