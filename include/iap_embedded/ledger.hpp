// SPDX-License-Identifier: MIT
//
// The consume ledger: durable, local purchase state that makes granting exactly-once.
//
//     auto opened = iap_embedded::ledger::open(app_data_dir + "/purchases.ledger", {hmac_key});
//     if (!opened) fail(opened.message());            // ledger_locked, ledger_corrupted, io_error
//     iap_embedded::ledger& ledger = *opened;
//
//     // Two-phase delivery: consume, grant, confirm. After a crash, undelivered() lists what was
//     // consumed but never confirmed, so nothing paid is lost.
//     auto consumed = ledger.consume(verified_purchase);
//     if (!consumed) return;                          // already_consumed: a replay, grant nothing
//     grant(consumed->product_id);
//     ledger.mark_delivered(consumed->key);
//     for (const auto& e : ledger.undelivered()) { grant(e.product_id); ledger.mark_delivered(e.key); }
//
//     // Atomic path: the ledger itself holds the grant.
//     ledger.consume(gems_purchase, iap_embedded::consume_options::credit("gems", 100));
//     ledger.spend("gems", 30);                       // insufficient_balance below zero
//
// Keys. A purchase is identified by its store and the store's unique id for it, as
// `purchase_key::of` (the one definition) says: Google Play's purchaseToken; ONE store's
// purchaseId (its purchaseToken when purchaseId is absent); the App Store's transaction_id. The
// same purchase can be consumed once, ever: a second consume fails with `already_consumed`,
// whether it comes a second later, after a restart or from a replayed receipt, and whichever path
// it came by:
// - ONE store: a purchase consumed with both ids is also known by its purchaseToken
//   (`ledger_entry::other_id`), so the same purchase seen later without purchaseId is refused,
//   and one consumed by its purchaseToken alone is found again when it comes back with a
//   purchaseId as well.
// - IAP server payments: a purchase consumed with a `payment_seq` is also known by that payment,
//   so `sync_client::claim` of the payment (keyed "STORE:iap-payment-SEQ") is `already_consumed`,
//   and so is a later consume of any purchase with a claimed payment_seq. The server's consumable
//   list carries no store id, so nothing else can tell that a store purchase and a listed payment
//   are the same purchase. Hence two rules, per store:
//   - once the ledger knows an IAP server payment of a store (listed by `sync_client::sync`,
//     claimed, or consumed or linked here), a consume of a purchase of that store without a
//     `payment_seq` is refused (`malformed_input`) unless it says
//     `consume_options::without_server_payment` (bought outside the IAP SDK) or is a
//     subscription (the consumable list never lists those);
//   - `sync_client::claim` refuses (`conflict`, before asking the server) while the store has
//     unlinked consumes (`unlinked_consumes`): entries consumed without a payment that are
//     neither subscriptions nor declared without one. `link_payment` says which payment such an
//     entry is (a claim of that payment is then `already_consumed`), `mark_without_server_payment`
//     says it has none. A ledger written before these rules resolves its old entries this way.
//
// Storage. One file per ledger: a versioned header, then an append-only journal of framed records
// (length, type, checksums). `consume`, `mark_delivered`, `spend` and `record_update` return only
// after their record was written and, at the default `durability::full`, flushed to stable storage
// (fdatasync; F_FULLFSYNC on Apple systems). When spends have piled up, the journal is compacted:
// the current state is written to a temporary file, flushed, renamed over the ledger, and the
// directory flushed, so a crash at any moment leaves either the old or the new file. Compaction
// folds spend records into balances (their history entries become one `balance_set` entry);
// purchase history is kept forever.
//
// Recovery. Opening replays the journal. A record cut short by a crash (a torn tail) is truncated
// away: it was never acknowledged. A damaged record anywhere else, a record whose HMAC does not
// verify, or a file that is not a ledger is `ledger_corrupted` with the byte offset of the damage:
// the ledger is never silently shortened and never "repaired" unless `ledger::repair` is called.
//
// Integrity. With an `hmac_key`, the header and every record carry an HMAC-SHA256 chained over the
// previous one, so editing, reordering, inserting or deleting a record in the middle, moving
// records between ledgers, and opening with the wrong key are detected. It does NOT stop:
// - restoring an older copy of the whole file (a backup taken before a consume lets the purchase
//   be consumed again), or cutting records off the end of the file, which looks exactly like a
//   crash's torn tail: keep the store's own consume/acknowledge call as the authority for
//   consumables where it exists;
// - anyone who extracts the key from the app binary or memory: they can forge a whole ledger.
//   The chain raises the bar for casual file editing; it is not a secure element.
// Without a key, checksums detect accidental damage only.
//
// Concurrency. One process at a time: a second open of the same file, from another process or in
// this one, is `ledger_locked` (an flock/LockFileEx lock the system releases when the process
// dies). Within a process, every member function may be called from several threads at once.
#ifndef IAP_EMBEDDED_LEDGER_HPP
#define IAP_EMBEDDED_LEDGER_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

