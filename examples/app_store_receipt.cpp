// SPDX-License-Identifier: MIT
//
// Verify an App Store app receipt (the file at `Bundle.main.appStoreReceiptURL`, DER or base64)
// against Apple Root CA, and print what it proves.
//
//   app_store_receipt RECEIPT_FILE BUNDLE_ID [DEVICE_ID]
//
// BUNDLE_ID (your app's) must match the receipt's; DEVICE_ID (the device's identifierForVendor
// UUID, or a Mac's MAC address) turns on the device hash check. Production and Sandbox receipts
// are accepted, as a shipping app must: App Review tests the release build in the Sandbox.
// Exit 0: verified; 1: rejected; 2: usage error or unreadable file.
#include <iap_embedded/app_store.hpp>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

namespace {

std::optional<std::string> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Milliseconds since the epoch as "2024-02-23T17:27:16Z".
std::string utc(std::int64_t ms) {
    const std::int64_t whole = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    // A 32-bit time_t (32-bit ARM Linux, ...) ends in January 2038: print later times as numbers.
    if (static_cast<std::time_t>(whole) != whole) return std::to_string(ms) + " ms since 1970";
    const std::time_t seconds = static_cast<std::time_t>(whole);
    char text[32] = "?";
    if (const std::tm* t = std::gmtime(&seconds)) std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", t);
    return text;
}

/// The snake_case name of a library error ("signature_invalid").
std::string_view error_name(const iap_embedded::error_info& e) {
    return iap_embedded::to_string(static_cast<iap_embedded::errc>(e.code.value()));
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4 || argv[2][0] == '\0') {
        std::fprintf(stderr, "usage: %s RECEIPT_FILE BUNDLE_ID [DEVICE_ID]\n", argv[0]);
        return 2;
    }
    const auto receipt_file = read_file(argv[1]);
    if (!receipt_file) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }

    iap_embedded::app_store_receipt_options options;              // Apple Root CA is built in
    options.expected_bundle_id = argv[2];                         // required: your app's bundle id
    options.allow_sandbox = true;                                 // TestFlight and App Review
    if (argc == 4) {
        auto device = iap_embedded::parse_device_identifier(argv[3]);
        if (!device) {
            std::fprintf(stderr, "DEVICE_ID: %s\n", device.message().c_str());
            return 2;
        }
        options.device_identifier = std::move(*device);
    }

    const auto receipt = iap_embedded::verify_app_store_receipt(*receipt_file, options);
    if (!receipt) {
        std::printf("rejected: %.*s: %s\n", static_cast<int>(error_name(receipt.error()).size()),
                    error_name(receipt.error()).data(), receipt.message().c_str());
        return 1;
    }
    std::printf("bundle id: %s\n", receipt->bundle_id.c_str());
    std::printf("app version: %s (first bought: %s)\n", receipt->app_version.c_str(),
                receipt->original_app_version.c_str());
    const std::string_view environment = iap_embedded::to_string(receipt->environment);
    std::printf("environment: %.*s\n", static_cast<int>(environment.size()), environment.data());
    std::printf("created: %s\n", utc(receipt->creation_time_ms).c_str());
    std::printf("device checked: %s\n", receipt->device_checked ? "yes" : "no");
    std::printf("purchases: %zu\n", receipt->purchases.size());
    for (const auto& p : receipt->purchases) {
        const std::string_view state = iap_embedded::to_string(p.state);
        std::printf("  %s transaction %s (original %s) %.*s %s", p.product_id.c_str(), p.transaction_id.c_str(),
                    p.original_transaction_id.c_str(), static_cast<int>(state.size()), state.data(),
                    utc(p.purchase_time_ms).c_str());
        if (p.expires_time_ms) std::printf(" expires %s", utc(*p.expires_time_ms).c_str());
        std::printf("\n");
    }
    return 0;
}
