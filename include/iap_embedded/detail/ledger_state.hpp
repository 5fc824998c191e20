// SPDX-License-Identifier: MIT
//
// The ledger's in-memory state, the records that change it, and the replay of a journal. Knows
// nothing about files: `replay_ledger` reads bytes, so opening, repairing and fuzzing share it.
#ifndef IAP_EMBEDDED_DETAIL_LEDGER_STATE_HPP
#define IAP_EMBEDDED_DETAIL_LEDGER_STATE_HPP

#include "iap_embedded/detail/file.hpp"
#include "iap_embedded/detail/ledger_format.hpp"
#include "iap_embedded/ledger.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// One decoded record. Which members are meaningful depends on `type`.
struct ledger_record {
    ledger_format::record_type type = ledger_format::record_type::clock;
    ledger_entry entry;          ///< consume: the new entry; deliver, update: `entry.key`
    bool delivered = false;      ///< consume: delivered at once
    std::int64_t time_ms = 0;    ///< device clock when recorded
    std::int64_t store_time_ms = 0;
    purchase_state state = purchase_state::purchased; ///< update
    std::optional<std::int64_t> expires_time_ms;     ///< update
    std::string balance;         ///< spend, balance_set
    std::int64_t amount = 0;     ///< spend: debit; balance_set: value
    /// consume: the payment's access token and whether the server already confirmed it;
    /// server_*: the payment (server_result: `state` and `result_code`).
    server_payment payment;
};

/// Positions of the ledger's entries by key: open addressing over 64-bit slots (a 32-bit hash
/// tag and position + 1), so a lookup is one probe sequence in one array and growing never hashes
/// an id again. Replaying a ledger is mostly lookups in this table.
class entry_index {
public:
    static constexpr std::uint32_t npos = 0xFFFFFFFFu;

    static std::uint32_t tag_of(store_kind s, std::string_view id) noexcept {
        const std::size_t h = std::hash<std::string_view>{}(id) ^ (static_cast<std::size_t>(s) * 0x9E3779B97F4A7C15ull);
        return static_cast<std::uint32_t>(h ^ (static_cast<std::uint64_t>(h) >> 32));
    }

    std::size_t size() const noexcept { return used_; }

    void reserve(std::size_t n) {
        std::size_t want = 16;
        while (want < 2 * n) want *= 2;
        if (want > slots_.size()) rehash(want);
    }

    template <class Entries>
    std::uint32_t find(const Entries& entries, store_kind s, std::string_view id) const noexcept {
        if (slots_.empty()) return npos;
        const std::uint32_t tag = tag_of(s, id);
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
            const std::uint64_t v = slots_[i];
            if (v == 0) return npos;
            if (static_cast<std::uint32_t>(v >> 32) == tag) {
                const auto position = static_cast<std::uint32_t>(v) - 1;
                const auto& e = entries[position];
                if (e.key.store == s && (e.key.id == id || (!e.other_id.empty() && e.other_id == id))) return position;
            }
        }
    }

    /// Adds entries[position] under its key and its other id; false (nothing added) when either
    /// finds an entry already.
    template <class Entries>
    bool insert(const Entries& entries, std::uint32_t position) {
        const auto& e = entries[position];
        if (find(entries, e.key.store, e.key.id) != npos) return false;
        if (!e.other_id.empty() && find(entries, e.key.store, e.other_id) != npos) return false;
        add(e.key.store, e.key.id, position);
        if (!e.other_id.empty()) add(e.key.store, e.other_id, position);
        return true;
    }

