// SPDX-License-Identifier: MIT
//
// Google Play Billing: verifies `Purchase.getOriginalJson()` against `Purchase.getSignature()`
// with the app's public key (Play Console > Monetization setup > Licensing), RSASSA-PKCS1-v1_5
// with SHA-1, over the exact bytes Google sent. Never re-serialise the JSON before verifying.
#ifndef IAP_EMBEDDED_GOOGLE_PLAY_HPP
#define IAP_EMBEDDED_GOOGLE_PLAY_HPP

#include "iap_embedded/detail/rsa_store_key.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"

#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
/// A Google Play verifier: the key is parsed once, then `verify` may be called from any number of
/// threads at once.
///
/// Mapping of the purchase JSON: `orderId`, `packageName`, `productId` or `productIds[]`,
/// `purchaseTime` (ms), `purchaseState` (0 purchased, 1 cancelled, 2 refunded, 4 pending),
/// `purchaseToken`, `quantity` (default 1), `acknowledged`, `autoRenewing`, `obfuscatedAccountId`,
/// `obfuscatedProfileId`, `developerPayload`. `packageName`, a product, `purchaseTime`,
/// `purchaseState` and `purchaseToken` are required.
class google_play_verifier : public detail::rsa_store_key {
public:
    /// Parses `public_key_base64` (base64 DER SubjectPublicKeyInfo, RSA 1024..4096 bits; otherwise
    /// `malformed_key`). A non-empty `expected_package_name` is compared with `packageName`
    /// (`bundle_id_mismatch` when it differs).
    static result<google_play_verifier> create(std::string_view public_key_base64,
                                               std::string expected_package_name = {});

    /// Verifies `signed_data` (the exact original JSON bytes) against `signature_base64`, then maps
    /// the JSON. An empty signature is `malformed_input`: Google's static test products are
    /// unsigned and cannot be verified locally.
    result<purchase> verify(std::string_view signed_data, std::string_view signature_base64) const;

private:
    using rsa_store_key::rsa_store_key;
};

/// One-shot form: parses the key, verifies, maps. Prefer a `google_play_verifier` (or `verifier`)
/// kept for the app's lifetime, which parses the key once.
IAP_EMBEDDED_DECL result<purchase> verify_google_play(std::string_view public_key_base64, std::string_view signed_data,
                                                      std::string_view signature_base64,
                                                      std::string expected_package_name = {});

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/google_play.ipp"
#endif

#endif // IAP_EMBEDDED_GOOGLE_PLAY_HPP
