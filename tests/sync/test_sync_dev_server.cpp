// SPDX-License-Identifier: MIT
//
// The sync client against the real dev server on loopback, over HTTPS (its certificate pinned)
// and plain HTTP: every outcome of the sync rules, each fault switch, refused certificates, a
// server that is down and comes back, and an app killed in the middle of a sync.
#include "dev_server_process.hpp"

#include "../iapctl_runner.hpp"
#include "../support.hpp"
#include "../test_ledger_support.hpp"

#include <iap_embedded/beast_transport.hpp>
#include <iap_embedded/ledger.hpp>
#include <iap_embedded/sync.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

using namespace iap_embedded;
using test_support::scratch_dir;

namespace {

std::string pki_path(const std::string& name) { return std::string(IAP_EMBEDDED_TEST_PKI_DIR) + "/" + name; }

/// A dev server (HTTPS with a generated certificate that the client pins, or HTTP), a ledger and a
/// sync client for user-1 in market GG.
struct rig {
    scratch_dir dir;
    std::string ca;
    std::optional<dev_server::process> server;
    std::optional<dev_server::api> dev;
    std::optional<ledger> book;
    std::unique_ptr<beast_transport> transport;
    beast_transport_options tls;

    /// `extra` goes to the server; `trust` is the CA file the client pins (default: the server's
    /// own certificate, as --write-cert exports it). Without `with_dev`, the dev endpoints are not
    /// used (a server whose certificate nobody here can verify).
    explicit rig(bool https = true, std::vector<std::string> extra = {}, std::string trust = {}, bool with_dev = true) {
        std::vector<std::string> args = {https ? "--https" : "--http", "--data", dir.file("server.json")};
        if (https) args.insert(args.end(), {"--write-cert", dir.file("server.pem")});
        args.insert(args.end(), extra.begin(), extra.end());
        server.emplace(args);
        if (https) ca = test_support::read_file(trust.empty() ? dir.file("server.pem") : trust);
        if (with_dev) dev.emplace(*server, ca);
        tls.ca_certificates = ca;
        tls.allow_plain_http = !https;
        tls.io_timeout = std::chrono::milliseconds(5000);
        connect();
        open_ledger();
    }
    void connect() {
        auto t = beast_transport::create(server->url(), tls);
        REQUIRE(t);
        transport = std::move(*t);
    }
    void open_ledger() {
        book.reset();
        auto opened = ledger::open(dir.file("purchases.ledger"));
        REQUIRE(opened);
        book.emplace(std::move(*opened));
    }
    static sync_options user_1() {
        sync_options o;
        o.app_key = dev_server::app_key;
        o.user_key = "user-1";
        o.market = market::google_play;
        return o;
    }
    sync_client client() { return sync_client(*book, *transport, user_1()); }
    /// A transport with this rig's TLS settings to a loopback port where nothing listens: every
    /// request fails to connect, as on a device that is offline.
    std::unique_ptr<beast_transport> offline_transport() const {
        auto t = beast_transport::create(server->url().substr(0, server->url().find("://")) + "://127.0.0.1:1", tls);
        REQUIRE(t);
        return std::move(*t);
    }
    /// Seeds a payment and consumes it here with a store purchase, as the IAP SDK flow does.
    std::string consume_seeded(const std::string& token) {
        const auto paid = dev->seed("user-1");
        consume_options o;
        o.payment_seq = paid.first;
        o.access_token = paid.second;
        REQUIRE(book->consume(ledger_test::google_purchase(token), o));
        return paid.first;
    }
    server_state state_of(const std::string& seq) {
        auto p = book->find_payment(seq);
        REQUIRE(p);
        return p->state;
    }
};

} // namespace

