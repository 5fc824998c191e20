// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_APP_STORE_JWS_IPP
#define IAP_EMBEDDED_IMPL_APP_STORE_JWS_IPP

#include "iap_embedded/config.hpp"

// picojson throws and does not compile without exceptions.
#if !IAP_EMBEDDED_HAS_EXCEPTIONS
#error "iap_embedded: this part parses JSON (picojson), which needs exceptions. For -fno-exceptions code, define IAP_EMBEDDED_SEPARATE_COMPILATION for the whole program and compile the one file that includes iap_embedded/src.hpp with exceptions enabled (see config.hpp)"
#endif

#include "iap_embedded/app_store_jws.hpp"
#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/calendar.hpp"
#include "iap_embedded/detail/ecdsa.hpp"
#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/detail/x509_chain.hpp"

#include <cstdlib>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Nested JWS (a notification's transaction and renewal info) are one level deep.
constexpr int max_jws_nesting = 1;

/// A compact JWS taken apart, nothing verified yet.
struct jws_parts {
    std::string_view signing_input; // "header.payload", as signed
    picojson::object header;
    picojson::value payload;
    std::vector<unsigned char> signature;
    std::vector<std::vector<unsigned char>> x5c;
};

inline result<jws_parts> split_jws(std::string_view jws) {
    if (jws.size() > IAP_EMBEDDED_MAX_JWS_BYTES)
        return make_error(errc::malformed_input, "the JWS has " + std::to_string(jws.size()) + " bytes; at most " +
                                                     std::to_string(IAP_EMBEDDED_MAX_JWS_BYTES) +
                                                     " are accepted (IAP_EMBEDDED_MAX_JWS_BYTES)");
    const auto first = jws.find('.');
    const auto second = first == std::string_view::npos ? first : jws.find('.', first + 1);
    if (second == std::string_view::npos || jws.find('.', second + 1) != std::string_view::npos)
        return make_error(errc::malformed_input, "a compact JWS has exactly three parts separated by '.'");
    const std::string_view parts[3] = {jws.substr(0, first), jws.substr(first + 1, second - first - 1),
                                       jws.substr(second + 1)};
    static const char* const names[3] = {"header", "payload", "signature"};
    std::vector<unsigned char> decoded[3];
    for (int i = 0; i < 3; ++i) {
        if (parts[i].empty()) return make_error(errc::malformed_input, std::string("the JWS ") + names[i] + " is empty");
        auto bytes = decode_base64url(parts[i]);
        if (!bytes) return make_error(errc::malformed_input, std::string("the JWS ") + names[i] + ": " + bytes.message());
        decoded[i] = std::move(*bytes);
    }
    jws_parts out;
    out.signing_input = jws.substr(0, second);
    auto header = parse_json({reinterpret_cast<const char*>(decoded[0].data()), decoded[0].size()});
    if (!header) return make_error(errc::malformed_input, "the JWS header: " + header.message());
    if (!header->is<picojson::object>()) return make_error(errc::malformed_input, "the JWS header is not a JSON object");
    out.header = std::move(header->get<picojson::object>());
    auto payload = parse_json({reinterpret_cast<const char*>(decoded[1].data()), decoded[1].size()});
    if (!payload) return make_error(errc::malformed_input, "the JWS payload: " + payload.message());
    if (!payload->is<picojson::object>()) return make_error(errc::malformed_input, "the JWS payload is not a JSON object");
    out.payload = std::move(*payload);
    out.signature = std::move(decoded[2]);

    json_fields h(out.header);
    if (h.find("crit") != nullptr)
        return make_error(errc::malformed_input, "the JWS header has \"crit\": it names extensions the recipient must "
                                                 "understand, and this library understands none (RFC 7515 4.1.11)");
    const std::string alg = h.string("alg");
    if (h.failure) return std::move(*h.failure);
    if (alg != "ES256")
        return make_error(errc::unsupported_algorithm,
                          "the JWS algorithm is \"" + alg + "\"; StoreKit 2 data is signed with ES256 only");
    if (h.find("x5c") == nullptr)
        return make_error(errc::untrusted_certificate, "the JWS header has no x5c certificate chain");
    const picojson::value& x5c = *h.find("x5c");
    if (x5c.is<picojson::array>() && x5c.get<picojson::array>().size() > max_x5c_certificates)
        return make_error(errc::untrusted_certificate, "the JWS x5c has " +
                                                           std::to_string(x5c.get<picojson::array>().size()) +
                                                           " certificates; StoreKit 2 sends at most " +
                                                           std::to_string(max_x5c_certificates));
    const auto chain = h.string_array("x5c");
    if (h.failure) return make_error(errc::untrusted_certificate, "the JWS x5c: " + h.failure->message());
    for (const std::string& entry : chain)
        if (entry.size() > max_x5c_entry_chars)
            return make_error(errc::untrusted_certificate, "an x5c certificate has " + std::to_string(entry.size()) +
                                                               " characters; at most " +
                                                               std::to_string(max_x5c_entry_chars) + " are read");
    for (std::size_t i = 0; i < chain.size(); ++i) {
        auto der = decode_base64(chain[i]);
        if (!der) return make_error(errc::untrusted_certificate, "x5c certificate " + std::to_string(i) + ": " + der.message());
        out.x5c.push_back(std::move(*der));
    }
    return out;
}

