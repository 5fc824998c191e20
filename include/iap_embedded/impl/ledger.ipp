// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_LEDGER_IPP
#define IAP_EMBEDDED_IMPL_LEDGER_IPP

#include "iap_embedded/detail/calendar.hpp"
#include "iap_embedded/ledger.hpp"
#include "iap_embedded/detail/file.hpp"
#include "iap_embedded/detail/json_escape.hpp"
#include "iap_embedded/detail/ledger_format.hpp"
#include "iap_embedded/detail/ledger_state.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline std::string compact_temp_path(const std::string& path) { return path + ".compact-tmp"; }

inline error_info broken_ledger(const ledger_state& s) {
    return make_error(errc::io_error, "the ledger cannot be written after a failed write that could not be undone (" +
                                          s.broken + "); close and reopen it");
}

/// Writes one record at the end of the journal and, at full durability, flushes it. On failure
/// the file is cut back to its previous end; if even that fails, the ledger refuses further writes.
inline result<void> append_record(ledger_state& s, const ledger_record& r) {
    if (!s.broken.empty()) return broken_ledger(s);
    ledger_format::mac_value next{};
    auto framed = frame_record(s, r.type, encode_record(r), next);
    if (!framed) return std::move(framed).error();
    result<void> done = s.files->write_at(s.file, s.end, framed->data(), framed->size());
    if (done && s.options.level == durability::full) done = s.files->sync(s.file);
    if (!done) {
        if (auto undone = s.files->truncate(s.file, s.end); !undone) s.broken = undone.message();
        return done;
    }
    s.end += framed->size();
    s.chain = next;
    ++s.records;
    return {};
}

/// Writes `r` (append_record) and applies it to the state. Callers check `r` against the state
/// first; should the state still refuse it, the record is undone (the file cut back to where it
/// was), so the file never keeps a record that its replay would call corrupt.
inline result<void> commit_record(ledger_state& s, ledger_record&& r) {
    const std::uint64_t end = s.end;
    const ledger_format::mac_value chain = s.chain;
    if (auto appended = append_record(s, r); !appended) return appended;
    const std::string refused = s.apply(std::move(r));
    if (refused.empty()) return {};
    result<void> undone = s.files->truncate(s.file, end);
    if (undone && s.options.level == durability::full) undone = s.files->sync(s.file);
    if (!undone) s.broken = undone.message();
    s.end = end;
    s.chain = chain;
    --s.records;
    return make_error(errc::internal_error, "the ledger refused its own record (" + refused + "); nothing was recorded");
}

