// SPDX-License-Identifier: MIT
//
// The consume ledger's semantics, one by one: exactly-once consume (also across reopen and from
// many threads), two-phase delivery, balances, entitlements and the trusted clock, history, the
// process lock, HMAC keys, compaction and explicit repair.
#include "test_ledger_support.hpp"

#include <iap_embedded/ledger.hpp>
#include <iap_embedded/detail/json.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace iap_embedded;
using ledger_test::google_key;
using ledger_test::google_purchase;
using ledger_test::open_ok;

TEST_CASE("ledger: a purchase is consumed once, even after a restart") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    {
        auto l = open_ok(path);
        const auto first = l.consume(google_purchase("tok-1"));
        REQUIRE(first);
        CHECK(first->key == google_key("tok-1"));
        CHECK(first->product_id == "gems_100");
        CHECK(first->consumed_time_ms > 0);
        CHECK_FALSE(first->delivered_time_ms);

        const auto again = l.consume(google_purchase("tok-1"));
        REQUIRE_FALSE(again);
        CHECK(again.error_code() == errc::already_consumed);
        CHECK(again.message().find("consumed at") != std::string::npos);
        CHECK(l.consume(google_purchase("tok-2")));
    }
    auto reopened = open_ok(path);
    CHECK(reopened.record_count() == 2);
    const auto replay = reopened.consume(google_purchase("tok-1"));
    REQUIRE_FALSE(replay);
    CHECK(replay.error_code() == errc::already_consumed);
    CHECK(reopened.find(google_key("tok-2")));
    CHECK_FALSE(reopened.find(google_key("tok-3")));
}

TEST_CASE("ledger: keys are the store's unique id, per store") {
    purchase g = google_purchase("token");
    CHECK(purchase_key::of(g)->to_string() == "google_play:token");

    purchase o;
    o.store = store_kind::one_store;
    o.purchase_id = "PID";
    o.purchase_token = "TOKEN";
    CHECK(purchase_key::of(o)->id == "PID");
    o.purchase_id.clear();
    CHECK(purchase_key::of(o)->id == "TOKEN");
    o.purchase_token.clear();
    CHECK(purchase_key::of(o).error_code() == errc::malformed_input);

    purchase a;
    a.store = store_kind::app_store;
    a.purchase_token = "not used for apple";
    CHECK(purchase_key::of(a).error_code() == errc::malformed_input);
    a.transaction_id = "2000000123";
    CHECK(purchase_key::of(a)->to_string() == "app_store:2000000123");

    const auto parsed = purchase_key::parse("one-store:PID:with:colons");
    REQUIRE(parsed);
    CHECK(parsed->store == store_kind::one_store);
    CHECK(parsed->id == "PID:with:colons");
    CHECK(purchase_key::parse("nostore").error_code() == errc::malformed_input);
    CHECK(purchase_key::parse("steam:1").error_code() == errc::malformed_input);
    CHECK(purchase_key::parse("app_store:").error_code() == errc::malformed_input);

    // The same id in two stores is two purchases.
    ledger_test::scratch_dir dir;
    auto l = open_ok(dir.file("l"));
    purchase same_id_apple = a;
    same_id_apple.transaction_id = "token";
    CHECK(l.consume(g));
    CHECK(l.consume(same_id_apple));
}

TEST_CASE("ledger: only purchased purchases with sound options are consumed") {
    ledger_test::scratch_dir dir;
    auto l = open_ok(dir.file("l"));
    auto pending = google_purchase("p");
    pending.state = purchase_state::pending;
    CHECK(l.consume(pending).error_code() == errc::malformed_input);
    auto refunded = google_purchase("r");
    refunded.state = purchase_state::refunded;
    CHECK(l.consume(refunded).error_code() == errc::malformed_input);
    consume_options no_amount;
    no_amount.credit_balance = "gems";
    CHECK(l.consume(google_purchase("a"), no_amount).error_code() == errc::malformed_input);
    CHECK(l.consume(google_purchase("b"), consume_options::credit("gems", -5)).error_code() == errc::malformed_input);
    CHECK(l.consume(google_purchase("c"), consume_options::credit("", 5)).error_code() == errc::malformed_input);
    CHECK(l.record_count() == 0);
    // A rejected purchase is not burned: it can still be consumed once it is fixed.
    CHECK(l.consume(google_purchase("p")));
}