TEST_CASE("dev server: a local consume is pushed over HTTPS and over HTTP", "[sync][dev_server]") {
    for (const bool https : {true, false}) {
        INFO((https ? "https" : "http"));
        rig r(https);
        const std::string seq = r.consume_seeded("token-1");
        auto client = r.client();
        auto summary = client.sync();
        INFO(summary.message());
        REQUIRE(summary);
        CHECK(summary->pushed == 1);
        CHECK(summary->pending == 0);
        CHECK(summary->conflicts.empty());
        CHECK(r.dev->consumed(seq));
        CHECK(r.dev->purchase(seq).at("consumedBy").get<std::string>() == "api");
        CHECK(r.state_of(seq) == server_state::synced);
    }
}

TEST_CASE("dev server: purchases the server knows become available and are claimed once", "[sync][dev_server]") {
    rig r;
    const auto a = r.dev->seed("user-1");
    const auto b = r.dev->seed("user-1");
    r.dev->seed("user-2");
    r.dev->seed("user-1", "AS");
    auto client = r.client();
    auto summary = client.sync();
    REQUIRE(summary);
    CHECK(summary->fetched == 2);
    CHECK(summary->available == 2);
    auto claimed = client.claim(a.first, consume_options::credit("gems", 100));
    REQUIRE(claimed);
    CHECK(r.dev->consumed(a.first));
    CHECK(r.book->balance("gems") == 100);
    CHECK_FALSE(client.claim(a.first, consume_options::credit("gems", 100)));
    CHECK(r.book->balance("gems") == 100);

    // Consumed by another device between the fetch and the claim: refused, never granted.
    r.dev->consume_elsewhere(b.first);
    auto late = client.claim(b.first, consume_options::credit("gems", 100));
    REQUIRE_FALSE(late);
    CHECK(late.error_code() == errc::already_consumed);
    CHECK(r.book->balance("gems") == 100);
    CHECK(r.state_of(b.first) == server_state::conflict);
}

TEST_CASE("dev server: consumed here and there, and consumed elsewhere", "[sync][dev_server]") {
    rig r;
    // The consume reached the server but its answer was lost: the retry gets 5018, which cannot
    // be told from another device's consume, so it is a conflict, never a silent sync.
    const std::string here = r.consume_seeded("token-here");
    r.dev->faults(R"({"dropAfterCommit": true, "count": 1})");
    auto client = r.client();
    auto lost = client.sync();
    REQUIRE_FALSE(lost);
    CHECK(lost.error_code() == errc::network_error);
    CHECK(r.dev->consumed(here));
    CHECK(r.state_of(here) == server_state::pending);
    CHECK(r.book->find_payment(here)->attempted);
    auto retried = client.sync();
    REQUIRE(retried);
    CHECK(retried->pushed == 0);
    REQUIRE(retried->conflicts.size() == 1);
    CHECK(r.state_of(here) == server_state::conflict);

    // A receipt replayed on another device that reached the server first.
    const std::string elsewhere = r.consume_seeded("token-replayed");
    r.dev->consume_elsewhere(elsewhere);
    auto summary = client.sync();
    REQUIRE(summary);
    REQUIRE(summary->conflicts.size() == 1);
    CHECK(summary->conflicts[0].payment_seq == elsewhere);
    CHECK(r.state_of(elsewhere) == server_state::conflict);
}

TEST_CASE("dev server: a push that failed before reaching the server still reports the conflict", "[sync][dev_server]") {
    // Offline (the connection is refused) or dropped by the server before it handled the
    // consume; meanwhile another device consumes the payment. Before, the offline try left an
    // attempted mark and the next sync said "pushed 1, conflicts []".
    for (const bool offline : {true, false}) {
        INFO((offline ? "offline" : "dropped before the server handled it"));
        rig r;
        const std::string seq = r.consume_seeded("token-1");
        auto unreachable = r.offline_transport();
        sync_client offline_client(*r.book, *unreachable, rig::user_1());
        auto client = r.client();
        if (!offline) r.dev->faults(R"({"drop": true, "count": 1})");
        auto failed = (offline ? offline_client : client).sync();
        REQUIRE_FALSE(failed);
        CHECK(failed.error_code() == errc::network_error);
        CHECK(r.book->find_payment(seq)->attempted == !offline);
        CHECK_FALSE(r.dev->consumed(seq));

        r.dev->consume_elsewhere(seq);
        auto summary = client.sync();
        INFO(summary.message());
        REQUIRE(summary);
        CHECK(summary->pushed == 0);
        REQUIRE(summary->conflicts.size() == 1);
        CHECK(summary->conflicts[0].payment_seq == seq);
        CHECK(r.state_of(seq) == server_state::conflict);
        CHECK(r.dev->purchase(seq).at("consumedBy").get<std::string>() == "elsewhere");
    }
}

