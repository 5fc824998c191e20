// SPDX-License-Identifier: MIT
//
// StoreKit 2 signed data, verified inside the app: `Transaction.jwsRepresentation`, renewal info,
// `AppTransaction`, and App Store Server Notifications V2 (`signedPayload`), with the rules of
// Apple's own `SignedDataVerifier`:
//
//     iap_embedded::app_store_jws_options options;
//     options.expected_bundle_id = "com.example.game";   // required
//     options.allow_sandbox = true;                      // TestFlight and App Review
//     auto verified = iap_embedded::verify_app_store_jws(transaction_jws, options);
//     if (verified) for (const auto& p : verified->purchases) grant(p);
//
// The caller says what it verifies (`options.kind`, default `transaction`); the library never
// guesses it from the fields present. What is checked, in order, before any field is returned:
//  0. the options: `expected_bundle_id` set, `expected_original_transaction_id` set for renewal
//     info (`malformed_input` otherwise, before the data is looked at);
//  1. size: the JWS is at most IAP_EMBEDDED_MAX_JWS_BYTES (config.hpp, 64 KiB; a notification
//     with its nested transaction and renewal info is about 20 KiB), else `malformed_input`;
//  2. compact JWS `header.payload.signature`, each part base64url without padding
//     (`malformed_input` otherwise); a `crit` header is `malformed_input` (RFC 7515 4.1.11: a
//     recipient rejects critical extensions it does not understand, and this library
//     understands none; Apple sends none);
//  3. header `alg` is ES256 (`unsupported_algorithm` for anything else, `none` and HS256 included);
//  4. header `x5c` holds exactly three certificates (one for Xcode data): more than three is
//     `untrusted_certificate` before any entry is decoded, and so is an entry longer than
//     `max_x5c_entry_chars` (8 KiB of base64; Apple's certificates are under 1 KiB). The leaf
//     is a P-256 certificate with Apple's 1.2.840.113635.100.6.11.1 extension, then a CA
//     intermediate with 1.2.840.113635.100.6.2.1, then a root; the chain must end in one of the
//     caller's roots (built in: Apple Root CA - G3), never in the root the sender included
//     (`untrusted_certificate`), every certificate valid at the evaluation time
//     (`certificate_expired`);
//  5. the ES256 signature, raw `r || s` (64 bytes; a DER signature is `signature_invalid`), over
//     the ASCII bytes `header.payload`;
//  6. the payload is of the kind asked for: the fields that kind always has are present
//     (`malformed_input` otherwise):
//       transaction:     transactionId, originalTransactionId, productId, purchaseDate,
//                        bundleId, signedDate
//       renewal_info:    originalTransactionId, productId, autoRenewStatus, signedDate
//       app_transaction: bundleId, applicationVersion, originalApplicationVersion,
//                        receiptCreationDate
//       notification:    notificationType, notificationUUID, and one of `data`, `summary`,
//                        `externalPurchaseToken`, `appData` naming the bundleId
//     (Apple's library reads the same identity objects; a notification's environment is that
//     object's `environment`, for an external purchase token "SANDBOX..." ids mean Sandbox);
//  7. bundle id, environment, app Apple id and, for renewal info, original transaction id
//     against the expected values (`bundle_id_mismatch`, `environment_mismatch`,
//     `app_apple_id_mismatch`, `original_transaction_id_mismatch`); a notification's nested
//     `signedTransactionInfo` is verified as a transaction and its `signedRenewalInfo` as renewal
//     info tied to that transaction's originalTransactionId (renewal info without a transaction
//     is `malformed_input`), both in the notification's own environment; the notification is
//     valid only if they are.
//
// Evaluation time: by default the payload's `signedDate` (an AppTransaction's
// `receiptCreationDate`), Apple's rule; the current time when the payload has neither.
//
// Xcode and LocalTesting data (environment "Xcode" / "LocalTesting") is `xcode_not_allowed`
// unless `allow_xcode` is set; then it is checked against the one self-signed certificate it
// carries (which proves nothing about who made it: never accept it in a release build) and
// reported as environment Xcode.
#ifndef IAP_EMBEDDED_APP_STORE_JWS_HPP
#define IAP_EMBEDDED_APP_STORE_JWS_HPP

#include "iap_embedded/app_store.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"
#include "iap_embedded/trusted_roots.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

namespace detail {
/// The most `x5c` entries read (StoreKit 2 sends 3, Xcode 1): more is `untrusted_certificate`
/// before any entry is decoded.
constexpr std::size_t max_x5c_certificates = 3;
/// The longest `x5c` entry read, in base64 characters (Apple's certificates are under 1 KiB).
constexpr std::size_t max_x5c_entry_chars = 8 * 1024;
} // namespace detail

/// What a StoreKit 2 JWS holds.
enum class app_store_jws_kind {
    transaction,     ///< JWSTransaction (`Transaction.jwsRepresentation`).
    renewal_info,    ///< JWSRenewalInfo (`Product.SubscriptionInfo.RenewalInfo`).
    app_transaction, ///< AppTransaction (the app's own purchase).
    notification,    ///< App Store Server Notification V2 payload.
};

/// "transaction", "renewal_info", "app_transaction", "notification".
constexpr std::string_view to_string(app_store_jws_kind k) noexcept {
    switch (k) {
    case app_store_jws_kind::transaction: return "transaction";
    case app_store_jws_kind::renewal_info: return "renewal_info";
    case app_store_jws_kind::app_transaction: return "app_transaction";
    case app_store_jws_kind::notification: return "notification";
    }
    return "unknown";
}