/// The snapshot of `s`: a new header and the records that rebuild its state.
inline result<std::string> snapshot_bytes(ledger_state& s, std::int64_t now) {
    using ledger_format::record_type;
    auto bytes = make_ledger_header(s);
    if (!bytes) return bytes;
    const auto add = [&](const ledger_record& r) -> result<void> {
        ledger_format::mac_value next{};
        auto framed = frame_record(s, r.type, encode_record(r), next);
        if (!framed) return std::move(framed).error();
        *bytes += *framed;
        s.chain = next;
        return {};
    };
    // Payments the server listed are announced just before the first consume that comes after
    // them in payment_order, so that a consume of one finds it known and the replay rebuilds
    // payment_order exactly: payments consumed here first enter it with their consume.
    // A payment linked to an entry after its consume is linked again by a link_payment record:
    // where the link put it in payment_order when the link created it, else after the consumes.
    std::map<std::string_view, std::size_t> order_of;
    for (std::size_t i = 0; i < s.payment_order.size(); ++i) order_of[s.payment_order[i]] = i;
    std::set<std::uint32_t> linked_entries(s.links.begin(), s.links.end());
    std::set<std::string_view> linked_payments;
    for (const std::uint32_t position : s.links) linked_payments.insert(s.entries[position].payment_seq);
    const auto link = [&](const server_payment& p, std::int64_t time_ms) {
        ledger_record r;
        r.type = record_type::link_payment;
        r.entry.key = *p.key;
        r.payment.payment_seq = p.payment_seq;
        r.payment.access_token = p.access_token;
        r.time_ms = time_ms;
        return add(r);
    };
    std::size_t announced = 0;
    const auto announce_through = [&](std::size_t last) -> result<void> {
        for (; announced < s.payment_order.size() && announced <= last; ++announced) {
            const server_payment& p = s.payments.find(s.payment_order[announced])->second;
            if (p.market.empty()) {
                if (linked_payments.count(p.payment_seq) == 0) continue;
                if (auto linked = link(p, p.time_ms); !linked) return linked;
                continue;
            }
            ledger_record r;
            r.type = record_type::server_available;
            r.payment = p;
            r.time_ms = p.time_ms;
            if (auto added = add(r); !added) return added;
        }
        return {};
    };
    for (const history_item& h : s.history) {
        const bool paid_consume = h.kind == history_kind::consumed && !s.entries[h.entry].payment_seq.empty() &&
                                  linked_entries.count(h.entry) == 0;
        if (paid_consume) {
            if (auto done = announce_through(order_of[s.entries[h.entry].payment_seq]); !done) return std::move(done).error();
        }
        ledger_record r;
        r.time_ms = h.time_ms;
        if (h.kind == history_kind::consumed) {
            r.type = record_type::consume;
            r.entry = s.entries[h.entry];
            r.entry.expires_time_ms = h.expires_time_ms;
            if (paid_consume) r.payment.access_token = s.payments.find(r.entry.payment_seq)->second.access_token;
            else r.entry.payment_seq.clear();
        } else if (h.kind == history_kind::delivered) {
            r.type = record_type::deliver;
            r.entry.key = s.entries[h.entry].key;
        } else if (h.kind == history_kind::state_changed) {
            r.type = record_type::update;
            r.entry.key = s.entries[h.entry].key;
            r.state = h.state;
            r.expires_time_ms = h.expires_time_ms;
        } else {
            continue;
        }
        if (auto added = add(r); !added) return std::move(added).error();
    }
    if (auto done = announce_through(s.payment_order.size()); !done) return std::move(done).error();
    for (const std::uint32_t position : s.links) {
        const server_payment& p = s.payments.find(s.entries[position].payment_seq)->second;
        if (p.market.empty()) continue; // linked above
        if (auto linked = link(p, now); !linked) return std::move(linked).error();
    }
    for (const std::string& seq : s.payment_order) {
        const server_payment& p = s.payments.find(seq)->second;
        ledger_record r;
        r.payment.payment_seq = seq;
        r.time_ms = now;
        if (p.attempted) {
            r.type = record_type::server_attempt;
            if (auto added = add(r); !added) return std::move(added).error();
        }
        if (p.state == server_state::synced || p.state == server_state::conflict) {
            r.type = record_type::server_result;
            r.payment.state = p.state;
            r.payment.result_code = p.result_code;
            if (auto added = add(r); !added) return std::move(added).error();
        }
    }
    for (const auto& b : s.balances) {
        ledger_record r;
        r.type = record_type::balance_set;
        r.balance = b.first;
        r.amount = b.second;
        r.time_ms = now;
        if (auto added = add(r); !added) return std::move(added).error();
    }
    if (s.trusted_time_ms != 0) {
        ledger_record r;
        r.type = record_type::clock;
        r.store_time_ms = s.trusted_time_ms;
        r.time_ms = now;
        if (auto added = add(r); !added) return std::move(added).error();
    }
    return bytes;
}

