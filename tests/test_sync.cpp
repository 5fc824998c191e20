// SPDX-License-Identifier: MIT
//
// The sync client's rules against an in-process IAP server that follows the documented API and can
// fail in each way a network can: before the request arrives, after it was applied (the answer
// lost), or with a bad answer. The same rules run against the real dev server over HTTP and HTTPS
// in tests/sync/.
#include <iap_embedded/sync.hpp>

#include "test_ledger_support.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace iap_embedded;
using ledger_test::google_purchase;
using ledger_test::scratch_dir;

namespace {

/// The documented server, in memory.
class fake_server final : public http_transport {
public:
    struct payment {
        std::string token, user, market, product_seq;
        bool consumed = false;
    };
    std::map<std::string, payment> payments;
    std::string app_key = "app-key-1";

    /// Faults for the next requests: refuse the connection (the request never leaves the
    /// device), drop it after it was sent but before it was applied, or apply it and lose the
    /// answer.
    int refuse = 0;
    int drop_unapplied = 0;
    int lose_answer = 0;
    /// The next answer (status, body), given without handling the request.
    std::optional<std::pair<int, std::string>> next_answer;
    int requests = 0;

    void add(const std::string& seq, const std::string& user = "user-1", const std::string& market = "GG") {
        payments[seq] = payment{"token-" + seq, user, market, std::to_string(1001 + payments.size()), false};
    }

    result<http_response> send_when_connected(const http_request& request, const before_request_hook& hook) override {
        if (refuse > 0) return ++requests, --refuse, make_error(errc::network_error, "connection refused (fake)");
        if (auto ready = hook(); !ready) return std::move(ready).error();
        return send(request);
    }

    result<http_response> send(const http_request& request) override {
        ++requests;
        if (refuse > 0) return --refuse, make_error(errc::network_error, "connection refused (fake)");
        if (drop_unapplied > 0) return --drop_unapplied, make_error(errc::network_error, "connection reset (fake)");
        http_response out;
        if (next_answer) { // answered without being handled
            out.status = next_answer->first;
            out.body = next_answer->second;
            next_answer.reset();
            return out;
        }
        out.status = 200;
        out.body = handle(request);
        if (lose_answer > 0) return --lose_answer, make_error(errc::network_error, "connection reset (fake)");
        return out;
    }

private:
    static std::string envelope(bool ok, int code, const std::string& result = "null") {
        return R"({"header":{"isSuccessful":)" + std::string(ok ? "true" : "false") + R"(,"resultCode":)" +
               std::to_string(code) + R"(,"resultMessage":"m"},"result":)" + result + "}";
    }

    std::string handle(const http_request& request) {
        std::string key;
        for (const auto& h : request.headers)
            if (h.first == "X-NHN-TCIAP-AppKey") key = h.second;
        if (key != app_key) return envelope(false, 1001);
        const picojson::object body = test_support::parse_json_object(request.body);
        const auto field = [&](const char* name) {
            const auto it = body.find(name);
            return it == body.end() || !it->second.is<std::string>() ? std::string() : it->second.get<std::string>();
        };
        if (request.target == "/v1/service/consume") {
            const auto it = payments.find(field("paymentSeq"));
            if (it == payments.end()) return envelope(false, 9999);
            if (it->second.token != field("accessToken")) return envelope(false, 5000);
            if (it->second.consumed) return envelope(false, 5018);
            it->second.consumed = true;
            return envelope(true, 0, R"({"price":1.99,"currency":"USD","productSeq":)" + it->second.product_seq + "}");
        }
        if (request.target == "/v1/service/consumable") {
            if (field("userKey").empty() || field("userChannel") != "GF") return envelope(false, 1100);
            std::string list = "[";
            for (const auto& p : payments) {
                if (p.second.consumed || p.second.user != field("userKey") || p.second.market != field("marketId")) continue;
                if (list.size() > 1) list += ",";
                list += R"({"paymentSeq":")" + p.first + R"(","productSeq":)" + p.second.product_seq +
                        R"(,"currency":"KRW","price":1200,"accessToken":")" + p.second.token + R"("})";
            }
            return envelope(true, 0, list + "]");
        }
        return envelope(false, 9999);
    }
};

struct fixture {
    scratch_dir dir;
    fake_server server;
    std::optional<ledger> book;
    sync_options options;

