// SPDX-License-Identifier: MIT
//
// The C interface (include/iap_embedded/iap_embedded.h) over the header-only C++ library. Every
// entry point goes through `guard`, which catches every exception, maps it to an iap_status and
// sets the thread's last message; result objects keep the C++ values and C views into them.
#include "iap_embedded/iap_embedded.h"

#include "iap_embedded/iap_embedded.hpp"
#include "iap_embedded/detail/verification_json.hpp"

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace ie = iap_embedded;

// iap_status mirrors errc one to one: a new errc without its status fails here.
#define IAP_C_SAME(status, code) \
    static_assert(static_cast<int>(status) == static_cast<int>(ie::errc::code), #status " must equal errc::" #code)
IAP_C_SAME(IAP_MALFORMED_INPUT, malformed_input);
IAP_C_SAME(IAP_MALFORMED_KEY, malformed_key);
IAP_C_SAME(IAP_SIGNATURE_INVALID, signature_invalid);
IAP_C_SAME(IAP_UNSUPPORTED_ALGORITHM, unsupported_algorithm);
IAP_C_SAME(IAP_BUNDLE_ID_MISMATCH, bundle_id_mismatch);
IAP_C_SAME(IAP_STORE_NOT_CONFIGURED, store_not_configured);
IAP_C_SAME(IAP_INTERNAL_ERROR, internal_error);
IAP_C_SAME(IAP_UNTRUSTED_CERTIFICATE, untrusted_certificate);
IAP_C_SAME(IAP_CERTIFICATE_EXPIRED, certificate_expired);
IAP_C_SAME(IAP_APP_VERSION_MISMATCH, app_version_mismatch);
IAP_C_SAME(IAP_DEVICE_HASH_MISMATCH, device_hash_mismatch);
IAP_C_SAME(IAP_ENVIRONMENT_MISMATCH, environment_mismatch);
IAP_C_SAME(IAP_NOT_A_RECEIPT, not_a_receipt);
IAP_C_SAME(IAP_XCODE_NOT_ALLOWED, xcode_not_allowed);
IAP_C_SAME(IAP_ALREADY_CONSUMED, already_consumed);
IAP_C_SAME(IAP_INSUFFICIENT_BALANCE, insufficient_balance);
IAP_C_SAME(IAP_LEDGER_LOCKED, ledger_locked);
IAP_C_SAME(IAP_LEDGER_CORRUPTED, ledger_corrupted);
IAP_C_SAME(IAP_IO_ERROR, io_error);
IAP_C_SAME(IAP_APP_APPLE_ID_MISMATCH, app_apple_id_mismatch);
IAP_C_SAME(IAP_NETWORK_ERROR, network_error);
IAP_C_SAME(IAP_TLS_ERROR, tls_error);
IAP_C_SAME(IAP_SERVER_ERROR, server_error);
IAP_C_SAME(IAP_MALFORMED_RESPONSE, malformed_response);
IAP_C_SAME(IAP_ORIGINAL_TRANSACTION_ID_MISMATCH, original_transaction_id_mismatch);
IAP_C_SAME(IAP_CONFLICT, conflict);
#undef IAP_C_SAME
// The last errc: a new one after it (value 26) must be added above and to iap_status.
static_assert(ie::to_string(static_cast<ie::errc>(IAP_CONFLICT + 1)) == "unknown_error",
              "errc grew: add the new code to iap_status and to the list above");
static_assert(IAP_OUT_OF_MEMORY > IAP_CONFLICT, "C-only statuses stay outside the mirrored range");

static_assert(static_cast<int>(ie::store_kind::google_play) == IAP_STORE_GOOGLE_PLAY &&
                  static_cast<int>(ie::store_kind::one_store) == IAP_STORE_ONE_STORE &&
                  static_cast<int>(ie::store_kind::app_store) == IAP_STORE_APP_STORE,
              "iap_store mirrors store_kind");
static_assert(static_cast<int>(ie::purchase_state::purchased) == IAP_PURCHASED &&
                  static_cast<int>(ie::purchase_state::pending) == IAP_PENDING &&
                  static_cast<int>(ie::purchase_state::cancelled) == IAP_CANCELLED &&
                  static_cast<int>(ie::purchase_state::refunded) == IAP_REFUNDED,
              "iap_purchase_state mirrors purchase_state");
static_assert(static_cast<int>(ie::app_store_environment::production) == IAP_ENVIRONMENT_PRODUCTION &&
                  static_cast<int>(ie::app_store_environment::sandbox) == IAP_ENVIRONMENT_SANDBOX &&
                  static_cast<int>(ie::app_store_environment::xcode) == IAP_ENVIRONMENT_XCODE,
              "iap_environment mirrors app_store_environment");
static_assert(static_cast<int>(ie::app_store_jws_kind::transaction) == IAP_JWS_TRANSACTION &&
                  static_cast<int>(ie::app_store_jws_kind::renewal_info) == IAP_JWS_RENEWAL_INFO &&
                  static_cast<int>(ie::app_store_jws_kind::app_transaction) == IAP_JWS_APP_TRANSACTION &&
                  static_cast<int>(ie::app_store_jws_kind::notification) == IAP_JWS_NOTIFICATION,
              "iap_jws_kind mirrors app_store_jws_kind");
static_assert(static_cast<int>(ie::product_kind::automatic) == IAP_PRODUCT_AUTOMATIC &&
                  static_cast<int>(ie::product_kind::consumable) == IAP_PRODUCT_CONSUMABLE &&
                  static_cast<int>(ie::product_kind::non_consumable) == IAP_PRODUCT_NON_CONSUMABLE &&
                  static_cast<int>(ie::product_kind::subscription) == IAP_PRODUCT_SUBSCRIPTION,
              "iap_product_kind mirrors product_kind");
static_assert(static_cast<int>(ie::history_kind::consumed) == IAP_HISTORY_CONSUMED &&
                  static_cast<int>(ie::history_kind::delivered) == IAP_HISTORY_DELIVERED &&
                  static_cast<int>(ie::history_kind::state_changed) == IAP_HISTORY_STATE_CHANGED &&
                  static_cast<int>(ie::history_kind::spent) == IAP_HISTORY_SPENT &&
                  static_cast<int>(ie::history_kind::balance_set) == IAP_HISTORY_BALANCE_SET,
              "iap_history_kind mirrors history_kind");

struct iap_verifier {
    ie::verifier cpp;
};

namespace {

// The value of an enum a C caller passed, read as the int it is in C. A C enum may hold any int,
// and a C++ load of a value outside the range of its enumerators is undefined behaviour, so every
// enum that comes from a caller is read through this before it is checked.
template <typename Enum>
int c_enum(const Enum& value) noexcept {
    static_assert(std::is_enum_v<Enum> && sizeof(Enum) == sizeof(int), "C enums have the size of an int");
    int raw = 0;
    std::memcpy(&raw, &value, sizeof raw);
    return raw;
}

// Thrown inside `guard` only: a failure with its status and message.
struct failure {
    iap_status status;
    std::string message;
};

thread_local std::string last_message;

[[noreturn]] void fail(iap_status status, std::string message) { throw failure{status, std::move(message)}; }

[[noreturn]] void fail(const ie::error_info& e) {
    fail(static_cast<iap_status>(e.code.value()), e.message());
}

// A caller's enum whose valid values are the ints first..last, as the C++ enum `To` that mirrors
// it; any other value fails with `message`.
template <typename To, typename Enum>
To enum_in_range(const Enum& value, Enum first, Enum last, const char* message) {
    const int raw = c_enum(value);
    if (raw < c_enum(first) || raw > c_enum(last)) fail(IAP_INVALID_ARGUMENT, message);
    return static_cast<To>(raw);
}

template <class T>
T take(ie::result<T>&& r) {
    if (!r) fail(r.error());
    return std::move(r).value();
}

void check(const ie::result<void>& r) {
    if (!r) fail(r.error());
}

template <class P>
void require(const P* p, const char* what) {
    if (p == nullptr) fail(IAP_INVALID_ARGUMENT, std::string(what) + " is NULL");
}

// Runs `body`, turning every exception into a status and the thread's message.
template <class F>
iap_status guard(F&& body) noexcept {
    try {
        body();
        last_message.clear();
        return IAP_OK;
    } catch (failure& f) {
        try {
            last_message = f.message.empty() ? iap_status_message(f.status) : std::move(f.message);
        } catch (...) {
            last_message.clear();
        }
        return f.status;
    } catch (const std::bad_alloc&) {
        last_message.clear();
        return IAP_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        try {
            last_message = std::string("unexpected exception: ") + e.what();
        } catch (...) {
            last_message.clear();
        }
        return IAP_UNKNOWN_ERROR;
    } catch (...) {
        last_message.clear();
        return IAP_UNKNOWN_ERROR;
    }
}

std::string_view text_or_empty(const char* s) { return s ? std::string_view(s) : std::string_view(); }

// The size a caller's option struct declares: at least up to `last_member`, at most ours.
template <class S>
void check_struct(const S* options, std::size_t end_of_required, const char* what) {
    require(options, what);
    if (options->struct_size < end_of_required || options->struct_size > sizeof(S))
        fail(IAP_INVALID_ARGUMENT, std::string(what) + "->struct_size is not set (call its _init function first)");
}

ie::app_store_environment environment_of(iap_environment e, const char* what) {
    switch (c_enum(e)) {
    case IAP_ENVIRONMENT_PRODUCTION: return ie::app_store_environment::production;
    case IAP_ENVIRONMENT_SANDBOX: return ie::app_store_environment::sandbox;
    case IAP_ENVIRONMENT_XCODE: return ie::app_store_environment::xcode;
    case IAP_ENVIRONMENT_NONE: break;
    }
    fail(IAP_INVALID_ARGUMENT, std::string(what) + " is not an environment");
}

std::optional<ie::trusted_roots> roots_of(const unsigned char* const* roots, const std::size_t* sizes, std::size_t count) {
    if (count == 0) return std::nullopt;
    require(roots, "extra_roots");
    require(sizes, "extra_root_sizes");
    std::vector<std::string> certificates;
    for (std::size_t i = 0; i < count; ++i) {
        if (roots[i] == nullptr) fail(IAP_INVALID_ARGUMENT, "extra_roots[" + std::to_string(i) + "] is NULL");
        certificates.emplace_back(reinterpret_cast<const char*>(roots[i]), sizes[i]);
    }
    return take(ie::trusted_roots::from_certificates(certificates));
}

// The only two places C options become C++ options.
ie::app_store_receipt_options to_cpp_receipt_options(const iap_receipt_options& o) {
    ie::app_store_receipt_options out;
    out.expected_bundle_id = text_or_empty(o.expected_bundle_id);
    out.expected_app_version = text_or_empty(o.expected_app_version);
    if (o.device_identifier_size != 0) {
        require(o.device_identifier, "device_identifier");
        out.device_identifier.assign(o.device_identifier, o.device_identifier + o.device_identifier_size);
    }
    out.expected_environment = environment_of(o.expected_environment, "expected_environment");
    out.allow_sandbox = o.allow_sandbox != 0;
    out.allow_xcode = o.allow_xcode != 0;
    if (o.has_evaluation_time_ms) out.evaluation_time_ms = o.evaluation_time_ms;
    out.roots = roots_of(o.extra_roots, o.extra_root_sizes, o.extra_root_count);
    return out;
}

ie::app_store_jws_options to_cpp_jws_options(const iap_jws_options& o) {
    ie::app_store_jws_options out;
    out.kind = enum_in_range<ie::app_store_jws_kind>(o.kind, IAP_JWS_TRANSACTION, IAP_JWS_NOTIFICATION,
                                                     "kind is not a JWS kind");
    out.expected_bundle_id = text_or_empty(o.expected_bundle_id);
    out.expected_original_transaction_id = text_or_empty(o.expected_original_transaction_id);
    out.expected_environment = environment_of(o.expected_environment, "expected_environment");
    out.allow_sandbox = o.allow_sandbox != 0;
    out.allow_xcode = o.allow_xcode != 0;
    if (o.has_expected_app_apple_id) out.expected_app_apple_id = o.expected_app_apple_id;
    if (o.has_evaluation_time_ms) out.evaluation_time_ms = o.evaluation_time_ms;
    out.roots = roots_of(o.extra_roots, o.extra_root_sizes, o.extra_root_count);
    return out;
}

iap_tristate tristate(const std::optional<bool>& b) { return b ? (*b ? IAP_TRUE : IAP_FALSE) : IAP_ABSENT; }

template <class T>
void optional_number(const std::optional<T>& from, int& has, std::int64_t& value) {
    has = from.has_value() ? 1 : 0;
    value = from ? static_cast<std::int64_t>(*from) : 0;
}

iap_environment environment_c(const std::optional<ie::app_store_environment>& e) {
    return e ? static_cast<iap_environment>(*e) : IAP_ENVIRONMENT_NONE;
}

} // namespace

struct iap_verification {
    ie::verification cpp;
    std::vector<iap_purchase> purchases;
    std::vector<std::vector<const char*>> other_product_ids;
    iap_receipt_info receipt{};
    iap_jws_info jws{};
    std::vector<iap_transaction_details> details;
    iap_renewal_info renewal{};

    explicit iap_verification(ie::verification v) : cpp(std::move(v)) {
        purchases.reserve(cpp.purchases.size());
        other_product_ids.reserve(cpp.purchases.size());
        for (const auto& p : cpp.purchases) {
            other_product_ids.emplace_back();
            for (const auto& id : p.other_product_ids) other_product_ids.back().push_back(id.c_str());
            iap_purchase c{};
            c.store = static_cast<iap_store>(p.store);
            c.product_id = p.product_id.c_str();
            c.other_product_ids = other_product_ids.back().data();
            c.other_product_id_count = other_product_ids.back().size();
            c.state = static_cast<iap_purchase_state>(p.state);
            c.quantity = p.quantity;
            c.purchase_time_ms = p.purchase_time_ms;
            c.order_id = p.order_id.c_str();
            c.package_name = p.package_name.c_str();
            c.purchase_token = p.purchase_token.c_str();
            c.purchase_id = p.purchase_id.c_str();
            c.developer_payload = p.developer_payload.c_str();
            c.obfuscated_account_id = p.obfuscated_account_id.c_str();
            c.obfuscated_profile_id = p.obfuscated_profile_id.c_str();
            c.acknowledged = tristate(p.acknowledged);
            c.auto_renewing = tristate(p.auto_renewing);
            optional_number(p.recurring_state, c.has_recurring_state, c.recurring_state);
            c.transaction_id = p.transaction_id.c_str();
            c.original_transaction_id = p.original_transaction_id.c_str();
            optional_number(p.original_purchase_time_ms, c.has_original_purchase_time_ms, c.original_purchase_time_ms);
            optional_number(p.expires_time_ms, c.has_expires_time_ms, c.expires_time_ms);
            optional_number(p.cancellation_time_ms, c.has_cancellation_time_ms, c.cancellation_time_ms);
            optional_number(p.web_order_line_item_id, c.has_web_order_line_item_id, c.web_order_line_item_id);
            c.in_intro_offer = tristate(p.in_intro_offer);
            purchases.push_back(c);
        }
        if (cpp.app_store) {
            const auto& r = *cpp.app_store;
            receipt.bundle_id = r.bundle_id.c_str();
            receipt.app_version = r.app_version.c_str();
            receipt.original_app_version = r.original_app_version.c_str();
            receipt.environment = static_cast<iap_environment>(r.environment);
            receipt.creation_time_ms = r.creation_time_ms;
            optional_number(r.expiration_time_ms, receipt.has_expiration_time_ms, receipt.expiration_time_ms);
            receipt.device_checked = r.device_checked ? 1 : 0;
        }
        if (cpp.jws) {
            const auto& j = *cpp.jws;
            jws.kind = static_cast<iap_jws_kind>(j.kind);
            jws.environment = environment_c(j.environment);
            jws.bundle_id = j.bundle_id.c_str();
            optional_number(j.app_apple_id, jws.has_app_apple_id, jws.app_apple_id);
            jws.signed_time_ms = j.signed_time_ms;
            jws.notification_type = j.notification_type.c_str();
            jws.subtype = j.subtype.c_str();
            jws.notification_uuid = j.notification_uuid.c_str();
            jws.app_version = j.app_version.c_str();
            jws.original_app_version = j.original_app_version.c_str();
            jws.device_verification = j.device_verification.c_str();
            jws.device_verification_nonce = j.device_verification_nonce.c_str();
            for (const auto& d : j.transaction_details) {
                iap_transaction_details c{};
                c.type = d.type.c_str();
                c.subscription_group_identifier = d.subscription_group_identifier.c_str();
                c.app_account_token = d.app_account_token.c_str();
                c.in_app_ownership_type = d.in_app_ownership_type.c_str();
                c.storefront = d.storefront.c_str();
                c.storefront_id = d.storefront_id.c_str();
                c.transaction_reason = d.transaction_reason.c_str();
                c.currency = d.currency.c_str();
                c.offer_identifier = d.offer_identifier.c_str();
                c.app_transaction_id = d.app_transaction_id.c_str();
                optional_number(d.price, c.has_price, c.price);
                optional_number(d.offer_type, c.has_offer_type, c.offer_type);
                optional_number(d.revocation_reason, c.has_revocation_reason, c.revocation_reason);
                c.is_upgraded = tristate(d.is_upgraded);
                details.push_back(c);
            }
            if (j.renewal_info) {
                const auto& r = *j.renewal_info;
                renewal.original_transaction_id = r.original_transaction_id.c_str();
                renewal.product_id = r.product_id.c_str();
                renewal.auto_renew_product_id = r.auto_renew_product_id.c_str();
                optional_number(r.auto_renew_status, renewal.has_auto_renew_status, renewal.auto_renew_status);
                optional_number(r.expiration_intent, renewal.has_expiration_intent, renewal.expiration_intent);
                optional_number(r.renewal_time_ms, renewal.has_renewal_time_ms, renewal.renewal_time_ms);
                optional_number(r.grace_period_expires_time_ms, renewal.has_grace_period_expires_time_ms,
                                renewal.grace_period_expires_time_ms);
                renewal.is_in_billing_retry_period = tristate(r.is_in_billing_retry_period);
            }
        }
    }
    iap_verification(const iap_verification&) = delete;
    iap_verification& operator=(const iap_verification&) = delete;
};

struct iap_ledger {
    ie::ledger cpp;
};

struct iap_entries {
    std::vector<ie::ledger_entry> cpp;
    std::vector<std::string> keys;
    std::vector<iap_entry> c;

    explicit iap_entries(std::vector<ie::ledger_entry> entries) : cpp(std::move(entries)) {
        keys.reserve(cpp.size());
        for (const auto& e : cpp) {
            keys.push_back(e.key.to_string());
            iap_entry x{};
            x.key = keys.back().c_str();
            x.store = static_cast<iap_store>(e.key.store);
            x.product_id = e.product_id.c_str();
            x.order_id = e.order_id.c_str();
            x.kind = static_cast<iap_product_kind>(e.kind);
            x.state = static_cast<iap_purchase_state>(e.state);
            x.quantity = e.quantity;
            x.purchase_time_ms = e.purchase_time_ms;
            optional_number(e.expires_time_ms, x.has_expires_time_ms, x.expires_time_ms);
            x.consumed_time_ms = e.consumed_time_ms;
            optional_number(e.delivered_time_ms, x.has_delivered_time_ms, x.delivered_time_ms);
            x.credit_balance = e.credit_balance.c_str();
            x.credit_amount = e.credit_amount;
            x.payment_seq = e.payment_seq.c_str();
            x.without_server_payment = e.without_server_payment ? 1 : 0;
            c.push_back(x);
        }
    }
};

struct iap_balances {
    std::vector<std::string> names;
    std::vector<iap_balance> c;
};

struct iap_history {
    std::vector<ie::history_event> cpp;
    std::vector<std::string> keys;
    std::vector<iap_history_event> c;

    explicit iap_history(std::vector<ie::history_event> events) : cpp(std::move(events)) {
        keys.reserve(cpp.size());
        for (const auto& e : cpp) {
            keys.push_back(e.key ? e.key->to_string() : std::string());
            iap_history_event x{};
            x.kind = static_cast<iap_history_kind>(e.kind);
            x.time_ms = e.time_ms;
            x.key = keys.back().c_str();
            x.product_id = e.product_id.c_str();
            x.state = static_cast<iap_purchase_state>(e.state);
            optional_number(e.expires_time_ms, x.has_expires_time_ms, x.expires_time_ms);
            x.balance = e.balance.c_str();
            x.amount = e.amount;
            c.push_back(x);
        }
    }
};

struct iap_http_response {
    ie::http_response cpp;
};

namespace {

// The app's HTTP callback as the sync client's transport.
class callback_transport final : public ie::http_transport {
public:
    callback_transport(iap_http_send_fn send_function, void* user_data) noexcept
        : send_(send_function), user_data_(user_data) {}

    ie::result<ie::http_response> send(const ie::http_request& request) override {
        std::vector<const char*> names, values;
        for (const auto& h : request.headers) {
            names.push_back(h.first.c_str());
            values.push_back(h.second.c_str());
        }
        const iap_http_request c{request.method.c_str(), request.target.c_str(), names.data(), values.data(),
                                 names.size(), request.body.c_str(), request.body.size()};
        iap_http_response response;
        const iap_status status = send_(user_data_, &c, &response);
        if (status == IAP_OK) return std::move(response.cpp);
        const ie::errc code = status == IAP_TLS_ERROR            ? ie::errc::tls_error
                              : status == IAP_MALFORMED_RESPONSE ? ie::errc::malformed_response
                                                                 : ie::errc::network_error;
        return ie::make_error(code, std::string("the HTTP callback failed with ") + iap_status_name(status) +
                                        " for " + request.target);
    }

private:
    iap_http_send_fn send_;
    void* user_data_;
};

} // namespace

struct iap_sync_client {
    callback_transport transport;
    ie::sync_client cpp;

    iap_sync_client(ie::ledger& ledger, iap_http_send_fn send, void* user_data, ie::sync_options options)
        : transport(send, user_data), cpp(ledger, transport, std::move(options)) {}
};

struct iap_sync_summary {
    ie::sync_summary cpp;
    iap_sync_counts counts{};
    std::vector<iap_sync_refusal> refused;

    explicit iap_sync_summary(ie::sync_summary s) : cpp(std::move(s)) {
        counts = iap_sync_counts{cpp.pushed, cpp.fetched, cpp.pending, cpp.available};
        for (const auto& r : cpp.refused)
            refused.push_back(iap_sync_refusal{r.payment_seq.c_str(), r.result_code, r.message.c_str()});
    }
};

struct iap_subscriptions {
    std::vector<ie::server_subscription> cpp;
    std::vector<iap_subscription> c;

    explicit iap_subscriptions(std::vector<ie::server_subscription> list) : cpp(std::move(list)) {
        for (const auto& s : cpp) {
            iap_subscription x{};
            x.payment_seq = s.payment_seq.c_str();
            x.product_seq = s.product_seq.c_str();
            x.product_id = s.product_id.c_str();
            optional_number(s.purchase_time_ms, x.has_purchase_time_ms, x.purchase_time_ms);
            optional_number(s.expiry_time_ms, x.has_expiry_time_ms, x.expiry_time_ms);
            c.push_back(x);
        }
    }
};

namespace {

template <class T, class... Args>
T* make(Args&&... args) {
    return new T(std::forward<Args>(args)...);
}

char* copy_string(const std::string& s) {
    auto* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, s.data(), s.size() + 1);
    return out;
}

iap_status verify(const iap_verifier* verifier, const ie::receipt& receipt, const void* data, std::size_t size,
                  iap_verification** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(verifier, "verifier");
        if (data == nullptr && size != 0) fail(IAP_INVALID_ARGUMENT, "data is NULL");
        auto verified = take(verifier->cpp.verify(receipt));
        *out = make<iap_verification>(std::move(verified));
    });
}

