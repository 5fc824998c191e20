// SPDX-License-Identifier: MIT
//
// One interface for every store: configure a `verifier` once with the stores the app sells in,
// then hand it each receipt tagged with its store. The same purchase model and error codes come
// out whichever store the receipt came from.
//
//     iap_embedded::verifier verifier;
//     verifier.add_google_play(google_key_base64, "com.example.game");
//     auto verified = verifier.verify(iap_embedded::receipt::google_play(original_json, signature));
//     if (verified) for (const auto& p : verified->purchases) grant(p);
#ifndef IAP_EMBEDDED_VERIFIER_HPP
#define IAP_EMBEDDED_VERIFIER_HPP

#include "iap_embedded/error.hpp"
#include "iap_embedded/google_play.hpp"
#include "iap_embedded/one_store.hpp"
#include "iap_embedded/purchase.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

/// A store's proof of payment, tagged with its store. It only views the caller's bytes: keep
/// them alive until `verifier::verify` returns.
struct receipt {
    store_kind store = store_kind::google_play;
    /// The signed bytes, exactly as the store delivered them (Google Play and ONE store: the
    /// purchase JSON).
    std::string_view data;
    /// The detached signature, base64 (Google Play and ONE store).
    std::string_view signature;

    /// `Purchase.getOriginalJson()` and `Purchase.getSignature()`.
    static receipt google_play(std::string_view original_json, std::string_view signature_base64) noexcept {
        return {store_kind::google_play, original_json, signature_base64};
    }
    /// ONE store purchase data and its signature.
    static receipt one_store(std::string_view purchase_json, std::string_view signature_base64) noexcept {
        return {store_kind::one_store, purchase_json, signature_base64};
    }
};

/// What a verified receipt proves: which store, and the purchases it contains.
struct verification {
    store_kind store = store_kind::google_play;
    std::vector<purchase> purchases;
};

/// Verifies receipts of every configured store. Configure it once (the `add_...` calls are not
/// thread-safe), then call `verify` from any number of threads.
class verifier {
public:
    /// Accepts Google Play purchases signed for `public_key_base64` (the Play Console licence key);
    /// with a non-empty `expected_package_name`, only that app's purchases.
    IAP_EMBEDDED_DECL result<void> add_google_play(std::string_view public_key_base64,
                                                   std::string expected_package_name = {});

    /// Accepts ONE store purchases signed for `public_key_base64`; with a non-empty
    /// `expected_package_name`, only that app's purchases.
    IAP_EMBEDDED_DECL result<void> add_one_store(std::string_view public_key_base64,
                                                 std::string expected_package_name = {});

    /// Whether receipts of `store` can be verified.
    IAP_EMBEDDED_DECL bool accepts(store_kind store) const noexcept;

    /// Verifies `r` with the store it names. A store that was not added is `store_not_configured`.
    IAP_EMBEDDED_DECL result<verification> verify(const receipt& r) const;

private:
    std::optional<google_play_verifier> google_play_;
    std::optional<one_store_verifier> one_store_;
};

} // namespace v1
} // namespace iap_embedded

#include "iap_embedded/impl/verifier.ipp"

#endif // IAP_EMBEDDED_VERIFIER_HPP