    fixture() {
        options.app_key = "app-key-1";
        options.user_key = "user-1";
        options.market = market::google_play;
        reopen();
    }
    void reopen() {
        book.reset();
        auto opened = ledger::open(dir.file("purchases.ledger"));
        REQUIRE(opened);
        book.emplace(std::move(*opened));
    }
    sync_client client() { return sync_client(*book, server, options); }

    /// Consumes a store purchase that came with IAP payment `seq`.
    ledger_entry consume_paid(const std::string& seq, const std::string& token) {
        consume_options o;
        o.payment_seq = seq;
        o.access_token = "token-" + seq;
        auto consumed = book->consume(google_purchase(token), o);
        REQUIRE(consumed);
        return *consumed;
    }
    server_state state_of(const std::string& seq) {
        auto p = book->find_payment(seq);
        REQUIRE(p);
        return p->state;
    }
};

} // namespace

TEST_CASE("sync: a local consume with a payment is pushed to the server once", "[sync]") {
    fixture f;
    f.server.add("P1");
    const ledger_entry e = f.consume_paid("P1", "gp-token-1");
    CHECK(e.payment_seq == "P1");
    CHECK(f.state_of("P1") == server_state::pending);

    auto client = f.client();
    auto summary = client.sync();
    REQUIRE(summary);
    CHECK(summary->pushed == 1);
    CHECK(summary->conflicts.empty());
    CHECK(summary->pending == 0);
    CHECK(summary->fetched == 0); // consumed on the server now: not listed
    CHECK(f.server.payments["P1"].consumed);
    CHECK(f.state_of("P1") == server_state::synced);

    // Nothing left to push: a second sync only fetches.
    const int before = f.server.requests;
    auto again = client.sync();
    REQUIRE(again);
    CHECK(again->pushed == 0);
    CHECK(f.server.requests == before + 1);

    // Survives a reopen and a compaction.
    f.reopen();
    CHECK(f.state_of("P1") == server_state::synced);
    REQUIRE(f.book->compact());
    f.reopen();
    CHECK(f.state_of("P1") == server_state::synced);
    CHECK(f.book->find(ledger_test::google_key("gp-token-1"))->payment_seq == "P1");
}

TEST_CASE("sync: after a failed push, a 5018 is a conflict, never taken as ours", "[sync]") {
    // Refused: the request never left the device and leaves no attempted mark (before, the mark
    // was written anyway and a later 5018, another device's consume, was taken as ours: "pushed
    // 1, conflicts []"). Dropped: sent, not applied, then consumed by another device. Answer
    // lost: applied by the server; the 5018 is ours, but nothing can tell it from the others.
    struct failure {
        const char* name;
        int fake_server::*fault;
        bool sent;
        bool applied;
    };
    const failure failures[] = {{"refused", &fake_server::refuse, false, false},
                                {"dropped before applied", &fake_server::drop_unapplied, true, false},
                                {"answer lost", &fake_server::lose_answer, true, true}};
    for (const failure& k : failures) {
        INFO(k.name);
        fixture f;
        f.server.add("P1");
        f.consume_paid("P1", "gp-token-1");
        f.server.*k.fault = 1;
        auto client = f.client();
        auto first = client.sync();
        REQUIRE_FALSE(first);
        CHECK(first.error_code() == errc::network_error);
        CHECK(f.book->find_payment("P1")->attempted == k.sent);
        CHECK(f.server.payments["P1"].consumed == k.applied);
        CHECK(f.state_of("P1") == server_state::pending);
        if (!k.applied) f.server.payments["P1"].consumed = true; // another device

        f.reopen(); // the app died and came back
        auto client2 = f.client();
        auto second = client2.sync();
        REQUIRE(second);
        CHECK(second->pushed == 0);
        REQUIRE(second->conflicts.size() == 1);
        CHECK(f.state_of("P1") == server_state::conflict);
        CHECK(f.book->find_payment("P1")->result_code == 5018);
    }
}

