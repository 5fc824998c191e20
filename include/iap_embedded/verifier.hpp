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

#include "iap_embedded/app_store.hpp"
#include "iap_embedded/app_store_jws.hpp"
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

/// The shape of a store's proof of payment.
enum class receipt_format {
    signed_json, ///< Google Play and ONE store: purchase JSON plus a detached RSA signature.
    app_receipt, ///< App Store: the PKCS#7 app receipt.
    jws,         ///< App Store: a StoreKit 2 JWS (transaction, renewal info, app transaction, notification).
};

/// A store's proof of payment, tagged with its store. It only views the caller's bytes: keep
/// them alive until `verifier::verify` returns.
struct receipt {
    store_kind store = store_kind::google_play;
    /// The signed bytes, exactly as the store delivered them (Google Play and ONE store: the
    /// purchase JSON; App Store: the app receipt, DER or base64).
    std::string_view data;
    /// The detached signature, base64 (Google Play and ONE store).
    std::string_view signature;
    receipt_format format = receipt_format::signed_json;

    /// `Purchase.getOriginalJson()` and `Purchase.getSignature()`.
    static receipt google_play(std::string_view original_json, std::string_view signature_base64) noexcept {
        return {store_kind::google_play, original_json, signature_base64, receipt_format::signed_json};
    }
    /// ONE store purchase data and its signature.
    static receipt one_store(std::string_view purchase_json, std::string_view signature_base64) noexcept {
        return {store_kind::one_store, purchase_json, signature_base64, receipt_format::signed_json};
    }
    /// An App Store app receipt: the bytes of the receipt file, or their base64 text.
    static receipt app_store(std::string_view receipt_bytes_or_base64) noexcept {
        return {store_kind::app_store, receipt_bytes_or_base64, {}, receipt_format::app_receipt};
    }
    /// A StoreKit 2 compact JWS, verified as the kind `add_app_store_jws` was configured with
    /// (by default a transaction: `Transaction.jwsRepresentation`). A receipt carries no kind of
    /// its own: what the app accepts is configuration, never something the data can choose.
    static receipt app_store_jws(std::string_view compact_jws) noexcept {
        return {store_kind::app_store, compact_jws, {}, receipt_format::jws};
    }
};

/// What a verified receipt proves: which store, and the purchases it contains.
struct verification {
    store_kind store = store_kind::google_play;
    std::vector<purchase> purchases;
    /// App Store app receipts: the receipt-level fields (bundle id, versions, environment,
    /// creation date, whether the device hash was checked). Empty for other stores.
    std::optional<app_store_receipt_info> app_store;
    /// StoreKit 2 JWS: kind, environment, bundle id, signing time, notification and renewal
    /// fields. Its purchases are in `purchases` (and its `purchases` is empty). Empty otherwise.
    std::optional<app_store_jws> jws;
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

    /// Accepts App Store app receipts checked as `options` says (see `verify_app_store_receipt`).
    /// Options `verify_app_store_receipt` would refuse (no `expected_bundle_id`, a device
    /// identifier of a size other than 16 or 6 bytes) are `malformed_input` here, and change nothing.
    IAP_EMBEDDED_DECL result<void> add_app_store(app_store_receipt_options options);

    /// Accepts StoreKit 2 JWS checked as `options` says (see `verify_app_store_jws`), every one
    /// verified as `options.kind` (by default a transaction: what grants purchases). Options
    /// `verify_app_store_jws` would refuse (no `expected_bundle_id`; renewal info without
    /// `expected_original_transaction_id`) are `malformed_input` here, and change nothing.
    /// Renewal info and notifications, which need per-call values, are better verified with
    /// `verify_app_store_jws` directly.
    IAP_EMBEDDED_DECL result<void> add_app_store_jws(app_store_jws_options options);

    /// Whether receipts of `store` can be verified.
    IAP_EMBEDDED_DECL bool accepts(store_kind store) const noexcept;

    /// Verifies `r` with the store it names. A store that was not added is `store_not_configured`.
    IAP_EMBEDDED_DECL result<verification> verify(const receipt& r) const;

private:
    std::optional<google_play_verifier> google_play_;
    std::optional<one_store_verifier> one_store_;
    std::optional<app_store_receipt_options> app_store_;
    std::optional<app_store_jws_options> app_store_jws_;
};

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/verifier.ipp"
#endif

#endif // IAP_EMBEDDED_VERIFIER_HPP