inline result<void> compact_locked(ledger_state& s) {
    if (!s.broken.empty()) return broken_ledger(s);
    const ledger_format::mac_value saved_chain = s.chain;
    auto bytes = snapshot_bytes(s, wall_clock_ms());
    if (!bytes) {
        s.chain = saved_chain;
        return std::move(bytes).error();
    }
    // Rebuild the state from the snapshot itself, so memory always equals what a reopen will see.
    auto fresh = std::make_unique<ledger_state>();
    fresh->keyed = s.keyed;
    if (s.keyed) {
        if (auto keyed = fresh->hmac.set_key(s.options.hmac_key); !keyed) return std::move(keyed).error();
    }
    const auto* data = reinterpret_cast<const unsigned char*>(bytes->data());
    auto replayed = replay_ledger(*fresh, data, bytes->size());
    if (!replayed || replayed->valid_end != bytes->size()) {
        s.chain = saved_chain;
        return make_error(errc::internal_error, "the ledger snapshot does not replay: " + replayed.message());
    }

    const std::string temp = compact_temp_path(s.path);
    auto opened = s.files->open(temp, true);
    if (!opened) return s.chain = saved_chain, std::move(opened).error();
    const native_file f = *opened;
    result<void> step = s.files->lock(f);
    if (step) step = s.files->truncate(f, 0);
    if (step) step = s.files->write_at(f, 0, bytes->data(), bytes->size());
    if (step) step = s.files->sync(f);
    if (step) step = s.files->rename(temp, s.path);
    if (!step) {
        s.files->close(f);
        (void)s.files->remove(temp);
        s.chain = saved_chain;
        return step;
    }
    s.files->close(s.file);
    s.file = f;
    s.end = bytes->size();
    s.records = fresh->records;
    s.chain = fresh->chain;
    s.index = std::move(fresh->index);
    s.entries = std::move(fresh->entries);
    s.balances = std::move(fresh->balances);
    s.history = std::move(fresh->history);
    s.trusted_time_ms = fresh->trusted_time_ms;
    s.snapshot_records = fresh->snapshot_records;
    s.payments = std::move(fresh->payments);
    s.payment_order = std::move(fresh->payment_order);
    s.links = std::move(fresh->links);
    s.stores_with_payments = fresh->stores_with_payments;
    // The new file is in use either way; this only makes the rename itself survive power loss.
    return s.files->sync_directory_of(s.path);
}

/// Compacts once the journal holds more droppable records than both the configured slack and the
/// snapshot's own size, so the cost of rewriting stays proportional to the records appended. A
/// failure here does not undo the record just made durable, so it is not reported to its caller.
inline void maybe_compact(ledger_state& s) {
    const std::uint64_t slack = s.options.compact_slack_records;
    if (slack == 0) return;
    const std::uint64_t live = s.snapshot_records + s.balances.size() + 1;
    if (s.records > live + std::max(slack, live)) (void)compact_locked(s);
}

/// Commits `r`, a record about the entry `r.entry.key`, compacts when due, and returns the entry
/// as it is now.
inline result<ledger_entry> commit_entry_record(ledger_state& s, ledger_record&& r, const char* what) {
    const purchase_key key = r.entry.key;
    if (auto committed = commit_record(s, std::move(r)); !committed) return std::move(committed).error();
    maybe_compact(s);
    const ledger_entry* done = s.find(key);
    if (done == nullptr) return make_error(errc::internal_error, "purchase " + key.to_string() + " vanished after its " + what);
    return *done;
}

struct open_file {
    std::unique_ptr<ledger_state> state;
    std::string bytes;
};

/// Opens and locks `path`, and reads it whole.
inline result<open_file> open_and_read(const std::string& path, const ledger_options& options) {
    open_file out;
    out.state = std::make_unique<ledger_state>();
    ledger_state& s = *out.state;
    s.files = options.files != nullptr ? options.files : &default_file_system();
    s.path = path;
    s.options = options;
    s.keyed = !options.hmac_key.empty();
    if (s.keyed) {
        if (auto keyed = s.hmac.set_key(options.hmac_key); !keyed) return std::move(keyed).error();
    }
    // A lock taken on a file that a compaction renamed away meanwhile protects nothing: retry.
    for (int attempt = 0;; ++attempt) {
        auto f = s.files->open(path, options.create);
        if (!f) return std::move(f).error();
        s.file = *f;
        if (auto locked = s.files->lock(s.file); !locked) return std::move(locked).error();
        auto current = s.files->is_current(s.file, path);
        if (!current) return std::move(current).error();
        if (*current) break;
        s.files->close(s.file);
        s.file = -1;
        if (attempt == 8) return make_error(errc::ledger_locked, "the ledger keeps being replaced by another process");
    }
    if (auto removed = s.files->remove(compact_temp_path(path)); !removed) return std::move(removed).error();
    auto size = s.files->size(s.file);
    if (!size) return std::move(size).error();
    if (*size > std::uint64_t{std::numeric_limits<std::size_t>::max()} / 2)
        return make_error(errc::ledger_corrupted, "ledger corrupted at offset 0: the file is too large to be a ledger");
    out.bytes.resize(static_cast<std::size_t>(*size));
    auto got = s.files->read_at(s.file, 0, &out.bytes[0], out.bytes.size());
    if (!got) return std::move(got).error();
    out.bytes.resize(*got);
    return out;
}

} // namespace detail