namespace detail {
class file_system;
struct ledger_state;
} // namespace detail

/// How far a write has gone when a mutating call returns success.
enum class durability {
    /// Flushed to stable storage (fdatasync): survives power loss and OS crashes. The default.
    full,
    /// Handed to the operating system (write, no flush): survives the app being killed or
    /// crashing, but the latest records may be lost on power loss or an OS crash. Hundreds of
    /// times faster (tests/bench/bench_ledger.cpp). Use it only with two-phase delivery or where
    /// the store can be asked again.
    process,
};

/// What a consumed purchase gives the user, which decides how `entitlements` treats it.
enum class product_kind {
    /// Decided from the purchase: an expiry time makes a subscription, a credit a consumable,
    /// anything else a non-consumable.
    automatic,
    consumable,     ///< used up when granted; never an entitlement
    non_consumable, ///< owned forever (until refunded)
    subscription,   ///< owned until its expiry (until refunded or cancelled)
};

/// The stable name of a product kind ("consumable", ...).
constexpr std::string_view to_string(product_kind k) noexcept {
    switch (k) {
    case product_kind::automatic: return "automatic";
    case product_kind::consumable: return "consumable";
    case product_kind::non_consumable: return "non_consumable";
    case product_kind::subscription: return "subscription";
    }
    return "unknown";
}

/// A purchase's identity in the ledger: its store and the store's unique id for it.
struct purchase_key {
    store_kind store = store_kind::google_play;
    std::string id;

    /// The key of `p`: Google Play purchase_token; ONE store purchase_id, else purchase_token;
    /// App Store transaction_id. `malformed_input` when the purchase has none.
    IAP_EMBEDDED_DECL static result<purchase_key> of(const purchase& p);
    /// The purchase's other id that also finds its entry: a ONE store purchase_token when `of`
    /// keyed it by purchase_id; empty otherwise.
    IAP_EMBEDDED_DECL static std::string other_id_of(const purchase& p);
    /// Parses "STORE:ID", STORE being "google_play", "one_store" or "app_store" (dashes allowed).
    IAP_EMBEDDED_DECL static result<purchase_key> parse(std::string_view text);
    /// "STORE:ID", as `parse` reads it.
    std::string to_string() const { return std::string(iap_embedded::to_string(store)) + ":" + id; }

    friend bool operator==(const purchase_key& a, const purchase_key& b) { return a.store == b.store && a.id == b.id; }
    friend bool operator!=(const purchase_key& a, const purchase_key& b) { return !(a == b); }
};

/// How `ledger::consume` records a purchase.
struct consume_options {
    product_kind kind = product_kind::automatic;
    /// The atomic path: credit `credit_amount` (> 0) to the balance `credit_balance` in the same
    /// durable record. Multiply by the purchase's quantity yourself if that is what you sell.
    std::string credit_balance;
    std::int64_t credit_amount = 0;
    /// Record the purchase as delivered at once (the grant is the credit, or happened before).
    bool delivered = false;
    /// A time from the verified store data that came with the purchase (App Store receipt
    /// creation date, StoreKit signedDate), in ms; 0 if none. Feeds the trusted clock.
    std::int64_t store_time_ms = 0;
    /// The expiry to record when the purchase data carries none (Google Play subscriptions).
    std::optional<std::int64_t> expires_time_ms;
    /// The IAP server's payment for this purchase (`paymentSeq` and its `accessToken`), when the
    /// app bought it through the IAP SDK. The consume then also records, in the same durable
    /// record, a "server consume pending" intent that `sync_client::sync` pushes to the server.
    /// A payment can be consumed once, whatever purchase it comes with.
    std::string payment_seq;
    std::string access_token;
    /// The server already confirmed this payment's consume (set by `sync_client::claim`).
    bool server_confirmed = false;
    /// The purchase has no IAP server payment (it was bought outside the IAP SDK), recorded with
    /// the consume. Needed, without a `payment_seq`, once the ledger knows a payment of the
    /// purchase's store (see "Keys" above); not with a `payment_seq`.
    bool without_server_payment = false;

