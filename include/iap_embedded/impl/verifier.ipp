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

inline error_info not_configured(store_kind store, const char* what = nullptr) {
    return make_error(errc::store_not_configured, "the verifier has no configuration for " +
                                                      (what ? std::string(what) : std::string(to_string(store)) + " receipts"));
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

IAP_EMBEDDED_DECL result<void> verifier::add_app_store(app_store_receipt_options options) {
    if (auto checked = detail::check_receipt_options(options); !checked) return std::move(checked).error();
    app_store_.emplace(std::move(options));
    return {};
}

IAP_EMBEDDED_DECL result<void> verifier::add_app_store_jws(app_store_jws_options options) {
    if (auto checked = detail::check_jws_options(options); !checked) return std::move(checked).error();
    app_store_jws_.emplace(std::move(options));
    return {};
}

IAP_EMBEDDED_DECL bool verifier::accepts(store_kind store) const noexcept {
    switch (store) {
    case store_kind::google_play: return google_play_.has_value();
    case store_kind::one_store: return one_store_.has_value();
    case store_kind::app_store: return app_store_.has_value() || app_store_jws_.has_value();
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
    case store_kind::app_store: {
        if (r.format == receipt_format::jws) {
            if (!app_store_jws_) return detail::not_configured(r.store, "StoreKit 2 JWS (add_app_store_jws)");
            auto verified = verify_app_store_jws(r.data, *app_store_jws_);
            if (!verified) return std::move(verified).error();
            verification v;
            v.store = r.store;
            v.purchases = std::move(verified->purchases);
            verified->purchases.clear();
            v.jws = std::move(*verified);
            return v;
        }
        if (!app_store_) return detail::not_configured(r.store, "App Store receipts (add_app_store)");
        auto verified = verify_app_store_receipt(r.data, *app_store_);
        if (!verified) return std::move(verified).error();
        verification v;
        v.store = r.store;
        v.purchases = std::move(verified->purchases);
        v.app_store = static_cast<app_store_receipt_info&&>(std::move(*verified));
        return v;
    }
    }
    return detail::not_configured(r.store);
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_VERIFIER_IPP