TEST_CASE("sync: a payment consumed elsewhere first is a conflict", "[sync]") {
    fixture f;
    f.server.add("P1");
    f.server.payments["P1"].consumed = true; // another device replayed the same purchase first
    f.consume_paid("P1", "gp-token-1");
    auto client = f.client();
    auto summary = client.sync();
    REQUIRE(summary);
    CHECK(summary->pushed == 0);
    REQUIRE(summary->conflicts.size() == 1);
    CHECK(summary->conflicts[0].payment_seq == "P1");
    CHECK(summary->conflicts[0].state == server_state::conflict);
    CHECK(f.state_of("P1") == server_state::conflict);
    CHECK(f.book->server_payments(server_state::conflict).size() == 1);
    f.reopen();
    CHECK(f.state_of("P1") == server_state::conflict);
}

TEST_CASE("sync: a server that is down keeps intents queued and backs off, then drains", "[sync]") {
    fixture f;
    f.options.backoff_base = std::chrono::milliseconds(100);
    f.options.backoff_max = std::chrono::milliseconds(1000);
    for (int i = 1; i <= 3; ++i) {
        f.server.add("P" + std::to_string(i));
        f.consume_paid("P" + std::to_string(i), "gp-token-" + std::to_string(i));
    }
    auto client = f.client();
    CHECK(client.retry_delay().count() == 0);
    f.server.refuse = 1000;
    std::int64_t ceiling = 100;
    for (unsigned k = 1; k <= 6; ++k) {
        auto failed = client.sync();
        REQUIRE_FALSE(failed);
        CHECK(failed.error_code() == errc::network_error);
        CHECK(client.consecutive_failures() == k);
        CHECK(client.retry_delay().count() >= ceiling / 2);
        CHECK(client.retry_delay().count() <= ceiling);
        ceiling = std::min<std::int64_t>(ceiling * 2, 1000);
    }
    CHECK(f.book->server_payments(server_state::pending).size() == 3);
    for (const auto& p : f.server.payments) CHECK_FALSE(p.second.consumed);
    for (const auto& p : f.book->server_payments(server_state::pending)) CHECK_FALSE(p.attempted); // never sent

    f.server.refuse = 0;
    auto drained = client.sync();
    REQUIRE(drained);
    CHECK(drained->pushed == 3);
    CHECK(drained->pending == 0);
    CHECK(client.retry_delay().count() == 0);
    CHECK(client.consecutive_failures() == 0);
    for (const auto& p : f.server.payments) CHECK(p.second.consumed);
}