TEST_CASE("dev server: claims on two devices grant a payment at most once", "[sync][dev_server]") {
    // Device A's claim fails (offline; dropped before the server handled it; dropped after the
    // server committed it), device B claims, A claims again. Before, A's first try left an
    // attempted mark and its second claim took the 5018 as its own: granted on both devices.
    enum class failure { offline, dropped, dropped_after_commit };
    for (const failure how : {failure::offline, failure::dropped, failure::dropped_after_commit}) {
        INFO(static_cast<int>(how));
        rig r;
        const auto paid = r.dev->seed("user-1");
        auto client_a = r.client();
        REQUIRE(client_a.sync());
        auto unreachable = r.offline_transport();
        sync_client offline_a(*r.book, *unreachable, rig::user_1());
        // Count 2: the transport repeats a request once on a fresh connection when a kept-alive
        // one closes under it with no answer.
        if (how == failure::dropped) r.dev->faults(R"({"drop": true, "count": 2})");
        if (how == failure::dropped_after_commit) r.dev->faults(R"({"dropAfterCommit": true, "count": 2})");
        auto first = (how == failure::offline ? offline_a : client_a).claim(paid.first, consume_options::credit("gems", 100));
        REQUIRE_FALSE(first);
        CHECK(first.error_code() == errc::network_error);
        CHECK(r.book->find_payment(paid.first)->attempted == (how != failure::offline));
        CHECK(r.dev->consumed(paid.first) == (how == failure::dropped_after_commit));

        // Device B: its own ledger and connection, the same user.
        auto b_opened = ledger::open(r.dir.file("device-b.ledger"));
        REQUIRE(b_opened);
        auto b_transport = beast_transport::create(r.server->url(), r.tls);
        REQUIRE(b_transport);
        sync_client client_b(*b_opened, **b_transport, rig::user_1());
        REQUIRE(client_b.sync());
        auto by_b = client_b.claim(paid.first, consume_options::credit("gems", 100));
        if (how == failure::dropped_after_commit) {
            // A's request consumed it: B sees nothing to claim.
            CHECK_FALSE(b_opened->find_payment(paid.first));
            CHECK(by_b.error_code() == errc::malformed_input);
        } else {
            INFO(by_b.message());
            REQUIRE(by_b);
        }

        auto again = client_a.claim(paid.first, consume_options::credit("gems", 100));
        REQUIRE_FALSE(again);
        CHECK(again.error_code() == errc::already_consumed);
        CHECK(r.state_of(paid.first) == server_state::conflict);
        const std::int64_t granted = r.book->balance("gems") + b_opened->balance("gems");
        CHECK(granted == (how == failure::dropped_after_commit ? 0 : 100));
        CHECK(r.book->balance("gems") == 0);
        CHECK(r.dev->purchase(paid.first).at("consumedBy").get<std::string>() == "api");
    }
}