IAP_EMBEDDED_DECL result<purchase_key> purchase_key::of(const purchase& p) {
    purchase_key k;
    k.store = p.store;
    switch (p.store) {
    case store_kind::google_play: k.id = p.purchase_token; break;
    case store_kind::one_store: k.id = !p.purchase_id.empty() ? p.purchase_id : p.purchase_token; break;
    case store_kind::app_store: k.id = p.transaction_id; break;
    }
    if (k.id.empty())
        return make_error(errc::malformed_input, "the " + std::string(iap_embedded::to_string(p.store)) +
                                                     " purchase has no unique id to key it by");
    return k;
}

IAP_EMBEDDED_DECL std::string purchase_key::other_id_of(const purchase& p) {
    if (p.store == store_kind::one_store && !p.purchase_id.empty() && p.purchase_token != p.purchase_id)
        return std::string(p.purchase_token);
    return {};
}

IAP_EMBEDDED_DECL result<purchase_key> purchase_key::parse(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon + 1 == text.size())
        return make_error(errc::malformed_input, "a purchase key is STORE:ID, not '" + std::string(text) + "'");
    std::string store(text.substr(0, colon));
    for (char& c : store)
        if (c == '-') c = '_';
    purchase_key k;
    if (store == "google_play") k.store = store_kind::google_play;
    else if (store == "one_store") k.store = store_kind::one_store;
    else if (store == "app_store") k.store = store_kind::app_store;
    else return make_error(errc::malformed_input, "unknown store '" + store + "' in purchase key");
    k.id = std::string(text.substr(colon + 1));
    return k;
}

IAP_EMBEDDED_DECL ledger::ledger(std::unique_ptr<detail::ledger_state> state) noexcept : state_(std::move(state)) {}
IAP_EMBEDDED_DECL ledger::ledger(ledger&&) noexcept = default;
IAP_EMBEDDED_DECL ledger& ledger::operator=(ledger&&) noexcept = default;
IAP_EMBEDDED_DECL ledger::~ledger() = default;

IAP_EMBEDDED_DECL result<ledger> ledger::open(const std::string& path, ledger_options options) {
    auto opened = detail::open_and_read(path, options);
    if (!opened) return std::move(opened).error();
    detail::ledger_state& s = *opened->state;
    const auto* data = reinterpret_cast<const unsigned char*>(opened->bytes.data());
    auto replayed = detail::replay_ledger(s, data, opened->bytes.size());
    if (!replayed) return std::move(replayed).error();
    if (replayed->fresh) {
        auto header = detail::make_ledger_header(s);
        if (!header) return std::move(header).error();
        // A header cut short while the file was created is rewritten whole.
        result<void> step = opened->bytes.empty() ? result<void>() : s.files->truncate(s.file, 0);
        if (step) step = s.files->write_at(s.file, 0, header->data(), header->size());
        if (step) step = s.files->sync(s.file);
        if (step) step = s.files->sync_directory_of(path);
        if (!step) return step.error();
        s.end = header->size();
        return ledger(std::move(opened->state));
    }
    s.end = replayed->valid_end;
    if (s.end < opened->bytes.size()) {
        // A torn tail: a record the crash cut short was never acknowledged.
        s.recovered = opened->bytes.size() - s.end;
        result<void> step = s.files->truncate(s.file, s.end);
        if (step) step = s.files->sync(s.file);
        if (!step) return step.error();
    }
    return ledger(std::move(opened->state));
}

IAP_EMBEDDED_DECL result<std::uint64_t> ledger::repair(const std::string& path, ledger_options options) {
    options.create = false;
    auto opened = detail::open_and_read(path, options);
    if (!opened) return std::move(opened).error();
    detail::ledger_state& s = *opened->state;
    const auto* data = reinterpret_cast<const unsigned char*>(opened->bytes.data());
    auto replayed = detail::replay_ledger(s, data, opened->bytes.size());
    std::uint64_t keep = 0;
    if (replayed) {
        if (replayed->fresh) return std::uint64_t{0};
        keep = replayed->valid_end;
    } else {
        if (replayed.error_code() != errc::ledger_corrupted || s.damage_offset < detail::ledger_format::header_size)
            return std::move(replayed).error();
        keep = s.damage_offset;
    }
    if (keep >= opened->bytes.size()) return std::uint64_t{0};
    result<void> step = s.files->truncate(s.file, keep);
    if (step) step = s.files->sync(s.file);
    if (!step) return step.error();
    return opened->bytes.size() - keep;
}

