// SPDX-License-Identifier: MIT
//
// App Store app receipts (the PKCS#7 file at `Bundle.main.appStoreReceiptURL`), verified inside
// the app: the CMS signature, Apple's certificate chain, the device hash, and the app's bundle id
// and version.
//
//     iap_embedded::app_store_receipt_options options;
//     options.expected_bundle_id = "com.example.game";   // required
//     options.allow_sandbox = true;                      // TestFlight and App Review
//     options.device_identifier = identifier_for_vendor_bytes; // 16 bytes (macOS: 6-byte MAC)
//     auto verified = iap_embedded::verify_app_store_receipt(receipt_file_bytes, options);
//     if (verified) for (const auto& p : verified->purchases) grant(p);
//
// What is checked, in order, before any field is returned:
//  0. the options: `expected_bundle_id` set and a device identifier of 16 or 6 bytes
//     (`malformed_input` otherwise, before the receipt is looked at);
//  1. the input is a CMS SignedData (DER, BER, or base64 text of either; else `not_a_receipt`);
//  2. the signer's certificate (found by issuer and serial among the receipt's certificates,
//     `untrusted_certificate` when absent) chains to a trusted root through certificates carrying
//     Apple's receipt-signing (1.2.840.113635.100.6.11.1) and WWDR (1.2.840.113635.100.6.2.1)
//     markers, every certificate valid at the evaluation time (`certificate_expired`);
//  3. the RSA PKCS#1 v1.5 signature over the content, or over the signed attributes whose
//     messageDigest equals the content's digest (`signature_invalid`); digests SHA-1 and SHA-256
//     (`unsupported_algorithm` for others);
//  4. SHA-1(device identifier || opaque value || bundle id attribute) equals the receipt's hash
//     when a device identifier is given (`device_hash_mismatch`);
//  5. bundle id, app version (when given) and environment (Production by default, Sandbox too
//     with `allow_sandbox`) against the expected values (`bundle_id_mismatch`,
//     `app_version_mismatch`, `environment_mismatch`).
//
// Evaluation time: by default the receipt's creation date, Apple's own rule: every real receipt's
// signing certificate expires within a few years, and receipts stay valid after it does. A
// caller who wants "valid now" passes the current time.
//
// Xcode StoreKit-testing receipts (type "Xcode", or signed by a self-signed certificate) are
// `xcode_not_allowed` unless `allow_xcode` is set, and then verify only against a root the caller
// passes in `roots` (Xcode's StoreKitTestCertificate.cer), never against Apple's built-in root.
#ifndef IAP_EMBEDDED_APP_STORE_HPP
#define IAP_EMBEDDED_APP_STORE_HPP

#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"
#include "iap_embedded/trusted_roots.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

namespace detail {
class chain_cache;
} // namespace detail

/// The environment a receipt was issued in.
enum class app_store_environment {
    production, ///< Receipt type "Production": real money.
    sandbox,    ///< Receipt type "ProductionSandbox": TestFlight and sandbox testers.
    xcode,      ///< Receipt type "Xcode": Xcode's local StoreKit testing, signed by Xcode itself.
};

/// The environment's name as Apple writes it in StoreKit 2 and iapctl prints it:
/// "Production", "Sandbox", "Xcode".
constexpr std::string_view to_string(app_store_environment e) noexcept {
    switch (e) {
    case app_store_environment::production: return "Production";
    case app_store_environment::sandbox: return "Sandbox";
    case app_store_environment::xcode: return "Xcode";
    }
    return "unknown";
}

/// The receipt-level fields of a verified receipt (everything but the purchases). Times are
/// milliseconds since the Unix epoch.
struct app_store_receipt_info {
    std::string bundle_id;            ///< Attribute 2, `CFBundleIdentifier`.
    std::string app_version;          ///< Attribute 3, `CFBundleVersion` (macOS: short version).
    std::string original_app_version; ///< Attribute 19: the version first bought; empty if absent.
    app_store_environment environment = app_store_environment::production; ///< Attribute 0.
    std::int64_t creation_time_ms = 0;                ///< Attribute 12: when Apple signed it.
    std::optional<std::int64_t> expiration_time_ms;   ///< Attribute 21 (Volume Purchase Program).
    /// Whether the device hash was checked against a device identifier (and matched).
    bool device_checked = false;
};