private:
    void add(store_kind s, std::string_view id, std::uint32_t position) {
        if (2 * (used_ + 1) > slots_.size()) rehash(slots_.empty() ? 16 : 2 * slots_.size());
        place(static_cast<std::uint64_t>(tag_of(s, id)) << 32 | (std::uint64_t{position} + 1));
        ++used_;
    }
    void place(std::uint64_t v) noexcept {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = static_cast<std::uint32_t>(v >> 32) & mask;
        while (slots_[i] != 0) i = (i + 1) & mask;
        slots_[i] = v;
    }
    void rehash(std::size_t n) {
        std::vector<std::uint64_t> old(n, 0);
        old.swap(slots_);
        for (const std::uint64_t v : old)
            if (v != 0) place(v);
    }

    std::vector<std::uint64_t> slots_;
    std::size_t used_ = 0;
};

/// A history entry as kept in memory: purchase entries point at their ledger entry instead of
/// copying its key and product.
struct history_item {
    static constexpr std::uint32_t no_entry = 0xFFFFFFFFu;
    history_kind kind = history_kind::consumed;
    purchase_state state = purchase_state::purchased;
    std::uint32_t entry = no_entry;
    std::int64_t time_ms = 0;
    std::optional<std::int64_t> expires_time_ms; ///< consumed: the expiry as first recorded
    std::string balance;
    std::int64_t amount = 0;
};

/// The store of an IAP server market id ("GG", "AS", "ONESTORE"), as sync_client records it.
inline std::optional<store_kind> store_of_market(std::string_view market) noexcept {
    if (market == "GG") return store_kind::google_play;
    if (market == "AS") return store_kind::app_store;
    if (market == "ONESTORE") return store_kind::one_store;
    return std::nullopt;
}

inline std::string encode_record(const ledger_record& r) {
    ledger_format::payload_writer w;
    const auto key = [&w](const purchase_key& k) { w.u8(static_cast<std::uint8_t>(k.store)).str(k.id); };
    const auto expires = [&w](const std::optional<std::int64_t>& e) { w.u8(e ? 1 : 0).i64(e.value_or(0)); };
    switch (r.type) {
    case ledger_format::record_type::consume: {
        const ledger_entry& e = r.entry;
        key(e.key);
        w.str(e.product_id).str(e.order_id).u8(static_cast<std::uint8_t>(e.kind)).i64(e.quantity).i64(e.purchase_time_ms);
        expires(e.expires_time_ms);
        w.i64(r.time_ms).str(e.credit_balance).i64(e.credit_amount).u8(r.delivered ? 1 : 0).i64(r.store_time_ms);
        // Optional tail (see ledger_format::record_type): the IAP server payment (both strings
        // empty for none), then the other id, then flags.
        const bool flagged = e.without_server_payment;
        if (!e.payment_seq.empty() || !e.other_id.empty() || flagged)
            w.str(e.payment_seq).str(r.payment.access_token).u8(r.payment.state == server_state::synced ? 1 : 0);
        if (!e.other_id.empty() || flagged) w.str(e.other_id);
        if (flagged) w.u8(1);
        break;
    }
    case ledger_format::record_type::server_available: {
        const server_payment& p = r.payment;
        w.str(p.payment_seq).str(p.access_token).str(p.market).str(p.product_seq).str(p.price).str(p.currency);
        w.i64(r.time_ms);
        break;
    }
    case ledger_format::record_type::server_attempt:
        w.str(r.payment.payment_seq).i64(r.time_ms);
        break;
    case ledger_format::record_type::link_payment:
        key(r.entry.key);
        w.str(r.payment.payment_seq).str(r.payment.access_token).i64(r.time_ms);
        break;
    case ledger_format::record_type::server_result:
        w.str(r.payment.payment_seq).u8(r.payment.state == server_state::conflict ? 2 : 1).i64(r.payment.result_code);
        w.i64(r.time_ms);
        break;
    case ledger_format::record_type::deliver:
    case ledger_format::record_type::no_server_payment:
        key(r.entry.key);
        w.i64(r.time_ms);
        break;
    case ledger_format::record_type::update:
        key(r.entry.key);
        w.u8(static_cast<std::uint8_t>(r.state));
        expires(r.expires_time_ms);
        w.i64(r.time_ms).i64(r.store_time_ms);
        break;
    case ledger_format::record_type::spend:
    case ledger_format::record_type::balance_set:
        w.str(r.balance).i64(r.amount).i64(r.time_ms);
        break;
    case ledger_format::record_type::clock:
        w.i64(r.store_time_ms).i64(r.time_ms);
        break;
    }
    return w.bytes();
}

