// SPDX-License-Identifier: MIT
//
// The README's 15-line example, runnable: verify one Google Play purchase.
//
//   quickstart_google KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE [PACKAGE_NAME]
//
// KEY_FILE holds the Play Console licence key (base64), PURCHASE_JSON_FILE the exact bytes of
// `Purchase.getOriginalJson()`, SIGNATURE_FILE `Purchase.getSignature()` (base64).
// Exit 0: verified; 1: rejected; 2: usage error or unreadable file.
#include <iap_embedded/iap_embedded.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

static std::optional<std::string> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: %s KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE [PACKAGE_NAME]\n", argv[0]);
        return 2;
    }
    const auto key = read_file(argv[1]), original_json = read_file(argv[2]), signature = read_file(argv[3]);
    if (!key || !original_json || !signature) {
        std::fprintf(stderr, "cannot read an input file\n");
        return 2;
    }
    const std::string package_name = argc == 5 ? argv[4] : "";

    iap_embedded::verifier verifier;                                  // once, at start-up
    if (auto added = verifier.add_google_play(*key, package_name); !added) {
        std::printf("bad key: %s\n", added.message().c_str());        // malformed_key
        return 1;
    }
    // For each purchase from BillingClient: the exact original JSON and its signature.
    auto verified = verifier.verify(iap_embedded::receipt::google_play(*original_json, *signature));
    if (!verified) {                                                  // never an exception
        std::printf("rejected: %s (%s)\n", verified.message().c_str(),
                    verified.error_code().message().c_str());         // e.g. "the signature does not verify"
        return 1;
    }
    for (const auto& p : verified->purchases)                         // each product, each purchase
        if (p.state == iap_embedded::purchase_state::purchased)
            p.for_each_product([&p](std::string_view id) {
                std::printf("grant %.*s x%lld (order %s)\n", static_cast<int>(id.size()), id.data(),
                            static_cast<long long>(p.quantity), p.order_id.c_str());
            });
    return 0;
}