std::string_view bytes(const void* data, std::size_t size) {
    return data ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
}

const ie::purchase& purchase_at(const iap_verification* verification, std::size_t index) {
    require(verification, "verification");
    if (index >= verification->cpp.purchases.size())
        fail(IAP_INVALID_ARGUMENT, "purchase index " + std::to_string(index) + " is out of range (" +
                                       std::to_string(verification->cpp.purchases.size()) + " purchases)");
    return verification->cpp.purchases[index];
}

ie::purchase_key key_of(const char* key) {
    require(key, "key");
    return take(ie::purchase_key::parse(key));
}

ie::ledger_options ledger_options_of(const iap_ledger_options* options) {
    ie::ledger_options out;
    if (options == nullptr) return out;
    check_struct(options, sizeof(iap_ledger_options), "options");
    if (options->hmac_key_size != 0) {
        require(options->hmac_key, "options->hmac_key");
        out.hmac_key.assign(reinterpret_cast<const char*>(options->hmac_key), options->hmac_key_size);
    }
    const int durability = c_enum(options->durability);
    if (durability != IAP_DURABILITY_FULL && durability != IAP_DURABILITY_PROCESS)
        fail(IAP_INVALID_ARGUMENT, "options->durability is not a durability");
    out.level = durability == IAP_DURABILITY_PROCESS ? ie::durability::process : ie::durability::full;
    out.create = options->create != 0;
    out.compact_slack_records = options->compact_slack_records;
    return out;
}