IAP_EMBEDDED_DECL result<ledger_entry> ledger::consume(const purchase& p, const consume_options& options) {
    auto key = purchase_key::of(p);
    if (!key) return std::move(key).error();
    if (p.state != purchase_state::purchased)
        return make_error(errc::malformed_input, "purchase " + key->to_string() + " is " +
                                                     std::string(to_string(p.state)) + "; only purchased ones can be consumed");
    if (options.credit_amount < 0 || options.credit_balance.empty() != (options.credit_amount == 0))
        return make_error(errc::malformed_input, "a credit needs both a balance name and a positive amount");

    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::consume;
    ledger_entry& e = r.entry;
    e.key = std::move(*key);
    e.other_id = purchase_key::other_id_of(p);
    e.product_id = p.product_id;
    e.order_id = p.order_id;
    e.quantity = p.quantity;
    e.purchase_time_ms = p.purchase_time_ms;
    e.expires_time_ms = p.expires_time_ms ? p.expires_time_ms : options.expires_time_ms;
    e.kind = options.kind;
    if (e.kind == product_kind::automatic)
        e.kind = e.expires_time_ms ? product_kind::subscription
                 : !options.credit_balance.empty() ? product_kind::consumable
                                                   : product_kind::non_consumable;
    e.credit_balance = options.credit_balance;
    e.credit_amount = options.credit_amount;
    r.store_time_ms = options.store_time_ms;
    r.delivered = options.delivered;
    if (options.payment_seq.empty() != options.access_token.empty())
        return make_error(errc::malformed_input, "a server payment needs both payment_seq and access_token");
    if (options.without_server_payment && !options.payment_seq.empty())
        return make_error(errc::malformed_input, "a purchase consumed with a payment_seq is not without_server_payment");
    e.without_server_payment = options.without_server_payment;
    e.payment_seq = options.payment_seq;
    r.payment.payment_seq = options.payment_seq;
    r.payment.access_token = options.access_token;
    r.payment.state = options.server_confirmed ? server_state::synced : server_state::pending;

    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const ledger_entry* before = s.find(e.key);
    if (before == nullptr && !e.other_id.empty()) before = s.find(purchase_key{e.key.store, e.other_id});
    if (before != nullptr)
        return make_error(errc::already_consumed, "purchase " + e.key.to_string() + " was already consumed at " +
                                                      detail::format_time_ms(before->consumed_time_ms) + " (" +
                                                      std::to_string(before->consumed_time_ms) + " ms) as " +
                                                      before->key.to_string());
    if (e.payment_seq.empty() && !e.without_server_payment && e.kind != product_kind::subscription &&
        s.knows_payments_of(e.key.store))
        return make_error(errc::malformed_input,
                          "purchase " + e.key.to_string() + " has no payment_seq, and this ledger knows IAP server payments of " +
                              std::string(to_string(e.key.store)) +
                              ": without it a claim of its payment would grant it again. Set consume_options::payment_seq "
                              "and access_token from the IAP SDK's purchase result, or "
                              "consume_options::without_server_payment = true for a purchase the IAP server never saw "
                              "(bought outside the IAP SDK)");
    if (!e.payment_seq.empty()) {
        const auto known = s.payments.find(e.payment_seq);
        if (known != s.payments.end() && known->second.key)
            return make_error(errc::already_consumed, "server payment " + e.payment_seq + " was already consumed as " +
                                                          known->second.key->to_string());
        if (known != s.payments.end() && known->second.state == server_state::conflict)
            return make_error(errc::already_consumed, "server payment " + e.payment_seq +
                                                          " was consumed elsewhere (the IAP server answered " +
                                                          std::to_string(known->second.result_code) + ")");
        // Only a payment the server listed as available can still be consumed here.
        if (known != s.payments.end() && known->second.state != server_state::available)
            return make_error(errc::already_consumed, "server payment " + e.payment_seq + " is already " +
                                                          std::string(to_string(known->second.state)) +
                                                          " on the IAP server");
    }
    r.time_ms = detail::wall_clock_ms();
    e.consumed_time_ms = r.time_ms;
    if (r.delivered) e.delivered_time_ms = r.time_ms;
    if (!e.credit_balance.empty()) {
        const auto it = s.balances.find(e.credit_balance);
        if (it != s.balances.end() && it->second > std::numeric_limits<std::int64_t>::max() - e.credit_amount)
            return make_error(errc::malformed_input, "the credit would overflow balance " + e.credit_balance);
    }
    return detail::commit_entry_record(s, std::move(r), "consume");
}

