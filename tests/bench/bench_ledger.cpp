// SPDX-License-Identifier: MIT
//
// What does a durable consume cost, and how does it compare with SQLite doing the same job?
//
//   ledger full:       ledger::consume at durability::full (fdatasync before success), no key;
//   ledger full+HMAC:  the same with an HMAC-SHA256 chain;
//   sqlite FULL:       one INSERT per consume into a table keyed by (store, id) (a duplicate fails
//                      the INSERT), autocommit, WAL, synchronous=FULL (WAL fsynced at every commit);
//   ledger process:    durability::process (written to the OS, no flush);
//   sqlite NORMAL:     WAL, synchronous=NORMAL (no fsync at commit): the like-for-like partner.
// Then: opening a ledger of 100,000 records (median of 5 opens, unkeyed and keyed), and the heap it
// holds once open (glibc mallinfo2). It measures and prints; nothing here asserts a timing.
//
//   bench_ledger [--quick] [--dir DIRECTORY]   (DIRECTORY: where the files go; default /tmp)
#include "iap_embedded/ledger.hpp"

#if defined(IAP_EMBEDDED_BENCH_SQLITE)
#include <sqlite3.h>
#endif

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace iap = iap_embedded;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_ledger: %s\n", what.c_str());
    std::exit(1);
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

iap::purchase sample(int i) {
    iap::purchase p;
    p.store = iap::store_kind::google_play;
    p.product_id = "gems_100";
    p.order_id = "GPA.3301-2849-1234-" + std::to_string(50000 + i);
    // Real purchase tokens are ~150 characters of opaque text.
    p.purchase_token = "opaque-token-" + std::to_string(i) + std::string(130, 'x');
    p.purchase_time_ms = 1767225600000 + i;
    return p;
}

struct row {
    std::string name;
    int operations = 0;
    double seconds = 0;
};

row bench_ledger(const std::string& path, const char* name, iap::durability level, const std::string& key, int n) {
    std::remove(path.c_str());
    iap::ledger_options options;
    options.level = level;
    options.hmac_key = key;
    auto l = iap::ledger::open(path, options);
    if (!l) fail(l.message());
    const auto start = clock_type::now();
    for (int i = 0; i < n; ++i)
        if (!l->consume(sample(i))) fail("consume failed");
    row r{name, n, seconds_since(start)};
    if (l->consume(sample(0)).error_code() != iap::errc::already_consumed) fail("a replay was accepted");
    return r;
}

#if defined(IAP_EMBEDDED_BENCH_SQLITE)
row bench_sqlite(const std::string& path, const char* name, const char* synchronous, int n) {
    std::remove(path.c_str());
    std::remove((path + "-wal").c_str());
    std::remove((path + "-shm").c_str());
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) fail("sqlite3_open failed");
    const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + synchronous +
                              "; CREATE TABLE consumed (store INTEGER NOT NULL, id TEXT NOT NULL, product TEXT, "
                              "order_id TEXT, purchase_time INTEGER, consumed_time INTEGER, PRIMARY KEY (store, id))";
    if (sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail(sqlite3_errmsg(db));
    sqlite3_stmt* insert = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO consumed VALUES (?, ?, ?, ?, ?, ?)", -1, &insert, nullptr) != SQLITE_OK)
        fail(sqlite3_errmsg(db));
    const auto run = [&](int i) {
        const iap::purchase p = sample(i);
        sqlite3_reset(insert);
        sqlite3_bind_int(insert, 1, static_cast<int>(p.store));
        sqlite3_bind_text(insert, 2, p.purchase_token.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 3, p.product_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 4, p.order_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 5, p.purchase_time_ms);
        sqlite3_bind_int64(insert, 6, std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch()).count());
        return sqlite3_step(insert);
    };
    const auto start = clock_type::now();
    for (int i = 0; i < n; ++i)
        if (run(i) != SQLITE_DONE) fail(std::string("sqlite insert failed: ") + sqlite3_errmsg(db));
    row r{name, n, seconds_since(start)};
    if (run(0) != SQLITE_CONSTRAINT) fail("sqlite accepted a duplicate");
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return r;
}
#endif

