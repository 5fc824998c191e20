// SPDX-License-Identifier: MIT
//
// The error model: every failure is an `errc` inside a `std::error_code` of the "iap_embedded"
// category, carried by `result<T>` together with a human explanation and, where the failure came
// from mbedTLS, the raw mbedTLS return code. Nothing in the library throws.
#ifndef IAP_EMBEDDED_ERROR_HPP
#define IAP_EMBEDDED_ERROR_HPP

#include "iap_embedded/config.hpp"

#include <cassert>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace iap_embedded {
inline namespace v1 {

/// Why a verification or an operation failed. Values start at 1 so that a default-constructed
/// `std::error_code` never means an iap_embedded error.
enum class errc {
    /// The input is not what the store produces: bad base64, not JSON, a missing or mistyped field,
    /// an empty signature (Google's static test products are unsigned), input too large.
    malformed_input = 1,
    /// The public key is not a usable RSA SubjectPublicKeyInfo (bad base64, bad DER, EC key,
    /// size outside 1024..4096 bits).
    malformed_key,
    /// The signature does not verify against the key: the data was changed, signed by another key,
    /// or signed with another algorithm.
    signature_invalid,
    /// The input asks for an algorithm this library does not accept (digest, key or signature type).
    unsupported_algorithm,
    /// The purchase is for another app: bundle id or package name differs from the expected one.
    bundle_id_mismatch,
    /// The receipt is for a store the verifier was not configured for.
    store_not_configured,
    /// mbedTLS failed for a reason unrelated to the input (for example, out of memory).
    internal_error,
    /// The certificate chain does not lead to a trusted root, has the wrong shape, or lacks one of
    /// Apple's marker extensions.
    untrusted_certificate,
    /// A certificate of the chain is not valid at the evaluation time (by default the time the
    /// store signed the data).
    certificate_expired,
    /// The receipt is for another version of the app than the expected one.
    app_version_mismatch,
    /// The receipt's SHA-1 device hash does not match the given device identifier.
    device_hash_mismatch,
    /// The data comes from another environment (Production, Sandbox, Xcode) than the expected one.
    environment_mismatch,
    /// The input is not an App Store receipt: empty, garbage, an iOS 6 style transaction receipt,
    /// or not a CMS SignedData.
    not_a_receipt,
    /// The data was produced by Xcode's StoreKit testing, and the caller did not allow it.
    xcode_not_allowed,
    /// The purchase was consumed before (the error's message says when).
    already_consumed,
    /// The balance is lower than the amount to spend.
    insufficient_balance,
    /// Another process holds the ledger open.
    ledger_locked,
    /// The ledger file is damaged, was edited, or is not a ledger (the message gives the offset).
    ledger_corrupted,
    /// A file operation failed (the message names the operation and the system error).
    io_error,
    /// The StoreKit 2 data is for another app: its `appAppleId` differs from the expected one.
    app_apple_id_mismatch,
    /// The IAP server could not be reached or the connection failed: refused, dropped, timed out,
    /// name not resolved.
    network_error,
    /// The TLS connection to the IAP server failed: its certificate is not trusted or not for its
    /// host name, or the handshake failed.
    tls_error,
    /// The IAP server answered with an HTTP error or `isSuccessful: false` (the message gives the
    /// status or the server's result code and message).
    server_error,
    /// The IAP server's answer is not what its API documents: not HTTP, not JSON, a missing or
    /// mistyped field, or too large.
    malformed_response,
    /// StoreKit 2 renewal info is for another subscription than the transaction it was tied to:
    /// its `originalTransactionId` differs from `expected_original_transaction_id` (or, inside a
    /// notification, from the nested transaction's). Renewal info names no app; this tie is what
    /// makes it yours.
    original_transaction_id_mismatch,
    /// The ledger cannot tell whether the request is a purchase it already granted: a claim of an
    /// IAP server payment while purchases of its store were consumed without a payment (the
    /// message names them and how to resolve it).
    conflict,
};

/// The stable snake_case name of an error code, as `iapctl` prints it ("signature_invalid").
constexpr std::string_view to_string(errc e) noexcept {
    switch (e) {
    case errc::malformed_input: return "malformed_input";
    case errc::malformed_key: return "malformed_key";
    case errc::signature_invalid: return "signature_invalid";
    case errc::unsupported_algorithm: return "unsupported_algorithm";
    case errc::bundle_id_mismatch: return "bundle_id_mismatch";
    case errc::store_not_configured: return "store_not_configured";
    case errc::internal_error: return "internal_error";
    case errc::untrusted_certificate: return "untrusted_certificate";
    case errc::certificate_expired: return "certificate_expired";
    case errc::app_version_mismatch: return "app_version_mismatch";
    case errc::device_hash_mismatch: return "device_hash_mismatch";
    case errc::environment_mismatch: return "environment_mismatch";
    case errc::not_a_receipt: return "not_a_receipt";
    case errc::xcode_not_allowed: return "xcode_not_allowed";
    case errc::already_consumed: return "already_consumed";
    case errc::insufficient_balance: return "insufficient_balance";
    case errc::ledger_locked: return "ledger_locked";
    case errc::ledger_corrupted: return "ledger_corrupted";
    case errc::io_error: return "io_error";
    case errc::app_apple_id_mismatch: return "app_apple_id_mismatch";
    case errc::network_error: return "network_error";
    case errc::tls_error: return "tls_error";
    case errc::server_error: return "server_error";
    case errc::malformed_response: return "malformed_response";
    case errc::original_transaction_id_mismatch: return "original_transaction_id_mismatch";
    case errc::conflict: return "conflict";
    }
    return "unknown_error";
}

namespace detail {
class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "iap_embedded"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::malformed_input: return "the input is malformed";
        case errc::malformed_key: return "the public key is malformed or unsupported";
        case errc::signature_invalid: return "the signature does not verify";
        case errc::unsupported_algorithm: return "the algorithm is not supported";
        case errc::bundle_id_mismatch: return "the purchase belongs to another app";
        case errc::store_not_configured: return "the verifier is not configured for this store";
        case errc::internal_error: return "internal cryptographic failure";
        case errc::untrusted_certificate: return "the certificate chain is not trusted";
        case errc::certificate_expired: return "a certificate is not valid at the evaluation time";
        case errc::app_version_mismatch: return "the receipt is for another app version";
        case errc::device_hash_mismatch: return "the receipt was issued to another device";
        case errc::environment_mismatch: return "the data comes from another environment";
        case errc::not_a_receipt: return "the input is not an App Store receipt";
        case errc::xcode_not_allowed: return "Xcode StoreKit testing data is not allowed";
        case errc::already_consumed: return "the purchase was already consumed";
        case errc::insufficient_balance: return "the balance is too low";
        case errc::ledger_locked: return "the ledger is locked by another process";
        case errc::ledger_corrupted: return "the ledger is corrupted";
        case errc::io_error: return "a file operation failed";
        case errc::app_apple_id_mismatch: return "the data belongs to another app (app Apple id)";
        case errc::network_error: return "the IAP server could not be reached";
        case errc::tls_error: return "the TLS connection to the IAP server failed";
        case errc::server_error: return "the IAP server reported an error";
        case errc::malformed_response: return "the IAP server's response is malformed";
        case errc::original_transaction_id_mismatch: return "the renewal info is for another transaction";
        case errc::conflict: return "the ledger cannot tell whether this purchase was already granted";
        }
        return "unknown iap_embedded error";
    }
};
} // namespace detail