    /// Options for the atomic path: credit `amount` to `balance`, delivered at once.
    static consume_options credit(std::string balance, std::int64_t amount) {
        consume_options o;
        o.credit_balance = std::move(balance);
        o.credit_amount = amount;
        o.delivered = true;
        return o;
    }
};

/// A consumed purchase as the ledger knows it.
struct ledger_entry {
    purchase_key key;
    /// Another id of the same purchase and store that also finds this entry (`find`, consume's
    /// check): see `purchase_key::other_id_of`. Empty for most purchases.
    std::string other_id;
    std::string product_id;
    std::string order_id;
    product_kind kind = product_kind::consumable; ///< never `automatic` here
    purchase_state state = purchase_state::purchased; ///< changed by `record_update`
    std::int64_t quantity = 1;
    std::int64_t purchase_time_ms = 0;
    std::optional<std::int64_t> expires_time_ms;
    std::int64_t consumed_time_ms = 0; ///< the device clock when it was consumed
    std::optional<std::int64_t> delivered_time_ms;
    std::string credit_balance; ///< empty when nothing was credited
    std::int64_t credit_amount = 0;
    std::string payment_seq; ///< the IAP server's payment, when it has one
    /// Declared to have no IAP server payment (`consume_options::without_server_payment`,
    /// `ledger::mark_without_server_payment`).
    bool without_server_payment = false;
};

/// Where a payment of the IAP server stands, as this device knows it.
enum class server_state {
    pending,   ///< consumed here; the server has not confirmed its consume yet
    synced,    ///< the server confirmed the consume
    /// the server answered "already consumed" (5018): consumed elsewhere, or perhaps by an
    /// earlier request of this device whose answer was lost (the server cannot say which)
    conflict,
    available, ///< the server lists it as not consumed and this device has not consumed it
};

/// The stable name of a server state ("pending", ...).
constexpr std::string_view to_string(server_state s) noexcept {
    switch (s) {
    case server_state::pending: return "pending";
    case server_state::synced: return "synced";
    case server_state::conflict: return "conflict";
    case server_state::available: return "available";
    }
    return "unknown";
}

/// A payment of the IAP server (NHN Cloud IAP `paymentSeq`) as the ledger records it.
struct server_payment {
    std::string payment_seq;
    std::string access_token;
    server_state state = server_state::pending;
    std::optional<purchase_key> key; ///< the purchase it was consumed here as, if it was
    /// What the server's consumable list said about it (empty for payments consumed here first).
    std::string market;
    std::string product_seq;
    std::string price;
    std::string currency;
    /// A server consume may have reached the server at least once (the mark is written after
    /// the connection is up and before the request is; never for a request that failed to
    /// connect).
    bool attempted = false;
    /// synced, conflict: the server's result code (0, or 5018 "already consumed").
    std::int64_t result_code = 0;
    std::int64_t time_ms = 0; ///< device clock when the ledger first heard of it
};

/// What a history entry records.
enum class history_kind {
    consumed,      ///< a purchase was consumed
    delivered,     ///< its delivery was confirmed
    state_changed, ///< a later verified artifact changed its state or expiry
    spent,         ///< a balance was debited
    balance_set,   ///< compaction summarised a balance's spends into its value
};

/// The stable name of a history kind ("consumed", ...).
constexpr std::string_view to_string(history_kind k) noexcept {
    switch (k) {
    case history_kind::consumed: return "consumed";
    case history_kind::delivered: return "delivered";
    case history_kind::state_changed: return "state_changed";
    case history_kind::spent: return "spent";
    case history_kind::balance_set: return "balance_set";
    }
    return "unknown";
}

/// One entry of the ledger's history, oldest first. Purchase entries (consumed, delivered,
/// state_changed) carry `key` and `product_id`; balance entries carry `balance` and `amount`
/// (and a credit on `consumed` sets them too).
struct history_event {
    history_kind kind = history_kind::consumed;
    std::int64_t time_ms = 0; ///< device clock when it was recorded
    std::optional<purchase_key> key;
    std::string product_id;
    purchase_state state = purchase_state::purchased;
    std::optional<std::int64_t> expires_time_ms;
    std::string balance;
    std::int64_t amount = 0;
};