TEST_CASE("sync: server payments this device never consumed become available, claimed exactly once", "[sync]") {
    fixture f;
    f.server.add("P1");
    f.server.add("P2");
    f.server.add("P3", "someone-else");
    f.server.add("P4", "user-1", "AS");
    auto client = f.client();
    auto summary = client.sync();
    REQUIRE(summary);
    CHECK(summary->fetched == 2);
    CHECK(summary->available == 2);
    CHECK(f.state_of("P1") == server_state::available);
    CHECK_FALSE(f.book->find_payment("P3"));
    CHECK_FALSE(f.book->find_payment("P4"));
    CHECK(f.book->find_payment("P1")->market == "GG");
    CHECK(f.book->find_payment("P1")->product_seq == "1001"); // a number on the wire

    auto claimed = client.claim("P1", consume_options::credit("gems", 100));
    REQUIRE(claimed);
    CHECK(claimed->payment_seq == "P1");
    CHECK(claimed->key.store == store_kind::google_play);
    CHECK(f.book->balance("gems") == 100);
    CHECK(f.server.payments["P1"].consumed);
    CHECK(f.state_of("P1") == server_state::synced);

    auto twice = client.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(twice);
    CHECK(twice.error_code() == errc::already_consumed);
    CHECK(f.book->balance("gems") == 100);

    // A later sync neither lists nor pushes it again.
    auto later = client.sync();
    REQUIRE(later);
    CHECK(later->fetched == 0);
    CHECK(later->pushed == 0);
    CHECK(later->available == 1);

    // Reopen + compact keep everything.
    REQUIRE(f.book->compact());
    f.reopen();
    CHECK(f.state_of("P1") == server_state::synced);
    CHECK(f.state_of("P2") == server_state::available);
    CHECK(f.book->balance("gems") == 100);
}

TEST_CASE("sync: a claim of a payment consumed elsewhere meanwhile is refused and never granted", "[sync]") {
    fixture f;
    f.server.add("P1");
    auto client = f.client();
    REQUIRE(client.sync());
    f.server.payments["P1"].consumed = true; // the other device was faster
    auto claimed = client.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(claimed);
    CHECK(claimed.error_code() == errc::already_consumed);
    CHECK(f.book->balance("gems") == 0);
    CHECK(f.book->undelivered().empty());
    CHECK(f.state_of("P1") == server_state::conflict);
    auto again = client.claim("P1");
    REQUIRE_FALSE(again);
    CHECK(again.error_code() == errc::already_consumed);
}

TEST_CASE("sync: a claim whose answer was lost is never granted by a later claim", "[sync]") {
    fixture f;
    f.server.add("P1");
    auto client = f.client();
    REQUIRE(client.sync());
    f.server.lose_answer = 1;
    auto lost = client.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(lost);
    CHECK(lost.error_code() == errc::network_error);
    CHECK(f.server.payments["P1"].consumed);
    CHECK(f.book->balance("gems") == 0);

    f.reopen();
    auto client2 = f.client();
    auto again = client2.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(again);
    CHECK(again.error_code() == errc::already_consumed);
    CHECK_THAT(again.message(), Catch::Contains("answer was lost"));
    CHECK(f.book->balance("gems") == 0);
    CHECK(f.state_of("P1") == server_state::conflict);
    CHECK(f.book->find_payment("P1")->attempted);
}

TEST_CASE("sync: claims on two devices grant a payment once, whatever failed before", "[sync]") {
    // Device A tries to claim P while offline (before: the attempted mark was written and the
    // later 5018 taken as ours), or its request is dropped before the server applied it; device
    // B claims P; A claims again and is refused.
    for (const bool reached_server : {false, true}) {
        INFO((reached_server ? "dropped after it was sent" : "never left the device"));
        fixture a;
        a.server.add("P1");
        auto client_a = a.client();
        REQUIRE(client_a.sync());
        (reached_server ? a.server.drop_unapplied : a.server.refuse) = 1;
        auto offline = client_a.claim("P1", consume_options::credit("gems", 100));
        REQUIRE_FALSE(offline);
        CHECK(offline.error_code() == errc::network_error);
        CHECK(a.book->find_payment("P1")->attempted == reached_server);

        scratch_dir other;
        auto b_opened = ledger::open(other.file("b.ledger"));
        REQUIRE(b_opened);
        sync_client client_b(*b_opened, a.server, a.options); // the same server, another device
        REQUIRE(client_b.sync());
        REQUIRE(client_b.claim("P1", consume_options::credit("gems", 100)));

        auto late = client_a.claim("P1", consume_options::credit("gems", 100));
        REQUIRE_FALSE(late);
        CHECK(late.error_code() == errc::already_consumed);
        CHECK(a.book->balance("gems") == 0);
        CHECK(a.book->undelivered().empty());
        CHECK(a.state_of("P1") == server_state::conflict);
        CHECK(b_opened->balance("gems") == 100);
    }
}