TEST_CASE("dev server: down, then up: intents stay queued, then drain", "[sync][dev_server]") {
    rig r(false);
    const std::string seq = r.consume_seeded("token-1");
    const std::string address = r.server->listen_address();
    r.server->stop();
    auto client = r.client();
    for (int i = 0; i < 3; ++i) {
        auto down = client.sync();
        REQUIRE_FALSE(down);
        CHECK(down.error_code() == errc::network_error);
    }
    CHECK(client.retry_delay().count() > 0);
    CHECK(r.state_of(seq) == server_state::pending);

    r.server.emplace(std::vector<std::string>{"--http", "--data", r.dir.file("server.json"), "--listen", address});
    r.dev.emplace(*r.server, "");
    auto up = client.sync();
    INFO(up.message());
    REQUIRE(up);
    CHECK(up->pushed == 1);
    CHECK(r.dev->consumed(seq));
    CHECK(client.retry_delay().count() == 0);
}

TEST_CASE("dev server: each fault switch is a typed error that changes nothing", "[sync][dev_server]") {
    struct fault {
        const char* json;
        errc expected;
    };
    const fault faults[] = {
        {R"({"drop": true, "count": 1})", errc::network_error},
        {R"({"status500": true, "count": 1})", errc::server_error},
        {R"({"malformed": true, "count": 1})", errc::malformed_response},
        {R"({"delayMs": 3000, "count": 1})", errc::network_error}, // longer than the client's timeout
    };
    for (const fault& f : faults) {
        INFO(f.json);
        rig r;
        r.tls.io_timeout = std::chrono::milliseconds(1000);
        r.connect();
        const std::string seq = r.consume_seeded("token-1");
        REQUIRE(r.book->record_server_attempt(seq));
        const auto records = r.book->record_count();
        r.dev->faults(f.json);
        auto client = r.client();
        auto got = client.sync();
        REQUIRE_FALSE(got);
        CHECK(got.error_code() == f.expected);
        CHECK(r.book->record_count() == records);
        CHECK(r.state_of(seq) == server_state::pending);
        // The fault was for one request: the next sync drains the queue.
        auto next = client.sync();
        INFO(next.message());
        REQUIRE(next);
        CHECK(r.state_of(seq) == server_state::synced);
    }

    // A delay shorter than the timeout is just slow.
    rig slow;
    const std::string seq = slow.consume_seeded("token-1");
    slow.dev->faults(R"({"delayMs": 300, "count": 1})");
    auto client = slow.client();
    REQUIRE(client.sync());
    CHECK(slow.state_of(seq) == server_state::synced);

    // "Already consumed" to our first request: a conflict, not a sync.
    rig answered;
    const std::string other = answered.consume_seeded("token-2");
    answered.dev->faults(R"({"alreadyConsumed": true, "count": 1})");
    auto c2 = answered.client();
    auto summary = c2.sync();
    REQUIRE(summary);
    CHECK(summary->conflicts.size() == 1);
    CHECK(answered.state_of(other) == server_state::conflict);
}

TEST_CASE("dev server: a certificate from an unknown CA or for another host is refused", "[sync][dev_server]") {
    // The server's generated certificate, but the client trusts only the test CA.
    {
        rig r;
        const std::string seq = r.consume_seeded("token-1");
        r.tls.ca_certificates = test_support::read_file(pki_path("ca.pem"));
        r.connect();
        auto client = r.client();
        auto got = client.sync();
        REQUIRE_FALSE(got);
        CHECK(got.error_code() == errc::tls_error);
        CHECK(r.state_of(seq) == server_state::pending);
        CHECK_FALSE(r.dev->consumed(seq));
    }
    // A certificate from the trusted CA, but for wrong.example.
    {
        rig r(true, {"--cert", pki_path("wrong_host.pem"), "--key", pki_path("leaf_key.pem")}, pki_path("ca.pem"), false);
        consume_options o;
        o.payment_seq = "2026112700000001";
        o.access_token = "token";
        REQUIRE(r.book->consume(ledger_test::google_purchase("token-1"), o));
        auto client = r.client();
        auto got = client.sync();
        REQUIRE_FALSE(got);
        CHECK(got.error_code() == errc::tls_error);
        CHECK(r.state_of("2026112700000001") == server_state::pending);
    }
    // The same CA with a certificate for localhost and 127.0.0.1 is accepted.
    {
        rig r(true, {"--cert", pki_path("localhost.pem"), "--key", pki_path("leaf_key.pem")}, pki_path("ca.pem"));
        const std::string seq = r.consume_seeded("token-1");
        auto client = r.client();
        REQUIRE(client.sync());
        CHECK(r.dev->consumed(seq));
    }
}