/// Decodes a payload; an empty string on success, else what is wrong with it.
inline std::string decode_record(std::uint8_t type, const unsigned char* data, std::size_t size, ledger_record& r) {
    using ledger_format::record_type;
    ledger_format::payload_reader in(data, size);
    std::string bad;
    const auto key = [&](purchase_key& k) {
        const std::uint8_t s = in.u8();
        if (in.ok() && (s < 1 || s > 3)) bad = "unknown store " + std::to_string(s);
        k.store = static_cast<store_kind>(s);
        k.id = in.str();
        if (in.ok() && bad.empty() && k.id.empty()) bad = "empty purchase key";
    };
    const auto expires = [&](std::optional<std::int64_t>& e) {
        const std::uint8_t has = in.u8();
        const std::int64_t v = in.i64();
        if (has > 1) bad = "bad expiry flag";
        if (has == 1) e = v;
    };
    r.type = static_cast<record_type>(type);
    switch (r.type) {
    case record_type::consume: {
        ledger_entry& e = r.entry;
        key(e.key);
        e.product_id = in.str();
        e.order_id = in.str();
        const std::uint8_t kind = in.u8();
        if (in.ok() && (kind < 1 || kind > 3)) bad = "unknown product kind " + std::to_string(kind);
        e.kind = static_cast<product_kind>(kind);
        e.quantity = in.i64();
        e.purchase_time_ms = in.i64();
        expires(e.expires_time_ms);
        r.time_ms = in.i64();
        e.consumed_time_ms = r.time_ms;
        e.credit_balance = in.str();
        e.credit_amount = in.i64();
        const std::uint8_t delivered = in.u8();
        if (delivered > 1) bad = "bad delivered flag";
        r.delivered = delivered == 1;
        if (r.delivered) e.delivered_time_ms = r.time_ms;
        r.store_time_ms = in.i64();
        if (e.credit_amount < 0 || e.credit_balance.empty() != (e.credit_amount == 0)) bad = "bad credit";
        if (in.left() != 0) {
            e.payment_seq = in.str();
            r.payment.payment_seq = e.payment_seq;
            r.payment.access_token = in.str();
            const std::uint8_t confirmed = in.u8();
            if (confirmed > 1) bad = "bad server confirmation flag";
            r.payment.state = confirmed == 1 ? server_state::synced : server_state::pending;
            const bool paid = !e.payment_seq.empty() || !r.payment.access_token.empty() || confirmed != 0;
            if (in.ok() && paid && (e.payment_seq.empty() || r.payment.access_token.empty())) bad = "empty server payment";
            if (in.left() != 0) {
                e.other_id = in.str();
                if (in.left() != 0) {
                    const std::uint8_t flags = in.u8();
                    if (flags != 1) bad = "bad consume flags";
                    e.without_server_payment = true;
                    if (paid) bad = "a purchase without a server payment has one";
                }
                if (in.ok() && (e.other_id.empty() ? !e.without_server_payment
                                                   : e.other_id == e.key.id || e.key.store != store_kind::one_store))
                    bad = "bad other purchase id";
            } else if (in.ok() && !paid) {
                bad = "empty server payment";
            }
        }
        break;
    }
    case record_type::link_payment:
        key(r.entry.key);
        r.payment.payment_seq = in.str();
        r.payment.access_token = in.str();
        r.time_ms = in.i64();
        if (in.ok() && (r.payment.payment_seq.empty() || r.payment.access_token.empty())) bad = "empty server payment";
        break;
    case record_type::server_available: {
        server_payment& p = r.payment;
        p.payment_seq = in.str();
        p.access_token = in.str();
        p.market = in.str();
        p.product_seq = in.str();
        p.price = in.str();
        p.currency = in.str();
        r.time_ms = in.i64();
        p.state = server_state::available;
        if (in.ok() && (p.payment_seq.empty() || p.access_token.empty())) bad = "empty server payment";
        break;
    }
    case record_type::server_attempt:
        r.payment.payment_seq = in.str();
        r.time_ms = in.i64();
        if (in.ok() && r.payment.payment_seq.empty()) bad = "empty server payment";
        break;
    case record_type::server_result: {
        r.payment.payment_seq = in.str();
        const std::uint8_t outcome = in.u8();
        if (outcome < 1 || outcome > 2) bad = "unknown server outcome " + std::to_string(outcome);
        r.payment.state = outcome == 2 ? server_state::conflict : server_state::synced;
        r.payment.result_code = in.i64();
        r.time_ms = in.i64();
        if (in.ok() && r.payment.payment_seq.empty()) bad = "empty server payment";
        break;
    }
    case record_type::deliver:
    case record_type::no_server_payment:
        key(r.entry.key);
        r.time_ms = in.i64();
        break;
    case record_type::update: {
        key(r.entry.key);
        const std::uint8_t state = in.u8();
        if (state > 3) bad = "unknown purchase state " + std::to_string(state);
        r.state = static_cast<purchase_state>(state);
        expires(r.expires_time_ms);
        r.time_ms = in.i64();
        r.store_time_ms = in.i64();
        break;
    }
    case record_type::spend:
    case record_type::balance_set:
        r.balance = in.str();
        r.amount = in.i64();
        r.time_ms = in.i64();
        if (r.balance.empty() || r.amount < 0 || (r.type == record_type::spend && r.amount == 0))
            bad = "bad balance record";
        break;
    case record_type::clock:
        r.store_time_ms = in.i64();
        r.time_ms = in.i64();
        break;
    default: return "unknown record type " + std::to_string(type);
    }
    if (!in.finished()) return "record payload has the wrong length for its type";
    return bad;
}

