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
            // The same purchase without the payment is still a purchase of its own.
            REQUIRE(book.consume(google_purchase("gp-1")));
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