TEST_CASE("ledger: two-phase delivery survives a restart until confirmed") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    {
        auto l = open_ok(path);
        REQUIRE(l.consume(google_purchase("a")));
        REQUIRE(l.consume(google_purchase("b")));
        REQUIRE(l.consume(google_purchase("c"), consume_options::credit("gems", 10)));
        REQUIRE(l.mark_delivered(google_key("a")));
        // "crash" before b is delivered
    }
    auto l = open_ok(path);
    auto pending = l.undelivered();
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].key == google_key("b"));
    REQUIRE(l.mark_delivered(google_key("b")));
    REQUIRE(l.mark_delivered(google_key("b"))); // idempotent, writes nothing
    CHECK(l.record_count() == 5); // three consumes, two deliveries
    CHECK(l.undelivered().empty());
    CHECK(l.mark_delivered(google_key("never")).error_code() == errc::malformed_input);
}

TEST_CASE("ledger: credits and spends are durable and never go below zero") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    {
        auto l = open_ok(path);
        REQUIRE(l.consume(google_purchase("g1"), consume_options::credit("gems", 100)));
        const auto left = l.spend("gems", 30);
        REQUIRE(left);
        CHECK(*left == 70);
        const auto too_much = l.spend("gems", 71);
        REQUIRE_FALSE(too_much);
        CHECK(too_much.error_code() == errc::insufficient_balance);
        CHECK(l.spend("coins", 1).error_code() == errc::insufficient_balance);
        CHECK(l.spend("gems", 0).error_code() == errc::malformed_input);
        CHECK(l.spend("gems", -3).error_code() == errc::malformed_input);
        CHECK(l.balance("gems") == 70);
    }
    auto l = open_ok(path);
    CHECK(l.balance("gems") == 70);
    CHECK(l.consume(google_purchase("g1"), consume_options::credit("gems", 100)).error_code() == errc::already_consumed);
    CHECK(l.balance("gems") == 70);
    REQUIRE(l.spend("gems", 70));
    CHECK(l.balance("gems") == 0);
    CHECK(l.balances().at("gems") == 0);
    const auto e = l.find(google_key("g1"));
    REQUIRE(e);
    CHECK(e->kind == product_kind::consumable);
    CHECK(e->delivered_time_ms);
}

TEST_CASE("ledger: a credit that would overflow the balance is refused") {
    ledger_test::scratch_dir dir;
    auto l = open_ok(dir.file("l"));
    REQUIRE(l.consume(google_purchase("a"), consume_options::credit("gems", INT64_MAX - 1)));
    CHECK(l.consume(google_purchase("b"), consume_options::credit("gems", 2)).error_code() == errc::malformed_input);
    CHECK(l.balance("gems") == INT64_MAX - 1);
}

