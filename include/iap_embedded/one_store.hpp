// SPDX-License-Identifier: MIT
//
// ONE store IAP: verifies the purchase JSON against its signature with the app's public key (ONE
// store developer center > app > licence key), RSASSA-PKCS1-v1_5 with SHA-512 (ONE store's
// SHA512withRSA), over the exact bytes the store sent.
#ifndef IAP_EMBEDDED_ONE_STORE_HPP
#define IAP_EMBEDDED_ONE_STORE_HPP

#include "iap_embedded/detail/rsa_store_key.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"

#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
/// A ONE store verifier: the key is parsed once, then `verify` may be called from any number of
/// threads at once.
///
/// Mapping of the purchase JSON: `orderId`, `packageName`, `productId`, `purchaseTime` (ms),
/// `purchaseId`, `purchaseToken`, `purchaseState` (0 purchased, 1 cancelled, 2 refunded),
/// `recurringState`, `acknowledgeState` (1 acknowledged), `quantity` (default 1),
/// `developerPayload`. `packageName`, `productId`, `purchaseTime`, `purchaseState` and one of
/// `purchaseId` / `purchaseToken` are required.
class one_store_verifier : public detail::rsa_store_key {
public:
    /// Parses `public_key_base64` (base64 DER SubjectPublicKeyInfo, RSA 1024..4096 bits; otherwise
    /// `malformed_key`). A non-empty `expected_package_name` is compared with `packageName`.
    static result<one_store_verifier> create(std::string_view public_key_base64,
                                             std::string expected_package_name = {});

    /// Verifies `signed_data` (the exact purchase JSON bytes) against `signature_base64`, then maps
    /// the JSON.
    result<purchase> verify(std::string_view signed_data, std::string_view signature_base64) const;

private:
    using rsa_store_key::rsa_store_key;
};

/// One-shot form: parses the key, verifies, maps.
IAP_EMBEDDED_DECL result<purchase> verify_one_store(std::string_view public_key_base64, std::string_view signed_data,
                                                    std::string_view signature_base64,
                                                    std::string expected_package_name = {});

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/one_store.ipp"
#endif

#endif // IAP_EMBEDDED_ONE_STORE_HPP
