// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_ONE_STORE_IPP
#define IAP_EMBEDDED_IMPL_ONE_STORE_IPP

#include "iap_embedded/config.hpp"

// picojson throws and does not compile without exceptions.
#if !IAP_EMBEDDED_HAS_EXCEPTIONS
#error "iap_embedded: this part parses JSON (picojson), which needs exceptions. For -fno-exceptions code, define IAP_EMBEDDED_SEPARATE_COMPILATION for the whole program and compile the one file that includes iap_embedded/src.hpp with exceptions enabled (see config.hpp)"
#endif

#include "iap_embedded/detail/signed_json.hpp"
#include "iap_embedded/one_store.hpp"

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline result<purchase> map_one_store_purchase(const picojson::object& object) {
    json_fields f(object);
    purchase p;
    p.store = store_kind::one_store;
    p.order_id = f.string("orderId");
    p.package_name = f.string("packageName", true);
    p.product_id = f.string("productId", true);
    read_time_and_quantity(f, p);
    p.purchase_id = f.string("purchaseId");
    p.purchase_token = f.string("purchaseToken");
    const auto state = f.integer("purchaseState", true);
    p.recurring_state = f.integer("recurringState");
    const auto acknowledge_state = f.integer("acknowledgeState");
    p.developer_payload = f.string("developerPayload");
    if (acknowledge_state) p.acknowledged = *acknowledge_state == 1;
    if (state) {
        switch (*state) {
        case 0: p.state = purchase_state::purchased; break;
        case 1: p.state = purchase_state::cancelled; break;
        case 2: p.state = purchase_state::refunded; break;
        default: f.fail_with("unknown purchaseState " + std::to_string(*state));
        }
    }
    if (!f.failure && p.product_id.empty()) f.fail_with("the field \"productId\" is empty");
    if (!f.failure && p.purchase_id.empty() && p.purchase_token.empty())
        f.fail_with("the purchase has neither a purchaseId nor a purchaseToken");
    if (f.failure) return std::move(*f.failure);
    return p;
}

} // namespace detail

IAP_EMBEDDED_DECL result<one_store_verifier> one_store_verifier::create(std::string_view public_key_base64,
                                                                        std::string expected_package_name) {
    auto key = detail::parse_store_public_key(public_key_base64);
    if (!key) return std::move(key).error();
    return one_store_verifier(std::move(*key), std::move(expected_package_name));
}

IAP_EMBEDDED_DECL result<purchase> one_store_verifier::verify(std::string_view signed_data,
                                                              std::string_view signature_base64) const {
    auto json = detail::verify_signed_json(*key_, detail::digest_kind::sha512, signed_data, signature_base64,
                                           "the signature is empty");
    if (!json) return std::move(json).error();
    auto p = detail::map_one_store_purchase(json->get<picojson::object>());
    if (!p) return p;
    return detail::check_package_name(std::move(*p), expected_package_name_);
}

IAP_EMBEDDED_DECL result<purchase> verify_one_store(std::string_view public_key_base64, std::string_view signed_data,
                                                    std::string_view signature_base64,
                                                    std::string expected_package_name) {
    auto v = one_store_verifier::create(public_key_base64, std::move(expected_package_name));
    if (!v) return std::move(v).error();
    return v->verify(signed_data, signature_base64);
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_ONE_STORE_IPP
