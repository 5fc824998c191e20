// SPDX-License-Identifier: MIT
//
// Offline-first purchases kept in step with the IAP server: a Google Play purchase bought through
// the IAP SDK is verified and consumed in the local ledger (with its server payment), then one
// sync pushes that consume to the server and fetches the payments it knows and this device never
// consumed, which are claimed (server first) and granted.
//
//   sync_dev_server LEDGER_FILE SERVER_URL CA_FILE APP_KEY USER_KEY
//                   [PAYMENT_SEQ ACCESS_TOKEN KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE]
//
// SERVER_URL is https://...; CA_FILE the PEM certificate to pin (examples/iap_dev_server writes its
// own with --write-cert). PAYMENT_SEQ and ACCESS_TOKEN are what the IAP SDK returned with the
// purchase. Without the purchase arguments it only syncs.
// Exit 0: synced; 1: the server could not be reached or refused (the consume stays queued for
// the next sync); 2: usage, unreadable file, or the ledger cannot be opened.
#include <iap_embedded/beast_transport.hpp>
#include <iap_embedded/google_play.hpp>
#include <iap_embedded/ledger.hpp>
#include <iap_embedded/sync.hpp>

#include <chrono>
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

/// The snake_case name of a library error ("network_error").
std::string error_name(const iap_embedded::error_info& e) {
    return std::string(iap_embedded::to_string(static_cast<iap_embedded::errc>(e.code.value())));
}

/// Stands for the game's own grant.
void grant(const std::string& product_id) { std::printf("granted: %s\n", product_id.c_str()); }

/// Verifies and consumes one purchase with its server payment; false when nothing was granted.
bool consume_purchase(iap_embedded::ledger& ledger, char** args) {
    const auto key = read_file(args[2]), original_json = read_file(args[3]), signature = read_file(args[4]);
    if (!key || !original_json || !signature) {
        std::printf("cannot read the purchase files\n");
        return false;
    }
    const auto verified = iap_embedded::verify_google_play(*key, *original_json, *signature);
    if (!verified) {
        std::printf("rejected: %s: %s\n", error_name(verified.error()).c_str(), verified.message().c_str());
        return false;
    }
    iap_embedded::consume_options options;
    options.payment_seq = args[0];    // from the IAP SDK, with the purchase
    options.access_token = args[1];
    const auto consumed = ledger.consume(*verified, options);
    if (!consumed) {
        std::printf("refused: %s: %s\n", error_name(consumed.error()).c_str(), consumed.message().c_str());
        return false;
    }
    std::printf("consumed: %s (payment %s)\n", consumed->key.to_string().c_str(), consumed->payment_seq.c_str());
    grant(consumed->product_id);
    return static_cast<bool>(ledger.mark_delivered(consumed->key));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6 && argc != 11) {
        std::fprintf(stderr,
                     "usage: %s LEDGER_FILE SERVER_URL CA_FILE APP_KEY USER_KEY\n"
                     "       [PAYMENT_SEQ ACCESS_TOKEN KEY_FILE PURCHASE_JSON_FILE SIGNATURE_FILE]\n",
                     argv[0]);
        return 2;
    }
    const auto ca = read_file(argv[3]);
    if (!ca) {
        std::fprintf(stderr, "cannot read %s\n", argv[3]);
        return 2;
    }
    iap_embedded::beast_transport_options tls;
    tls.ca_certificates = *ca;                                  // pinned; default: the system CA bundle
    tls.connect_timeout = tls.io_timeout = std::chrono::seconds(5);
    auto transport = iap_embedded::beast_transport::create(argv[2], tls);
    auto opened = iap_embedded::ledger::open(argv[1]);
    if (!transport || !opened) {
        std::fprintf(stderr, "%s\n", (!transport ? transport.message() : opened.message()).c_str());
        return 2;
    }
    iap_embedded::ledger& ledger = *opened;

    // Offline-first: the purchase is granted now, whether or not the server can be reached.
    if (argc == 11) consume_purchase(ledger, argv + 6);

    iap_embedded::sync_client sync(ledger, **transport, {argv[4], argv[5], iap_embedded::market::google_play});
    const auto summary = sync.sync();
    if (!summary) {
        std::printf("sync failed: %s: %s\n", error_name(summary.error()).c_str(), summary.message().c_str());
        const auto pending = ledger.server_payments(iap_embedded::server_state::pending);
        std::printf("pending: %zu, retry in %lld ms\n", pending.size(), static_cast<long long>(sync.retry_delay().count()));
        return 1;
    }
    std::printf("pushed: %zu, fetched: %zu, pending: %zu, available: %zu\n", summary->pushed, summary->fetched,
                summary->pending, summary->available);
    for (const auto& c : summary->conflicts)                    // a receipt replayed on another device
        std::printf("conflict: payment %s was consumed elsewhere\n", c.payment_seq.c_str());
    for (const auto& r : summary->refused)
        std::printf("refused by the server: payment %s (%lld)\n", r.payment_seq.c_str(),
                    static_cast<long long>(r.result_code));

    // Payments the server knows and this device never consumed (a reinstall, another device).
    for (const auto& p : ledger.server_payments(iap_embedded::server_state::available)) {
        const auto claimed = sync.claim(p.payment_seq);        // server first, then the ledger
        if (!claimed) {
            std::printf("claim %s: %s\n", p.payment_seq.c_str(), error_name(claimed.error()).c_str());
            continue;
        }
        std::printf("claimed: payment %s as %s\n", p.payment_seq.c_str(), claimed->key.to_string().c_str());
        grant(claimed->product_id);
        if (!ledger.mark_delivered(claimed->key)) return 2;
    }
    return 0;
}