/// Everything a ledger knows, and the open file it lives in.
struct ledger_state {
    file_system* files = nullptr;
    std::string path;
    native_file file = -1;
    ledger_options options;
    mutable std::mutex mutex;

    bool keyed = false;
    ledger_format::hmac_sha256 hmac;
    ledger_format::mac_value chain{};
    std::uint64_t end = 0;      ///< bytes of valid journal
    std::uint64_t records = 0;  ///< records in the file
    std::uint64_t recovered = 0;
    std::string broken;         ///< set when a failed write could not be undone
    std::uint64_t damage_offset = 0; ///< where replay found damage, when it did

    entry_index index; ///< key -> position in entries
    std::deque<ledger_entry> entries;
    std::map<std::string, std::int64_t> balances;
    std::vector<history_item> history;
    std::int64_t trusted_time_ms = 0;
    std::uint64_t snapshot_records = 0; ///< records a compaction would write, less balances and clock
    /// IAP server payments by payment_seq, and the order the ledger first heard of them.
    std::map<std::string, server_payment, std::less<>> payments;
    std::vector<std::string> payment_order;
    /// Entries (positions) given their payment by a link_payment record, in link order.
    std::vector<std::uint32_t> links;
    /// Bit `store` is set once the ledger knows an IAP server payment of that store: consumes of
    /// its purchases then need a payment_seq (or to say they have none).
    unsigned stores_with_payments = 0;

    ledger_state() = default;
    ledger_state(const ledger_state&) = delete;
    ledger_state& operator=(const ledger_state&) = delete;
    ~ledger_state() {
        if (file != -1) files->close(file);
    }

    ledger_entry* find(const purchase_key& k) {
        const std::uint32_t position = index.find(entries, k.store, k.id);
        return position == entry_index::npos ? nullptr : &entries[position];
    }