void print_rows(const std::vector<row>& rows) {
    std::printf("| %-20s | %8s | %12s | %12s |\n", "consume", "n", "per second", "us/op");
    std::printf("|%s|%s|%s|%s|\n", std::string(22, '-').c_str(), std::string(10, '-').c_str(),
                std::string(14, '-').c_str(), std::string(14, '-').c_str());
    for (const auto& r : rows)
        std::printf("| %-20s | %8d | %12.0f | %12.1f |\n", r.name.c_str(), r.operations, r.operations / r.seconds,
                    1e6 * r.seconds / r.operations);
}

void bench_open(const std::string& path, int records, int quick_opens) {
    for (const std::string& key : {std::string(), std::string("an app's 32-byte HMAC key.......")}) {
        std::remove(path.c_str());
        iap::ledger_options options;
        options.level = iap::durability::process;
        options.hmac_key = key;
        options.compact_slack_records = 0;
        {
            auto l = iap::ledger::open(path, options);
            if (!l) fail(l.message());
            for (int i = 0; i < records; ++i)
                if (!l->consume(sample(i))) fail("consume failed while building the large ledger");
        }
        std::vector<double> ms;
        std::size_t heap = 0, file_bytes = 0;
        for (int round = 0; round < quick_opens; ++round) {
            const std::size_t before = mallinfo2().uordblks;
            const auto start = clock_type::now();
            auto l = iap::ledger::open(path, options);
            ms.push_back(1000 * seconds_since(start));
            if (!l) fail(l.message());
            if (l->record_count() != static_cast<std::uint64_t>(records)) fail("the large ledger lost records");
            heap = mallinfo2().uordblks - before;
            file_bytes = l->file_size();
        }
        std::sort(ms.begin(), ms.end());
        std::printf("open %d records%-6s  file %6.1f MB  open %7.1f ms (median of %d)  heap held %6.1f MB\n", records,
                    key.empty() ? "" : " +HMAC", file_bytes / 1e6, ms[ms.size() / 2], quick_opens, heap / 1e6);
    }
}

} // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::string dir = "/tmp";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
        else fail("usage: bench_ledger [--quick] [--dir DIRECTORY]");
    }
    const std::string base = dir + "/bench_ledger_" + std::to_string(getpid());
    const int durable_n = quick ? 100 : 1000;
    const int fast_n = quick ? 2000 : 20000;

    std::printf("bench_ledger: files in %s\n\n", dir.c_str());
    std::vector<row> rows;
    rows.push_back(bench_ledger(base + ".ledger", "ledger full", iap::durability::full, {}, durable_n));
    rows.push_back(bench_ledger(base + ".ledger", "ledger full+HMAC", iap::durability::full, "hmac key", durable_n));
#if defined(IAP_EMBEDDED_BENCH_SQLITE)
    rows.push_back(bench_sqlite(base + ".sqlite", "sqlite FULL (WAL)", "FULL", durable_n));
#endif
    rows.push_back(bench_ledger(base + ".ledger", "ledger process", iap::durability::process, {}, fast_n));
#if defined(IAP_EMBEDDED_BENCH_SQLITE)
    rows.push_back(bench_sqlite(base + ".sqlite", "sqlite NORMAL (WAL)", "NORMAL", fast_n));
#else
    std::printf("(sqlite3 was not found at build time: no SQLite rows)\n");
#endif
    print_rows(rows);
    std::printf("\n");
    bench_open(base + ".ledger", quick ? 20000 : 100000, 5);

    for (const char* suffix : {".ledger", ".sqlite", ".sqlite-wal", ".sqlite-shm"}) std::remove((base + suffix).c_str());
    return 0;
}
