// SPDX-License-Identifier: MIT
//
// The certificates a chain may end in. Apple's two roots are built in (their DER bytes are
// compiled into the library, checked against Apple's published fingerprints when generated);
// callers may bring their own roots, for Apple's test certificate authority or Xcode's StoreKit
// testing certificate.
#ifndef IAP_EMBEDDED_TRUSTED_ROOTS_HPP
#define IAP_EMBEDDED_TRUSTED_ROOTS_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {
class certificate;
struct trusted_roots_access;
} // namespace detail

/// A set of trusted root certificates.
///
/// A root is trusted as itself: chain verification accepts a certificate issued by a root when
/// the issuer name equals the root's subject (exact DER) and the signature verifies with the root's
/// key; the root must be a CA and valid at the evaluation time like every other certificate. A
/// copy of a root sent along with the data is never trusted by itself, only a root held here.
///
/// Copies are cheap (the parsed certificates are shared and immutable) and a `trusted_roots` may be
/// used by any number of threads at once. `add` changes only the object it is called on.
class trusted_roots {
public:
    /// The built-in "Apple Root CA" (RSA-2048, valid 2006-04-25 to 2035-02-09), the root of every
    /// App Store receipt. SHA-256 B0:B1:73:0E:CB:C7:FF:45:05:14:2C:49:F1:29:5E:6E:DA:6B:CA:ED:
    /// 7E:2C:68:C5:BE:91:B5:A1:10:01:F0:24.
    static trusted_roots apple_root_ca();

    /// The built-in "Apple Root CA - G3" (ECC P-384, valid 2014-04-30 to 2039-04-30), the root of
    /// StoreKit 2 JWS chains. SHA-256 63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:
    /// 75:6F:30:17:B3:A8:C4:88:C3:65:3E:91:79.
    static trusted_roots apple_root_ca_g3();

    /// The caller's own roots, each element one DER certificate or PEM text (a PEM element may
    /// hold several certificates). `malformed_input` for an empty list or an element that is not
    /// a certificate (the message names the element); `unsupported_algorithm` for a certificate
    /// whose algorithm mbedTLS does not know.
    static result<trusted_roots> from_certificates(const std::vector<std::string>& der_or_pem);

    /// Adds one DER certificate or PEM text (every certificate in it), with the errors of
    /// `from_certificates`. On error nothing is added.
    result<void> add(std::string_view der_or_pem);

    /// How many certificates are trusted.
    std::size_t size() const noexcept;

private:
    friend struct detail::trusted_roots_access;
    using list = std::vector<std::shared_ptr<const detail::certificate>>;

    explicit trusted_roots(std::shared_ptr<const list> certificates) noexcept;

    std::shared_ptr<const list> certificates_;
};

namespace detail {
/// The library's view of a `trusted_roots` (chain verification, detail/x509_chain.hpp).
struct trusted_roots_access {
    static const std::vector<std::shared_ptr<const certificate>>& certificates(const trusted_roots& roots) noexcept {
        return *roots.certificates_;
    }
};
} // namespace detail

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/trusted_roots.ipp"
#endif

#endif // IAP_EMBEDDED_TRUSTED_ROOTS_HPP