IAP_EMBEDDED_DECL result<ledger_entry> ledger::link_payment(const purchase_key& key, std::string_view payment_seq,
                                                            std::string_view access_token) {
    if (payment_seq.empty()) return make_error(errc::malformed_input, "a link needs the server payment's payment_seq");
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const ledger_entry* e = s.find(key);
    if (e == nullptr) return make_error(errc::malformed_input, "purchase " + key.to_string() + " was never consumed");
    if (e->payment_seq == payment_seq) return *e;
    const std::string seq(payment_seq);
    if (!e->payment_seq.empty())
        return make_error(errc::malformed_input, "purchase " + e->key.to_string() + " is server payment " + e->payment_seq +
                                                     ", not " + seq);
    const auto known = s.payments.find(seq);
    if (known != s.payments.end() && known->second.key)
        return make_error(errc::already_consumed, "server payment " + seq + " was already consumed as " +
                                                      known->second.key->to_string());
    if (known != s.payments.end() && !known->second.market.empty() &&
        detail::store_of_market(known->second.market) != e->key.store)
        return make_error(errc::malformed_input, "server payment " + seq + " is listed for market " + known->second.market +
                                                     ", not for " + std::string(to_string(e->key.store)));
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::link_payment;
    r.entry.key = e->key;
    r.payment.payment_seq = seq;
    r.payment.access_token = !access_token.empty() ? std::string(access_token)
                             : known != s.payments.end() ? known->second.access_token
                                                         : std::string();
    if (r.payment.access_token.empty())
        return make_error(errc::malformed_input, "server payment " + seq + " is not listed in the ledger: a link needs its access_token");
    r.time_ms = detail::wall_clock_ms();
    return detail::commit_entry_record(s, std::move(r), "link");
}

IAP_EMBEDDED_DECL result<ledger_entry> ledger::mark_without_server_payment(const purchase_key& key) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const ledger_entry* e = s.find(key);
    if (e == nullptr) return make_error(errc::malformed_input, "purchase " + key.to_string() + " was never consumed");
    if (!e->payment_seq.empty())
        return make_error(errc::malformed_input, "purchase " + e->key.to_string() + " is server payment " + e->payment_seq);
    if (e->without_server_payment) return *e;
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::no_server_payment;
    r.entry.key = e->key;
    r.time_ms = detail::wall_clock_ms();
    return detail::commit_entry_record(s, std::move(r), "mark");
}

IAP_EMBEDDED_DECL std::vector<ledger_entry> ledger::unlinked_consumes(store_kind store) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::vector<ledger_entry> out;
    for (const auto& e : state_->entries)
        if (e.key.store == store && e.payment_seq.empty() && !e.without_server_payment && e.kind != product_kind::subscription)
            out.push_back(e);
    return out;
}

IAP_EMBEDDED_DECL result<void> ledger::mark_delivered(const purchase_key& key) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const ledger_entry* e = s.find(key);
    if (e == nullptr) return make_error(errc::malformed_input, "purchase " + key.to_string() + " was never consumed");
    if (e->delivered_time_ms) return {};
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::deliver;
    r.entry.key = key;
    r.time_ms = detail::wall_clock_ms();
    if (auto committed = detail::commit_record(s, std::move(r)); !committed) return committed;
    detail::maybe_compact(s);
    return {};
}