/// Selects history entries; empty members select everything.
struct history_filter {
    std::optional<store_kind> store; ///< only purchase entries of this store
    std::string product_id;          ///< only purchase entries of this product
    std::int64_t from_ms = std::numeric_limits<std::int64_t>::min(); ///< time_ms >= from_ms
    std::int64_t to_ms = std::numeric_limits<std::int64_t>::max();   ///< time_ms <= to_ms
};

/// How to open a ledger.
struct ledger_options {
    /// Raw key bytes for the HMAC-SHA256 chain; empty for none. A ledger created with a key can
    /// only be opened with it, and one created without cannot be opened with one.
    std::string hmac_key;
    durability level = durability::full;
    /// Create the file when it does not exist.
    bool create = true;
    /// Compact when the journal holds this many records more than a snapshot would, and at least
    /// as many as the snapshot itself (0: never automatically; `compact()` still works).
    std::uint64_t compact_slack_records = 4096;
    /// The file layer; null for the platform's. A testing hook for fault injection: the object
    /// must outlive the ledger.
    detail::file_system* files = nullptr;
};

/// A durable consume ledger over one file. Movable, not copyable; destroying it closes the file
/// and releases the lock. A moved-from ledger may only be destroyed or assigned to.
class ledger {
public:
    /// Opens (or creates) the ledger at `path`, replaying and verifying its journal.
    /// `ledger_locked`, `ledger_corrupted` (message gives the offset), `io_error`.
    IAP_EMBEDDED_DECL static result<ledger> open(const std::string& path, ledger_options options = {});

    /// Truncates the file at its first damaged record, dropping that record and everything after
    /// it, so it opens again. Returns the number of bytes removed (0 if it was intact). A header
    /// that is not a ledger's, or a key that does not fit, is not repaired. Use it only after
    /// deciding that losing those records is acceptable.
    IAP_EMBEDDED_DECL static result<std::uint64_t> repair(const std::string& path, ledger_options options = {});

    IAP_EMBEDDED_DECL ledger(ledger&&) noexcept;
    IAP_EMBEDDED_DECL ledger& operator=(ledger&&) noexcept;
    IAP_EMBEDDED_DECL ~ledger();

    /// Records `p` as consumed, durably, before returning it. `already_consumed` (saying when)
    /// for a purchase consumed before by any of its ids (see "Keys" above), or with a
    /// `payment_seq` that was consumed here, claimed, or is synced or a conflict on the server;
    /// `malformed_input` for a purchase that is not in state purchased, has no key, bad credit
    /// options, no `payment_seq` where one is needed (see "Keys" above), or a field so long that
    /// the record would exceed the ledger's record limit (1 MiB, nothing written); `io_error`
    /// when the write failed (the purchase is then not consumed, unless a flush failed after the
    /// write reached the disk: two-phase delivery covers that case, as `undelivered` will list it).
    IAP_EMBEDDED_DECL result<ledger_entry> consume(const purchase& p, const consume_options& options = {});

    /// Records, durably, that the consumed purchase `key` is the IAP server payment `payment_seq`:
    /// the entry gets the payment, and the ledger the same "server consume pending" intent that a
    /// consume with a `payment_seq` writes (a payment the server already settled stays as it is).
    /// `access_token` may be empty when the ledger lists the payment (its listed token is used).
    /// A link replaces a declaration that the entry has no payment (`mark_without_server_payment`).
    /// Idempotent for the entry's own payment. `malformed_input` for a key never consumed, an
    /// entry that has another payment, a payment listed for another store, or no access token;
    /// `already_consumed` for a payment claimed or consumed here as another purchase.
    IAP_EMBEDDED_DECL result<ledger_entry> link_payment(const purchase_key& key, std::string_view payment_seq,
                                                        std::string_view access_token = {});

    /// Records, durably, that the consumed purchase `key` has no IAP server payment, so that it
    /// no longer holds up claims. Idempotent. `malformed_input` for a key never consumed or an
    /// entry that has a payment.
    IAP_EMBEDDED_DECL result<ledger_entry> mark_without_server_payment(const purchase_key& key);

    /// Consumed purchases of `store` that hold up `sync_client::claim`, oldest first: no
    /// payment, not declared without one, not subscriptions (see "Keys" above).
    IAP_EMBEDDED_DECL std::vector<ledger_entry> unlinked_consumes(store_kind store) const;

    /// Confirms that the consumed purchase `key` was granted. Idempotent. `malformed_input` for
    /// a key never consumed.
    IAP_EMBEDDED_DECL result<void> mark_delivered(const purchase_key& key);

