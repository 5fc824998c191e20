// SPDX-License-Identifier: MIT
//
// What keeps a purchase from being granted twice when the input is hostile or the paths differ:
// the ledger never writes a record its own replay refuses (the largest one it accepts reopens),
// a consume that the state refuses is a typed error that leaves the file intact, and one purchase
// has one identity whichever of its ids it comes with.
#include "test_ledger_support.hpp"

#include <iap_embedded/detail/ledger_state.hpp>
#include <iap_embedded/ledger.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using namespace iap_embedded;
using ledger_test::google_key;
using ledger_test::google_purchase;
using ledger_test::open_ok;
using ledger_test::scratch_dir;

namespace {

/// The payload size of the consume record that `ledger::consume(p)` writes.
std::size_t consume_payload_size(const purchase& p) {
    detail::ledger_record r;
    r.type = detail::ledger_format::record_type::consume;
    r.entry.key = purchase_key::of(p).value();
    r.entry.product_id = p.product_id;
    r.entry.order_id = p.order_id;
    return detail::encode_record(r).size();
}

purchase one_store_purchase(const std::string& purchase_id, const std::string& token) {
    purchase p;
    p.store = store_kind::one_store;
    p.product_id = "gems_100";
    p.purchase_id = purchase_id;
    p.purchase_token = token;
    p.purchase_time_ms = 1767225600000;
    return p;
}

} // namespace

TEST_CASE("ledger: the largest record the API accepts is written and reopens; one byte more is refused") {
    for (const bool keyed : {false, true}) {
        INFO((keyed ? "keyed" : "unkeyed"));
        scratch_dir dir;
        const std::string path = dir.file("big.ledger");
        ledger_options options;
        if (keyed) options.hmac_key = "a key";
        purchase p = google_purchase("big-token", "");
        const std::size_t base = consume_payload_size(p);
        REQUIRE(base < detail::ledger_format::max_payload);
        {
            ledger book = open_ok(path, options);
            purchase too_big = google_purchase("too-big", "");
            too_big.product_id = std::string(detail::ledger_format::max_payload - consume_payload_size(too_big) + 1, 'x');
            const auto records = book.record_count();
            const auto size = book.file_size();
            auto refused = book.consume(too_big);
            REQUIRE_FALSE(refused);
            CHECK(refused.error_code() == errc::malformed_input);
            CHECK_THAT(refused.message(), Catch::Contains("larger than the ledger's limit"));
            CHECK(book.record_count() == records);
            CHECK(book.file_size() == size);
            CHECK_FALSE(book.find(google_key("too-big")));

            p.product_id = std::string(detail::ledger_format::max_payload - base, 'p');
            REQUIRE(consume_payload_size(p) == detail::ledger_format::max_payload);
            auto consumed = book.consume(p);
            INFO(consumed.message());
            REQUIRE(consumed);
        }
        {
            ledger book = open_ok(path, options);
            auto found = book.find(google_key("big-token"));
            REQUIRE(found);
            CHECK(found->product_id.size() == detail::ledger_format::max_payload - base);
            CHECK_FALSE(book.find(google_key("too-big")));
            REQUIRE(book.compact()); // the snapshot writes the same record
        }
        ledger book = open_ok(path, options);
        CHECK(book.find(google_key("big-token")));
        CHECK(book.consume(google_purchase("big-token")).error_code() == errc::already_consumed);
    }
}

TEST_CASE("ledger: a consume with a payment the server already settled is already_consumed, the file intact") {
    // The payment is known as synced (or a conflict) without a local purchase: consuming a
    // purchase with it used to write a record the state refused, then dereference the missing
    // entry (a crash), and the next open called the file corrupt.
    for (const server_state settled : {server_state::synced, server_state::conflict}) {
        INFO(to_string(settled));
        scratch_dir dir;
        const std::string path = dir.file("p.ledger");
        std::uint64_t records = 0;
        {
            ledger book = open_ok(path);
            server_payment listed;
            listed.payment_seq = "P1";
            listed.access_token = "token-P1";
            listed.market = "GG";
            REQUIRE(book.record_server_available(listed).value());
            REQUIRE(book.record_server_result("P1", settled, settled == server_state::synced ? 0 : 5018));
            records = book.record_count();
            consume_options o;
            o.payment_seq = "P1";
            o.access_token = "token-P1";
            auto consumed = book.consume(google_purchase("gp-1"), o);
            REQUIRE_FALSE(consumed);
            CHECK(consumed.error_code() == errc::already_consumed);
            CHECK(book.record_count() == records);
            CHECK_FALSE(book.find(google_key("gp-1")));
            // The same purchase declared without a payment is still a purchase of its own (and
            // without saying so it is refused: the ledger knows Google Play payments).
            CHECK(book.consume(google_purchase("gp-1")).error_code() == errc::malformed_input);
            consume_options outside;
            outside.without_server_payment = true;
            REQUIRE(book.consume(google_purchase("gp-1"), outside));
        }
        ledger book = open_ok(path);
        CHECK(book.record_count() == records + 1);
        CHECK(book.find_payment("P1")->state == settled);
        CHECK_FALSE(book.find_payment("P1")->key);
    }
}