IAP_EMBEDDED_DECL result<std::int64_t> ledger::spend(std::string_view balance, std::int64_t amount) {
    if (balance.empty() || amount <= 0)
        return make_error(errc::malformed_input, "spend needs a balance name and a positive amount");
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const auto it = s.balances.find(std::string(balance));
    const std::int64_t have = it == s.balances.end() ? 0 : it->second;
    if (have < amount)
        return make_error(errc::insufficient_balance, "balance " + std::string(balance) + " is " + std::to_string(have) +
                                                          ", less than " + std::to_string(amount));
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::spend;
    r.balance = std::string(balance);
    r.amount = amount;
    r.time_ms = detail::wall_clock_ms();
    const std::string name = r.balance;
    if (auto committed = detail::commit_record(s, std::move(r)); !committed) return std::move(committed).error();
    const std::int64_t now = s.balances[name];
    detail::maybe_compact(s);
    return now;
}

IAP_EMBEDDED_DECL result<ledger_entry> ledger::record_update(const purchase& later, std::int64_t store_time_ms) {
    auto key = purchase_key::of(later);
    if (!key) return std::move(key).error();
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    const ledger_entry* e = s.find(*key);
    if (e == nullptr) return make_error(errc::malformed_input, "purchase " + key->to_string() + " was never consumed");
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::update;
    r.entry.key = *key;
    r.state = later.state;
    r.expires_time_ms = later.expires_time_ms ? later.expires_time_ms : e->expires_time_ms;
    r.store_time_ms = store_time_ms;
    if (r.state == e->state && r.expires_time_ms == e->expires_time_ms && store_time_ms <= s.trusted_time_ms) return *e;
    r.time_ms = detail::wall_clock_ms();
    return detail::commit_entry_record(s, std::move(r), "update");
}

IAP_EMBEDDED_DECL result<void> ledger::observe_store_time(std::int64_t time_ms) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    if (time_ms <= s.trusted_time_ms) return {};
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::clock;
    r.store_time_ms = time_ms;
    r.time_ms = detail::wall_clock_ms();
    if (auto committed = detail::commit_record(s, std::move(r)); !committed) return committed;
    detail::maybe_compact(s);
    return {};
}

IAP_EMBEDDED_DECL std::vector<server_payment> ledger::server_payments(server_state state) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::vector<server_payment> out;
    for (const std::string& seq : state_->payment_order) {
        const server_payment& p = state_->payments.find(seq)->second;
        if (p.state == state) out.push_back(p);
    }
    return out;
}

IAP_EMBEDDED_DECL std::optional<server_payment> ledger::find_payment(std::string_view payment_seq) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto it = state_->payments.find(payment_seq);
    if (it == state_->payments.end()) return std::nullopt;
    return it->second;
}

IAP_EMBEDDED_DECL result<bool> ledger::record_server_available(const server_payment& payment) {
    if (payment.payment_seq.empty() || payment.access_token.empty())
        return make_error(errc::malformed_input, "a server payment needs a payment_seq and an access_token");
    if (payment.market.empty()) return make_error(errc::malformed_input, "a listed server payment needs its market");
    std::lock_guard<std::mutex> lock(state_->mutex);
    detail::ledger_state& s = *state_;
    if (s.payments.count(payment.payment_seq) != 0) return false;
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::server_available;
    r.payment = payment;
    r.payment.state = server_state::available;
    r.payment.key.reset();
    r.payment.attempted = false;
    r.payment.result_code = 0;
    r.time_ms = detail::wall_clock_ms();
    if (auto committed = detail::commit_record(s, std::move(r)); !committed) return std::move(committed).error();
    detail::maybe_compact(s);
    return true;
}

namespace detail {
/// Appends a server_attempt or server_result record about a known payment.
inline result<void> record_server_event(ledger_state& s, ledger_record&& r) {
    if (s.payments.find(r.payment.payment_seq) == s.payments.end())
        return make_error(errc::malformed_input, "server payment " + r.payment.payment_seq + " is not in the ledger");
    r.time_ms = wall_clock_ms();
    if (auto committed = commit_record(s, std::move(r)); !committed) return committed;
    maybe_compact(s);
    return {};
}
} // namespace detail

IAP_EMBEDDED_DECL result<void> ledger::record_server_attempt(std::string_view payment_seq) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto it = state_->payments.find(payment_seq);
    if (it != state_->payments.end() && it->second.attempted) return {};
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::server_attempt;
    r.payment.payment_seq = std::string(payment_seq);
    return detail::record_server_event(*state_, std::move(r));
}

