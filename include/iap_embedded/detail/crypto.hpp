// SPDX-License-Identifier: MIT
//
// Thin RAII over the mbedTLS primitives the verifiers need: digests, public keys, PKCS#1 v1.5
// verification. Knows nothing about stores.
#ifndef IAP_EMBEDDED_DETAIL_CRYPTO_HPP
#define IAP_EMBEDDED_DETAIL_CRYPTO_HPP

#include "iap_embedded/detail/mbedtls_compat.hpp"
#include "iap_embedded/error.hpp"

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// The digests store signatures use.
enum class digest_kind { sha1, sha256, sha384, sha512 };

inline mbedtls_md_type_t md_type(digest_kind d) noexcept {
    switch (d) {
    case digest_kind::sha1: return MBEDTLS_MD_SHA1;
    case digest_kind::sha256: return MBEDTLS_MD_SHA256;
    case digest_kind::sha384: return MBEDTLS_MD_SHA384;
    case digest_kind::sha512: return MBEDTLS_MD_SHA512;
    }
    return MBEDTLS_MD_NONE;
}

inline const char* digest_name(digest_kind d) noexcept {
    switch (d) {
    case digest_kind::sha1: return "SHA-1";
    case digest_kind::sha256: return "SHA-256";
    case digest_kind::sha384: return "SHA-384";
    case digest_kind::sha512: return "SHA-512";
    }
    return "unknown digest";
}

/// A digest value on the stack; `size` bytes of `bytes` are meaningful.
struct digest_value {
    unsigned char bytes[64];
    std::size_t size = 0;
};

inline result<digest_value> compute_digest(digest_kind kind, const unsigned char* data, std::size_t size) noexcept {
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(md_type(kind));
    if (info == nullptr)
        return make_error(errc::unsupported_algorithm, std::string(digest_name(kind)) + " is not compiled into mbedTLS");
    if (const int init = compat::crypto_init(); init != 0)
        return make_error(errc::internal_error, "mbedTLS crypto initialisation failed", init);
    digest_value out;
    out.size = mbedtls_md_get_size(info);
    if (const int rc = mbedtls_md(info, data, size, out.bytes); rc != 0)
        return make_error(errc::internal_error, "mbedTLS digest failed", rc);
    return out;
}

/// mbedTLS adds a low-level code (bits 0..6) to a high-level one; allocation failures can hide
/// in either part.
inline bool is_allocation_failure(int rc) noexcept {
    const int magnitude = -rc;
    return rc == MBEDTLS_ERR_PK_ALLOC_FAILED || rc == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
           (magnitude & 0x7F) == -MBEDTLS_ERR_MPI_ALLOC_FAILED;
}

/// Owns an `mbedtls_pk_context`. Not copyable or movable (mbedTLS contexts are not relocatable in
/// general); shared through a pointer.
class pk_key {
public:
    pk_key() noexcept { mbedtls_pk_init(&ctx_); }
    ~pk_key() { mbedtls_pk_free(&ctx_); }
    pk_key(const pk_key&) = delete;
    pk_key& operator=(const pk_key&) = delete;

    mbedtls_pk_context* get() noexcept { return &ctx_; }
    const mbedtls_pk_context* get() const noexcept { return &ctx_; }
    std::size_t bits() const noexcept {
        return is_rsa() ? compat::rsa_modulus_bits(&ctx_) : mbedtls_pk_get_bitlen(&ctx_);
    }
    bool is_rsa() const noexcept { return mbedtls_pk_get_type(&ctx_) == MBEDTLS_PK_RSA; }

    /// Runs `f(ctx)` with exclusive access where this mbedTLS build needs it (see compat header).
    template <class F>
    int with_context(F&& f) const {
        std::lock_guard<compat::pk_mutex> lock(mutex_);
        return f(const_cast<mbedtls_pk_context*>(&ctx_));
    }

private:
    mbedtls_pk_context ctx_;
    mutable compat::pk_mutex mutex_;
};

/// Parses a DER SubjectPublicKeyInfo holding an RSA key of an accepted size.
inline result<std::shared_ptr<const pk_key>> parse_rsa_public_key_der(const unsigned char* der, std::size_t size) {
    if (size == 0) return make_error(errc::malformed_key, "the public key is empty");
    auto key = std::make_shared<pk_key>();
    if (const int rc = mbedtls_pk_parse_public_key(key->get(), der, size); rc != 0)
        return make_error(errc::malformed_key, "the public key is not a DER SubjectPublicKeyInfo", rc);
    if (!key->is_rsa())
        return make_error(errc::malformed_key, std::string("the public key is ") +
                                                   mbedtls_pk_get_name(key->get()) + ", not RSA");
    const std::size_t bits = key->bits();
    if (bits < IAP_EMBEDDED_MIN_RSA_BITS || bits > IAP_EMBEDDED_MAX_RSA_BITS)
        return make_error(errc::malformed_key, "the RSA key has " + std::to_string(bits) + " bits; accepted are " +
                                                   std::to_string(IAP_EMBEDDED_MIN_RSA_BITS) + " to " +
                                                   std::to_string(IAP_EMBEDDED_MAX_RSA_BITS));
    return std::shared_ptr<const pk_key>(std::move(key));
}

/// Verifies an RSASSA-PKCS1-v1_5 signature over `data` hashed with `digest`. The signature must
/// be exactly as long as the modulus: mbedTLS itself reports a verified prefix followed by extra
/// bytes only through a distinct error code, which counts as failure here like every other code.
inline result<void> verify_rsa_pkcs1v15(const pk_key& key, digest_kind digest, const unsigned char* data,
                                        std::size_t data_size, const unsigned char* sig, std::size_t sig_size) {
    if (!key.is_rsa()) return make_error(errc::unsupported_algorithm, "PKCS#1 v1.5 needs an RSA key");
    auto hash = compute_digest(digest, data, data_size);
    if (!hash) return std::move(hash).error();
    const std::size_t modulus_bytes = (key.bits() + 7) / 8;
    if (sig_size != modulus_bytes)
        return make_error(errc::signature_invalid, "the signature has " + std::to_string(sig_size) +
                                                       " bytes; an RSA-" + std::to_string(key.bits()) +
                                                       " signature has " + std::to_string(modulus_bytes));
    const int rc = key.with_context([&](mbedtls_pk_context* ctx) {
        return mbedtls_pk_verify(ctx, md_type(digest), hash->bytes, hash->size, sig, sig_size);
    });
    if (rc == 0) return {};
    if (is_allocation_failure(rc))
        return make_error(errc::internal_error, "out of memory during RSA verification", rc);
    return make_error(errc::signature_invalid,
                      std::string("the RSA signature does not verify with ") + digest_name(digest), rc);
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_CRYPTO_HPP