TEST_CASE("dev server: iapctl sync killed mid-sync loses nothing and grants nothing twice", "[sync][dev_server]") {
    rig r;
    std::vector<std::string> seqs;
    for (int i = 0; i < 3; ++i) seqs.push_back(r.consume_seeded("token-" + std::to_string(i)));
    const auto available = r.dev->seed("user-1");
    r.book.reset(); // iapctl takes the ledger now
    const std::string ledger_path = r.dir.file("purchases.ledger");
    const std::vector<std::string> sync_args = {IAP_EMBEDDED_IAPCTL_PATH, "sync", "--ledger", ledger_path, "--server",
                                                r.server->url(), "--app-key", dev_server::app_key, "--user-key",
                                                "user-1", "--market", "GG", "--ca", r.dir.file("server.pem"),
                                                "--claim", available.first};
    // Every API request waits 700 ms; the sync is killed during the second one.
    r.dev->faults(R"({"delayMs": 700})");
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::vector<char*> argv;
        for (const auto& a : sync_args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int null_fd = open("/dev/null", O_WRONLY);
        dup2(null_fd, 1);
        execv(argv[0], argv.data());
        _exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    r.dev->faults("{}");

    // Restarted: the same command finishes the job.
    std::vector<std::string> again(sync_args.begin() + 1, sync_args.end());
    const auto done = iapctl_runner::iapctl(again);
    INFO(done.out << done.err);
    REQUIRE(done.exit_code == 0);
    const auto out = iapctl_runner::json_of(done);
    CHECK(out.at("pending").get<double>() == 0);
    // The request the kill interrupted may have been committed by the server, its answer lost:
    // that payment's 5018 is a conflict (the server cannot say it was ours), at most that one.
    CHECK(out.at("conflicts").get<picojson::array>().size() <= 1);
    CHECK(out.at("claimed").get<picojson::array>().size() == 1);

    r.open_ledger();
    for (const auto& seq : seqs) {
        CHECK(r.dev->consumed(seq));
        const auto p = r.book->find_payment(seq);
        REQUIRE(p);
        CHECK((p->state == server_state::synced || (p->state == server_state::conflict && p->attempted)));
    }
    CHECK(r.dev->consumed(available.first));
    CHECK(r.state_of(available.first) == server_state::synced);
    // Exactly the three store purchases and the one claim: nothing granted twice.
    CHECK(r.book->undelivered().size() == 4);
    auto client = r.client();
    CHECK_FALSE(client.claim(available.first));
}

TEST_CASE("dev server: the support console lists purchases and escapes what it shows", "[sync][dev_server]") {
    rig r;
    const auto plain = r.dev->seed("user-1");
    const auto hostile = r.dev->seed("<script>alert(1)</script>");
    r.dev->consume_elsewhere(plain.first);

    const auto page = r.dev->raw("GET", "/?userKey=user-1");
    CHECK(page.status == 200);
    CHECK(page.header("Content-Type").find("text/html") != std::string_view::npos);
    CHECK(page.body.find(plain.first) != std::string::npos);
    CHECK(page.body.find(hostile.first) == std::string::npos); // another user's purchase

    const auto all = r.dev->raw("GET", "/?consumed=any");
    CHECK(all.body.find(hostile.first) != std::string::npos);
    CHECK(all.body.find("<script>alert(1)</script>") == std::string::npos);
    CHECK(all.body.find("&lt;script&gt;") != std::string::npos);

    const auto unconsumed = r.dev->raw("GET", "/?consumed=no");
    CHECK(unconsumed.body.find(plain.first) == std::string::npos);
    CHECK(unconsumed.body.find(hostile.first) != std::string::npos);
}
