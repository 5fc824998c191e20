// SPDX-License-Identifier: MIT
//
// The shared purchase model as iapctl prints it: snake_case fields, times in `_time_ms`, fields a
// store does not have omitted.
#ifndef IAPCTL_PURCHASE_JSON_HPP
#define IAPCTL_PURCHASE_JSON_HPP

#include "json_writer.hpp"

#include <iap_embedded/purchase.hpp>
#include <iap_embedded/verifier.hpp>

#include <string>
#include <string_view>

namespace iapctl {

inline json purchase_to_json(const iap_embedded::purchase& p) {
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
    out.set("state", iap_embedded::to_string(p.state));
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
inline json verification_to_json(const iap_embedded::verification& v) {
    auto out = json::object();
    out.set("valid", true);
    out.set("store", iap_embedded::to_string(v.store));
    if (v.app_store) {
        const auto& r = *v.app_store;
        out.set("bundle_id", r.bundle_id);
        out.set("app_version", r.app_version);
        out.set("original_app_version", r.original_app_version);
        out.set("environment", iap_embedded::to_string(r.environment));
        out.set("creation_time_ms", r.creation_time_ms);
        if (r.expiration_time_ms) out.set("expiration_time_ms", *r.expiration_time_ms);
        out.set("device_checked", r.device_checked);
    }
    auto purchases = json::array();
    for (const auto& p : v.purchases) purchases.push(purchase_to_json(p));
    out.set("purchases", std::move(purchases));
    return out;
}

} // namespace iapctl

#endif // IAPCTL_PURCHASE_JSON_HPP