TEST_CASE("ledger: entitlements hold non-consumables and active subscriptions, not refunded ones") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    const std::int64_t t0 = 1767225600000, month = 30LL * 86400 * 1000;
    {
        auto l = open_ok(path);
        REQUIRE(l.consume(google_purchase("forever", "remove_ads", t0), [] {
            consume_options o;
            o.delivered = true;
            return o;
        }()));
        REQUIRE(l.consume(google_purchase("gems", "gems_100", t0), consume_options::credit("gems", 100)));
        REQUIRE(l.consume(ledger_test::apple_subscription("1001", t0, t0 + month)));
        const auto at_start = l.entitlements(t0 + 1);
        REQUIRE(at_start.size() == 2);
        CHECK(at_start[0].product_id == "remove_ads");
        CHECK(at_start[0].kind == product_kind::non_consumable);
        CHECK(at_start[1].kind == product_kind::subscription);
        const auto after_expiry = l.entitlements(t0 + month + 1);
        REQUIRE(after_expiry.size() == 1);
        CHECK(after_expiry[0].product_id == "remove_ads");

        auto refund = google_purchase("forever", "remove_ads", t0);
        refund.state = purchase_state::refunded;
        const auto updated = l.record_update(refund, t0 + 10);
        REQUIRE(updated);
        CHECK(updated->state == purchase_state::refunded);
        CHECK(l.record_update(google_purchase("unknown")).error_code() == errc::malformed_input);
    }
    auto l = open_ok(path);
    const auto now = l.entitlements(t0 + 100);
    REQUIRE(now.size() == 1);
    CHECK(now[0].product_id == "pro_monthly");
    history_filter only_ads;
    only_ads.product_id = "remove_ads";
    const auto h = l.history(only_ads);
    REQUIRE(h.size() == 3);
    CHECK(h[0].kind == history_kind::consumed);
    CHECK(h[1].kind == history_kind::delivered);
    CHECK(h[2].kind == history_kind::state_changed);
    CHECK(h[2].state == purchase_state::refunded);
}

TEST_CASE("ledger: turning the device clock back does not revive an expired subscription") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    const std::int64_t t0 = 1767225600000, month = 30LL * 86400 * 1000;
    {
        auto l = open_ok(path);
        consume_options seen;
        seen.store_time_ms = t0 + 5; // receipt creation date
        REQUIRE(l.consume(ledger_test::apple_subscription("2001", t0, t0 + month), seen));
        CHECK(l.trusted_time_ms() == t0 + 5);
        CHECK(l.entitlements(t0 + 10).size() == 1);
        // A later verified receipt shows the store's time after the expiry.
        REQUIRE(l.observe_store_time(t0 + month + 1000));
        REQUIRE(l.observe_store_time(t0)); // going back is ignored
        CHECK(l.trusted_time_ms() == t0 + month + 1000);
    }
    auto l = open_ok(path);
    CHECK(l.trusted_time_ms() == t0 + month + 1000);
    CHECK(l.entitlements(t0 + 10).empty()); // the device says "one day after purchase": not believed
    CHECK(l.entitlements(t0 + 2 * month).empty());
}

TEST_CASE("ledger: history filters by product, store and time, and exports JSON") {
    ledger_test::scratch_dir dir;
    auto l = open_ok(dir.file("l"));
    REQUIRE(l.consume(google_purchase("a", "gems_100"), consume_options::credit("gems", 100)));
    REQUIRE(l.consume(google_purchase("b", "remove_ads")));
    REQUIRE(l.consume(ledger_test::apple_subscription("3001", 1767225600000, 1769817600000)));
    REQUIRE(l.spend("gems", 5));
    REQUIRE(l.mark_delivered(google_key("b")));

    const auto all = l.history();
    REQUIRE(all.size() == 6); // consumed+delivered, consumed, consumed, spent, delivered
    for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].time_ms <= all[i].time_ms);

    history_filter apple;
    apple.store = store_kind::app_store;
    const auto a = l.history(apple);
    REQUIRE(a.size() == 1);
    CHECK(a[0].key->id == "3001");

    history_filter ads;
    ads.product_id = "remove_ads";
    CHECK(l.history(ads).size() == 2);

    history_filter future;
    future.from_ms = all.back().time_ms + 1;
    CHECK(l.history(future).empty());
    history_filter past;
    past.to_ms = all.front().time_ms - 1;
    CHECK(l.history(past).empty());

    const auto parsed = detail::parse_json(l.history_json());
    INFO(l.history_json());
    REQUIRE(parsed);
    REQUIRE(parsed->is<picojson::array>());
    const auto& items = parsed->get<picojson::array>();
    REQUIRE(items.size() == all.size());
    const auto& spent = items[4].get<picojson::object>();
    CHECK(spent.at("kind").get<std::string>() == "spent");
    CHECK(spent.at("balance").get<std::string>() == "gems");
    CHECK(spent.at("amount").get<double>() == 5);
    const auto& first = items[0].get<picojson::object>();
    CHECK(first.at("key").get<std::string>() == "google_play:a");
    CHECK(first.at("store").get<std::string>() == "google_play");
    CHECK(detail::parse_json(l.history_json(future))->get<picojson::array>().empty());
}