TEST_CASE("ledger: a ONE store purchase is one purchase with or without its purchaseId") {
    scratch_dir dir;
    const std::string path = dir.file("one.ledger");
    SECTION("both ids first, then the token alone") {
        {
            ledger book = open_ok(path);
            auto first = book.consume(one_store_purchase("ONE-ID-1", "one-token-1"));
            REQUIRE(first);
            CHECK(first->key.id == "ONE-ID-1");
            CHECK(first->other_id == "one-token-1");
            auto again = book.consume(one_store_purchase("", "one-token-1"));
            REQUIRE_FALSE(again);
            CHECK(again.error_code() == errc::already_consumed);
        }
        {
            ledger book = open_ok(path); // the other id survives a reopen and a compaction
            CHECK(book.consume(one_store_purchase("", "one-token-1")).error_code() == errc::already_consumed);
            REQUIRE(book.compact());
        }
        ledger compacted = open_ok(path);
        CHECK(compacted.consume(one_store_purchase("", "one-token-1")).error_code() == errc::already_consumed);
        CHECK(compacted.find(purchase_key{store_kind::one_store, "one-token-1"})->key.id == "ONE-ID-1");
        CHECK(compacted.undelivered().size() == 1);
    }
    SECTION("the token alone first, then both ids") {
        ledger book = open_ok(path);
        REQUIRE(book.consume(one_store_purchase("", "one-token-2")));
        auto again = book.consume(one_store_purchase("ONE-ID-2", "one-token-2"));
        REQUIRE_FALSE(again);
        CHECK(again.error_code() == errc::already_consumed);
        CHECK(book.undelivered().size() == 1);
    }
    SECTION("the purchaseId alone and both ids") {
        ledger book = open_ok(path);
        REQUIRE(book.consume(one_store_purchase("ONE-ID-3", "")));
        CHECK(book.consume(one_store_purchase("ONE-ID-3", "one-token-3")).error_code() == errc::already_consumed);
        // A later refund seen with the token alone reaches the same entry.
        purchase refunded = one_store_purchase("ONE-ID-4", "one-token-4");
        REQUIRE(book.consume(refunded));
        refunded.purchase_id = "";
        refunded.state = purchase_state::refunded;
        auto updated = book.record_update(refunded);
        REQUIRE(updated);
        CHECK(updated->key.id == "ONE-ID-4");
        CHECK(updated->state == purchase_state::refunded);
    }
}

namespace {

server_payment listed_payment(const std::string& seq, const std::string& market = "GG") {
    server_payment p;
    p.payment_seq = seq;
    p.access_token = "token-" + seq;
    p.market = market;
    p.product_seq = "1001";
    return p;
}

/// What a reopen or a compaction must keep of the links and declarations.
std::string payment_state_of(const ledger& book) {
    std::string out;
    for (const server_state st : {server_state::pending, server_state::synced, server_state::conflict, server_state::available})
        for (const auto& p : book.server_payments(st))
            out += p.payment_seq + " " + std::string(to_string(p.state)) + " " + p.access_token + " " +
                   (p.key ? p.key->to_string() : std::string("-")) + " " + std::to_string(p.time_ms) + "\n";
    for (const auto& e : book.undelivered())
        out += e.key.to_string() + " " + e.payment_seq + " " + std::to_string(e.without_server_payment) + "\n";
    for (const store_kind s : {store_kind::google_play, store_kind::app_store})
        for (const auto& e : book.unlinked_consumes(s)) out += "unlinked " + e.key.to_string() + "\n";
    return out;
}

} // namespace