    bool knows_payments_of(store_kind store) const noexcept {
        return (stores_with_payments & (1u << static_cast<unsigned>(store))) != 0;
    }
    void note_payment_of(store_kind store) noexcept { stores_with_payments |= 1u << static_cast<unsigned>(store); }

    /// The public form of a history item.
    history_event event(const history_item& h) const {
        history_event e;
        e.kind = h.kind;
        e.time_ms = h.time_ms;
        e.state = h.state;
        e.expires_time_ms = h.expires_time_ms;
        e.balance = h.balance;
        e.amount = h.amount;
        if (h.entry != history_item::no_entry) {
            e.key = entries[h.entry].key;
            e.product_id = entries[h.entry].product_id;
        }
        return e;
    }

    /// Checks `r` against the state and applies it; an empty string on success, else why it
    /// cannot apply (nothing changed then).
    std::string apply(ledger_record&& r) {
        using ledger_format::record_type;
        const auto clock = [this](std::int64_t t) { trusted_time_ms = std::max(trusted_time_ms, t); };
        switch (r.type) {
        case record_type::consume: {
            if (entries.size() >= history_item::no_entry) return "too many purchases for one ledger";
            // One hash lookup: insert, and take the entry back out if the key was there.
            const auto position = static_cast<std::uint32_t>(entries.size());
            entries.push_back(std::move(r.entry));
            const ledger_entry& e = entries.back();
            server_payment* paid = nullptr;
            if (!e.payment_seq.empty()) {
                const auto known = payments.find(e.payment_seq);
                if (known != payments.end() && known->second.state != server_state::available) {
                    std::string twice = "server payment " + e.payment_seq + " is consumed twice";
                    entries.pop_back();
                    return twice;
                }
                paid = known != payments.end() ? &known->second : nullptr;
            }
            if (!index.insert(entries, position)) {
                std::string twice = "purchase " + e.key.to_string() + " is consumed twice";
                entries.pop_back();
                return twice;
            }
            if (!e.payment_seq.empty()) {
                if (paid == nullptr) {
                    paid = &payments[e.payment_seq];
                    paid->payment_seq = e.payment_seq;
                    paid->time_ms = r.time_ms;
                    payment_order.push_back(e.payment_seq);
                    ++snapshot_records;
                }
                paid->access_token = r.payment.access_token;
                paid->key = e.key;
                paid->state = r.payment.state;
                if (paid->state == server_state::synced) ++snapshot_records; // its result record
                note_payment_of(e.key.store);
            }
            if (!e.credit_balance.empty()) {
                // `consume` refuses a credit that overflows, so only a snapshot can get here with
                // one (it replays every credit, then sets the balances): saturate, the snapshot's
                // balance_set records follow.
                std::int64_t& have = balances[e.credit_balance];
                const std::int64_t most = std::numeric_limits<std::int64_t>::max();
                have = have > most - e.credit_amount ? most : have + e.credit_amount;
            }
            history_item h;
            h.kind = history_kind::consumed;
            h.time_ms = r.time_ms;
            h.entry = position;
            h.expires_time_ms = e.expires_time_ms;
            h.balance = e.credit_balance;
            h.amount = e.credit_amount;
            history.push_back(std::move(h));
            if (r.delivered) {
                history_item d;
                d.kind = history_kind::delivered;
                d.time_ms = r.time_ms;
                d.entry = position;
                history.push_back(std::move(d));
                ++snapshot_records;
            }
            ++snapshot_records;
            clock(e.purchase_time_ms);
            clock(r.store_time_ms);
            return {};
        }
        case record_type::deliver: {
            const std::uint32_t position = index.find(entries, r.entry.key.store, r.entry.key.id);
            if (position == entry_index::npos) return "delivery of " + r.entry.key.to_string() + ", which was never consumed";
            ledger_entry& e = entries[position];
            if (e.delivered_time_ms) return {};
            e.delivered_time_ms = r.time_ms;
            history_item h;
            h.kind = history_kind::delivered;
            h.time_ms = r.time_ms;
            h.entry = position;
            h.state = e.state;
            history.push_back(std::move(h));
            ++snapshot_records;
            return {};
        }
        case record_type::update: {
            const std::uint32_t position = index.find(entries, r.entry.key.store, r.entry.key.id);
            if (position == entry_index::npos) return "update of " + r.entry.key.to_string() + ", which was never consumed";
            ledger_entry& e = entries[position];
            e.state = r.state;
            e.expires_time_ms = r.expires_time_ms;
            history_item h;
            h.kind = history_kind::state_changed;
            h.time_ms = r.time_ms;
            h.entry = position;
            h.state = r.state;
            h.expires_time_ms = r.expires_time_ms;
            history.push_back(std::move(h));
            ++snapshot_records;
            clock(r.store_time_ms);
            return {};
        }
        case record_type::spend: {
            const auto it = balances.find(r.balance);
            if (it == balances.end() || it->second < r.amount)
                return "spend of " + std::to_string(r.amount) + " from balance " + r.balance + " takes it below zero";
            it->second -= r.amount;
            history_item h;
            h.kind = history_kind::spent;
            h.time_ms = r.time_ms;
            h.balance = r.balance;
            h.amount = r.amount;
            history.push_back(std::move(h));
            return {};
        }
        case record_type::balance_set: {
            balances[r.balance] = r.amount;
            history_item h;
            h.kind = history_kind::balance_set;
            h.time_ms = r.time_ms;
            h.balance = r.balance;
            h.amount = r.amount;
            history.push_back(std::move(h));
            return {};
        }
        case record_type::clock: clock(r.store_time_ms); return {};
        case record_type::server_available: {
            if (payments.count(r.payment.payment_seq) != 0)
                return "server payment " + r.payment.payment_seq + " is announced twice";
            server_payment& p = payments[r.payment.payment_seq];
            p = std::move(r.payment);
            p.time_ms = r.time_ms;
            payment_order.push_back(p.payment_seq);
            ++snapshot_records;
            // A market this library does not know could be any store's.
            if (const auto store = store_of_market(p.market)) note_payment_of(*store);
            else stores_with_payments = ~0u;
            return {};
        }
        case record_type::link_payment: {
            const std::uint32_t position = index.find(entries, r.entry.key.store, r.entry.key.id);
            if (position == entry_index::npos) return "link of " + r.entry.key.to_string() + ", which was never consumed";
            ledger_entry& e = entries[position];
            const std::string& seq = r.payment.payment_seq;
            if (!e.payment_seq.empty()) return "purchase " + e.key.to_string() + " is linked to a second server payment";
            auto known = payments.find(seq);
            if (known != payments.end() && known->second.key) return "server payment " + seq + " is consumed twice";
            if (known == payments.end()) {
                known = payments.emplace(seq, server_payment{}).first;
                known->second.payment_seq = seq;
                known->second.time_ms = r.time_ms;
                payment_order.push_back(seq);
            }
            server_payment& p = known->second;
            p.access_token = std::move(r.payment.access_token);
            p.key = e.key;
            if (p.state == server_state::available) p.state = server_state::pending; // else settled already
            e.payment_seq = seq;
            e.without_server_payment = false;
            links.push_back(position);
            note_payment_of(e.key.store);
            ++snapshot_records;
            return {};
        }
        case record_type::no_server_payment: {
            ledger_entry* e = find(r.entry.key);
            if (e == nullptr) return "no server payment for " + r.entry.key.to_string() + ", which was never consumed";
            if (!e->payment_seq.empty()) return "purchase " + e->key.to_string() + " has a server payment";
            e->without_server_payment = true; // a snapshot folds it into the consume record
            return {};
        }
        case record_type::server_attempt:
        case record_type::server_result: {
            const auto it = payments.find(r.payment.payment_seq);
            if (it == payments.end()) return "server record for unknown payment " + r.payment.payment_seq;
            server_payment& p = it->second;
            // Count what a snapshot writes for this payment: one attempt, one result.
            if (r.type == record_type::server_attempt) {
                if (!p.attempted) ++snapshot_records;
                p.attempted = true;
            } else {
                if (p.state != server_state::synced && p.state != server_state::conflict) ++snapshot_records;
                p.state = r.payment.state;
                p.result_code = r.payment.result_code;
            }
            return {};
        }
        }
        return "unknown record type";
    }
};

