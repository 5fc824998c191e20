// SPDX-License-Identifier: MIT
//
// One purchase model shared by every store. A verifier fills in what its store provides and leaves
// the rest empty; the field comments say which store sets what.
#ifndef IAP_EMBEDDED_PURCHASE_HPP
#define IAP_EMBEDDED_PURCHASE_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/small_string.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

/// The store a purchase was made in.
enum class store_kind {
    google_play = 1, ///< Google Play Billing (`Purchase.getOriginalJson()`, SHA1withRSA).
    one_store,       ///< ONE store IAP (purchase JSON, SHA512withRSA).
    app_store,       ///< Apple App Store (app receipt or StoreKit 2 JWS).
};

/// The stable snake_case name of a store ("google_play", "one_store", "app_store").
constexpr std::string_view to_string(store_kind s) noexcept {
    switch (s) {
    case store_kind::google_play: return "google_play";
    case store_kind::one_store: return "one_store";
    case store_kind::app_store: return "app_store";
    }
    return "unknown";
}

/// Where a purchase stands according to the store's signed data.
enum class purchase_state {
    purchased, ///< Paid: grant the item.
    pending,   ///< Payment not completed yet (Google Play state 4): do not grant yet.
    cancelled, ///< Cancelled before completion: never grant.
    refunded,  ///< Paid, then refunded or revoked: take the item back if it was granted.
};

/// The stable name of a state ("purchased", "pending", "cancelled", "refunded").
constexpr std::string_view to_string(purchase_state s) noexcept {
    switch (s) {
    case purchase_state::purchased: return "purchased";
    case purchase_state::pending: return "pending";
    case purchase_state::cancelled: return "cancelled";
    case purchase_state::refunded: return "refunded";
    }
    return "unknown";
}

/// A verified purchase. Times are milliseconds since the Unix epoch (UTC). Text fields are
/// `small_string`s: they read like std::string, and a typical purchase owns no heap memory.
struct purchase {
    store_kind store = store_kind::google_play;
    /// The product bought. For a Google Play purchase of several products, the first of them.
    small_string product_id;
    /// The other products of a Google Play purchase of several products (`productIds` after the
    /// first). Empty for every other purchase: use `for_each_product` to visit them all.
    std::vector<small_string> other_product_ids;
    purchase_state state = purchase_state::purchased;
    /// Number of units bought; 1 when the store does not say.
    std::int64_t quantity = 1;
    /// When the purchase was made.
    std::int64_t purchase_time_ms = 0;

    small_string order_id;       ///< Google Play, ONE store: the order id.
    small_string package_name;   ///< Google Play, ONE store: the app's package name.
    small_string purchase_token; ///< Google Play, ONE store: the purchase token.
    small_string purchase_id;    ///< ONE store: the purchase id.
    small_string developer_payload;     ///< Google Play (legacy), ONE store.
    small_string obfuscated_account_id; ///< Google Play.
    small_string obfuscated_profile_id; ///< Google Play.
    std::optional<bool> acknowledged;   ///< Google Play `acknowledged`; ONE store `acknowledgeState == 1`.
    std::optional<bool> auto_renewing;  ///< Google Play subscriptions.
    std::optional<std::int64_t> recurring_state; ///< ONE store monthly products (0 active, 1 cancelled).

    small_string transaction_id;          ///< App Store: the transaction id.
    small_string original_transaction_id; ///< App Store: the first transaction of a subscription or restore.
    std::optional<std::int64_t> original_purchase_time_ms; ///< App Store.
    std::optional<std::int64_t> expires_time_ms;           ///< App Store subscriptions.
    std::optional<std::int64_t> cancellation_time_ms;      ///< App Store: refund or revocation time.
    std::optional<std::int64_t> web_order_line_item_id;    ///< App Store subscriptions.
    std::optional<bool> in_intro_offer;                    ///< App Store subscriptions.

    /// Calls `f(std::string_view)` with every product of the purchase: `product_id` (when not
    /// empty), then `other_product_ids`. Grant from this to cover purchases of several products.
    template <class F>
    void for_each_product(F&& f) const {
        if (!product_id.empty()) f(product_id.view());
        for (const auto& id : other_product_ids) f(id.view());
    }
};

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_PURCHASE_HPP
