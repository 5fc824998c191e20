// SPDX-License-Identifier: MIT
//
// A verification result as JSON, as iapctl prints it and the C interface's iap_verification_json
// returns it: snake_case fields, times in `_time_ms`, fields a store does not have omitted. Not
// part of the library's API.
#ifndef IAP_EMBEDDED_DETAIL_VERIFICATION_JSON_HPP
#define IAP_EMBEDDED_DETAIL_VERIFICATION_JSON_HPP

#include "iap_embedded/detail/json_writer.hpp"
#include "iap_embedded/purchase.hpp"
#include "iap_embedded/verifier.hpp"

#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline json purchase_to_json(const purchase& p) {
    auto out = json::object();
    const auto text = [&out](const char* key, const std::string& value) {
        if (!value.empty()) out.set(key, value);
    };
    text("product_id", p.product_id);
    if (!p.other_product_ids.empty()) {
        auto ids = json::array();
        p.for_each_product([&ids](std::string_view id) { ids.push(std::string(id)); });
        out.set("product_ids", std::move(ids));
    }
    text("order_id", p.order_id);
    text("purchase_id", p.purchase_id);
    text("purchase_token", p.purchase_token);
    text("package_name", p.package_name);
    out.set("quantity", p.quantity);
    out.set("state", to_string(p.state));
    out.set("purchase_time_ms", p.purchase_time_ms);
    if (p.acknowledged) out.set("acknowledged", *p.acknowledged);
    if (p.auto_renewing) out.set("auto_renewing", *p.auto_renewing);
    if (p.recurring_state) out.set("recurring_state", *p.recurring_state);
    text("developer_payload", p.developer_payload);
    text("obfuscated_account_id", p.obfuscated_account_id);
    text("obfuscated_profile_id", p.obfuscated_profile_id);
    text("transaction_id", p.transaction_id);
    text("original_transaction_id", p.original_transaction_id);
    if (p.original_purchase_time_ms) out.set("original_purchase_time_ms", *p.original_purchase_time_ms);
    if (p.expires_time_ms) out.set("expires_time_ms", *p.expires_time_ms);
    if (p.cancellation_time_ms) out.set("cancellation_time_ms", *p.cancellation_time_ms);
    if (p.web_order_line_item_id) out.set("web_order_line_item_id", *p.web_order_line_item_id);
    if (p.in_intro_offer) out.set("in_intro_offer", *p.in_intro_offer);
    return out;
}

/// `{"valid": true, "store": ..., "purchases": [...]}`.
inline json verification_to_json(const verification& v) {
    auto out = json::object();
    out.set("valid", true);
    out.set("store", to_string(v.store));
    if (v.app_store) {
        const auto& r = *v.app_store;
        out.set("bundle_id", r.bundle_id);
        out.set("app_version", r.app_version);
        out.set("original_app_version", r.original_app_version);
        out.set("environment", to_string(r.environment));
        out.set("creation_time_ms", r.creation_time_ms);
        if (r.expiration_time_ms) out.set("expiration_time_ms", *r.expiration_time_ms);
        out.set("device_checked", r.device_checked);
    }
    auto purchases = json::array();
    for (const auto& p : v.purchases) purchases.push(purchase_to_json(p));
    out.set("purchases", std::move(purchases));
    // The library checks an App Store bundle id against the caller's, always (iapctl, when not
    // given one, sets this to false).
    if (v.app_store) out.set("bundle_id_checked", true);
    return out;
}

/// StoreKit 2: `{"valid": true, "store": "app_store", "kind": ..., "purchases": [...]}`.
inline json jws_to_json(const verification& verified) {
    const app_store_jws& v = *verified.jws;
    auto out = json::object();
    out.set("valid", true);
    out.set("store", "app_store");
    out.set("kind", to_string(v.kind));
    if (v.environment) out.set("environment", to_string(*v.environment));
    if (!v.bundle_id.empty()) out.set("bundle_id", v.bundle_id);
    if (v.app_apple_id) out.set("app_apple_id", *v.app_apple_id);
    out.set("signed_time_ms", v.signed_time_ms);
    if (!v.notification_type.empty()) out.set("notification_type", v.notification_type);
    if (!v.subtype.empty()) out.set("subtype", v.subtype);
    if (!v.notification_uuid.empty()) out.set("notification_uuid", v.notification_uuid);
    if (!v.app_version.empty()) out.set("app_version", v.app_version);
    if (!v.original_app_version.empty()) out.set("original_app_version", v.original_app_version);
    auto purchases = json::array();
    for (std::size_t i = 0; i < verified.purchases.size(); ++i) {
        json p = purchase_to_json(verified.purchases[i]);
        const auto& d = v.transaction_details[i];
        if (!d.type.empty()) p.set("type", d.type);
        if (!d.in_app_ownership_type.empty()) p.set("in_app_ownership_type", d.in_app_ownership_type);
        if (!d.storefront.empty()) p.set("storefront", d.storefront);
        if (!d.currency.empty()) p.set("currency", d.currency);
        if (d.price) p.set("price", *d.price);
        if (d.revocation_reason) p.set("revocation_reason", *d.revocation_reason);
        purchases.push(std::move(p));
    }
    out.set("purchases", std::move(purchases));
    if (v.renewal_info) {
        const auto& r = *v.renewal_info;
        auto info = json::object();
        if (!r.original_transaction_id.empty()) info.set("original_transaction_id", r.original_transaction_id);
        if (!r.product_id.empty()) info.set("product_id", r.product_id);
        if (!r.auto_renew_product_id.empty()) info.set("auto_renew_product_id", r.auto_renew_product_id);
        if (r.auto_renew_status) info.set("auto_renew_status", *r.auto_renew_status);
        if (r.renewal_time_ms) info.set("renewal_time_ms", *r.renewal_time_ms);
        if (r.expiration_intent) info.set("expiration_intent", *r.expiration_intent);
        out.set("renewal_info", std::move(info));
    }
    out.set("bundle_id_checked", true);
    return out;
}

/// The JSON of any verification: StoreKit 2's form for a JWS, the receipt form otherwise.
inline json any_verification_to_json(const verification& v) {
    return v.jws ? jws_to_json(v) : verification_to_json(v);
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_VERIFICATION_JSON_HPP
