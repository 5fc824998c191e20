// SPDX-License-Identifier: MIT
//
// Every difference between mbedTLS 2.28 LTS and 3.6 LTS that the library meets, in one place.
// Nothing outside this file tests MBEDTLS_VERSION_MAJOR.
#ifndef IAP_EMBEDDED_DETAIL_MBEDTLS_COMPAT_HPP
#define IAP_EMBEDDED_DETAIL_MBEDTLS_COMPAT_HPP

#include <mbedtls/version.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <mutex>

#if MBEDTLS_VERSION_MAJOR < 2 || (MBEDTLS_VERSION_MAJOR == 2 && MBEDTLS_VERSION_MINOR < 28)
#error "iap_embedded needs mbedTLS 2.28 or newer"
#endif

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

// mbedTLS serialises the RSA public operation on one key with a mutex only when it was built with
// MBEDTLS_THREADING_C (the operation caches a Montgomery constant in the key on first use).
// Without it, the library locks around verification itself: `pk_mutex` is what pk_key locks.
namespace iap_embedded {
inline namespace v1 {
namespace detail {
namespace compat {

/// A mutex that does nothing, for mbedTLS builds that serialise the operation themselves.
struct null_mutex {
    void lock() noexcept {}
    void unlock() noexcept {}
};
#if defined(MBEDTLS_THREADING_C)
using pk_mutex = null_mutex;
#else
using pk_mutex = std::mutex;
#endif

/// mbedTLS 3 may route hashing and public-key operations through PSA, which must be initialised
/// once per process; 2.28 has nothing to initialise. Returns an mbedTLS/PSA code, 0 on success.
inline int crypto_init() noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
    static const int status = static_cast<int>(psa_crypto_init());
    return status;
#else
    return 0;
#endif
}

/// `mbedtls_pk_sign`: 3.x added the output buffer size.
inline int pk_sign(mbedtls_pk_context* ctx, mbedtls_md_type_t md, const unsigned char* hash, std::size_t hash_len,
                   unsigned char* sig, std::size_t sig_size, std::size_t* sig_len, mbedtls_ctr_drbg_context* drbg) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pk_sign(ctx, md, hash, hash_len, sig, sig_size, sig_len, mbedtls_ctr_drbg_random, drbg);
#else
    (void)sig_size;
    return mbedtls_pk_sign(ctx, md, hash, hash_len, sig, sig_len, mbedtls_ctr_drbg_random, drbg);
#endif
}

/// The exact bit length of the modulus of the RSA key in `ctx`. `mbedtls_pk_get_bitlen` cannot be
/// used for a size policy: before 3.6 it reports 8 * (modulus bytes), so a 1017-bit modulus counts
/// as 1024 bits there and as 1017 bits in 3.6.
inline std::size_t rsa_modulus_bits(const mbedtls_pk_context* ctx) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03060000
    return mbedtls_rsa_get_bitlen(mbedtls_pk_rsa(*ctx));
#elif MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_mpi_bitlen(&mbedtls_pk_rsa(*ctx)->MBEDTLS_PRIVATE(N));
#else
    return mbedtls_mpi_bitlen(&mbedtls_pk_rsa(*ctx)->N);
#endif
}

/// X.509 certificate fields that 3.x made private (`MBEDTLS_PRIVATE`): the signature over the TBS
/// part, its digest and key algorithm, and the basicConstraints values. `tbs`, `raw`,
/// `issuer_raw`, `subject_raw`, `valid_from`, `valid_to`, `v3_ext` and `pk` are public in both.
inline const mbedtls_x509_buf& crt_signature(const mbedtls_x509_crt* crt) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return crt->MBEDTLS_PRIVATE(sig);
#else
    return crt->sig;
#endif
}
inline mbedtls_md_type_t crt_signature_md(const mbedtls_x509_crt* crt) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return crt->MBEDTLS_PRIVATE(sig_md);
#else
    return crt->sig_md;