TEST_CASE("ledger: concurrent consumes of one key: exactly one wins") {
    ledger_test::scratch_dir dir;
    auto l = open_ok(dir.file("l"), [] {
        ledger_options o;
        o.level = durability::process;
        return o;
    }());
    constexpr int threads = 8, keys = 20;
    std::atomic<int> wins{0}, replays{0}, other{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int k = 0; k < keys; ++k) {
                const auto r = l.consume(google_purchase("shared-" + std::to_string(k)),
                                         consume_options::credit("gems", 1));
                if (r) ++wins;
                else if (r.error_code() == errc::already_consumed) ++replays;
                else ++other;
                (void)l.spend("gems", 1);
            }
        });
    for (auto& t : pool) t.join();
    CHECK(wins == keys);
    CHECK(replays == keys * (threads - 1));
    CHECK(other == 0);
    CHECK(l.balance("gems") == 0);
    CHECK(l.history(history_filter{}).size() == static_cast<std::size_t>(2 * keys + keys)); // consumed, delivered, spent
}

TEST_CASE("ledger: one writer: a second open, here or in another process, is ledger_locked") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    {
        auto l = open_ok(path);
        CHECK(ledger::open(path).error_code() == errc::ledger_locked);

        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            const auto other = ledger::open(path);
            _exit(!other && other.error_code() == errc::ledger_locked ? 0 : 1);
        }
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    // Closed: free again. A process that dies holding the lock releases it.
    int ready[2];
    REQUIRE(pipe(ready) == 0);
    const pid_t holder = fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        auto held = ledger::open(path);
        const char c = held ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        for (;;) pause();
    }
    char c = 0;
    REQUIRE(read(ready[0], &c, 1) == 1);
    CHECK(c == 'y');
    CHECK(ledger::open(path).error_code() == errc::ledger_locked);
    kill(holder, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(holder, &status, 0) == holder);
    close(ready[0]);
    close(ready[1]);
    CHECK(ledger::open(path));
}

TEST_CASE("ledger: the HMAC key must fit the ledger") {
    ledger_test::scratch_dir dir;
    const auto keyed = dir.file("keyed");
    const auto plain = dir.file("plain");
    ledger_options with_key;
    with_key.hmac_key = "0123456789abcdef0123456789abcdef";
    {
        auto l = open_ok(keyed, with_key);
        REQUIRE(l.consume(google_purchase("a")));
        auto p = open_ok(plain);
        REQUIRE(p.consume(google_purchase("a")));
    }
    CHECK(open_ok(keyed, with_key).find(google_key("a")));
    const auto no_key = ledger::open(keyed);
    CHECK(no_key.error_code() == errc::ledger_corrupted);
    CHECK(no_key.message().find("offset") != std::string::npos);
    ledger_options wrong = with_key;
    wrong.hmac_key[0] = 'X';
    const auto bad_key = ledger::open(keyed, wrong);
    CHECK(bad_key.error_code() == errc::ledger_corrupted);
    CHECK(bad_key.message().find("HMAC") != std::string::npos);
    // Stripping the chain (an unkeyed file where a keyed one is expected) is refused too.
    CHECK(ledger::open(plain, with_key).error_code() == errc::ledger_corrupted);
}