inline result<app_store_environment> jws_environment(const std::string& name) {
    if (name == "Production") return app_store_environment::production;
    if (name == "Sandbox") return app_store_environment::sandbox;
    if (name == "Xcode" || name == "LocalTesting") return app_store_environment::xcode;
    return make_error(errc::malformed_input, "unknown environment \"" + name + "\"");
}

// The options' required values, checked before any data is looked at (and by
// verifier::add_app_store_jws, at configuration time).
inline result<void> check_jws_options(const app_store_jws_options& options) {
    if (options.expected_bundle_id.empty())
        return make_error(errc::malformed_input,
                          "app_store_jws_options::expected_bundle_id is empty: set it to your app's bundle id");
    if (!known_environment(options.expected_environment))
        return make_error(errc::malformed_input, "app_store_jws_options::expected_environment is not an environment");
    switch (options.kind) {
    case app_store_jws_kind::renewal_info:
        if (options.expected_original_transaction_id.empty())
            return make_error(errc::malformed_input,
                              "app_store_jws_options::expected_original_transaction_id is empty: renewal info names no "
                              "app, so set it to the originalTransactionId of a transaction you verified for your "
                              "bundle id");
        return {};
    case app_store_jws_kind::transaction:
    case app_store_jws_kind::app_transaction:
    case app_store_jws_kind::notification:
        if (!options.expected_original_transaction_id.empty())
            return make_error(errc::malformed_input, "app_store_jws_options::expected_original_transaction_id is read "
                                                     "only for kind renewal_info, not " +
                                                         std::string(to_string(options.kind)));
        return {};
    }
    return make_error(errc::malformed_input, "app_store_jws_options::kind is not a kind of StoreKit 2 data");
}

// The object holding bundleId / environment / appAppleId: for a notification the first of
// `data`, `summary`, `externalPurchaseToken`, `appData` present (Apple's library reads the same),
// or nullptr when it has none.
inline const picojson::object* jws_identity(const picojson::object& payload, app_store_jws_kind kind) {
    if (kind != app_store_jws_kind::notification) return &payload;
    for (const char* key : {"data", "summary", "externalPurchaseToken", "appData"}) {
        const auto it = payload.find(key);
        if (it != payload.end() && it->second.is<picojson::object>()) return &it->second.get<picojson::object>();
    }
    return nullptr;
}

// The fields a payload of `kind` always has (see app_store_jws.hpp); empty strings count as absent.
inline result<void> check_required_fields(const picojson::object& payload, const picojson::object* identity,
                                          app_store_jws_kind kind) {
    static const char* const transaction[] = {"transactionId", "originalTransactionId", "productId",
                                              "purchaseDate",  "bundleId",              "signedDate"};
    static const char* const renewal_info[] = {"originalTransactionId", "productId", "autoRenewStatus", "signedDate"};
    static const char* const app_transaction[] = {"bundleId", "applicationVersion", "originalApplicationVersion",
                                                  "receiptCreationDate"};
    static const char* const notification[] = {"notificationType", "notificationUUID"};
    const auto missing = [&](const picojson::object& object, const char* key) {
        const auto it = object.find(key);
        return it == object.end() || it->second.is<picojson::null>() ||
               (it->second.is<std::string>() && it->second.get<std::string>().empty());
    };
    const auto check = [&](const auto& keys) -> result<void> {
        for (const char* key : keys)
            if (missing(payload, key))
                return make_error(errc::malformed_input, "the payload has no \"" + std::string(key) + "\", which every " +
                                                             std::string(to_string(kind)) + " has: it is not a " +
                                                             std::string(to_string(kind)) +
                                                             " (verify it as the kind it is)");
        return {};
    };
    switch (kind) {
    case app_store_jws_kind::transaction: return check(transaction);
    case app_store_jws_kind::renewal_info: return check(renewal_info);
    case app_store_jws_kind::app_transaction: return check(app_transaction);
    case app_store_jws_kind::notification:
        if (auto checked = check(notification); !checked) return checked;
        if (identity == nullptr || missing(*identity, "bundleId"))
            return make_error(errc::malformed_input, "the notification has no data, summary, externalPurchaseToken or "
                                                     "appData naming a bundleId");
        return {};
    }
    return make_error(errc::malformed_input, "unknown kind of StoreKit 2 data");
}