/// The header of a new ledger.
inline result<std::string> make_ledger_header(ledger_state& s) {
    namespace f = ledger_format;
    auto id = f::random_ledger_id();
    if (!id) return std::move(id).error();
    unsigned char h[f::header_size] = {};
    std::memcpy(h, f::magic, sizeof f::magic);
    f::put_u16(h + 8, f::version);
    f::put_u16(h + 10, s.keyed ? f::flag_keyed : 0);
    std::memcpy(h + 16, id->data(), id->size());
    s.chain = {};
    if (s.keyed) {
        auto mac = s.hmac.compute(h, 32);
        if (!mac) return std::move(mac).error();
        s.chain = *mac;
        std::memcpy(h + 32, mac->data(), f::mac_size);
    }
    f::put_u32(h + 64, f::crc32(h, 64));
    return std::string(reinterpret_cast<const char*>(h), sizeof h);
}

/// Frames `payload` as the next record of the chain; `next_chain` receives its MAC.
/// `malformed_input` for a payload the replay would refuse as too large.
inline result<std::string> frame_record(ledger_state& s, ledger_format::record_type type, const std::string& payload,
                                        ledger_format::mac_value& next_chain) {
    namespace f = ledger_format;
    if (payload.size() > f::max_payload)
        return make_error(errc::malformed_input, "a ledger record of " + std::to_string(payload.size()) +
                                                     " bytes is larger than the ledger's limit of " +
                                                     std::to_string(f::max_payload) + " bytes (a field is too long)");
    unsigned char h[f::frame_size] = {};
    f::put_u32(h, static_cast<std::uint32_t>(payload.size()));
    h[4] = static_cast<unsigned char>(type);
    f::put_u32(h + 8, f::crc32(h, 8));
    std::string out(reinterpret_cast<const char*>(h), sizeof h);
    out += payload;
    unsigned char crc[4];
    const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
    f::put_u32(crc, f::crc32(p, payload.size()));
    out.append(reinterpret_cast<const char*>(crc), 4);
    next_chain = s.chain;
    if (s.keyed) {
        auto mac = s.hmac.compute(s.chain.data(), s.chain.size(), h, sizeof h, p, payload.size());
        if (!mac) return std::move(mac).error();
        next_chain = *mac;
        out.append(reinterpret_cast<const char*>(mac->data()), mac->size());
    }
    return out;
}

