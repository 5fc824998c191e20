// SPDX-License-Identifier: MIT
//
// The whole purchase flow with the consume ledger, for one Google Play purchase:
// verify -> consume durably -> grant -> confirm delivery. Then the same receipt is replayed and
// refused, and the ledger is reopened to show that the state survived.
//
//   purchase_flow LEDGER_FILE KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE
//
// Run it twice with the same LEDGER_FILE: the second run is a replay after a restart, and grants
// nothing. A purchase consumed but never confirmed (the app died in between) is granted at start.
// Exit 0: granted; 1: nothing granted (rejected, or consumed before); 2: usage, unreadable file,
// or the ledger cannot be opened.
#include <iap_embedded/google_play.hpp>
#include <iap_embedded/ledger.hpp>

#include <cstdint>
#include <cstdio>
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

/// The snake_case name of a library error ("already_consumed").
std::string error_name(const iap_embedded::error_info& e) {
    return std::string(iap_embedded::to_string(static_cast<iap_embedded::errc>(e.code.value())));
}

/// Stands for the game's own grant: unlocking content, adding to a save file, a server call.
void grant(const std::string& product_id, std::int64_t quantity) {
    std::printf("granted: %s x%lld\n", product_id.c_str(), static_cast<long long>(quantity));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s LEDGER_FILE KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE\n", argv[0]);
        return 2;
    }
    const std::string ledger_path = argv[1];
    const auto key = read_file(argv[2]), original_json = read_file(argv[3]), signature = read_file(argv[4]);
    if (!key || !original_json || !signature) {
        std::fprintf(stderr, "cannot read an input file\n");
        return 2;
    }
    auto google = iap_embedded::google_play_verifier::create(*key);
    if (!google) {
        std::fprintf(stderr, "key: %s\n", google.message().c_str());
        return 2;
    }

    std::optional<iap_embedded::purchase_key> granted;
    {
        auto opened = iap_embedded::ledger::open(ledger_path);    // ledger_locked, ledger_corrupted, io_error
        if (!opened) {
            std::fprintf(stderr, "ledger: %s: %s\n", error_name(opened.error()).c_str(), opened.message().c_str());
            return 2;
        }
        iap_embedded::ledger& ledger = *opened;

        // At start-up: finish deliveries a crash interrupted (consumed, never confirmed).
        for (const auto& e : ledger.undelivered()) {
            std::printf("recovered: %s\n", e.key.to_string().c_str());
            grant(e.product_id, e.quantity);
            if (!ledger.mark_delivered(e.key)) return 2;
        }

        // A purchase arrives: verify, consume (durable before it returns), grant, confirm.
        const auto verified = google->verify(*original_json, *signature);
        if (!verified) {
            std::printf("rejected: %s: %s\n", error_name(verified.error()).c_str(), verified.message().c_str());
            return 1;
        }
        std::printf("verified: %s (order %s)\n", verified->product_id.c_str(), verified->order_id.c_str());
        const auto consumed = ledger.consume(*verified);
        if (!consumed) {                                          // already_consumed: a replay
            std::printf("refused: %s: %s\n", error_name(consumed.error()).c_str(), consumed.message().c_str());
            return 1;
        }
        std::printf("consumed: %s\n", consumed->key.to_string().c_str());
        grant(consumed->product_id, consumed->quantity);
        if (auto delivered = ledger.mark_delivered(consumed->key); !delivered) {
            std::fprintf(stderr, "mark_delivered: %s\n", delivered.message().c_str());  // undelivered() retries
            return 2;
        }
        std::printf("delivered: %s\n", consumed->key.to_string().c_str());
        granted = consumed->key;

        // The same receipt replayed (a second tap, a hooked billing library): refused.
        const auto replay = ledger.consume(*verified);
        std::printf("replay: %s\n", replay ? "GRANTED TWICE" : error_name(replay.error()).c_str());
        if (replay) return 2;
    } // the ledger is closed here, as when the app exits

    auto reopened = iap_embedded::ledger::open(ledger_path);
    if (!reopened) return 2;
    const auto entry = reopened->find(*granted);
    std::printf("after reopening: %s %s\n", granted->to_string().c_str(),
                !entry ? "not found" : entry->delivered_time_ms ? "consumed and delivered" : "consumed, not delivered");
    return entry && entry->delivered_time_ms ? 0 : 2;
}