inline std::optional<std::int64_t> parse_decimal_id(json_fields& f, const char* key) {
    const std::string text = f.string(key);
    if (text.empty()) return std::nullopt;
    if (text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
        f.fail_with(std::string("the field \"") + key + "\" is not a decimal id");
        return std::nullopt;
    }
    return std::strtoll(text.c_str(), nullptr, 10);
}

inline void map_transaction(const picojson::object& object, app_store_jws& out, json_fields& f) {
    purchase p;
    p.store = store_kind::app_store;
    app_store_transaction_details d;
    p.transaction_id = f.string("transactionId");
    p.original_transaction_id = f.string("originalTransactionId");
    p.web_order_line_item_id = parse_decimal_id(f, "webOrderLineItemId");
    p.product_id = f.string("productId");
    p.purchase_time_ms = f.milliseconds("purchaseDate").value_or(0);
    p.original_purchase_time_ms = f.milliseconds("originalPurchaseDate");
    p.expires_time_ms = f.milliseconds("expiresDate");
    p.quantity = f.integer("quantity").value_or(1);
    if (p.quantity < 1) f.fail_with("the field \"quantity\" must be at least 1");
    d.type = f.string("type");
    d.subscription_group_identifier = f.string("subscriptionGroupIdentifier");
    d.app_account_token = f.string("appAccountToken");
    d.in_app_ownership_type = f.string("inAppOwnershipType");
    d.storefront = f.string("storefront");
    d.storefront_id = f.string("storefrontId");
    d.transaction_reason = f.string("transactionReason");
    d.currency = f.string("currency");
    d.offer_identifier = f.string("offerIdentifier");
    d.app_transaction_id = f.string("appTransactionId");
    d.price = f.integer("price");
    d.offer_type = f.integer("offerType");
    d.revocation_reason = f.integer("revocationReason");
    d.is_upgraded = f.boolean("isUpgraded");
    if (d.offer_type) p.in_intro_offer = *d.offer_type == 1;
    if (const auto revoked = f.milliseconds("revocationDate")) {
        p.cancellation_time_ms = revoked;
        p.state = purchase_state::refunded;
    }
    (void)object;
    out.purchases.push_back(std::move(p));
    out.transaction_details.push_back(std::move(d));
}

inline app_store_renewal_info map_renewal_info(json_fields& f) {
    app_store_renewal_info r;
    r.original_transaction_id = f.string("originalTransactionId");
    r.product_id = f.string("productId");
    r.auto_renew_product_id = f.string("autoRenewProductId");
    r.auto_renew_status = f.integer("autoRenewStatus");
    r.expiration_intent = f.integer("expirationIntent");
    r.renewal_time_ms = f.milliseconds("renewalDate");
    r.grace_period_expires_time_ms = f.milliseconds("gracePeriodExpiresDate");
    r.is_in_billing_retry_period = f.boolean("isInBillingRetryPeriod");
    return r;
}

inline const trusted_roots& built_in_apple_root_g3() {
    static const trusted_roots g3 = trusted_roots::apple_root_ca_g3();
    return g3;
}