TEST_CASE("sync: bad answers are typed errors and change nothing but the attempted mark", "[sync]") {
    const std::vector<std::pair<std::pair<int, std::string>, errc>> cases = {
        {{500, "oops"}, errc::server_error},
        {{200, "not json"}, errc::malformed_response},
        {{200, "[]"}, errc::malformed_response},
        {{200, R"({"result":null})"}, errc::malformed_response},
        {{200, R"({"header":{"isSuccessful":"yes","resultCode":0}})"}, errc::malformed_response},
        {{200, R"({"header":{"isSuccessful":true,"resultCode":1.5}})"}, errc::malformed_response},
        {{200, R"({"header":{"isSuccessful":true,"resultCode":0},"result":"x"})"}, errc::malformed_response},
    };
    for (const auto& c : cases) {
        fixture f;
        f.server.add("P1");
        f.consume_paid("P1", "gp-token-1");
        REQUIRE(f.book->record_server_attempt("P1"));
        const auto records = f.book->record_count();
        f.server.next_answer = c.first;
        auto client = f.client();
        auto got = client.sync();
        INFO(c.first.second);
        REQUIRE_FALSE(got);
        CHECK(got.error_code() == c.second);
        CHECK(f.book->record_count() == records);
        CHECK(f.state_of("P1") == server_state::pending);
    }

    // A payment the server refuses (5000, 9999) stays pending and does not hold up the others.
    for (const int code : {5000, 9999}) {
        fixture f;
        f.server.add("P1");
        f.server.add("P2");
        f.server.add("P3");
        f.consume_paid("P1", "gp-token-1");
        f.consume_paid("P2", "gp-token-2");
        f.server.next_answer = std::make_pair(
            200, R"({"header":{"isSuccessful":false,"resultCode":)" + std::to_string(code) + R"(,"resultMessage":"no"}})");
        auto client = f.client();
        auto got = client.sync();
        REQUIRE(got);
        REQUIRE(got->refused.size() == 1);
        CHECK(got->refused[0].payment_seq == "P1");
        CHECK(got->refused[0].result_code == code);
        CHECK(got->refused[0].message == "no");
        CHECK(got->pushed == 1);
        CHECK(got->pending == 1);
        CHECK(got->fetched == 1); // P3, listed after the pushes
        CHECK(f.state_of("P1") == server_state::pending);
        CHECK(f.state_of("P2") == server_state::synced);
        // Accepted later: the next sync pushes it.
        auto next = client.sync();
        REQUIRE(next);
        CHECK(next->refused.empty());
        CHECK(f.state_of("P1") == server_state::synced);
    }

    // A consumable list with a malformed entry records none of it.
    fixture f;
    f.server.add("P1");
    f.server.next_answer = std::make_pair(
        200, std::string(R"({"header":{"isSuccessful":true,"resultCode":0},"result":[)"
                         R"({"paymentSeq":"A","accessToken":"t"},{"paymentSeq":"B","accessToken":7}]})"));
    auto client = f.client();
    auto got = client.sync();
    REQUIRE_FALSE(got);
    CHECK(got.error_code() == errc::malformed_response);
    CHECK(f.book->server_payments(server_state::available).empty());
}