    /// Debits `amount` (> 0) from `balance`, durably; returns the new value.
    /// `insufficient_balance` (nothing recorded) when it would go below zero.
    IAP_EMBEDDED_DECL result<std::int64_t> spend(std::string_view balance, std::int64_t amount);

    /// Records what a later verified artifact says about a consumed purchase: refunded, revoked
    /// or cancelled (state, cancellation time), or a new expiry. `malformed_input` when its key
    /// was never consumed. Nothing is written when nothing changed.
    IAP_EMBEDDED_DECL result<ledger_entry> record_update(const purchase& later, std::int64_t store_time_ms = 0);

    /// Feeds the trusted clock with a time from verified store data (ms). Written only when it
    /// moves the clock forward.
    IAP_EMBEDDED_DECL result<void> observe_store_time(std::int64_t time_ms);

    /// The latest time seen in verified store data (purchase times, store_time_ms), in ms.
    IAP_EMBEDDED_DECL std::int64_t trusted_time_ms() const;

    /// Consumed purchases whose delivery was never confirmed, oldest first.
    IAP_EMBEDDED_DECL std::vector<ledger_entry> undelivered() const;

    /// What the user owns at `at_ms`: non-consumables, and subscriptions whose expiry is after
    /// max(at_ms, trusted_time_ms()) (so turning the device clock back revives nothing), in
    /// state purchased. Refunded and cancelled purchases drop out (they stay in history). A
    /// subscription recorded without any expiry (Google Play's purchase JSON has none; pass
    /// `consume_options::expires_time_ms` when you know it) counts as active until
    /// `record_update` says otherwise.
    IAP_EMBEDDED_DECL std::vector<ledger_entry> entitlements(std::int64_t at_ms) const;

    /// The entry of `key`, if it was consumed.
    IAP_EMBEDDED_DECL std::optional<ledger_entry> find(const purchase_key& key) const;

    /// A balance's value (0 when never credited).
    IAP_EMBEDDED_DECL std::int64_t balance(std::string_view name) const;
    /// Every balance ever credited.
    IAP_EMBEDDED_DECL std::map<std::string, std::int64_t> balances() const;

    /// History entries matching `filter`, oldest first.
    IAP_EMBEDDED_DECL std::vector<history_event> history(const history_filter& filter = {}) const;
    /// The same as a JSON array of objects (`kind`, `time_ms`, `store`, `key`, `product_id`,
    /// `state`, `expires_time_ms`, `balance`, `amount`; absent members omitted).
    IAP_EMBEDDED_DECL std::string history_json(const history_filter& filter = {}) const;

    /// Server payments in `state`, in the order the ledger first heard of them.
    IAP_EMBEDDED_DECL std::vector<server_payment> server_payments(server_state state) const;
    /// The payment `payment_seq`, if the ledger knows it.
    IAP_EMBEDDED_DECL std::optional<server_payment> find_payment(std::string_view payment_seq) const;

    // The records `sync_client` keeps about the server (apps do not normally call these).

    /// Records a payment the server lists as not consumed, as `available`. Returns false (and
    /// writes nothing) when the ledger already knows the payment. `malformed_input` without a
    /// payment_seq or access_token.
    IAP_EMBEDDED_DECL result<bool> record_server_available(const server_payment& payment);
    /// Records, durably, that a server consume of `payment_seq` may reach the server (written once).
    IAP_EMBEDDED_DECL result<void> record_server_attempt(std::string_view payment_seq);
    /// Records the server's verdict on `payment_seq`: `synced` or `conflict`, with its result code.
    IAP_EMBEDDED_DECL result<void> record_server_result(std::string_view payment_seq, server_state outcome,
                                                        std::int64_t result_code);

    /// Rewrites the file as a snapshot of the current state (temporary file, flush, rename,
    /// directory flush). On failure the previous file stays in use.
    IAP_EMBEDDED_DECL result<void> compact();

    /// Records in the file, and its size in bytes.
    IAP_EMBEDDED_DECL std::uint64_t record_count() const;
    IAP_EMBEDDED_DECL std::uint64_t file_size() const;
    /// Bytes of torn tail that opening cut off (0 when the last close or crash left none).
    IAP_EMBEDDED_DECL std::uint64_t recovered_bytes() const;

private:
    IAP_EMBEDDED_DECL explicit ledger(std::unique_ptr<detail::ledger_state> state) noexcept;
    std::unique_ptr<detail::ledger_state> state_;
};

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/ledger.ipp"
#endif

#endif // IAP_EMBEDDED_LEDGER_HPP