IAP_EMBEDDED_DECL result<void> ledger::record_server_result(std::string_view payment_seq, server_state outcome,
                                                            std::int64_t result_code) {
    if (outcome != server_state::synced && outcome != server_state::conflict)
        return make_error(errc::malformed_input, "a server result is synced or conflict");
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto it = state_->payments.find(payment_seq);
    if (it != state_->payments.end() && it->second.state == outcome && it->second.result_code == result_code) return {};
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::server_result;
    r.payment.payment_seq = std::string(payment_seq);
    r.payment.state = outcome;
    r.payment.result_code = result_code;
    return detail::record_server_event(*state_, std::move(r));
}

IAP_EMBEDDED_DECL std::int64_t ledger::trusted_time_ms() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->trusted_time_ms;
}

IAP_EMBEDDED_DECL std::vector<ledger_entry> ledger::undelivered() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::vector<ledger_entry> out;
    for (const auto& e : state_->entries)
        if (!e.delivered_time_ms) out.push_back(e);
    return out;
}

IAP_EMBEDDED_DECL std::vector<ledger_entry> ledger::entitlements(std::int64_t at_ms) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const std::int64_t now = std::max(at_ms, state_->trusted_time_ms);
    std::vector<ledger_entry> out;
    for (const auto& e : state_->entries) {
        if (e.state != purchase_state::purchased) continue;
        if (e.kind == product_kind::non_consumable ||
            (e.kind == product_kind::subscription && (!e.expires_time_ms || *e.expires_time_ms > now)))
            out.push_back(e);
    }
    return out;
}

IAP_EMBEDDED_DECL std::optional<ledger_entry> ledger::find(const purchase_key& key) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const ledger_entry* e = state_->find(key);
    if (e == nullptr) return std::nullopt;
    return *e;
}

IAP_EMBEDDED_DECL std::int64_t ledger::balance(std::string_view name) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto it = state_->balances.find(std::string(name));
    return it == state_->balances.end() ? 0 : it->second;
}

IAP_EMBEDDED_DECL std::map<std::string, std::int64_t> ledger::balances() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->balances;
}

IAP_EMBEDDED_DECL std::vector<history_event> ledger::history(const history_filter& filter) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    std::vector<history_event> out;
    const auto& s = *state_;
    for (const auto& h : s.history) {
        if (h.time_ms < filter.from_ms || h.time_ms > filter.to_ms) continue;
        const ledger_entry* e = h.entry == detail::history_item::no_entry ? nullptr : &s.entries[h.entry];
        if (filter.store && (e == nullptr || e->key.store != *filter.store)) continue;
        if (!filter.product_id.empty() && (e == nullptr || e->product_id != filter.product_id)) continue;
        out.push_back(s.event(h));
    }
    return out;
}

IAP_EMBEDDED_DECL std::string ledger::history_json(const history_filter& filter) const {
    const auto events = history(filter);
    std::string out = "[";
    for (std::size_t i = 0; i < events.size(); ++i) {
        const history_event& h = events[i];
        out += i == 0 ? "\n  {" : ",\n  {";
        out += "\"kind\": ";
        detail::append_json_string(out, to_string(h.kind));
        out += ", \"time_ms\": " + std::to_string(h.time_ms);
        if (h.key) {
            out += ", \"store\": ";
            detail::append_json_string(out, to_string(h.key->store));
            out += ", \"key\": ";
            detail::append_json_string(out, h.key->to_string());
            out += ", \"product_id\": ";
            detail::append_json_string(out, h.product_id);
            out += ", \"state\": ";
            detail::append_json_string(out, to_string(h.state));
        }
        if (h.expires_time_ms) out += ", \"expires_time_ms\": " + std::to_string(*h.expires_time_ms);
        if (!h.balance.empty()) {
            out += ", \"balance\": ";
            detail::append_json_string(out, h.balance);
            out += ", \"amount\": " + std::to_string(h.amount);
        }
        out += "}";
    }
    out += events.empty() ? "]" : "\n]";
    return out;
}

IAP_EMBEDDED_DECL result<void> ledger::compact() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return detail::compact_locked(*state_);
}

IAP_EMBEDDED_DECL std::uint64_t ledger::record_count() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->records;
}

IAP_EMBEDDED_DECL std::uint64_t ledger::file_size() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->end;
}

IAP_EMBEDDED_DECL std::uint64_t ledger::recovered_bytes() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->recovered;
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_LEDGER_IPP