TEST_CASE("sync: an oversized field in the server's answer is malformed_response and changes nothing", "[sync]") {
    // A consumable list with a ~400 KB paymentSeq and accessToken (under the 1 MiB response cap):
    // before, it was recorded, and claiming it wrote a record larger than the replay accepts, so
    // the ledger no longer opened.
    const std::string huge(400 * 1024, '7');
    const auto list = [](const std::string& seq, const std::string& token) {
        return std::make_pair(200, R"({"header":{"isSuccessful":true,"resultCode":0},"result":[{"paymentSeq":")" + seq +
                                       R"(","productSeq":1001,"currency":"KRW","price":1200,"accessToken":")" + token +
                                       R"("}]})");
    };
    fixture f;
    const auto records = f.book->record_count();
    f.server.next_answer = list(huge, huge);
    auto client = f.client();
    auto got = client.sync();
    REQUIRE_FALSE(got);
    CHECK(got.error_code() == errc::malformed_response);
    CHECK_THAT(got.message(), Catch::Contains("4096"));
    CHECK(f.book->record_count() == records);
    CHECK(f.book->server_payments(server_state::available).empty());
    f.reopen();

    // The longest fields accepted are claimed and the ledger reopens.
    const std::string longest(4096, '8');
    f.server.payments[longest] = fake_server::payment{longest, "user-1", "GG", "1001", false};
    auto again = f.client();
    f.server.next_answer = list(longest, longest);
    REQUIRE(again.sync());
    REQUIRE(again.claim(longest));
    f.reopen();
    CHECK(f.state_of(longest) == server_state::synced);
}

TEST_CASE("sync: one purchase, one grant, whichever path comes first", "[sync]") {
    SECTION("consumed here with its payment, then claimed") {
        fixture f;
        f.server.add("P1");
        f.consume_paid("P1", "gp-token-1");
        auto client = f.client();
        auto claimed = client.claim("P1");
        REQUIRE_FALSE(claimed);
        CHECK(claimed.error_code() == errc::already_consumed);
        CHECK_FALSE(f.server.payments["P1"].consumed); // refused before asking the server
        CHECK(f.book->undelivered().size() == 1);
    }
    SECTION("claimed, then consumed here with its payment") {
        fixture f;
        f.server.add("P1");
        auto client = f.client();
        REQUIRE(client.sync());
        REQUIRE(client.claim("P1"));
        consume_options o;
        o.payment_seq = "P1";
        o.access_token = "token-P1";
        auto consumed = f.book->consume(google_purchase("gp-token-1"), o);
        REQUIRE_FALSE(consumed);
        CHECK(consumed.error_code() == errc::already_consumed);
        CHECK(f.book->undelivered().size() == 1);
    }
    SECTION("listed by the server, then consumed here with its payment, then claimed") {
        fixture f;
        f.server.add("P1");
        auto client = f.client();
        REQUIRE(client.sync());
        f.consume_paid("P1", "gp-token-1");
        CHECK(f.state_of("P1") == server_state::pending);
        CHECK(client.claim("P1").error_code() == errc::already_consumed);
        CHECK(f.book->undelivered().size() == 1);
    }
}