ie::history_filter filter_of(const iap_history_filter* filter) {
    ie::history_filter out;
    if (filter == nullptr) return out;
    check_struct(filter, sizeof(iap_history_filter), "filter");
    if (filter->has_store) {
        out.store = enum_in_range<ie::store_kind>(filter->store, IAP_STORE_GOOGLE_PLAY, IAP_STORE_APP_STORE,
                                                  "filter->store is not a store");
    }
    out.product_id = text_or_empty(filter->product_id);
    out.from_ms = filter->from_ms;
    out.to_ms = filter->to_ms;
    return out;
}

ie::consume_options consume_options_of(const iap_consume_options* options) {
    ie::consume_options o;
    if (options == nullptr) return o;
    check_struct(options, offsetof(iap_consume_options, without_server_payment), "options");
    o.kind = enum_in_range<ie::product_kind>(options->kind, IAP_PRODUCT_AUTOMATIC, IAP_PRODUCT_SUBSCRIPTION,
                                             "options->kind is not a product kind");
    o.credit_balance = text_or_empty(options->credit_balance);
    o.credit_amount = options->credit_amount;
    o.delivered = options->delivered != 0;
    o.store_time_ms = options->store_time_ms;
    if (options->has_expires_time_ms) o.expires_time_ms = options->expires_time_ms;
    o.payment_seq = text_or_empty(options->payment_seq);
    o.access_token = text_or_empty(options->access_token);
    if (options->struct_size >= offsetof(iap_consume_options, without_server_payment) + sizeof(int))
        o.without_server_payment = options->without_server_payment != 0;
    return o;
}

