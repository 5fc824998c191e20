// SPDX-License-Identifier: MIT
//
// One parsed X.509 certificate: RAII over `mbedtls_x509_crt`, with the few facts chain
// verification needs (names as raw DER, validity in Unix seconds, CA flag, marker extensions by
// OID) and signature checks with its public key. Knows nothing about stores or chains.
#ifndef IAP_EMBEDDED_DETAIL_X509_CERTIFICATE_HPP
#define IAP_EMBEDDED_DETAIL_X509_CERTIFICATE_HPP

#include "iap_embedded/detail/calendar.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/ecdsa.hpp"
#include "iap_embedded/detail/mbedtls_compat.hpp"
#include "iap_embedded/error.hpp"

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Borrowed bytes (DER); the owner outlives the view.
struct der_view {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
};

inline bool same_bytes(der_view a, der_view b) noexcept {
    return a.size == b.size && (a.size == 0 || std::memcmp(a.data, b.data, a.size) == 0);
}

/// Largest certificate accepted, in bytes. Apple's are under 2 KiB.
inline constexpr std::size_t max_certificate_bytes = 16 * 1024;

inline std::int64_t unix_seconds(const mbedtls_x509_time& time) noexcept {
    const compat::x509_calendar_time t = compat::x509_time_fields(time);
    return days_from_civil(t.year, static_cast<unsigned>(t.mon), static_cast<unsigned>(t.day)) * 86400 +
           t.hour * 3600 + t.min * 60 + t.sec;
}

/// RFC 3339 text of a Unix time, for messages.
inline std::string format_unix_seconds(std::int64_t s) {
    std::string text = format_time_ms(s * 1000);
    text.erase(text.size() - 5, 4); // whole seconds: drop ".000"
    return text;
}

inline bool digest_of_md(mbedtls_md_type_t md, digest_kind& out) noexcept {
    switch (md) {
    case MBEDTLS_MD_SHA1: out = digest_kind::sha1; return true;
    case MBEDTLS_MD_SHA256: out = digest_kind::sha256; return true;
    case MBEDTLS_MD_SHA384: out = digest_kind::sha384; return true;
    case MBEDTLS_MD_SHA512: out = digest_kind::sha512; return true;
    default: return false;
    }
}

/// An immutable parsed certificate, shared through `std::shared_ptr<const certificate>`; every
/// member may be used from any number of threads at once.
class certificate {
public:
    /// Parses one DER certificate (no PEM, nothing after it). `malformed_input` when the bytes are
    /// not an X.509 certificate; `unsupported_algorithm` when mbedTLS does not know its signature
    /// or key algorithm.
    static result<std::shared_ptr<const certificate>> parse_der(const unsigned char* der, std::size_t size) {
        if (der == nullptr || size == 0) return make_error(errc::malformed_input, "the certificate is empty");
        if (size > max_certificate_bytes)
            return make_error(errc::malformed_input, "the certificate has " + std::to_string(size) +
                                                         " bytes; at most " +
                                                         std::to_string(max_certificate_bytes) + " are accepted");
        if (const int init = compat::crypto_init(); init != 0)
            return make_error(errc::internal_error, "mbedTLS crypto initialisation failed", init);
        auto cert = std::shared_ptr<certificate>(new certificate());
        const int rc = mbedtls_x509_crt_parse_der(&cert->crt_, der, size);
        if (rc != 0) {
            const int high = -(-rc & 0xFF80);
            if (high == MBEDTLS_ERR_X509_UNKNOWN_SIG_ALG || high == MBEDTLS_ERR_X509_FEATURE_UNAVAILABLE ||
                high == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG || high == MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE)
                return make_error(errc::unsupported_algorithm,
                                  "the certificate uses a signature or key algorithm mbedTLS does not support", rc);
            if (is_allocation_failure(rc) || rc == MBEDTLS_ERR_X509_ALLOC_FAILED)
                return make_error(errc::internal_error, "out of memory while parsing a certificate", rc);
            return make_error(errc::malformed_input, "the bytes are not a DER X.509 certificate", rc);
        }
        if (cert->crt_.raw.len != size)
            return make_error(errc::malformed_input, "there are bytes after the DER certificate");
        cert->not_before_ = unix_seconds(cert->crt_.valid_from);
        cert->not_after_ = unix_seconds(cert->crt_.valid_to);
        return std::shared_ptr<const certificate>(std::move(cert));
    }

    ~certificate() { mbedtls_x509_crt_free(&crt_); }
    certificate(const certificate&) = delete;
    certificate& operator=(const certificate&) = delete;