/// How a replay ended.
struct replay_outcome {
    std::uint64_t valid_end = 0; ///< bytes of complete, verified records (header included)
    bool fresh = false;          ///< empty, or a header cut short while the file was created
};

inline error_info corrupted_at(ledger_state& s, std::uint64_t offset, const std::string& what) {
    s.damage_offset = offset;
    return make_error(errc::ledger_corrupted, "ledger corrupted at offset " + std::to_string(offset) + ": " + what);
}

/// Verifies the header and replays every record of `data` into `s` (whose `keyed` and `hmac`
/// must be set up). A torn tail ends the replay (`valid_end` < size); anything else that is
/// wrong is `ledger_corrupted` with its offset.
inline result<replay_outcome> replay_ledger(ledger_state& s, const unsigned char* data, std::size_t size) {
    namespace f = ledger_format;
    replay_outcome out;
    if (size < f::header_size) {
        const std::size_t n = std::min(size, sizeof f::magic);
        if (n == 0 || std::memcmp(data, f::magic, n) == 0) return out.fresh = true, out;
        return corrupted_at(s, 0, "not an iap_embedded ledger (too short, no ledger magic)");
    }
    if (std::memcmp(data, f::magic, sizeof f::magic) != 0)
        return corrupted_at(s, 0, "not an iap_embedded ledger (bad magic)");
    if (f::crc32(data, 64) != f::get_u32(data + 64)) return corrupted_at(s, 0, "header checksum mismatch");
    const std::uint16_t version = f::get_u16(data + 8);
    if (version != f::version) return corrupted_at(s, 8, "unsupported ledger format version " + std::to_string(version));
    const std::uint16_t flags = f::get_u16(data + 10);
    if ((flags & ~f::flag_keyed) != 0 || f::get_u32(data + 12) != 0) return corrupted_at(s, 10, "unknown header flags");
    const bool file_keyed = (flags & f::flag_keyed) != 0;
    if (file_keyed && !s.keyed) return corrupted_at(s, 10, "the ledger is protected by an HMAC key and none was given");
    if (!file_keyed && s.keyed)
        return corrupted_at(s, 10, "a key was given but the ledger has no HMAC chain (created without a key, or stripped)");
    s.chain = {};
    if (s.keyed) {
        auto mac = s.hmac.compute(data, 32);
        if (!mac) return std::move(mac).error();
        if (!f::same_mac(mac->data(), data + 32)) return corrupted_at(s, 32, "header HMAC does not verify (wrong key, or the header was edited)");
        s.chain = *mac;
    }
    std::uint64_t pos = f::header_size;
    s.records = 0;
    s.index.reserve(size / 160); // about one purchase per 150..300 bytes: few rehashes on the way
    s.history.reserve(size / 160);
    const std::size_t trailer = f::crc_size + (s.keyed ? f::mac_size : 0);
    const auto zero_from = [&](std::uint64_t from) {
        return std::all_of(data + from, data + size, [](unsigned char c) { return c == 0; });
    };
    while (pos < size) {
        const std::uint64_t remain = size - pos;
        if (remain < f::frame_size) break; // torn tail
        const unsigned char* h = data + pos;
        if (f::crc32(h, 8) != f::get_u32(h + 8)) {
            if (zero_from(pos)) break; // space the file system allocated but never wrote: torn
            return corrupted_at(s, pos, "record header checksum mismatch");
        }
        const std::uint32_t length = f::get_u32(h);
        if (h[5] != 0 || h[6] != 0 || h[7] != 0 || length > f::max_payload)
            return corrupted_at(s, pos, "record header is invalid");
        const std::uint64_t total = f::frame_size + std::uint64_t{length} + trailer;
        if (remain < total) break; // torn tail
        const unsigned char* payload = h + f::frame_size;
        if (f::crc32(payload, length) != f::get_u32(payload + length)) return corrupted_at(s, pos, "record checksum mismatch");
        f::mac_value mac = s.chain;
        if (s.keyed) {
            auto computed = s.hmac.compute(s.chain.data(), s.chain.size(), h, f::frame_size, payload, length);
            if (!computed) return std::move(computed).error();
            if (!f::same_mac(computed->data(), payload + length + f::crc_size))
                return corrupted_at(s, pos, "record HMAC does not verify (edited, reordered, removed or foreign record)");
            mac = *computed;
        }
        ledger_record r;
        if (auto bad = decode_record(h[4], payload, length, r); !bad.empty()) return corrupted_at(s, pos, bad);
        if (auto bad = s.apply(std::move(r)); !bad.empty()) return corrupted_at(s, pos, bad);
        s.chain = mac;
        ++s.records;
        pos += total;
    }
    out.valid_end = pos;
    return out;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_LEDGER_STATE_HPP
