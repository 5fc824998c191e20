// SPDX-License-Identifier: MIT
//
// Fuzzes the public ledger API with sequences of operations decoded from the input: consumes
// (Google Play, ONE store with either or both ids, with and without an IAP server payment or
// declared without one, with credits, with product ids near the record limit), deliveries,
// spends, updates, store times, the server records sync_client writes, links of consumed
// purchases to payments and declarations that they have none, compaction and reopening, on a
// real file. Invariants:
// - nothing crashes, and every failure is a typed error other than internal_error (the ledger
//   never writes a record its state refuses);
// - nothing is granted twice: a successful consume never shares an identity (its key, its other
//   id, its payment) with an earlier successful one;
// - a linked payment is one nobody consumed before, and is consumed afterwards;
// - once the ledger knows a payment of a store, no purchase of that store is consumed without
//   a payment unless declared without one or a subscription;
// - balances never go below zero;
// - reopening gives the same state (history, balances, payments, undelivered purchases).
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/ledger_format.hpp"
#include "iap_embedded/ledger.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <utility>

namespace {

using namespace iap_embedded;

/// Reads the input a byte at a time; zeros once it runs out.
class input {
public:
    input(const std::uint8_t* data, std::size_t size) : p_(data), left_(size) {}
    bool empty() const { return left_ == 0; }
    std::uint8_t byte() {
        if (left_ == 0) return 0;
        --left_;
        return *p_++;
    }

private:
    const std::uint8_t* p_;
    std::size_t left_;
};

const std::string& ledger_path() {
    static const std::string path = [] {
        std::error_code ec;
        const auto dir = std::filesystem::temp_directory_path(ec) /
                         ("iap_embedded_fuzz_ledger_ops_" + std::to_string(std::random_device{}()));
        std::filesystem::create_directories(dir, ec);
        return (dir / "ops.ledger").string();
    }();
    return path;
}

ledger_options options() {
    ledger_options o;
    o.level = durability::process; // the invariants do not depend on flushing
    o.compact_slack_records = 8;   // compact often
    return o;
}

/// Everything a reopen must give back.
std::string state_of(const ledger& book) {
    std::string out = book.history_json();
    for (const auto& b : book.balances()) out += "\n" + b.first + "=" + std::to_string(b.second);
    for (const server_state st : {server_state::pending, server_state::synced, server_state::conflict, server_state::available}) {
        for (const auto& p : book.server_payments(st)) {
            out += "\npayment " + p.payment_seq + " " + std::string(to_string(p.state)) + " " + p.access_token + " " +
                   std::to_string(p.attempted) + " " + std::to_string(p.result_code) + " " +
                   (p.key ? p.key->to_string() : std::string("-")) + " " + p.market + " " + p.product_seq;
        }
    }
    for (const auto& e : book.undelivered())
        out += "\nundelivered " + e.key.to_string() + " " + e.other_id + " " + e.payment_seq + " " +
               std::to_string(e.without_server_payment);
    for (const store_kind s : {store_kind::google_play, store_kind::one_store, store_kind::app_store})
        for (const auto& e : book.unlinked_consumes(s)) out += "\nunlinked " + e.key.to_string();
    for (const auto& e : book.entitlements(0)) out += "\nentitled " + e.key.to_string();
    return out;
}

std::string id(const char* prefix, std::uint8_t b, unsigned range) { return prefix + std::to_string(b % range); }

purchase make_purchase(input& in) {
    purchase p;
    const std::uint8_t how = in.byte();
    p.product_id = "gems_100";
    p.purchase_time_ms = 1767225600000 + (how >> 4) * 1000;
    if ((how & 3) == 0 || (how & 3) == 3) {
        p.store = store_kind::google_play;
        p.purchase_token = id("t", in.byte(), 12);
    } else if ((how & 3) == 1) {
        p.store = store_kind::one_store;
        const std::uint8_t ids = in.byte();
        // Either id, or both: the same small pools, so the same purchase comes back both ways.
        if ((ids & 3) != 2) p.purchase_id = id("ONE", ids >> 2, 6);
        if ((ids & 3) != 1) p.purchase_token = id("tok", ids >> 5, 6);
    } else {
        p.store = store_kind::app_store;
        p.transaction_id = id("tx", in.byte(), 12);
        if ((how & 4) != 0) p.expires_time_ms = p.purchase_time_ms + 30LL * 24 * 3600 * 1000;
    }
    if ((how >> 3) == 3) {
        // Near the record limit, either side of it (rarely: each such record is a megabyte).
        const std::size_t near = detail::ledger_format::max_payload - 256 + in.byte() * 2;
        p.product_id = std::string(near, 'p');
    }
    return p;
}

/// The identities a consumed entry is known by.
std::set<std::string> identities(const ledger_entry& e) {
    std::set<std::string> out{e.key.to_string()};
    if (!e.other_id.empty()) out.insert(std::string(to_string(e.key.store)) + ":" + e.other_id);
    if (!e.payment_seq.empty()) out.insert("payment:" + e.payment_seq);
    return out;
}

template <class T>
void check_error(const result<T>& r) {
    if (r) return;
    IAP_EMBEDDED_FUZZ_ASSERT(r.error_code() != errc::internal_error);
    IAP_EMBEDDED_FUZZ_ASSERT(!r.message().empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = ledger_path();
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::optional<ledger> book;
    {
        auto opened = ledger::open(path, options());
        IAP_EMBEDDED_FUZZ_ASSERT(opened.has_value());
        book.emplace(std::move(*opened));
    }
    std::set<std::string> granted;
    std::set<store_kind> with_payments; // stores the ledger knows a payment of
    input in(data, size);
    for (int step = 0; step < 64 && !in.empty(); ++step) {
        const std::uint8_t op = in.byte();
        if (op >= 0xF0) { // the top 16 values; the others keep their meaning below
            const purchase p = make_purchase(in);
            const auto key = purchase_key::of(p);
            if (!key) continue;
            if ((op & 1) != 0) {
                const std::uint8_t b = in.byte();
                const std::string seq = id("P", b >> 1, 8);
                const auto before = book->find(*key);
                auto linked = book->link_payment(*key, seq, (b & 1) != 0 ? "token-" + seq : std::string());
                check_error(linked);
                if (linked) {
                    IAP_EMBEDDED_FUZZ_ASSERT(linked->payment_seq == seq);
                    if (before->payment_seq != seq) IAP_EMBEDDED_FUZZ_ASSERT(granted.count("payment:" + seq) == 0);
                    granted.insert("payment:" + seq);
                    with_payments.insert(linked->key.store);
                }
            } else {
                auto marked = book->mark_without_server_payment(*key);
                check_error(marked);
                if (marked) IAP_EMBEDDED_FUZZ_ASSERT(marked->without_server_payment && marked->payment_seq.empty());
            }
            continue;
        }
        switch (op % 12) {
        case 0:
        case 1: {
            const purchase p = make_purchase(in);
            const std::uint8_t how = in.byte();
            consume_options o;
            if ((how & 1) != 0) {
                o.payment_seq = id("P", how >> 1, 8);
                o.access_token = "token-" + o.payment_seq;
            }
            if ((how & 2) != 0) o = [&] {
                consume_options c = consume_options::credit("gems", 1 + (how >> 2));
                c.payment_seq = o.payment_seq;
                c.access_token = o.access_token;
                return c;
            }();
            o.server_confirmed = (how & 0x80) != 0 && !o.payment_seq.empty();
            o.without_server_payment = (how & 0x80) != 0 && o.payment_seq.empty();
            auto consumed = book->consume(p, o);
            check_error(consumed);
            if (consumed) {
                if (consumed->payment_seq.empty() && !consumed->without_server_payment &&
                    consumed->kind != product_kind::subscription)
                    IAP_EMBEDDED_FUZZ_ASSERT(with_payments.count(consumed->key.store) == 0);
                if (!consumed->payment_seq.empty()) with_payments.insert(consumed->key.store);
                for (const std::string& who : identities(*consumed)) {
                    IAP_EMBEDDED_FUZZ_ASSERT(granted.count(who) == 0); // granted twice
                    granted.insert(who);
                }
            }
            break;
        }
        case 2: {
            const purchase p = make_purchase(in);
            if (auto key = purchase_key::of(p)) check_error(book->mark_delivered(*key));
            break;
        }
        case 3: check_error(book->spend("gems", 1 + in.byte() % 50)); break;
        case 4: {
            purchase p = make_purchase(in);
            p.state = (in.byte() & 1) != 0 ? purchase_state::refunded : purchase_state::cancelled;
            check_error(book->record_update(p, 0));
            break;
        }
        case 5: check_error(book->observe_store_time(1767225600000 + in.byte() * 60000)); break;
        case 6: {
            server_payment listed;
            listed.payment_seq = id("P", in.byte(), 8);
            listed.access_token = "token-" + listed.payment_seq;
            listed.market = "GG";
            listed.product_seq = "1001";
            const auto recorded = book->record_server_available(listed);
            check_error(recorded);
            if (recorded && *recorded) with_payments.insert(store_kind::google_play);
            break;
        }
        case 7: check_error(book->record_server_attempt(id("P", in.byte(), 8))); break;
        case 8: {
            const std::uint8_t b = in.byte();
            const server_state outcome = (b & 1) != 0 ? server_state::synced : server_state::conflict;
            check_error(book->record_server_result(id("P", b >> 1, 8), outcome, (b & 1) != 0 ? 0 : 5018));
            break;
        }
        case 9: check_error(book->compact()); break;
        default: {
            const std::string before = state_of(*book);
            book.reset();
            auto opened = ledger::open(path, options());
            IAP_EMBEDDED_FUZZ_ASSERT(opened.has_value());
            book.emplace(std::move(*opened));
            IAP_EMBEDDED_FUZZ_ASSERT(state_of(*book) == before);
            break;
        }
        }
        for (const auto& b : book->balances()) IAP_EMBEDDED_FUZZ_ASSERT(b.second >= 0);
    }
    const std::string before = state_of(*book);
    book.reset();
    auto opened = ledger::open(path, options());
    IAP_EMBEDDED_FUZZ_ASSERT(opened.has_value());
    IAP_EMBEDDED_FUZZ_ASSERT(state_of(*opened) == before);
    return 0;
}