TEST_CASE("sync: a purchase consumed here without its payment holds up claims until linked", "[sync]") {
    // Consumed before the ledger knew any payment (an older app, or before the first sync), then
    // listed by the server: before, the claim consumed the payment again and granted it twice.
    fixture f;
    f.server.add("P1");
    REQUIRE(f.book->consume(google_purchase("gp-token-1")));
    auto client = f.client();
    REQUIRE(client.sync());
    REQUIRE(f.state_of("P1") == server_state::available);
    const auto records = f.book->record_count();
    const int requests = f.server.requests;

    auto claimed = client.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(claimed);
    CHECK(claimed.error_code() == errc::conflict);
    CHECK_THAT(claimed.message(), Catch::Contains("1 google_play purchase") &&
                                      Catch::Contains("google_play:gp-token-1") && Catch::Contains("link_payment"));
    CHECK(f.server.requests == requests); // nothing sent
    CHECK_FALSE(f.server.payments["P1"].consumed);
    CHECK(f.book->record_count() == records);
    CHECK(f.state_of("P1") == server_state::available);
    CHECK_FALSE(f.book->find_payment("P1")->attempted);
    CHECK(f.book->balance("gems") == 0);
    REQUIRE(f.book->unlinked_consumes(store_kind::google_play).size() == 1);
    CHECK(f.book->unlinked_consumes(store_kind::app_store).empty());

    // Still after a reopen and a compaction.
    REQUIRE(f.book->compact());
    f.reopen();
    auto client2 = f.client();
    CHECK(client2.claim("P1").error_code() == errc::conflict);

    auto linked = f.book->link_payment(ledger_test::google_key("gp-token-1"), "P1"); // the listed token
    REQUIRE(linked);
    CHECK(linked->payment_seq == "P1");
    CHECK(f.state_of("P1") == server_state::pending);
    CHECK(f.book->find_payment("P1")->key == ledger_test::google_key("gp-token-1"));
    CHECK(f.book->unlinked_consumes(store_kind::google_play).empty());
    auto again = client2.claim("P1", consume_options::credit("gems", 100));
    REQUIRE_FALSE(again);
    CHECK(again.error_code() == errc::already_consumed);
    CHECK(f.server.requests == requests);
    CHECK(f.book->balance("gems") == 0);

    // The next sync pushes the server consume; the server stops listing it.
    auto summary = client2.sync();
    REQUIRE(summary);
    CHECK(summary->pushed == 1);
    CHECK(summary->available == 0);
    CHECK(f.server.payments["P1"].consumed);
    CHECK(f.state_of("P1") == server_state::synced);
    CHECK(f.book->consume(google_purchase("gp-token-1")).error_code() == errc::already_consumed);
    CHECK(f.book->undelivered().size() == 1);
}

TEST_CASE("sync: after a claim, a purchase of its store consumed without a payment_seq is refused", "[sync]") {
    fixture f;
    f.server.add("P1");
    auto client = f.client();
    REQUIRE(client.sync());
    REQUIRE(client.claim("P1", consume_options::credit("gems", 100)));
    for (int reopened = 0; reopened < 2; ++reopened) {
        INFO("reopened " << reopened);
        const auto records = f.book->record_count();
        auto plain = f.book->consume(google_purchase("gp-token-1"), consume_options::credit("gems", 100));
        REQUIRE_FALSE(plain);
        CHECK(plain.error_code() == errc::malformed_input);
        CHECK_THAT(plain.message(), Catch::Contains("consume_options::payment_seq") &&
                                        Catch::Contains("consume_options::without_server_payment"));
        CHECK(f.book->record_count() == records);
        CHECK_FALSE(f.book->find(ledger_test::google_key("gp-token-1")));
        CHECK(f.book->balance("gems") == 100);
        REQUIRE(f.book->compact());
        f.reopen();
    }
    consume_options paid = consume_options::credit("gems", 100);
    paid.payment_seq = "P1";
    paid.access_token = "token-P1";
    CHECK(f.book->consume(google_purchase("gp-token-1"), paid).error_code() == errc::already_consumed);
    CHECK(f.book->balance("gems") == 100);
    // Another store's purchases are not held to it while the ledger knows none of its payments.
    REQUIRE(f.book->consume(ledger_test::apple_subscription("2000000001", 1767225600000, 1769904000000)));
    purchase apple = google_purchase("");
    apple.store = store_kind::app_store;
    apple.transaction_id = "2000000002";
    REQUIRE(f.book->consume(apple));
}