/// A verified receipt: its fields and every in-app purchase it lists (store `app_store`). A
/// purchase with a cancellation date has state `refunded`. Consumables appear only until the
/// app finishes their transaction; subscriptions and non-consumables stay.
struct app_store_receipt : app_store_receipt_info {
    std::vector<purchase> purchases;
};

/// What to check besides the signature. `expected_bundle_id` is required: empty is
/// `malformed_input` (from `verify_app_store_receipt` and from `verifier::add_app_store`).
struct app_store_receipt_options {
    /// Required: your app's bundle id; the receipt's must equal it (`bundle_id_mismatch`).
    std::string expected_bundle_id;
    /// When non-empty: the receipt's app version must equal it (`app_version_mismatch`).
    std::string expected_app_version;
    /// When non-empty: the device identifier for the device hash: 16 bytes
    /// (`identifierForVendor` UUID, iOS) or 6 bytes (primary MAC address, macOS). Another size
    /// is `malformed_input`.
    std::vector<unsigned char> device_identifier;
    /// The roots the chain must reach; by default Apple Root CA (built in).
    std::optional<trusted_roots> roots;
    /// When certificate validity is evaluated; by default the receipt's creation date.
    std::optional<std::int64_t> evaluation_time_ms;
    /// Accept Xcode StoreKit-testing receipts, against a root given in `roots` only, whatever
    /// `expected_environment` says.
    bool allow_xcode = false;
    /// The environment the receipt must come from (`environment_mismatch`). Accepted: receipts
    /// of `expected_environment`; Sandbox receipts too when `allow_sandbox` is set; Xcode
    /// receipts only with `allow_xcode` (`xcode_not_allowed` otherwise).
    app_store_environment expected_environment = app_store_environment::production;
    /// Accept Sandbox receipts as well (TestFlight, sandbox testers, and App Review, which tests
    /// the release build in the Sandbox: an app that refuses Sandbox receipts fails review).
    bool allow_sandbox = false;
};

/// Verifies an app receipt (`receipt`: the DER bytes of the receipt file, or its base64 text
/// with or without line breaks) and returns its fields only when every check passes.
/// `cache` remembers verified chains between calls (pass one you own, or nullptr for the
/// library's process-wide cache). Thread-safe.
IAP_EMBEDDED_DECL result<app_store_receipt> verify_app_store_receipt(std::string_view receipt,
                                                                    const app_store_receipt_options& options,
                                                                    detail::chain_cache* cache = nullptr);

/// Reads a receipt's fields WITHOUT verifying anything: no signature, no chain, no device hash.
/// For diagnostics and support tools only; never grant anything from its result. Fails with
/// `not_a_receipt` when the input is not a CMS SignedData and `malformed_input` when its content
/// is not a receipt payload.
IAP_EMBEDDED_DECL result<app_store_receipt> parse_unverified_app_store_receipt(std::string_view receipt);

/// Parses a device identifier as people write it: a UUID (36 characters with dashes, or 32 hex
/// digits) gives 16 bytes, a MAC address (12 hex digits, colons optional) gives 6 bytes.
IAP_EMBEDDED_DECL result<std::vector<unsigned char>> parse_device_identifier(std::string_view text);

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/app_store.ipp"
// Defined by detail/asn1.hpp for it and detail/app_receipt_payload.hpp; not part of the API.
#undef IAP_EMBEDDED_ASN1_HOT
#undef IAP_EMBEDDED_ASN1_COLD
#endif

#endif // IAP_EMBEDDED_APP_STORE_HPP