#endif
}
inline mbedtls_pk_type_t crt_signature_pk(const mbedtls_x509_crt* crt) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return crt->MBEDTLS_PRIVATE(sig_pk);
#else
    return crt->sig_pk;
#endif
}
inline bool crt_is_ca(const mbedtls_x509_crt* crt) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return crt->MBEDTLS_PRIVATE(ca_istrue) != 0;
#else
    return crt->ca_istrue != 0;
#endif
}
/// basicConstraints pathLenConstraint as mbedTLS stores it: 0 when absent, otherwise the
/// constraint plus one.
inline int crt_max_pathlen(const mbedtls_x509_crt* crt) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return crt->MBEDTLS_PRIVATE(max_pathlen);
#else
    return crt->max_pathlen;
#endif
}

/// The calendar fields of an `mbedtls_x509_time` (UTC), as {year, month, day, hour, minute, second}.
struct x509_calendar_time {
    int year, mon, day, hour, min, sec;
};
inline x509_calendar_time x509_time_fields(const mbedtls_x509_time& t) noexcept {
    return {t.year, t.mon, t.day, t.hour, t.min, t.sec};
}

/// The curve of an EC public key. 3.6 added a keypair accessor; before, the group sits in the
/// keypair (private in 3.x).
inline mbedtls_ecp_group_id pk_ec_group_id(const mbedtls_pk_context* pk) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03060000
    return mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk));
#elif MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pk_ec(*pk)->MBEDTLS_PRIVATE(grp).id;
#else
    return mbedtls_pk_ec(*pk)->grp.id;
#endif
}

/// `mbedtls_pk_parse_key` (private keys, PEM needs the terminating NUL in `size`): 3.x added a
/// random generator for blinding.
inline int pk_parse_key(mbedtls_pk_context* ctx, const unsigned char* key, std::size_t size,
                        mbedtls_ctr_drbg_context* drbg) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pk_parse_key(ctx, key, size, nullptr, 0, mbedtls_ctr_drbg_random, drbg);
#else
    (void)drbg;
    return mbedtls_pk_parse_key(ctx, key, size, nullptr, 0);
#endif
}

} // namespace compat
} // namespace detail
} // namespace v1
} // namespace iap_embedded

// TLS (detail/tls_stream.hpp): only the differences the sync transport meets.
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>

namespace iap_embedded {
inline namespace v1 {
namespace detail {
namespace compat {

/// Makes TLS 1.2 the lowest protocol version of `conf`: 3.2 replaced the (major, minor) pair with
/// a version enum and deprecated the old setter.
inline void ssl_conf_min_tls12(mbedtls_ssl_config* conf) noexcept {
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

/// Whether an `mbedtls_ssl_read` result only announces a TLS 1.3 post-handshake event (3.x: a
/// session ticket received by a client, early data received by a server), so the read must simply
/// be repeated. 2.28 has no TLS 1.3 and no such codes.
inline bool ssl_read_must_repeat(int rc) noexcept {
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return true;
#endif
#if defined(MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA)
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA) return true;
#endif
    (void)rc;
    return false;
}

/// `mbedtls_pk_check_pair` (does the private key belong to the certificate's public key?): 3.x
/// added a random generator for blinding.
inline int pk_check_pair(const mbedtls_pk_context* pub, const mbedtls_pk_context* prv,
                         mbedtls_ctr_drbg_context* drbg) noexcept {
#if MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pk_check_pair(pub, prv, mbedtls_ctr_drbg_random, drbg);
#else
    (void)drbg;
    return mbedtls_pk_check_pair(pub, prv);
#endif
}

/// mbedTLS's description of `rc` into `buf` (NUL-terminated), or an empty string when mbedTLS was
/// built without MBEDTLS_ERROR_C.
inline void error_text(int rc, char* buf, std::size_t size) noexcept {
    if (size == 0) return;
    buf[0] = '\0';
#if defined(MBEDTLS_ERROR_C)
    mbedtls_strerror(rc, buf, size);
#else
    (void)rc;
#endif
}

} // namespace compat
} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_MBEDTLS_COMPAT_HPP
