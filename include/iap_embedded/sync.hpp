// SPDX-License-Identifier: MIT
//
// Optional sync with the IAP server (NHN Cloud IAP, formerly TOAST IAP), so that the server stays
// the source of truth when the app is online. Needs a `http_transport`: the default one is
// `beast_transport.hpp` (Boost.Beast over mbedTLS); an engine can plug in its own HTTP stack. The
// core never depends on this header.
//
//     iap_embedded::beast_transport_options tls;                  // system CA bundle by default
//     auto transport = iap_embedded::beast_transport::create("https://api-iap.cloud.toast.com", tls);
//     iap_embedded::sync_client sync(ledger, **transport, {app_key, user_key, iap_embedded::market::google_play});
//
//     ledger.consume(purchase, options_with_payment_seq);        // offline-first: grant now ...
//     auto summary = sync.sync();                                // ... push and fetch when online
//     for (const auto& p : ledger.server_payments(iap_embedded::server_state::available))
//         if (auto claimed = sync.claim(p.payment_seq)) grant(claimed->product_id);
//
// What `sync()` does, in order:
// 1. Pushes every pending intent (a purchase consumed here with a `payment_seq`):
//    `POST /v1/service/consume`, with a durable "attempted" mark written once the request may
//    reach the server (after the connection and TLS handshake, before the first byte of the
//    request; see `http_transport::send_when_connected`), never for a request that could not
//    leave the device. Success marks it synced. `5018 already consumed` marks it a conflict,
//    always: the server does not say who consumed it, and an earlier request of ours whose
//    answer was lost looks exactly like another device's consume (a receipt replayed there).
//    Another result code (5000 consume failed, 9999 unknown) refuses that one payment: it stays
//    pending, is listed in `sync_summary::refused`, and the other payments go on. A failure of
//    the connection or of the server itself (network, TLS, an HTTP error status, an answer that
//    is not the API's) stops the sync.
// 2. Fetches `POST /v1/service/consumable` and records each payment the ledger does not know as
//    `available` (reinstall, second device, a crash before the local consume). Every field is
//    at most 4096 bytes; a longer one makes the whole answer `malformed_response` (nothing
//    recorded).
// Nothing in the ledger changes on a failed request except the attempted mark. A failed sync
// returns the error and sets `retry_delay()`: exponential back-off with jitter, for the app's
// scheduler (`sync()` itself never sleeps and never refuses).
//
// `claim(payment_seq)` turns an available payment into a local consume, server first: the server
// consume must succeed before the ledger records the consume. A 5018 is `already_consumed` and
// recorded as a conflict, never granted, whatever this device sent before. So across devices a
// payment is granted at most once; the price is that a claim whose answer was lost (the
// connection dropped after the server committed it, or a crash before the ledger's record) is
// never granted by this library: it stays a conflict (the error message says an earlier claim's
// answer may have been lost), for the app to send to support (the IAP console shows the consume).
//
// A claim never guesses which store purchase a payment is: the consumable list does not say. While
// the ledger holds purchases of the payment's store consumed without a `payment_seq` (neither
// subscriptions nor declared `without_server_payment`; see `ledger::unlinked_consumes`), any of them
// may be the payment, so `claim` is `conflict` before anything is sent or recorded, until each is
// linked (`ledger::link_payment`, which also queues its server consume for `sync()`) or declared
// (`ledger::mark_without_server_payment`). Once the ledger knows a payment of a store, the ledger
// refuses new such consumes, so this only happens with purchases consumed before. `sync()` itself
// is not held up: it grants nothing, and pushing and listing payments is what tells the ledger.
//
// One `sync_client` per ledger and thread; the ledger itself may be used from other threads.
#ifndef IAP_EMBEDDED_SYNC_HPP
#define IAP_EMBEDDED_SYNC_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/http_transport.hpp"
#include "iap_embedded/ledger.hpp"
#include "iap_embedded/purchase.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

/// The IAP server's markets.
enum class market {
    google_play, ///< "GG"
    app_store,   ///< "AS"
    one_store,   ///< "ONESTORE"
};

/// The server's id of a market ("GG", "AS", "ONESTORE").
constexpr std::string_view market_id(market m) noexcept {
    switch (m) {
    case market::google_play: return "GG";
    case market::app_store: return "AS";
    case market::one_store: return "ONESTORE";
    }
    return "GG";
}

