// SPDX-License-Identifier: MIT
//
// ECDSA verification with strict signature encodings. mbedTLS's own signature reader is lenient
// (it accepts non-minimal lengths and integers, and negative integers read as positive), so both
// encodings are parsed here and re-encoded canonically before mbedTLS sees them:
// - raw `r || s` (IEEE P1363, the JWS ES256 format): exactly twice the curve size;
// - DER `SEQUENCE { INTEGER r, INTEGER s }`: minimal lengths, minimal positive integers, nothing after.
#ifndef IAP_EMBEDDED_DETAIL_ECDSA_HPP
#define IAP_EMBEDDED_DETAIL_ECDSA_HPP

#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/mbedtls_compat.hpp"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// r and s as unsigned big-endian integers without leading zeros.
struct ecdsa_signature {
    unsigned char r[66];
    std::size_t r_size = 0;
    unsigned char s[66];
    std::size_t s_size = 0;
};

/// Size in bytes of the scalars of the curves accepted: P-256 and P-384.
inline std::size_t ecdsa_scalar_bytes(mbedtls_ecp_group_id curve) noexcept {
    switch (curve) {
    case MBEDTLS_ECP_DP_SECP256R1: return 32;
    case MBEDTLS_ECP_DP_SECP384R1: return 48;
    default: return 0;
    }
}

inline void ecdsa_store_scalar(const unsigned char* in, std::size_t size, unsigned char* out, std::size_t& out_size) noexcept {
    while (size > 0 && *in == 0) ++in, --size;
    std::memcpy(out, in, size);
    out_size = size;
}

/// Splits a raw `r || s` signature for a curve whose scalars have `scalar_bytes` bytes.
inline result<ecdsa_signature> ecdsa_signature_from_raw(const unsigned char* sig, std::size_t size,
                                                        std::size_t scalar_bytes) {
    if (scalar_bytes == 0 || size != 2 * scalar_bytes)
        return make_error(errc::signature_invalid, "the raw ECDSA signature has " + std::to_string(size) +
                                                       " bytes; expected " + std::to_string(2 * scalar_bytes));
    ecdsa_signature out;
    ecdsa_store_scalar(sig, scalar_bytes, out.r, out.r_size);
    ecdsa_store_scalar(sig + scalar_bytes, scalar_bytes, out.s, out.s_size);
    return out;
}

/// Parses a strict DER ECDSA-Sig-Value for a curve whose scalars have `scalar_bytes` bytes.
inline result<ecdsa_signature> ecdsa_signature_from_der(const unsigned char* sig, std::size_t size,
                                                        std::size_t scalar_bytes) {
    const auto bad = [](const char* why) {
        return make_error(errc::signature_invalid, std::string("the DER ECDSA signature is not canonical: ") + why);
    };
    // Every length here is below 128 for P-256 and P-384, so only the short length form is DER.
    if (size < 2 || sig[0] != 0x30) return bad("not a SEQUENCE");
    if (sig[1] >= 0x80) return bad("long-form or indefinite length");
    if (std::size_t{sig[1]} != size - 2) return bad("the SEQUENCE length does not match");
    ecdsa_signature out;
    std::size_t at = 2;
    for (int which = 0; which < 2; ++which) {
        if (size - at < 2 || sig[at] != 0x02) return bad("an INTEGER is missing");
        const std::size_t len = sig[at + 1];
        at += 2;
        if (len >= 0x80) return bad("long-form INTEGER length");
        if (len == 0 || len > size - at) return bad("truncated INTEGER");
        const unsigned char* value = sig + at;
        if (value[0] & 0x80) return bad("negative INTEGER");
        if (len > 1 && value[0] == 0 && !(value[1] & 0x80)) return bad("INTEGER with a superfluous leading zero");
        const std::size_t significant = value[0] == 0 ? len - 1 : len;
        if (significant > scalar_bytes) return bad("INTEGER larger than the curve order");
        if (which == 0) ecdsa_store_scalar(value, len, out.r, out.r_size);
        else ecdsa_store_scalar(value, len, out.s, out.s_size);
        at += len;
    }
    if (at != size) return bad("bytes after the signature");
    return out;
}

/// DER of `(r, s)`, minimal; `out` needs 2 * 66 + 8 bytes. Returns the size.
inline std::size_t ecdsa_signature_to_der(const ecdsa_signature& sig, unsigned char* out) noexcept {
    std::size_t at = 2;
    const auto put = [&](const unsigned char* v, std::size_t n) {
        const bool pad = n == 0 || (v[0] & 0x80);
        out[at++] = 0x02;
        out[at++] = static_cast<unsigned char>(n + (pad ? 1 : 0));
        if (pad) out[at++] = 0;
        std::memcpy(out + at, v, n);
        at += n;
    };
    put(sig.r, sig.r_size);
    put(sig.s, sig.s_size);
    out[0] = 0x30;
    out[1] = static_cast<unsigned char>(at - 2);
    return at;
}

/// The curve's scalar size when `ctx` holds an EC key on P-256 or P-384, 0 otherwise.
inline std::size_t ecdsa_key_scalar_bytes(const mbedtls_pk_context* ctx) noexcept {
    if (mbedtls_pk_get_type(ctx) != MBEDTLS_PK_ECKEY && mbedtls_pk_get_type(ctx) != MBEDTLS_PK_ECDSA) return 0;
    return ecdsa_scalar_bytes(compat::pk_ec_group_id(ctx));
}

/// Verifies `sig` over `data` hashed with `digest` with the EC key in `ctx`.
inline result<void> verify_ecdsa(mbedtls_pk_context* ctx, digest_kind digest, const unsigned char* data,
                                 std::size_t data_size, const ecdsa_signature& sig) {
    if (ecdsa_key_scalar_bytes(ctx) == 0)
        return make_error(errc::unsupported_algorithm, "ECDSA needs a P-256 or P-384 key");
    auto hash = compute_digest(digest, data, data_size);
    if (!hash) return std::move(hash).error();
    unsigned char der[2 * 66 + 8];
    const std::size_t der_size = ecdsa_signature_to_der(sig, der);
    const int rc = mbedtls_pk_verify(ctx, md_type(digest), hash->bytes, hash->size, der, der_size);
    if (rc == 0) return {};
    if (is_allocation_failure(rc)) return make_error(errc::internal_error, "out of memory during ECDSA verification", rc);
    return make_error(errc::signature_invalid, std::string("the ECDSA signature does not verify with ") + digest_name(digest), rc);
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_ECDSA_HPP