/// `entry` as a one-entry list in *out (when out is not null).
void entry_out(ie::ledger_entry entry, iap_entries** out) {
    if (out) *out = make<iap_entries>(std::vector<ie::ledger_entry>{std::move(entry)});
}

void consume(iap_ledger* ledger, const iap_verification* verification, std::size_t index,
                   const ie::consume_options& options, iap_entries** out) {
    if (out) *out = nullptr;
    require(ledger, "ledger");
    const auto& p = purchase_at(verification, index);
    entry_out(take(ledger->cpp.consume(p, options)), out);
}

} // namespace

extern "C" {

IAP_API const char* iap_status_name(iap_status status) {
    switch (c_enum(status)) {
    case IAP_OK: return "ok";
    case IAP_OUT_OF_MEMORY: return "out_of_memory";
    case IAP_INVALID_ARGUMENT: return "invalid_argument";
    case IAP_UNKNOWN_ERROR: return "unknown_error";
    default: break;
    }
    // to_string's views are of string literals: NUL-terminated.
    return ie::to_string(static_cast<ie::errc>(c_enum(status))).data();
}

IAP_API const char* iap_status_message(iap_status status) {
    switch (c_enum(status)) {
    case IAP_OK: return "success";
    case IAP_OUT_OF_MEMORY: return "out of memory";
    case IAP_INVALID_ARGUMENT: return "an argument is NULL or out of range";
    case IAP_UNKNOWN_ERROR: return "an unexpected error occurred";
    case IAP_MALFORMED_INPUT: return "the input is malformed";
    case IAP_MALFORMED_KEY: return "the public key is malformed or unsupported";
    case IAP_SIGNATURE_INVALID: return "the signature does not verify";
    case IAP_UNSUPPORTED_ALGORITHM: return "the algorithm is not supported";
    case IAP_BUNDLE_ID_MISMATCH: return "the purchase belongs to another app";
    case IAP_STORE_NOT_CONFIGURED: return "the verifier is not configured for this store";
    case IAP_INTERNAL_ERROR: return "internal cryptographic failure";
    case IAP_UNTRUSTED_CERTIFICATE: return "the certificate chain is not trusted";
    case IAP_CERTIFICATE_EXPIRED: return "a certificate is not valid at the evaluation time";
    case IAP_APP_VERSION_MISMATCH: return "the receipt is for another app version";
    case IAP_DEVICE_HASH_MISMATCH: return "the receipt was issued to another device";
    case IAP_ENVIRONMENT_MISMATCH: return "the data comes from another environment";
    case IAP_NOT_A_RECEIPT: return "the input is not an App Store receipt";
    case IAP_XCODE_NOT_ALLOWED: return "Xcode StoreKit testing data is not allowed";
    case IAP_ALREADY_CONSUMED: return "the purchase was already consumed";
    case IAP_INSUFFICIENT_BALANCE: return "the balance is too low";
    case IAP_LEDGER_LOCKED: return "the ledger is locked by another process";
    case IAP_LEDGER_CORRUPTED: return "the ledger is corrupted";
    case IAP_IO_ERROR: return "a file operation failed";
    case IAP_APP_APPLE_ID_MISMATCH: return "the data belongs to another app (app Apple id)";
    case IAP_NETWORK_ERROR: return "the IAP server could not be reached";
    case IAP_TLS_ERROR: return "the TLS connection to the IAP server failed";
    case IAP_SERVER_ERROR: return "the IAP server reported an error";
    case IAP_MALFORMED_RESPONSE: return "the IAP server's response is malformed";
    case IAP_ORIGINAL_TRANSACTION_ID_MISMATCH: return "the renewal info is for another transaction";
    case IAP_CONFLICT: return "the ledger cannot tell whether this purchase was already granted";
    }
    return "unknown iap_embedded status";
}

IAP_API const char* iap_last_error_message(void) { return last_message.c_str(); }

IAP_API const char* iap_version(void) { return IAP_EMBEDDED_VERSION_STRING; }

IAP_API void iap_string_free(char* text) { std::free(text); }

IAP_API const char* iap_store_name(iap_store store) {
    return ie::to_string(static_cast<ie::store_kind>(c_enum(store))).data();
}
IAP_API const char* iap_purchase_state_name(iap_purchase_state state) {
    return ie::to_string(static_cast<ie::purchase_state>(c_enum(state))).data();
}
IAP_API const char* iap_environment_name(iap_environment environment) {
    const int value = c_enum(environment);
    if (value == IAP_ENVIRONMENT_NONE) return "";
    return ie::to_string(static_cast<ie::app_store_environment>(value)).data();
}
IAP_API const char* iap_jws_kind_name(iap_jws_kind kind) {
    return ie::to_string(static_cast<ie::app_store_jws_kind>(c_enum(kind))).data();
}

IAP_API iap_status iap_receipt_options_init(iap_receipt_options* options) {
    return guard([&] {
        require(options, "options");
        *options = iap_receipt_options{};
        options->struct_size = sizeof(iap_receipt_options);
        options->expected_environment = IAP_ENVIRONMENT_PRODUCTION;
    });
}

IAP_API iap_status iap_jws_options_init(iap_jws_options* options) {
    return guard([&] {
        require(options, "options");
        *options = iap_jws_options{};
        options->struct_size = sizeof(iap_jws_options);
        options->kind = IAP_JWS_TRANSACTION;
        options->expected_environment = IAP_ENVIRONMENT_PRODUCTION;
    });
}

IAP_API iap_status iap_verifier_new(iap_verifier** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        *out = make<iap_verifier>();
    });
}