/// The store a market sells through.
constexpr store_kind store_of(market m) noexcept {
    switch (m) {
    case market::google_play: return store_kind::google_play;
    case market::app_store: return store_kind::app_store;
    case market::one_store: return store_kind::one_store;
    }
    return store_kind::google_play;
}

/// Parses "GG", "AS" or "ONESTORE". `malformed_input` otherwise.
IAP_EMBEDDED_DECL result<market> parse_market(std::string_view id);

/// Who is syncing, and how patiently.
struct sync_options {
    std::string app_key;  ///< sent as X-NHN-TCIAP-AppKey
    std::string user_key; ///< the app's user id, as the IAP SDK was given it
    iap_embedded::market market = market::google_play;
    std::string user_channel = "GF";
    /// Back-off after the k-th failed sync in a row: base * 2^(k-1), at most `backoff_max`, times
    /// a random factor in [0.5, 1].
    std::chrono::milliseconds backoff_base{1000};
    std::chrono::milliseconds backoff_max{15 * 60 * 1000};
};

/// A pending payment whose server consume the server refused (it stays pending).
struct server_refusal {
    std::string payment_seq;
    std::int64_t result_code = 0; ///< 5000 consume failed, 9999 unknown, ...
    std::string message;          ///< the server's resultMessage
};

/// What one `sync()` did.
struct sync_summary {
    std::size_t pushed = 0;                ///< server consumes confirmed in this run
    std::size_t fetched = 0;               ///< payments newly recorded as available in this run
    /// payments the server answered 5018 "already consumed" to in this run: consumed elsewhere,
    /// or by an earlier request of ours whose answer was lost (the server cannot say which)
    std::vector<server_payment> conflicts;
    std::vector<server_refusal> refused;   ///< pending payments the server refused in this run
    std::size_t pending = 0;               ///< consumes still waiting for the server afterwards
    std::size_t available = 0;             ///< payments available to `claim` afterwards
};

/// An active subscription as the server lists it.
struct server_subscription {
    std::string payment_seq;
    std::string product_seq;
    std::string product_id;
    std::optional<std::int64_t> purchase_time_ms;
    std::optional<std::int64_t> expiry_time_ms;
};

/// Syncs one ledger with the IAP server for one user and market.
class sync_client {
public:
    /// `ledger` and `transport` must outlive the client.
    IAP_EMBEDDED_DECL sync_client(ledger& ledger, http_transport& transport, sync_options options);

    /// Pushes pending consumes, then fetches the consumable list (see the top of this header).
    /// On failure: `network_error`, `tls_error`, `server_error` (result code in the message),
    /// `malformed_response`, or a ledger error; what was done before it stays done.
    IAP_EMBEDDED_DECL result<sync_summary> sync();

    /// Consumes an available payment: server first, then the ledger (with `options`; its
    /// payment fields are filled in). `already_consumed` when it was consumed here or elsewhere;
    /// `conflict` (nothing sent) while purchases of its store were consumed here without a
    /// payment (see the top of this header).
    /// The consumable list carries no store purchase, so the entry is keyed by the payment
    /// ("STORE:iap-payment-SEQ", STORE from the market) and its product_id is the server's
    /// productSeq.
    IAP_EMBEDDED_DECL result<ledger_entry> claim(std::string_view payment_seq, consume_options options = {});

    /// The user's active subscriptions in `package_name` (nothing is recorded).
    IAP_EMBEDDED_DECL result<std::vector<server_subscription>> active_subscriptions(std::string_view package_name);

    /// How long to wait before the next `sync()` after failures; zero after a success.
    std::chrono::milliseconds retry_delay() const noexcept { return retry_delay_; }
    /// Failed syncs in a row.
    unsigned consecutive_failures() const noexcept { return failures_; }

private:
    struct answer;
    IAP_EMBEDDED_DECL result<answer> post(const char* target, const std::string& body,
                                          const before_request_hook* hook = nullptr);
    IAP_EMBEDDED_DECL result<answer> consume_on_server(std::string_view payment_seq, std::string_view access_token);
    IAP_EMBEDDED_DECL result<void> push(const server_payment& p, sync_summary& summary);
    IAP_EMBEDDED_DECL result<sync_summary> run();

    ledger* ledger_;
    http_transport* transport_;
    sync_options options_;
    unsigned failures_ = 0;
    std::chrono::milliseconds retry_delay_{0};
    std::minstd_rand jitter_;
};

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/sync.ipp"
#endif

#endif // IAP_EMBEDDED_SYNC_HPP