/// JWSTransaction fields beyond the shared purchase model.
struct app_store_transaction_details {
    std::string type;                          ///< "Consumable", "Auto-Renewable Subscription", ...
    std::string subscription_group_identifier;
    std::string app_account_token;
    std::string in_app_ownership_type;         ///< "PURCHASED" or "FAMILY_SHARED".
    std::string storefront, storefront_id, transaction_reason, currency, offer_identifier, app_transaction_id;
    std::optional<std::int64_t> price;         ///< In milliunits of `currency`.
    std::optional<std::int64_t> offer_type;
    std::optional<std::int64_t> revocation_reason;
    std::optional<bool> is_upgraded;
};

/// JWSRenewalInfo fields.
struct app_store_renewal_info {
    std::string original_transaction_id, product_id, auto_renew_product_id;
    std::optional<std::int64_t> auto_renew_status;     ///< 1: renews.
    std::optional<std::int64_t> expiration_intent;
    std::optional<std::int64_t> renewal_time_ms;
    std::optional<std::int64_t> grace_period_expires_time_ms;
    std::optional<bool> is_in_billing_retry_period;
};

/// A verified StoreKit 2 JWS.
struct app_store_jws {
    app_store_jws_kind kind = app_store_jws_kind::transaction;
    /// Absent only when the payload names none (some TEST notifications).
    std::optional<app_store_environment> environment;
    std::string bundle_id;
    std::optional<std::int64_t> app_apple_id;
    /// `signedDate` (AppTransaction: `receiptCreationDate`); 0 when absent.
    std::int64_t signed_time_ms = 0;
    /// A transaction: the one purchase (state `refunded` when revoked, with the revocation time
    /// as `cancellation_time_ms`). A notification: its verified nested transaction, if any.
    std::vector<purchase> purchases;
    /// Parallel to `purchases`.
    std::vector<app_store_transaction_details> transaction_details;
    /// Renewal info, or a notification's verified nested renewal info.
    std::optional<app_store_renewal_info> renewal_info;
    // Notification.
    std::string notification_type, subtype, notification_uuid;
    // AppTransaction.
    std::string app_version, original_app_version, device_verification, device_verification_nonce;
};

/// What to verify and what to check besides the signature. `expected_bundle_id` is required;
/// `expected_original_transaction_id` is required when `kind` is `renewal_info`. A missing
/// required value is `malformed_input` (from `verify_app_store_jws` and from
/// `verifier::add_app_store_jws`, before any data is looked at).
struct app_store_jws_options {
    /// Required: your app's bundle id. A transaction's, an AppTransaction's and a notification's
    /// `bundleId` must equal it (`bundle_id_mismatch`). Renewal info carries none: it is tied to a
    /// transaction instead (`expected_original_transaction_id`).
    std::string expected_bundle_id;
    /// What the caller verifies, as Apple's SignedDataVerifier has verifyAndDecodeTransaction,
    /// ...RenewalInfo, ...AppTransaction and ...Notification. A payload of another kind (one
    /// missing a field that kind requires) is `malformed_input`; the kind is never guessed.
    app_store_jws_kind kind = app_store_jws_kind::transaction;
    /// The environment the data must come from (`environment_mismatch`). Accepted: data from
    /// `expected_environment`; Sandbox data too when `allow_sandbox` is set; Xcode data only with
    /// `allow_xcode`, and then whatever `expected_environment` says. Data naming no environment is
    /// `environment_mismatch`.
    app_store_environment expected_environment = app_store_environment::production;
    /// Accept Sandbox data as well (TestFlight, sandbox testers, and App Review, which tests the
    /// release build in the Sandbox: an app that refuses Sandbox data fails review).
    bool allow_sandbox = false;
    /// Required when `kind` is `renewal_info`, and read only then (set for another kind it is
    /// `malformed_input`): the renewal info's `originalTransactionId` must equal it
    /// (`original_transaction_id_mismatch`). Take it from a transaction you verified with this
    /// bundle id: renewal info names no app, and this is what ties it to yours.
    std::string expected_original_transaction_id;
    /// When set: `appAppleId` must equal it wherever the payload has one.
    std::optional<std::int64_t> expected_app_apple_id;
    /// The roots the chain must reach; by default Apple Root CA - G3 (built in).
    std::optional<trusted_roots> roots;
    /// When certificate validity is evaluated; by default the payload's signing time.
    std::optional<std::int64_t> evaluation_time_ms;
    /// Accept Xcode / LocalTesting data, checked only against the certificate it carries.
    bool allow_xcode = false;
};

/// Verifies one compact JWS as `options.kind` and returns its payload only when every check
/// passes. There is no default for the options: the bundle id is required. `cache` remembers
/// verified chains (nullptr: the process-wide cache shared with receipts). Thread-safe.
IAP_EMBEDDED_DECL result<app_store_jws> verify_app_store_jws(std::string_view jws, const app_store_jws_options& options,
                                                            detail::chain_cache* cache = nullptr);

/// AppTransaction device check: base64(SHA-384(lowercase nonce || lowercase device verification
/// id)) must equal `deviceVerification`. `device_verification_id` is
/// `AppStore.deviceVerificationID` as a UUID string. `device_hash_mismatch` when it does not.
IAP_EMBEDDED_DECL result<void> check_app_transaction_device(const app_store_jws& app_transaction,
                                                            std::string_view device_verification_id);

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/app_store_jws.ipp"
#endif

#endif // IAP_EMBEDDED_APP_STORE_JWS_HPP
