// SPDX-License-Identifier: MIT
//
// The shared purchase model as iapctl prints it: snake_case fields, times in `_time_ms`, fields a
// store does not have omitted.
#ifndef IAPCTL_PURCHASE_JSON_HPP
#define IAPCTL_PURCHASE_JSON_HPP

#include "json_writer.hpp"

#include <iap_embedded/purchase.hpp>
#include <iap_embedded/verifier.hpp>

namespace iapctl {

inline json purchase_to_json(const iap_embedded::purchase& p) {
    auto out = json::object();
    const auto text = [&out](const char* key, const std::string& value) {
        if (!value.empty()) out.set(key, value);
    };
    text("product_id", p.product_id);
    if (p.product_ids.size() > 1) {
        auto ids = json::array();
        for (const auto& id : p.product_ids) ids.push(id);
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
    return out;
}

/// `{"valid": true, "store": ..., "purchases": [...]}`.
inline json verification_to_json(const iap_embedded::verification& v) {
    auto out = json::object();
    out.set("valid", true);
    out.set("store", iap_embedded::to_string(v.store));
    auto purchases = json::array();
    for (const auto& p : v.purchases) purchases.push(purchase_to_json(p));
    out.set("purchases", std::move(purchases));
    return out;
}

} // namespace iapctl

#endif // IAPCTL_PURCHASE_JSON_HPP
