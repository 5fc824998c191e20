// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_VERIFIER_IPP
#define IAP_EMBEDDED_IMPL_VERIFIER_IPP

#include "iap_embedded/verifier.hpp"

namespace iap_embedded {
inline namespace v1 {
namespace detail {

// Replaces `slot` only when the new configuration is valid, so a failed call changes nothing.
template <class StoreVerifier>
result<void> configure(std::optional<StoreVerifier>& slot, result<StoreVerifier>&& created) {
    if (!created) return std::move(created).error();
    slot.emplace(std::move(*created));
    return {};
}

// Wraps one purchase, or passes its error through.
inline result<verification> single_purchase(store_kind store, result<purchase>&& p) {
    if (!p) return std::move(p).error();
    verification v;
    v.store = store;
    v.purchases.push_back(std::move(*p));
    return v;
}

inline error_info not_configured(store_kind store) {
    return make_error(errc::store_not_configured,
                      "the verifier has no configuration for " + std::string(to_string(store)) + " receipts");
}

} // namespace detail

IAP_EMBEDDED_DECL result<void> verifier::add_google_play(std::string_view public_key_base64,
                                                         std::string expected_package_name) {
    return detail::configure(google_play_,
                             google_play_verifier::create(public_key_base64, std::move(expected_package_name)));
}

IAP_EMBEDDED_DECL result<void> verifier::add_one_store(std::string_view public_key_base64,
                                                       std::string expected_package_name) {
    return detail::configure(one_store_, one_store_verifier::create(public_key_base64, std::move(expected_package_name)));
}

IAP_EMBEDDED_DECL bool verifier::accepts(store_kind store) const noexcept {
    switch (store) {
    case store_kind::google_play: return google_play_.has_value();
    case store_kind::one_store: return one_store_.has_value();
    case store_kind::app_store: return false;
    }
    return false;
}

IAP_EMBEDDED_DECL result<verification> verifier::verify(const receipt& r) const {
    switch (r.store) {
    case store_kind::google_play:
        if (!google_play_) return detail::not_configured(r.store);
        return detail::single_purchase(r.store, google_play_->verify(r.data, r.signature));
    case store_kind::one_store:
        if (!one_store_) return detail::not_configured(r.store);
        return detail::single_purchase(r.store, one_store_->verify(r.data, r.signature));
    case store_kind::app_store: break;
    }
    return detail::not_configured(r.store);
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_VERIFIER_IPP