IAP_API void iap_verifier_free(iap_verifier* verifier) { delete verifier; }

IAP_API iap_status iap_verifier_add_google_play(iap_verifier* verifier, const char* public_key_base64,
                                                const char* expected_package_name) {
    return guard([&] {
        require(verifier, "verifier");
        require(public_key_base64, "public_key_base64");
        check(verifier->cpp.add_google_play(public_key_base64, std::string(text_or_empty(expected_package_name))));
    });
}

IAP_API iap_status iap_verifier_add_one_store(iap_verifier* verifier, const char* public_key_base64,
                                              const char* expected_package_name) {
    return guard([&] {
        require(verifier, "verifier");
        require(public_key_base64, "public_key_base64");
        check(verifier->cpp.add_one_store(public_key_base64, std::string(text_or_empty(expected_package_name))));
    });
}

IAP_API iap_status iap_verifier_add_app_store(iap_verifier* verifier, const iap_receipt_options* options) {
    return guard([&] {
        require(verifier, "verifier");
        check_struct(options, sizeof(iap_receipt_options), "options");
        check(verifier->cpp.add_app_store(to_cpp_receipt_options(*options)));
    });
}

IAP_API iap_status iap_verifier_add_app_store_jws(iap_verifier* verifier, const iap_jws_options* options) {
    return guard([&] {
        require(verifier, "verifier");
        check_struct(options, sizeof(iap_jws_options), "options");
        check(verifier->cpp.add_app_store_jws(to_cpp_jws_options(*options)));
    });
}

