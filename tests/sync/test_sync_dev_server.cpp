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

std::string pki(const std::string& name) { return std::string(IAP_EMBEDDED_TEST_PKI_DIR) + "/" + name; }

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
    sync_client client() {
        sync_options o;
        o.app_key = dev_server::app_key;
        o.user_key = "user-1";
        o.market = market::google_play;
        return sync_client(*book, *transport, o);
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
    // The consume reached the server but its answer was lost: the retry gets 5018 and knows it
    // was its own.
    const std::string here = r.consume_seeded("token-here");
    r.dev->faults(R"({"dropAfterCommit": true, "count": 1})");
    auto client = r.client();
    auto lost = client.sync();
    REQUIRE_FALSE(lost);
    CHECK(lost.error_code() == errc::network_error);
    CHECK(r.dev->consumed(here));
    CHECK(r.state_of(here) == server_state::pending);
    auto retried = client.sync();
    REQUIRE(retried);
    CHECK(retried->pushed == 1);
    CHECK(retried->conflicts.empty());
    CHECK(r.state_of(here) == server_state::synced);

    // A receipt replayed on another device that reached the server first.
    const std::string elsewhere = r.consume_seeded("token-replayed");
    r.dev->consume_elsewhere(elsewhere);
    auto summary = client.sync();
    REQUIRE(summary);
    REQUIRE(summary->conflicts.size() == 1);
    CHECK(summary->conflicts[0].payment_seq == elsewhere);
    CHECK(r.state_of(elsewhere) == server_state::conflict);
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
        r.tls.ca_certificates = test_support::read_file(pki("ca.pem"));
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
        rig r(true, {"--cert", pki("wrong_host.pem"), "--key", pki("leaf_key.pem")}, pki("ca.pem"), false);
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
        rig r(true, {"--cert", pki("localhost.pem"), "--key", pki("leaf_key.pem")}, pki("ca.pem"));
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
    CHECK(out.at("conflicts").get<picojson::array>().empty());
    CHECK(out.at("claimed").get<picojson::array>().size() == 1);

    r.open_ledger();
    for (const auto& seq : seqs) {
        CHECK(r.dev->consumed(seq));
        CHECK(r.state_of(seq) == server_state::synced);
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
