// SPDX-License-Identifier: MIT
//
// Verify a StoreKit 2 signed transaction (`Transaction.jwsRepresentation`) against Apple Root CA - G3,
// and print its fields.
//
//   storekit2_jws --bundle-id ID [--root CERT_FILE] [--allow-xcode] JWS_FILE
//
// --bundle-id (your app's) is required. The JWS must be a transaction; Production and Sandbox
// transactions are accepted, as a shipping app must: App Review tests the release build in the
// Sandbox. --root replaces the built-in Apple root (for Apple's test CA); --allow-xcode accepts data
// signed by Xcode's StoreKit testing (debug builds only: it proves nothing about who made it).
// Exit 0: verified; 1: rejected; 2: usage error or unreadable file.
#include <iap_embedded/app_store_jws.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
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

/// Milliseconds since the epoch as "2023-10-19T01:45:36Z".
std::string utc(std::int64_t ms) {
    const std::int64_t whole = ms / 1000 - (ms % 1000 < 0 ? 1 : 0);
    // A 32-bit time_t (32-bit ARM Linux, ...) ends in January 2038: print later times as numbers.
    if (static_cast<std::time_t>(whole) != whole) return std::to_string(ms) + " ms since 1970";
    const std::time_t seconds = static_cast<std::time_t>(whole);
    char text[32] = "?";
    if (const std::tm* t = std::gmtime(&seconds)) std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", t);
    return text;
}

void print_field(const char* name, std::string_view value) {
    if (!value.empty()) std::printf("%s: %.*s\n", name, static_cast<int>(value.size()), value.data());
}

int usage(const char* program) {
    std::fprintf(stderr, "usage: %s --bundle-id ID [--root CERT_FILE] [--allow-xcode] JWS_FILE\n", program);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    iap_embedded::app_store_jws_options options;  // kind: transaction, the default
    options.allow_sandbox = true;                  // TestFlight and App Review
    const char* jws_path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--bundle-id") == 0 && i + 1 < argc) {
            options.expected_bundle_id = argv[++i];
        } else if (std::strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
            const auto certificate = read_file(argv[++i]);
            if (!certificate) return usage(argv[0]);
            auto roots = iap_embedded::trusted_roots::from_certificates({*certificate});
            if (!roots) {
                std::fprintf(stderr, "--root: %s\n", roots.message().c_str());
                return 2;
            }
            options.roots = std::move(*roots);
        } else if (std::strcmp(argv[i], "--allow-xcode") == 0) {
            options.allow_xcode = true;
        } else if (argv[i][0] != '-' && !jws_path) {
            jws_path = argv[i];
        } else {
            return usage(argv[0]);
        }
    }
    const auto jws = jws_path ? read_file(jws_path) : std::nullopt;
    if (!jws || options.expected_bundle_id.empty()) return usage(argv[0]);

    // jwsRepresentation is one line of text; a file may end with a line break.
    std::string compact = *jws;
    while (!compact.empty() && (compact.back() == '\n' || compact.back() == '\r')) compact.pop_back();

    const auto verified = iap_embedded::verify_app_store_jws(compact, options);
    if (!verified) {
        const auto name = iap_embedded::to_string(static_cast<iap_embedded::errc>(verified.error_code().value()));
        std::printf("rejected: %.*s: %s\n", static_cast<int>(name.size()), name.data(), verified.message().c_str());
        return 1;
    }
    print_field("kind", iap_embedded::to_string(verified->kind));
    if (verified->environment) print_field("environment", iap_embedded::to_string(*verified->environment));
    print_field("bundle id", verified->bundle_id);
    std::printf("signed: %s\n", utc(verified->signed_time_ms).c_str());
    for (std::size_t i = 0; i < verified->purchases.size(); ++i) {
        const auto& p = verified->purchases[i];
        print_field("product", p.product_id);
        print_field("transaction", p.transaction_id);
        print_field("original transaction", p.original_transaction_id);
        print_field("state", iap_embedded::to_string(p.state));
        std::printf("purchased: %s\n", utc(p.purchase_time_ms).c_str());
        if (p.expires_time_ms) std::printf("expires: %s\n", utc(*p.expires_time_ms).c_str());
        if (i < verified->transaction_details.size()) print_field("type", verified->transaction_details[i].type);
    }
    return 0;
}