    /// The whole certificate as parsed.
    der_view der() const noexcept { return {crt_.raw.p, crt_.raw.len}; }
    /// The raw DER of the subject and issuer Names, for exact comparison.
    der_view subject_der() const noexcept { return {crt_.subject_raw.p, crt_.subject_raw.len}; }
    der_view issuer_der() const noexcept { return {crt_.issuer_raw.p, crt_.issuer_raw.len}; }
    /// Readable subject ("C=US, O=Apple Inc., ..., CN=Apple Root CA"), for messages.
    std::string subject() const { return name_text(&crt_.subject); }
    std::string issuer() const { return name_text(&crt_.issuer); }
    /// Validity bounds in Unix seconds, both inclusive.
    std::int64_t not_before() const noexcept { return not_before_; }
    std::int64_t not_after() const noexcept { return not_after_; }
    bool valid_at(std::int64_t unix_s) const noexcept { return not_before_ <= unix_s && unix_s <= not_after_; }
    /// basicConstraints cA is true.
    bool is_ca() const noexcept { return compat::crt_is_ca(&crt_); }
    /// basicConstraints pathLenConstraint, or -1 when there is none.
    int path_length_constraint() const noexcept { return compat::crt_max_pathlen(&crt_) - 1; }
    /// keyUsage absent, or present with keyCertSign.
    bool may_sign_certificates() const noexcept {
        return mbedtls_x509_crt_check_key_usage(&crt_, MBEDTLS_X509_KU_KEY_CERT_SIGN) == 0;
    }
    bool is_self_issued() const noexcept { return same_bytes(subject_der(), issuer_der()); }