// Verifies the certificates and the signature of `parts`, at `at_ms`. Xcode data is checked
// against the one certificate it carries.
inline result<void> verify_jws_signature(const jws_parts& parts, bool xcode, std::int64_t at_ms,
                                         const app_store_jws_options& options, chain_cache* cache) {
    if (parts.x5c.empty()) return make_error(errc::untrusted_certificate, "the JWS x5c certificate chain is empty");
    const der_view leaf{parts.x5c[0].data(), parts.x5c[0].size()};
    std::shared_ptr<const certificate> signer;
    if (xcode) {
        if (parts.x5c.size() != 1)
            return make_error(errc::untrusted_certificate, "Xcode data carries exactly one self-signed certificate");
        auto self = trusted_roots::from_certificates({std::string(parts.x5c[0].begin(), parts.x5c[0].end())});
        if (!self) return make_error(errc::untrusted_certificate, "the Xcode certificate: " + self.message());
        chain_rules rules;
        rules.leaf_may_be_root = true;
        auto verified = verify_chain(leaf, {}, *self, floor_div_1000(at_ms), rules, nullptr);
        if (!verified) return std::move(verified).error();
        signer = std::move(*verified);
    } else {
        if (parts.x5c.size() != 3)
            return make_error(errc::untrusted_certificate, "the JWS x5c has " + std::to_string(parts.x5c.size()) +
                                                               " certificates; StoreKit 2 sends exactly 3");
        std::vector<der_view> others;
        for (std::size_t i = 1; i < parts.x5c.size(); ++i) others.push_back({parts.x5c[i].data(), parts.x5c[i].size()});
        chain_rules rules;
        rules.leaf_marker_oid = apple_receipt_signing_marker;
        rules.intermediate_marker_oid = apple_wwdr_marker;
        rules.exact_length = 3;
        const trusted_roots& roots = options.roots ? *options.roots : built_in_apple_root_g3();
        auto verified = verify_chain(leaf, others, roots, floor_div_1000(at_ms), rules,
                                     cache != nullptr ? cache : shared_chain_cache());
        if (!verified) return std::move(verified).error();
        signer = std::move(*verified);
    }
    auto rs = ecdsa_signature_from_raw(parts.signature.data(), parts.signature.size(), 32);
    if (!rs) return make_error(errc::signature_invalid, "ES256 " + rs.message());
    auto verified = signer->verify_ecdsa_signature(digest_kind::sha256,
                                                   reinterpret_cast<const unsigned char*>(parts.signing_input.data()),
                                                   parts.signing_input.size(), *rs);
    if (!verified) return std::move(verified).error();
    return {};
}

// A nested JWS's failure, its code kept, its message saying where it happened.
inline error_info nested_failure(error_info e, const char* field) {
    e.detail = std::string("the notification's ") + field + ": " + e.message();
    return e;
}