/// The "iap_embedded" error category.
inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl category;
    return category;
}

/// Makes `errc` usable as a `std::error_code`.
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// A failure: the code, the raw mbedTLS return code when mbedTLS reported it (0 otherwise), and a
/// sentence saying precisely what was wrong with this input.
struct error_info {
    std::error_code code;
    int mbedtls_code = 0;
    std::string detail;

    /// The explanation, or the category's generic message when there is no detail.
    std::string message() const { return detail.empty() ? code.message() : detail; }
};

/// Builds an `error` from a code and an explanation.
inline error_info make_error(errc e, std::string detail, int mbedtls_code = 0) {
    return error_info{make_error_code(e), mbedtls_code, std::move(detail)};
}

/// Either a value or an `error`. Check it before use: `value()` on an error is a programming
/// error (asserted in debug builds), never an exception.
template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;

    result(const T& v) : state_(std::in_place_index<0>, v) {}
    result(T&& v) : state_(std::in_place_index<0>, std::move(v)) {}
    result(error_info e) : state_(std::in_place_index<1>, std::move(e)) {}
    result(errc e, std::string detail = {}) : state_(std::in_place_index<1>, make_error(e, std::move(detail))) {}

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & noexcept { assert(has_value()); return *std::get_if<0>(&state_); }
    const T& value() const& noexcept { assert(has_value()); return *std::get_if<0>(&state_); }
    T&& value() && noexcept { assert(has_value()); return std::move(*std::get_if<0>(&state_)); }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }

    /// The error code; empty (`!ec`) when this holds a value.
    std::error_code error_code() const noexcept {
        auto e = std::get_if<1>(&state_);
        return e ? e->code : std::error_code{};
    }
    /// The full error; only meaningful when `!has_value()`.
    const error_info& error() const& noexcept { assert(!has_value()); return *std::get_if<1>(&state_); }
    error_info&& error() && noexcept { assert(!has_value()); return std::move(*std::get_if<1>(&state_)); }
    /// The raw mbedTLS return code behind the error, 0 if none.
    int mbedtls_code() const noexcept {
        auto e = std::get_if<1>(&state_);
        return e ? e->mbedtls_code : 0;
    }
    /// The explanation of the error; empty when this holds a value.
    std::string message() const {
        auto e = std::get_if<1>(&state_);
        return e ? e->message() : std::string{};
    }

private:
    std::variant<T, error_info> state_;
};

/// `result` of an operation that produces nothing but success or an error.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;

    result() noexcept = default;
    result(error_info e) : error_(std::move(e)), failed_(true) {}
    result(errc e, std::string detail = {}) : error_(make_error(e, std::move(detail))), failed_(true) {}

    bool has_value() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return has_value(); }
    std::error_code error_code() const noexcept { return failed_ ? error_.code : std::error_code{}; }
    const error_info& error() const& noexcept { assert(failed_); return error_; }
    error_info&& error() && noexcept { assert(failed_); return std::move(error_); }
    int mbedtls_code() const noexcept { return error_.mbedtls_code; }
    std::string message() const { return failed_ ? error_.message() : std::string{}; }

private:
    error_info error_{};
    bool failed_ = false;
};

} // namespace v1
} // namespace iap_embedded

namespace std {
template <>
struct is_error_code_enum<iap_embedded::errc> : true_type {};
} // namespace std

#endif // IAP_EMBEDDED_ERROR_HPP