TEST_CASE("ledger: link_payment ties a consumed purchase to one server payment") {
    scratch_dir dir;
    const std::string path = dir.file("link.ledger");
    std::optional<ledger> book;
    book.emplace(open_ok(path));
    REQUIRE(book->consume(google_purchase("gp-1")));
    REQUIRE(book->consume(google_purchase("gp-2")));
    REQUIRE(book->consume(google_purchase("gp-3")));
    REQUIRE(book->consume(one_store_purchase("ONE-1", "one-token-1")));
    REQUIRE(book->record_server_available(listed_payment("P1")).value());
    REQUIRE(book->record_server_available(listed_payment("P-AS", "AS")).value());
    consume_options paid;
    paid.payment_seq = "P2";
    paid.access_token = "token-P2";
    paid.without_server_payment = false;
    consume_options outside;
    outside.without_server_payment = true;
    REQUIRE(book->consume(google_purchase("gp-paid"), paid));
    auto records = book->record_count();

    // Refused, nothing written.
    CHECK(book->link_payment(google_key("never"), "P1").error_code() == errc::malformed_input);
    CHECK(book->link_payment(google_key("gp-1"), "").error_code() == errc::malformed_input);
    CHECK(book->link_payment(google_key("gp-1"), "P-unlisted").error_code() == errc::malformed_input); // no token
    CHECK(book->link_payment(google_key("gp-1"), "P2", "token-P2").error_code() == errc::already_consumed);
    CHECK(book->link_payment(google_key("gp-1"), "P-AS").error_code() == errc::malformed_input); // another store
    CHECK(book->mark_without_server_payment(google_key("never")).error_code() == errc::malformed_input);
    CHECK(book->mark_without_server_payment(google_key("gp-paid")).error_code() == errc::malformed_input);
    CHECK(book->record_count() == records);

    auto linked = book->link_payment(google_key("gp-1"), "P1");
    REQUIRE(linked);
    CHECK(linked->payment_seq == "P1");
    CHECK(book->find_payment("P1")->state == server_state::pending);
    CHECK(book->find_payment("P1")->access_token == "token-P1");
    CHECK(book->record_count() == ++records);
    CHECK(book->link_payment(google_key("gp-1"), "P1").value().payment_seq == "P1"); // idempotent
    CHECK(book->record_count() == records);
    CHECK(book->link_payment(google_key("gp-1"), "P3", "token-P3").error_code() == errc::malformed_input);
    CHECK(book->link_payment(google_key("gp-2"), "P1").error_code() == errc::already_consumed);
    CHECK(book->mark_without_server_payment(google_key("gp-1")).error_code() == errc::malformed_input);

    // A payment the ledger has not heard of, by the entry's other id; declared, then linked.
    REQUIRE(book->link_payment(purchase_key{store_kind::one_store, "one-token-1"}, "P-ONE", "token-P-ONE"));
    CHECK(book->find_payment("P-ONE")->key->id == "ONE-1");
    REQUIRE(book->mark_without_server_payment(google_key("gp-3")));
    REQUIRE(book->mark_without_server_payment(google_key("gp-3"))); // idempotent
    records = book->record_count();
    REQUIRE(book->link_payment(google_key("gp-3"), "P3", "token-P3"));
    CHECK_FALSE(book->find(google_key("gp-3"))->without_server_payment);
    REQUIRE(book->mark_without_server_payment(google_key("gp-2")));
    CHECK(book->record_count() == records + 2);

    // The payment's purchase is consumed, by any path.
    paid.payment_seq = "P1";
    paid.access_token = "token-P1";
    CHECK(book->consume(google_purchase("gp-other"), paid).error_code() == errc::already_consumed);
    CHECK(book->consume(google_purchase("gp-1"), paid).error_code() == errc::already_consumed);
    CHECK(book->consume(google_purchase("gp-1"), outside).error_code() == errc::already_consumed);
    CHECK(book->consume(google_purchase("gp-4")).error_code() == errc::malformed_input);

    // Reopen and compaction keep it all, in the same order; and refuse and grant the same way.
    const std::string before = payment_state_of(*book);
    book.reset();
    book.emplace(open_ok(path));
    CHECK(payment_state_of(*book) == before);
    REQUIRE(book->compact());
    CHECK(payment_state_of(*book) == before);
    book.reset();
    book.emplace(open_ok(path));
    CHECK(payment_state_of(*book) == before);
    CHECK(book->link_payment(google_key("gp-2"), "P1").error_code() == errc::already_consumed);
    CHECK(book->consume(google_purchase("gp-other"), paid).error_code() == errc::already_consumed);
    CHECK(book->consume(google_purchase("gp-4")).error_code() == errc::malformed_input);
    CHECK(book->unlinked_consumes(store_kind::google_play).empty());
    REQUIRE(book->consume(google_purchase("gp-4"), outside));
}

TEST_CASE("ledger: links keep the order of payments through compaction") {
    // A link that creates its payment puts it after the payments known before, and compaction
    // writes the link there again; a link to a settled payment leaves it settled.
    scratch_dir dir;
    const std::string path = dir.file("order.ledger");
    std::optional<ledger> book;
    book.emplace(open_ok(path));
    REQUIRE(book->consume(google_purchase("gp-1")));
    REQUIRE(book->consume(google_purchase("gp-2")));
    REQUIRE(book->record_server_available(listed_payment("P-listed")).value());
    REQUIRE(book->record_server_result("P-listed", server_state::conflict, 5018));
    REQUIRE(book->link_payment(google_key("gp-2"), "P-new", "token-P-new"));
    consume_options paid;
    paid.payment_seq = "P-later";
    paid.access_token = "token-P-later";
    REQUIRE(book->consume(google_purchase("gp-3"), paid));
    REQUIRE(book->link_payment(google_key("gp-1"), "P-listed"));
    CHECK(book->find_payment("P-listed")->state == server_state::conflict);
    REQUIRE(book->record_server_attempt("P-new"));
    const auto pending = book->server_payments(server_state::pending);
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].payment_seq == "P-new");
    CHECK(pending[1].payment_seq == "P-later");
    const std::string before = payment_state_of(*book);
    REQUIRE(book->compact());
    CHECK(payment_state_of(*book) == before);
    CHECK(book->find_payment("P-new")->attempted);
    book.reset();
    book.emplace(open_ok(path));
    CHECK(payment_state_of(*book) == before);
    CHECK(book->find(google_key("gp-1"))->payment_seq == "P-listed");
}