    /// Whether an extension with this dotted OID ("1.2.840.113635.100.6.11.1") is present,
    /// critical or not, whatever its value. Walks the raw extensions: mbedTLS 2.28 keeps no record
    /// of extensions it does not know.
    bool has_extension(const char* dotted_oid) const noexcept {
        if (crt_.v3_ext.p == nullptr || crt_.v3_ext.len == 0) return false;
        unsigned char* p = crt_.v3_ext.p;
        const unsigned char* const end = p + crt_.v3_ext.len;
        std::size_t len = 0;
        if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
        const unsigned char* const list_end = p + len;
        while (p < list_end) {
            std::size_t ext_len = 0;
            if (mbedtls_asn1_get_tag(&p, list_end, &ext_len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0)
                return false;
            const unsigned char* const ext_end = p + ext_len;
            mbedtls_asn1_buf oid{};
            oid.tag = MBEDTLS_ASN1_OID;
            if (mbedtls_asn1_get_tag(&p, ext_end, &oid.len, MBEDTLS_ASN1_OID) != 0) return false;
            oid.p = p;
            char text[128];
            const int n = mbedtls_oid_get_numeric_string(text, sizeof text, &oid);
            if (n > 0 && std::strcmp(text, dotted_oid) == 0) return true;
            p = const_cast<unsigned char*>(ext_end);
        }
        return false;
    }

    /// Checks that this certificate's key is one certificates may carry here: RSA 2048 to
    /// IAP_EMBEDDED_MAX_RSA_BITS bits, or EC on P-256 or P-384.
    result<void> check_key() const {
        const mbedtls_pk_type_t type = mbedtls_pk_get_type(&crt_.pk);
        if (type == MBEDTLS_PK_RSA) {
            const std::size_t bits = compat::rsa_modulus_bits(&crt_.pk);
            if (bits < 2048 || bits > IAP_EMBEDDED_MAX_RSA_BITS)
                return make_error(errc::unsupported_algorithm, "the certificate '" + subject() + "' has an RSA-" +
                                                                   std::to_string(bits) + " key; accepted are 2048 to " +
                                                                   std::to_string(IAP_EMBEDDED_MAX_RSA_BITS) + " bits");
            return {};
        }
        if (type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECDSA) {
            const mbedtls_ecp_group_id curve = compat::pk_ec_group_id(&crt_.pk);
            if (curve == MBEDTLS_ECP_DP_SECP256R1 || curve == MBEDTLS_ECP_DP_SECP384R1) return {};
            return make_error(errc::unsupported_algorithm,
                              "the certificate '" + subject() + "' has an EC key on a curve other than P-256 or P-384");
        }
        return make_error(errc::unsupported_algorithm, "the certificate '" + subject() + "' has a " +
                                                           mbedtls_pk_get_name(&crt_.pk) + " key");
    }

    /// Verifies `sig` over `data` with this certificate's key: RSASSA-PKCS1-v1_5 for an RSA key
    /// (the signature exactly as long as the modulus), ECDSA with a DER `Ecdsa-Sig-Value` for an
    /// EC key. `signature_invalid` when it does not verify.
    result<void> verify_signature(digest_kind digest, const unsigned char* data, std::size_t size,
                                  const unsigned char* sig, std::size_t sig_size) const {
        if (auto key = check_key(); !key) return key;
        auto hash = compute_digest(digest, data, size);
        if (!hash) return std::move(hash).error();
        const bool rsa = mbedtls_pk_get_type(&crt_.pk) == MBEDTLS_PK_RSA;
        if (rsa) {
            const std::size_t modulus_bytes = (compat::rsa_modulus_bits(&crt_.pk) + 7) / 8;
            if (sig_size != modulus_bytes)
                return make_error(errc::signature_invalid, "the RSA signature has " + std::to_string(sig_size) +
                                                               " bytes; the key needs " + std::to_string(modulus_bytes));
        }
        int rc = 0;
        {
            // mbedTLS caches values in the key on first use (RSA Montgomery constant, EC comb
            // tables), which is a data race without MBEDTLS_THREADING_C; one lock per certificate.
            std::lock_guard<std::mutex> lock(mutex_);
            rc = mbedtls_pk_verify(const_cast<mbedtls_pk_context*>(&crt_.pk), md_type(digest), hash->bytes,
                                   hash->size, sig, sig_size);
        }
        if (rc == 0) return {};
        if (is_allocation_failure(rc)) return make_error(errc::internal_error, "out of memory during verification", rc);
        return make_error(errc::signature_invalid,
                          std::string(rsa ? "the RSA" : "the ECDSA") + " signature does not verify with " +
                              digest_name(digest) + " and the key of '" + subject() + "'",
                          rc);
    }

    /// Verifies an ECDSA signature given as `(r, s)` (parsed strictly from raw or DER by the
    /// caller) with this certificate's EC key: the path StoreKit 2's ES256 takes, and the one the
    /// Wycheproof ECDSA vectors exercise through `verify_ecdsa`.
    result<void> verify_ecdsa_signature(digest_kind digest, const unsigned char* data, std::size_t size,
                                        const ecdsa_signature& sig) const {
        if (auto key = check_key(); !key) return key;
        std::lock_guard<std::mutex> lock(mutex_);
        return verify_ecdsa(const_cast<mbedtls_pk_context*>(&crt_.pk), digest, data, size, sig);
    }

    /// Verifies that this certificate's key signed `child` (its TBSCertificate with its own
    /// signature algorithm). `unsupported_algorithm` for a digest other than SHA-1/256/384/512 or
    /// a signature scheme other than PKCS#1 v1.5 and ECDSA; `untrusted_certificate` when the
    /// signature does not verify or its scheme does not fit this key.
    result<void> verify_issued(const certificate& child) const {
        const mbedtls_x509_crt* c = &child.crt_;
        digest_kind digest{};
        if (!digest_of_md(compat::crt_signature_md(c), digest))
            return make_error(errc::unsupported_algorithm, "the certificate '" + child.subject() +
                                                               "' is signed with a digest other than SHA-1, SHA-256, "
                                                               "SHA-384 or SHA-512");
        const mbedtls_pk_type_t scheme = compat::crt_signature_pk(c);
        if (scheme != MBEDTLS_PK_RSA && scheme != MBEDTLS_PK_ECDSA)
            return make_error(errc::unsupported_algorithm, "the certificate '" + child.subject() +
                                                               "' is signed with a scheme other than PKCS#1 v1.5 or "
                                                               "ECDSA");
        const bool key_is_rsa = mbedtls_pk_get_type(&crt_.pk) == MBEDTLS_PK_RSA;
        if ((scheme == MBEDTLS_PK_RSA) != key_is_rsa)
            return make_error(errc::untrusted_certificate, "the certificate '" + child.subject() + "' has an " +
                                                               (scheme == MBEDTLS_PK_RSA ? "RSA" : "ECDSA") +
                                                               " signature, but the key of '" + subject() +
                                                               "' is not " + (key_is_rsa ? "EC" : "RSA"));
        const mbedtls_x509_buf& sig = compat::crt_signature(c);
        auto verified = verify_signature(digest, c->tbs.p, c->tbs.len, sig.p, sig.len);
        if (verified) return {};
        if (verified.error_code() != errc::signature_invalid) return verified;
        return make_error(errc::untrusted_certificate,
                          "the signature of '" + child.subject() + "' does not verify with the key of '" + subject() +
                              "'",
                          verified.mbedtls_code());
    }

private:
    certificate() noexcept { mbedtls_x509_crt_init(&crt_); }

    static std::string name_text(const mbedtls_x509_name* name) {
        char text[512];
        const int n = mbedtls_x509_dn_gets(text, sizeof text, name);
        return n < 0 ? std::string("(unprintable name)") : std::string(text, static_cast<std::size_t>(n));
    }

    mbedtls_x509_crt crt_;
    std::int64_t not_before_ = 0;
    std::int64_t not_after_ = 0;
    mutable std::mutex mutex_;
};

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_X509_CERTIFICATE_HPP