inline result<app_store_jws> verify_jws(std::string_view jws, const app_store_jws_options& options, chain_cache* cache,
                                        int nesting) {
    auto parts = split_jws(jws);
    if (!parts) return std::move(parts).error();
    const auto& payload = parts->payload.get<picojson::object>();
    app_store_jws out;
    out.kind = options.kind;
    const bool app_transaction = out.kind == app_store_jws_kind::app_transaction;
    const picojson::object* identity = jws_identity(payload, out.kind);
    static const picojson::object no_identity;
    json_fields f(payload);
    json_fields id(identity != nullptr ? *identity : no_identity);
    // An AppTransaction names its environment `receiptType`; an external purchase token names
    // none, and its id starts with "SANDBOX" in the Sandbox (Apple's library reads it so).
    std::string environment_name = id.string(app_transaction ? "receiptType" : "environment");
    if (out.kind == app_store_jws_kind::notification && identity != nullptr && environment_name.empty() &&
        payload.count("data") == 0 && payload.count("summary") == 0 && payload.count("externalPurchaseToken") != 0) {
        const std::string external_id = id.string("externalPurchaseId");
        environment_name = external_id.compare(0, 7, "SANDBOX") == 0 ? "Sandbox" : "Production";
    }
    out.bundle_id = id.string("bundleId");
    out.app_apple_id = id.integer("appAppleId");
    const auto signed_ms = f.milliseconds(app_transaction ? "receiptCreationDate" : "signedDate");
    if (f.failure) return std::move(*f.failure);
    if (id.failure) return std::move(*id.failure);
    if (!environment_name.empty()) {
        auto env = jws_environment(environment_name);
        if (!env) return std::move(env).error();
        out.environment = *env;
    }
    const bool xcode = out.environment == app_store_environment::xcode;
    if (xcode && !options.allow_xcode)
        return make_error(errc::xcode_not_allowed, "the JWS comes from Xcode's StoreKit testing (environment " +
                                                       environment_name + "); allow_xcode is off");
    out.signed_time_ms = signed_ms.value_or(0);
    const std::int64_t at_ms = options.evaluation_time_ms ? *options.evaluation_time_ms
                                                          : signed_ms ? *signed_ms : wall_clock_ms();
    if (auto verified = verify_jws_signature(*parts, xcode, at_ms, options, cache); !verified)
        return std::move(verified).error();

    // Signed by Apple: now check that it is what the caller asked for, and for this app.
    if (auto required = check_required_fields(payload, identity, out.kind); !required) return std::move(required).error();
    if (out.kind != app_store_jws_kind::renewal_info && out.bundle_id != options.expected_bundle_id)
        return make_error(errc::bundle_id_mismatch, "the data is for bundle id \"" + out.bundle_id + "\", expected \"" +
                                                        options.expected_bundle_id + "\"");
    if (auto env = check_environment(out.environment, options.expected_environment, options.allow_sandbox,
                                     options.allow_xcode, "the data");
        !env)
        return std::move(env).error();
    if (options.expected_app_apple_id && out.app_apple_id && *out.app_apple_id != *options.expected_app_apple_id)
        return make_error(errc::app_apple_id_mismatch, "the data is for app Apple id " + std::to_string(*out.app_apple_id) +
                                                           ", expected " + std::to_string(*options.expected_app_apple_id));

    switch (out.kind) {
    case app_store_jws_kind::transaction: map_transaction(payload, out, f); break;
    case app_store_jws_kind::renewal_info:
        out.renewal_info = map_renewal_info(f);
        if (!f.failure && out.renewal_info->original_transaction_id != options.expected_original_transaction_id)
            return make_error(errc::original_transaction_id_mismatch,
                              "the renewal info is for original transaction \"" +
                                  out.renewal_info->original_transaction_id + "\", expected \"" +
                                  options.expected_original_transaction_id + "\"");
        break;
    case app_store_jws_kind::app_transaction:
        out.app_version = f.string("applicationVersion");
        out.original_app_version = f.string("originalApplicationVersion");
        out.device_verification = f.string("deviceVerification");
        out.device_verification_nonce = f.string("deviceVerificationNonce");
        break;
    case app_store_jws_kind::notification: {
        out.notification_type = f.string("notificationType", true);
        out.subtype = f.string("subtype");
        out.notification_uuid = f.string("notificationUUID");
        const std::string signed_transaction = id.string("signedTransactionInfo");
        const std::string signed_renewal = id.string("signedRenewalInfo");
        if (f.failure) return std::move(*f.failure);
        if (id.failure) return std::move(*id.failure);
        if ((!signed_transaction.empty() || !signed_renewal.empty()) && nesting >= max_jws_nesting)
            return make_error(errc::malformed_input, "nested JWS may not nest further");
        if (!signed_renewal.empty() && signed_transaction.empty())
            return make_error(errc::malformed_input, "the notification has signedRenewalInfo without "
                                                     "signedTransactionInfo to tie it to");
        // The nested data comes from the notification's own environment, nothing else.
        app_store_jws_options nested_options = options;
        nested_options.expected_environment = *out.environment;
        nested_options.allow_sandbox = false;
        nested_options.allow_xcode = xcode;
        if (!signed_transaction.empty()) {
            nested_options.kind = app_store_jws_kind::transaction;
            auto nested = verify_jws(signed_transaction, nested_options, cache, nesting + 1);
            if (!nested) return nested_failure(std::move(nested).error(), "signedTransactionInfo");
            out.purchases = std::move(nested->purchases);
            out.transaction_details = std::move(nested->transaction_details);
        }
        if (!signed_renewal.empty()) {
            nested_options.kind = app_store_jws_kind::renewal_info;
            nested_options.expected_original_transaction_id = out.purchases.front().original_transaction_id.str();
            auto nested = verify_jws(signed_renewal, nested_options, cache, nesting + 1);
            if (!nested) return nested_failure(std::move(nested).error(), "signedRenewalInfo");
            out.renewal_info = std::move(nested->renewal_info);
        }
        break;
    }
    }
    if (f.failure) return std::move(*f.failure);
    return out;
}

inline std::string ascii_lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

} // namespace detail

IAP_EMBEDDED_DECL result<app_store_jws> verify_app_store_jws(std::string_view jws, const app_store_jws_options& options,
                                                            detail::chain_cache* cache) {
    if (auto checked = detail::check_jws_options(options); !checked) return std::move(checked).error();
    return detail::verify_jws(jws, options, cache, 0);
}

IAP_EMBEDDED_DECL result<void> check_app_transaction_device(const app_store_jws& app_transaction,
                                                            std::string_view device_verification_id) {
    if (app_transaction.kind != app_store_jws_kind::app_transaction || app_transaction.device_verification.empty())
        return make_error(errc::malformed_input, "not an AppTransaction with deviceVerification");
    const std::string input =
        detail::ascii_lowercase(app_transaction.device_verification_nonce) + detail::ascii_lowercase(device_verification_id);
    auto hash = detail::compute_digest(detail::digest_kind::sha384, reinterpret_cast<const unsigned char*>(input.data()),
                                       input.size());
    if (!hash) return std::move(hash).error();
    if (encode_base64(hash->bytes, hash->size) != app_transaction.device_verification)
        return make_error(errc::device_hash_mismatch, "deviceVerification does not match this device verification id");
    return {};
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_APP_STORE_JWS_IPP