IAP_API iap_status iap_verify_google_play(const iap_verifier* verifier, const char* signed_data,
                                          size_t signed_data_size, const char* signature_base64, size_t signature_size,
                                          iap_verification** out) {
    if (signature_base64 == nullptr && signature_size != 0)
        return guard([] { fail(IAP_INVALID_ARGUMENT, "signature_base64 is NULL"); });
    return verify(verifier,
                  ie::receipt::google_play(bytes(signed_data, signed_data_size), bytes(signature_base64, signature_size)),
                  signed_data, signed_data_size, out);
}

IAP_API iap_status iap_verify_one_store(const iap_verifier* verifier, const char* signed_data, size_t signed_data_size,
                                        const char* signature_base64, size_t signature_size, iap_verification** out) {
    if (signature_base64 == nullptr && signature_size != 0)
        return guard([] { fail(IAP_INVALID_ARGUMENT, "signature_base64 is NULL"); });
    return verify(verifier,
                  ie::receipt::one_store(bytes(signed_data, signed_data_size), bytes(signature_base64, signature_size)),
                  signed_data, signed_data_size, out);
}

IAP_API iap_status iap_verify_app_store_receipt(const iap_verifier* verifier, const void* receipt, size_t receipt_size,
                                                iap_verification** out) {
    return verify(verifier, ie::receipt::app_store(bytes(receipt, receipt_size)), receipt, receipt_size, out);
}

IAP_API iap_status iap_verify_app_store_jws(const iap_verifier* verifier, const char* jws, size_t jws_size,
                                            iap_verification** out) {
    return verify(verifier, ie::receipt::app_store_jws(bytes(jws, jws_size)), jws, jws_size, out);
}

IAP_API iap_status iap_parse_device_identifier(const char* text, unsigned char out[16], size_t* size) {
    return guard([&] {
        require(size, "size");
        *size = 0;
        require(text, "text");
        require(out, "out");
        const auto bytes = take(ie::parse_device_identifier(text));
        if (bytes.size() > 16) fail(IAP_MALFORMED_INPUT, "the device identifier is longer than 16 bytes");
        std::memcpy(out, bytes.data(), bytes.size());
        *size = bytes.size();
    });
}

IAP_API iap_status iap_check_app_transaction_device(const iap_verification* app_transaction,
                                                    const char* device_verification_id) {
    return guard([&] {
        require(app_transaction, "app_transaction");
        require(device_verification_id, "device_verification_id");
        if (!app_transaction->cpp.jws) fail(IAP_INVALID_ARGUMENT, "app_transaction is not a StoreKit 2 JWS");
        check(ie::check_app_transaction_device(*app_transaction->cpp.jws, device_verification_id));
    });
}

IAP_API void iap_verification_free(iap_verification* verification) { delete verification; }

IAP_API iap_store iap_verification_store(const iap_verification* verification) {
    return verification ? static_cast<iap_store>(verification->cpp.store) : static_cast<iap_store>(0);
}

IAP_API size_t iap_verification_purchase_count(const iap_verification* verification) {
    return verification ? verification->purchases.size() : 0;
}

IAP_API const iap_purchase* iap_verification_purchase(const iap_verification* verification, size_t index) {
    if (verification == nullptr || index >= verification->purchases.size()) return nullptr;
    return &verification->purchases[index];
}

IAP_API const iap_receipt_info* iap_verification_receipt_info(const iap_verification* verification) {
    return verification && verification->cpp.app_store ? &verification->receipt : nullptr;
}

IAP_API const iap_jws_info* iap_verification_jws_info(const iap_verification* verification) {
    return verification && verification->cpp.jws ? &verification->jws : nullptr;
}

IAP_API const iap_transaction_details* iap_verification_transaction_details(const iap_verification* verification,
                                                                            size_t index) {
    if (verification == nullptr || index >= verification->details.size()) return nullptr;
    return &verification->details[index];
}

IAP_API const iap_renewal_info* iap_verification_renewal_info(const iap_verification* verification) {
    return verification && verification->cpp.jws && verification->cpp.jws->renewal_info ? &verification->renewal
                                                                                          : nullptr;
}

IAP_API iap_status iap_verification_json(const iap_verification* verification, char** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(verification, "verification");
        *out = copy_string(ie::detail::any_verification_to_json(verification->cpp).dump(0));
    });
}

IAP_API iap_status iap_ledger_options_init(iap_ledger_options* options) {
    return guard([&] {
        require(options, "options");
        const ie::ledger_options defaults;
        *options = iap_ledger_options{};
        options->struct_size = sizeof(iap_ledger_options);
        options->durability = IAP_DURABILITY_FULL;
        options->create = defaults.create ? 1 : 0;
        options->compact_slack_records = defaults.compact_slack_records;
    });
}

IAP_API iap_status iap_consume_options_init(iap_consume_options* options) {
    return guard([&] {
        require(options, "options");
        *options = iap_consume_options{};
        options->struct_size = sizeof(iap_consume_options);
        options->kind = IAP_PRODUCT_AUTOMATIC;
    });
}