TEST_CASE("sync: purchases without a server payment and subscriptions do not hold up claims", "[sync]") {
    fixture f;
    f.server.add("P1");
    f.server.add("P2");
    consume_options outside;
    outside.without_server_payment = true;
    auto bought_outside = f.book->consume(google_purchase("gp-outside"), outside);
    REQUIRE(bought_outside);
    CHECK(bought_outside->without_server_payment);
    purchase subscription = google_purchase("gp-sub", "pro_monthly");
    consume_options monthly;
    monthly.kind = product_kind::subscription;
    REQUIRE(f.book->consume(subscription, monthly));
    REQUIRE(f.book->consume(google_purchase("gp-legacy")));
    auto client = f.client();
    REQUIRE(client.sync());
    CHECK(client.claim("P1").error_code() == errc::conflict);

    auto marked = f.book->mark_without_server_payment(ledger_test::google_key("gp-legacy"));
    REQUIRE(marked);
    CHECK(marked->without_server_payment);
    CHECK(f.book->unlinked_consumes(store_kind::google_play).empty());
    REQUIRE(client.claim("P1"));

    // Now that the ledger syncs: a consume says it has no payment, or is a subscription.
    CHECK(f.book->consume(google_purchase("gp-2")).error_code() == errc::malformed_input);
    REQUIRE(f.book->consume(google_purchase("gp-2"), outside));
    REQUIRE(f.book->consume(google_purchase("gp-sub-2", "pro_monthly"), monthly));
    consume_options both = outside;
    both.payment_seq = "P2";
    both.access_token = "token-P2";
    CHECK(f.book->consume(google_purchase("gp-3"), both).error_code() == errc::malformed_input);

    REQUIRE(f.book->compact());
    f.reopen();
    CHECK(f.book->find(ledger_test::google_key("gp-legacy"))->without_server_payment);
    CHECK(f.book->find(ledger_test::google_key("gp-2"))->without_server_payment);
    CHECK_FALSE(f.book->find(ledger_test::google_key("gp-sub"))->without_server_payment);
    CHECK(f.book->consume(google_purchase("gp-4")).error_code() == errc::malformed_input);
    auto client2 = f.client();
    REQUIRE(client2.claim("P2"));
}

TEST_CASE("sync: the app key and the consumable list's parameters reach the server", "[sync]") {
    fixture f;
    f.server.add("P1");
    f.options.app_key = "wrong";
    auto client = f.client();
    auto got = client.sync();
    REQUIRE_FALSE(got);
    CHECK(got.error_code() == errc::server_error);
    CHECK_THAT(got.message(), Catch::Contains("1001"));
}

TEST_CASE("ledger: a payment can be consumed once, whatever purchase carries it", "[sync][ledger]") {
    fixture f;
    f.consume_paid("P1", "gp-token-1");
    consume_options o;
    o.payment_seq = "P1";
    o.access_token = "token-P1";
    auto twice = f.book->consume(google_purchase("gp-token-2"), o);
    REQUIRE_FALSE(twice);
    CHECK(twice.error_code() == errc::already_consumed);
    o.access_token.clear();
    auto half = f.book->consume(google_purchase("gp-token-3"), o);
    REQUIRE_FALSE(half);
    CHECK(half.error_code() == errc::malformed_input);
    CHECK_FALSE(f.book->find(ledger_test::google_key("gp-token-2")));
}

TEST_CASE("parse_server_url", "[sync]") {
    auto u = parse_server_url("https://api-iap.cloud.toast.com");
    REQUIRE(u);
    CHECK(u->https);
    CHECK(u->host == "api-iap.cloud.toast.com");
    CHECK(u->port == 443);
    CHECK(u->base_path.empty());
    u = parse_server_url("http://127.0.0.1:8080/base/");
    REQUIRE(u);
    CHECK_FALSE(u->https);
    CHECK(u->port == 8080);
    CHECK(u->base_path == "/base");
    u = parse_server_url("https://[::1]:8443");
    REQUIRE(u);
    CHECK(u->host == "::1");
    CHECK(u->port == 8443);
    for (const char* bad : {"ftp://x", "https://", "https://h:0", "https://h:65536", "https://h:", "https://u@h",
                            "https://h/?q", "https://h:12a", "https://::1", "https://h h"}) {
        INFO(bad);
        CHECK(parse_server_url(bad).error_code() == errc::malformed_input);
    }
    CHECK(parse_market("GG").value() == market::google_play);
    CHECK(parse_market("ONESTORE").value() == market::one_store);
    CHECK(parse_market("gg").error_code() == errc::malformed_input);
}
