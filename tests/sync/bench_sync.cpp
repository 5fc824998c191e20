// SPDX-License-Identifier: MIT
//
// What does pushing 1,000 pending consumes to the IAP server cost, and what does connection reuse
// save? Against iap_dev_server on loopback over HTTPS (ECDSA P-256 certificate, pinned), one
// sync_client::sync() that pushes every pending consume and then fetches the consumable list:
//
//   reuse:           beast_transport with keep-alive (one TLS handshake for the whole sync);
//   new connection:  keep_alive = false (a TCP connect and a TLS handshake per request).
//
// The ledger runs at durability::process so that the numbers are the network's, not fdatasync's
// (each push writes two records: the attempted mark and the verdict). Prints a table; asserts
// nothing about time.
//
//   bench_sync [--quick]      (--quick: 200 consumes instead of 1,000)
#include "dev_server_process.hpp"

#include <iap_embedded/beast_transport.hpp>
#include <iap_embedded/ledger.hpp>
#include <iap_embedded/sync.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

namespace iap = iap_embedded;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_sync: %s\n", what.c_str());
    std::exit(1);
}

std::string read_all(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) fail("cannot read " + path);
    std::string out;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
}

struct outcome {
    double seconds = 0;
    std::uint64_t connections = 0;
};

outcome run(int count, bool keep_alive, const std::string& dir) {
    const std::string cert = dir + "/server.pem";
    dev_server::process server({"--https", "--write-cert", cert});
    const std::string ca = read_all(cert);
    dev_server::api dev(server, ca);

    const std::string ledger_path = dir + (keep_alive ? "/reuse.ledger" : "/fresh.ledger");
    std::remove(ledger_path.c_str());
    iap::ledger_options lo;
    lo.level = iap::durability::process;
    auto opened = iap::ledger::open(ledger_path, lo);
    if (!opened) fail(opened.message());
    iap::ledger& book = *opened;
    for (int i = 0; i < count; ++i) {
        const auto paid = dev.seed("bench-user");
        iap::purchase p;
        p.store = iap::store_kind::google_play;
        p.product_id = "gems_100";
        p.purchase_token = "bench-token-" + std::to_string(i);
        iap::consume_options o;
        o.payment_seq = paid.first;
        o.access_token = paid.second;
        if (auto consumed = book.consume(p, o); !consumed) fail(consumed.message());
    }

    iap::beast_transport_options tls;
    tls.ca_certificates = ca;
    tls.keep_alive = keep_alive;
    auto transport = iap::beast_transport::create(server.url(), tls);
    if (!transport) fail(transport.message());
    iap::sync_options so;
    so.app_key = dev_server::app_key;
    so.user_key = "bench-user";
    iap::sync_client client(book, **transport, so);

    const auto start = clock_type::now();
    auto summary = client.sync();
    const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    if (!summary) fail(summary.message());
    if (summary->pushed != static_cast<std::size_t>(count)) fail("not every consume was pushed");
    std::remove(ledger_path.c_str());
    return {seconds, (*transport)->connections_opened()};
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int count = quick ? 200 : 1000;
    char pattern[] = "/tmp/iap_embedded_bench_sync_XXXXXX";
    if (mkdtemp(pattern) == nullptr) fail("mkdtemp failed");
    const std::string dir = pattern;

    const outcome reuse = run(count, true, dir);
    const outcome fresh = run(count, false, dir);
    std::remove((dir + "/server.pem").c_str());
    rmdir(dir.c_str());

    std::printf("sync of %d pending consumes to iap_dev_server, HTTPS on loopback (ledger at durability::process)\n", count);
    std::printf("%-16s %10s %12s %12s %12s\n", "transport", "total ms", "ms/consume", "consumes/s", "connections");
    for (const auto& [name, o] : {std::pair<const char*, outcome>{"reuse", reuse}, {"new connection", fresh}}) {
        std::printf("%-16s %10.1f %12.3f %12.0f %12llu\n", name, o.seconds * 1e3, o.seconds * 1e3 / count,
                    count / o.seconds, static_cast<unsigned long long>(o.connections));
    }
    std::printf("new connection / reuse: %.2fx\n", fresh.seconds / reuse.seconds);
    return 0;
}
