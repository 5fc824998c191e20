// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_GOOGLE_PLAY_IPP
#define IAP_EMBEDDED_IMPL_GOOGLE_PLAY_IPP

#include "iap_embedded/config.hpp"

// picojson throws and does not compile without exceptions.
#if !IAP_EMBEDDED_HAS_EXCEPTIONS
#error "iap_embedded: this part parses JSON (picojson), which needs exceptions. For -fno-exceptions code, define IAP_EMBEDDED_SEPARATE_COMPILATION for the whole program and compile the one file that includes iap_embedded/src.hpp with exceptions enabled (see config.hpp)"
#endif

#include "iap_embedded/detail/signed_json.hpp"
#include "iap_embedded/google_play.hpp"

#include <string>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline result<purchase> map_google_play_purchase(const picojson::object& object) {
    json_fields f(object);
    purchase p;
    p.store = store_kind::google_play;
    p.order_id = f.string("orderId");
    p.package_name = f.string("packageName", true);
    std::vector<std::string> products = f.string_array("productIds");
    if (products.empty()) {
        std::string product = f.string("productId", !f.failure && f.find("productIds") == nullptr);
        if (!product.empty()) products.push_back(std::move(product));
    }
    if (!f.failure && products.empty()) f.fail_with("the purchase names no product (productId or productIds)");
    for (const auto& product : products)
        if (!f.failure && product.empty()) f.fail_with("the field \"productIds\" holds an empty product id");
    if (!products.empty()) {
        p.product_id = products.front();
        p.other_product_ids.assign(products.begin() + 1, products.end());
    }
    read_time_and_quantity(f, p);
    const auto state = f.integer("purchaseState", true);
    p.purchase_token = f.string("purchaseToken", true);
    p.acknowledged = f.boolean("acknowledged");
    p.auto_renewing = f.boolean("autoRenewing");
    p.obfuscated_account_id = f.string("obfuscatedAccountId");
    p.obfuscated_profile_id = f.string("obfuscatedProfileId");
    p.developer_payload = f.string("developerPayload");
    if (state) {
        switch (*state) {
        case 0: p.state = purchase_state::purchased; break;
        case 1: p.state = purchase_state::cancelled; break;
        case 2: p.state = purchase_state::refunded; break;
        case 4: p.state = purchase_state::pending; break;
        default: f.fail_with("unknown purchaseState " + std::to_string(*state));
        }
    }
    if (!f.failure && p.purchase_token.empty()) f.fail_with("the field \"purchaseToken\" is empty");
    if (f.failure) return std::move(*f.failure);
    return p;
}

constexpr const char* google_play_empty_signature =
    "the signature is empty: Google's static test products (android.test.purchased and friends) are unsigned and "
    "cannot be verified locally; test with a licence tester account and a real product instead";

} // namespace detail

IAP_EMBEDDED_DECL result<google_play_verifier> google_play_verifier::create(std::string_view public_key_base64,
                                                                            std::string expected_package_name) {
    auto key = detail::parse_store_public_key(public_key_base64);
    if (!key) return std::move(key).error();
    return google_play_verifier(std::move(*key), std::move(expected_package_name));
}

IAP_EMBEDDED_DECL result<purchase> google_play_verifier::verify(std::string_view signed_data,
                                                                std::string_view signature_base64) const {
    auto json = detail::verify_signed_json(*key_, detail::digest_kind::sha1, signed_data, signature_base64,
                                           detail::google_play_empty_signature);
    if (!json) return std::move(json).error();
    auto p = detail::map_google_play_purchase(json->get<picojson::object>());
    if (!p) return p;
    return detail::check_package_name(std::move(*p), expected_package_name_);
}

IAP_EMBEDDED_DECL result<purchase> verify_google_play(std::string_view public_key_base64, std::string_view signed_data,
                                                      std::string_view signature_base64,
                                                      std::string expected_package_name) {
    auto v = google_play_verifier::create(public_key_base64, std::move(expected_package_name));
    if (!v) return std::move(v).error();
    return v->verify(signed_data, signature_base64);
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_GOOGLE_PLAY_IPP