IAP_API iap_status iap_history_filter_init(iap_history_filter* filter) {
    return guard([&] {
        require(filter, "filter");
        const ie::history_filter defaults;
        *filter = iap_history_filter{};
        filter->struct_size = sizeof(iap_history_filter);
        filter->store = IAP_STORE_GOOGLE_PLAY;
        filter->from_ms = defaults.from_ms;
        filter->to_ms = defaults.to_ms;
    });
}

IAP_API iap_status iap_ledger_open(const char* path, const iap_ledger_options* options, iap_ledger** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(path, "path");
        auto opened = take(ie::ledger::open(path, ledger_options_of(options)));
        *out = make<iap_ledger>(iap_ledger{std::move(opened)});
    });
}

IAP_API void iap_ledger_close(iap_ledger* ledger) { delete ledger; }

IAP_API iap_status iap_ledger_repair(const char* path, const iap_ledger_options* options, uint64_t* removed_bytes) {
    return guard([&] {
        if (removed_bytes) *removed_bytes = 0;
        require(path, "path");
        const auto removed = take(ie::ledger::repair(path, ledger_options_of(options)));
        if (removed_bytes) *removed_bytes = removed;
    });
}

IAP_API iap_status iap_ledger_consume(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                      const iap_consume_options* options, iap_entries** out) {
    return guard([&] { consume(ledger, verification, index, consume_options_of(options), out); });
}

IAP_API iap_status iap_ledger_consume_credit(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                             const char* balance, int64_t amount, iap_entries** out) {
    return guard([&] {
        require(balance, "balance");
        consume(ledger, verification, index, ie::consume_options::credit(balance, amount), out);
    });
}

IAP_API iap_status iap_ledger_link_payment(iap_ledger* ledger, const char* key, const char* payment_seq,
                                           const char* access_token, iap_entries** out) {
    return guard([&] {
        if (out) *out = nullptr;
        require(ledger, "ledger");
        require(payment_seq, "payment_seq");
        entry_out(take(ledger->cpp.link_payment(key_of(key), payment_seq, text_or_empty(access_token))), out);
    });
}

IAP_API iap_status iap_ledger_mark_without_server_payment(iap_ledger* ledger, const char* key, iap_entries** out) {
    return guard([&] {
        if (out) *out = nullptr;
        require(ledger, "ledger");
        entry_out(take(ledger->cpp.mark_without_server_payment(key_of(key))), out);
    });
}

IAP_API iap_status iap_ledger_unlinked_consumes(const iap_ledger* ledger, iap_store store, iap_entries** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        const auto kind =
            enum_in_range<ie::store_kind>(store, IAP_STORE_GOOGLE_PLAY, IAP_STORE_APP_STORE, "store is not a store");
        *out = make<iap_entries>(ledger->cpp.unlinked_consumes(kind));
    });
}

IAP_API iap_status iap_ledger_mark_delivered(iap_ledger* ledger, const char* key) {
    return guard([&] {
        require(ledger, "ledger");
        check(ledger->cpp.mark_delivered(key_of(key)));
    });
}

IAP_API iap_status iap_ledger_record_update(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                            int64_t store_time_ms, iap_entries** out) {
    return guard([&] {
        if (out) *out = nullptr;
        require(ledger, "ledger");
        entry_out(take(ledger->cpp.record_update(purchase_at(verification, index), store_time_ms)), out);
    });
}

IAP_API iap_status iap_ledger_spend(iap_ledger* ledger, const char* balance, int64_t amount, int64_t* new_value) {
    return guard([&] {
        if (new_value) *new_value = 0;
        require(ledger, "ledger");
        require(balance, "balance");
        const auto value = take(ledger->cpp.spend(balance, amount));
        if (new_value) *new_value = value;
    });
}

IAP_API iap_status iap_ledger_balance(const iap_ledger* ledger, const char* balance, int64_t* value) {
    return guard([&] {
        require(value, "value");
        *value = 0;
        require(ledger, "ledger");
        require(balance, "balance");
        *value = ledger->cpp.balance(balance);
    });
}

IAP_API iap_status iap_ledger_balances(const iap_ledger* ledger, iap_balances** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        std::unique_ptr<iap_balances> list(make<iap_balances>());
        const auto all = ledger->cpp.balances();
        list->names.reserve(all.size());
        for (const auto& b : all) {
            list->names.push_back(b.first);
            list->c.push_back(iap_balance{list->names.back().c_str(), b.second});
        }
        *out = list.release();
    });
}

IAP_API iap_status iap_ledger_undelivered(const iap_ledger* ledger, iap_entries** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        *out = make<iap_entries>(ledger->cpp.undelivered());
    });
}

IAP_API iap_status iap_ledger_entitlements(const iap_ledger* ledger, int64_t at_ms, iap_entries** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        *out = make<iap_entries>(ledger->cpp.entitlements(at_ms));
    });
}

IAP_API iap_status iap_ledger_find(const iap_ledger* ledger, const char* key, iap_entries** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        auto found = ledger->cpp.find(key_of(key));
        std::vector<ie::ledger_entry> entries;
        if (found) entries.push_back(std::move(*found));
        *out = make<iap_entries>(std::move(entries));
    });
}

IAP_API iap_status iap_ledger_history(const iap_ledger* ledger, const iap_history_filter* filter, iap_history** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        *out = make<iap_history>(ledger->cpp.history(filter_of(filter)));
    });
}

IAP_API iap_status iap_ledger_history_json(const iap_ledger* ledger, const iap_history_filter* filter, char** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        *out = copy_string(ledger->cpp.history_json(filter_of(filter)));
    });
}

IAP_API iap_status iap_ledger_observe_store_time(iap_ledger* ledger, int64_t time_ms) {
    return guard([&] {
        require(ledger, "ledger");
        check(ledger->cpp.observe_store_time(time_ms));
    });
}

IAP_API iap_status iap_ledger_trusted_time_ms(const iap_ledger* ledger, int64_t* out) {
    return guard([&] {
        require(out, "out");
        *out = 0;
        require(ledger, "ledger");
        *out = ledger->cpp.trusted_time_ms();
    });
}

IAP_API iap_status iap_ledger_compact(iap_ledger* ledger) {
    return guard([&] {
        require(ledger, "ledger");
        check(ledger->cpp.compact());
    });
}

IAP_API iap_status iap_http_response_set_status(iap_http_response* response, int status) {
    return guard([&] {
        require(response, "response");
        response->cpp.status = status;
    });
}