TEST_CASE("ledger: a file that is not a ledger is ledger_corrupted at offset 0, and left alone") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("foreign");
    const std::string text = "SQLite format 3\0 this is some other file with more than a header's worth of bytes.....";
    ledger_test::write_bytes(path, text);
    const auto opened = ledger::open(path);
    REQUIRE_FALSE(opened);
    CHECK(opened.error_code() == errc::ledger_corrupted);
    CHECK(opened.message().find("offset 0") != std::string::npos);
    CHECK(ledger::repair(path).error_code() == errc::ledger_corrupted);
    CHECK(ledger_test::read_bytes(path) == text);

    ledger_options no_create;
    no_create.create = false;
    CHECK(ledger::open(dir.file("missing"), no_create).error_code() == errc::io_error);
}

TEST_CASE("ledger: damage in the middle is reported with its offset and repaired only on request") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    std::uint64_t second_record_at = 0;
    {
        auto l = open_ok(path);
        REQUIRE(l.consume(google_purchase("a")));
        second_record_at = l.file_size();
        REQUIRE(l.consume(google_purchase("b")));
        REQUIRE(l.consume(google_purchase("c")));
    }
    auto bytes = ledger_test::read_bytes(path);
    bytes[second_record_at + 20] ^= 0x01;
    ledger_test::write_bytes(path, bytes);
    const auto opened = ledger::open(path);
    REQUIRE_FALSE(opened);
    CHECK(opened.error_code() == errc::ledger_corrupted);
    CHECK(opened.message().find("offset " + std::to_string(second_record_at)) != std::string::npos);
    CHECK(ledger_test::read_bytes(path) == bytes); // not repaired behind the caller's back

    const auto removed = ledger::repair(path);
    REQUIRE(removed);
    CHECK(*removed == bytes.size() - second_record_at);
    auto l = open_ok(path);
    CHECK(l.find(google_key("a")));
    CHECK_FALSE(l.find(google_key("b")));
    CHECK(l.record_count() == 1);
}

TEST_CASE("ledger: compaction folds spends, keeps purchases and history, and survives reopen") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    ledger_options options;
    options.hmac_key = "compaction key";
    options.compact_slack_records = 16;
    const std::int64_t t0 = 1767225600000;
    {
        auto l = open_ok(path, options);
        REQUIRE(l.consume(google_purchase("a"), consume_options::credit("gems", 1000)));
        REQUIRE(l.consume(google_purchase("b", "remove_ads")));
        REQUIRE(l.consume(ledger_test::apple_subscription("4001", t0, t0 + 1000)));
        for (int i = 0; i < 100; ++i) REQUIRE(l.spend("gems", 3));
        CHECK(l.record_count() < 40); // compacted automatically on the way
        CHECK(l.balance("gems") == 700);
        REQUIRE(l.compact());
        CHECK(l.record_count() == 6); // three consumes, one delivery, one balance, one clock
        CHECK(l.undelivered().size() == 2);
        REQUIRE(l.spend("gems", 1));
    }
    auto l = open_ok(path, options);
    CHECK(l.balance("gems") == 699);
    CHECK(l.find(google_key("b")));
    CHECK(l.consume(google_purchase("a")).error_code() == errc::already_consumed);
    CHECK(l.trusted_time_ms() == t0);
    CHECK(l.undelivered().size() == 2);
    history_filter ads;
    ads.product_id = "remove_ads";
    CHECK(l.history(ads).size() == 1);
    CHECK(ledger_test::read_bytes(path + ".compact-tmp").empty());
}

TEST_CASE("ledger: the process durability level keeps the same semantics") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    ledger_options fast;
    fast.level = durability::process;
    {
        auto l = open_ok(path, fast);
        REQUIRE(l.consume(google_purchase("a")));
    }
    auto l = open_ok(path);
    CHECK(l.consume(google_purchase("a")).error_code() == errc::already_consumed);
}