IAP_API iap_status iap_http_response_add_header(iap_http_response* response, const char* name, const char* value) {
    return guard([&] {
        require(response, "response");
        require(name, "name");
        require(value, "value");
        response->cpp.headers.emplace_back(name, value);
    });
}

IAP_API iap_status iap_http_response_set_body(iap_http_response* response, const char* body, size_t body_size) {
    return guard([&] {
        require(response, "response");
        if (body == nullptr && body_size != 0) fail(IAP_INVALID_ARGUMENT, "body is NULL");
        response->cpp.body.assign(body ? body : "", body_size);
    });
}

IAP_API iap_status iap_sync_options_init(iap_sync_options* options) {
    return guard([&] {
        require(options, "options");
        const ie::sync_options defaults;
        *options = iap_sync_options{};
        options->struct_size = sizeof(iap_sync_options);
        options->market = IAP_MARKET_GOOGLE_PLAY;
        options->user_channel = "GF";
        options->backoff_base_ms = defaults.backoff_base.count();
        options->backoff_max_ms = defaults.backoff_max.count();
    });
}

IAP_API iap_status iap_sync_client_new(iap_ledger* ledger, iap_http_send_fn send, void* user_data,
                                       const iap_sync_options* options, iap_sync_client** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(ledger, "ledger");
        if (send == nullptr) fail(IAP_INVALID_ARGUMENT, "send is NULL");
        check_struct(options, sizeof(iap_sync_options), "options");
        ie::sync_options o;
        o.app_key = text_or_empty(options->app_key);
        o.user_key = text_or_empty(options->user_key);
        if (o.app_key.empty() || o.user_key.empty()) fail(IAP_MALFORMED_INPUT, "app_key and user_key are required");
        switch (c_enum(options->market)) {
        case IAP_MARKET_GOOGLE_PLAY: o.market = ie::market::google_play; break;
        case IAP_MARKET_APP_STORE: o.market = ie::market::app_store; break;
        case IAP_MARKET_ONE_STORE: o.market = ie::market::one_store; break;
        default: fail(IAP_INVALID_ARGUMENT, "options->market is not a market");
        }
        if (options->user_channel != nullptr) o.user_channel = options->user_channel;
        if (options->backoff_base_ms <= 0 || options->backoff_max_ms < options->backoff_base_ms)
            fail(IAP_INVALID_ARGUMENT, "options->backoff_base_ms must be > 0 and at most backoff_max_ms");
        o.backoff_base = std::chrono::milliseconds(options->backoff_base_ms);
        o.backoff_max = std::chrono::milliseconds(options->backoff_max_ms);
        *out = make<iap_sync_client>(ledger->cpp, send, user_data, std::move(o));
    });
}

IAP_API void iap_sync_client_free(iap_sync_client* client) { delete client; }

IAP_API iap_status iap_sync_run(iap_sync_client* client, iap_sync_summary** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(client, "client");
        *out = make<iap_sync_summary>(take(client->cpp.sync()));
    });
}

IAP_API iap_status iap_sync_claim(iap_sync_client* client, const char* payment_seq, const iap_consume_options* options,
                                  iap_entries** out) {
    return guard([&] {
        if (out) *out = nullptr;
        require(client, "client");
        require(payment_seq, "payment_seq");
        auto entry = take(client->cpp.claim(payment_seq, consume_options_of(options)));
        if (out) *out = make<iap_entries>(std::vector<ie::ledger_entry>{std::move(entry)});
    });
}

IAP_API iap_status iap_sync_retry_delay_ms(const iap_sync_client* client, int64_t* out) {
    return guard([&] {
        require(out, "out");
        *out = 0;
        require(client, "client");
        *out = static_cast<int64_t>(client->cpp.retry_delay().count());
    });
}

IAP_API iap_status iap_sync_active_subscriptions(iap_sync_client* client, const char* package_name,
                                                 iap_subscriptions** out) {
    return guard([&] {
        require(out, "out");
        *out = nullptr;
        require(client, "client");
        require(package_name, "package_name");
        *out = make<iap_subscriptions>(take(client->cpp.active_subscriptions(package_name)));
    });
}

IAP_API size_t iap_subscriptions_count(const iap_subscriptions* subscriptions) {
    return subscriptions ? subscriptions->c.size() : 0;
}
IAP_API const iap_subscription* iap_subscriptions_at(const iap_subscriptions* subscriptions, size_t index) {
    return subscriptions && index < subscriptions->c.size() ? &subscriptions->c[index] : nullptr;
}
IAP_API void iap_subscriptions_free(iap_subscriptions* subscriptions) { delete subscriptions; }

IAP_API const iap_sync_counts* iap_sync_summary_counts(const iap_sync_summary* summary) {
    return summary ? &summary->counts : nullptr;
}
IAP_API size_t iap_sync_summary_conflict_count(const iap_sync_summary* summary) {
    return summary ? summary->cpp.conflicts.size() : 0;
}
IAP_API const char* iap_sync_summary_conflict(const iap_sync_summary* summary, size_t index) {
    return summary && index < summary->cpp.conflicts.size() ? summary->cpp.conflicts[index].payment_seq.c_str()
                                                             : nullptr;
}
IAP_API size_t iap_sync_summary_refused_count(const iap_sync_summary* summary) {
    return summary ? summary->refused.size() : 0;
}
IAP_API const iap_sync_refusal* iap_sync_summary_refused(const iap_sync_summary* summary, size_t index) {
    return summary && index < summary->refused.size() ? &summary->refused[index] : nullptr;
}
IAP_API void iap_sync_summary_free(iap_sync_summary* summary) { delete summary; }

IAP_API size_t iap_entries_count(const iap_entries* entries) { return entries ? entries->c.size() : 0; }
IAP_API const iap_entry* iap_entries_at(const iap_entries* entries, size_t index) {
    return entries && index < entries->c.size() ? &entries->c[index] : nullptr;
}
IAP_API void iap_entries_free(iap_entries* entries) { delete entries; }

IAP_API size_t iap_balances_count(const iap_balances* balances) { return balances ? balances->c.size() : 0; }
IAP_API const iap_balance* iap_balances_at(const iap_balances* balances, size_t index) {
    return balances && index < balances->c.size() ? &balances->c[index] : nullptr;
}
IAP_API void iap_balances_free(iap_balances* balances) { delete balances; }

IAP_API size_t iap_history_count(const iap_history* history) { return history ? history->c.size() : 0; }
IAP_API const iap_history_event* iap_history_at(const iap_history* history, size_t index) {
    return history && index < history->c.size() ? &history->c[index] : nullptr;
}
IAP_API void iap_history_free(iap_history* history) { delete history; }

} // extern "C"
