// SPDX-License-Identifier: MIT
//
// The ledger under crashes and damage: SIGKILL at random moments while consuming, a torn last
// record cut at every byte, every single-bit flip of a small ledger, and a failing k-th write,
// flush, truncate or rename for every k of a workload (through the file layer).
#include "test_ledger_support.hpp"

#include <iap_embedded/ledger.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace iap_embedded;
using ledger_test::google_key;
using ledger_test::google_purchase;

namespace {

// Reads one newline-terminated line from `fd`; false at end of file.
bool read_line(int fd, std::string& line) {
    line.clear();
    char c;
    for (;;) {
        const ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        if (c == '\n') return true;
        line += c;
    }
}

// The child of a crash round: consumes (crediting 2 gems, spending 1), writing each acknowledged
// key to `fd` only after consume returned success; after `per_round` consumes it waits to be killed
// (a small workload per round keeps 200 rounds fast).
[[noreturn]] void consume_forever(const std::string& path, durability level, int round, int fd) {
    ledger_options options;
    options.level = level;
    options.hmac_key = "crash test key";
    options.compact_slack_records = 24; // compactions happen under the knife too
    auto opened = ledger::open(path, options);
    if (!opened) _exit(3);
    constexpr int per_round = 30;
    for (int i = 0;; ++i) {
        if (i == per_round)
            for (;;) pause();
        const std::string token = "r" + std::to_string(round) + "-" + std::to_string(i);
        const auto consumed = opened->consume(google_purchase(token), consume_options::credit("gems", 2));
        if (!consumed) _exit(4);
        const std::string line = token + "\n";
        if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(5);
        if (!opened->spend("gems", 1)) _exit(6);
    }
}

void crash_rounds(durability level, int rounds, unsigned seed) {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("crash.ledger");
    std::mt19937 rng(seed);
    std::set<std::string> acknowledged;
    for (int round = 0; round < rounds; ++round) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            close(fds[0]);
            consume_forever(path, level, round, fds[1]);
        }
        close(fds[1]);
        // Kill after a random number of acknowledgements, then a random moment more.
        const int acks_before_kill = std::uniform_int_distribution<int>(0, 20)(rng);
        std::string line;
        for (int i = 0; i < acks_before_kill && read_line(fds[0], line); ++i) acknowledged.insert(line);
        if (std::uniform_int_distribution<int>(0, 1)(rng) == 1)
            usleep(static_cast<useconds_t>(std::uniform_int_distribution<int>(0, 400)(rng)));
        kill(child, SIGKILL);
        int status = 0;
        REQUIRE(waitpid(child, &status, 0) == child);
        INFO("round " << round << ": child exit status " << status);
        REQUIRE(WIFSIGNALED(status)); // it was still consuming, not failing
        while (read_line(fds[0], line)) acknowledged.insert(line);
        close(fds[0]);

        ledger_options options;
        options.hmac_key = "crash test key";
        auto reopened = ledger::open(path, options);
        INFO(reopened.message());
        REQUIRE(reopened);
        // Every key acknowledged so far, in this round or an earlier one, is there.
        std::size_t missing = 0;
        for (const auto& key : acknowledged)
            if (!reopened->find(google_key(key))) ++missing;
        REQUIRE(missing == 0);
        // Every consume credited 2 and each consumed key is there once (a duplicate could not even
        // be replayed); spends never went below zero.
        const auto all = reopened->history();
        std::set<std::string> keys;
        std::size_t consumed = 0;
        for (const auto& h : all)
            if (h.kind == history_kind::consumed) ++consumed, keys.insert(h.key->id);
        REQUIRE(keys.size() == consumed);
        REQUIRE(consumed >= acknowledged.size());
        REQUIRE(reopened->balance("gems") >= 0);
        REQUIRE(reopened->balance("gems") <= static_cast<std::int64_t>(2 * consumed));
    }
    CHECK(acknowledged.size() > static_cast<std::size_t>(rounds)); // the rounds did real work
}

std::string build_ledger(const std::string& path, const ledger_options& options, int records,
                         std::uint64_t& last_record_at) {
    auto l = ledger::open(path, options);
    REQUIRE(l);
    for (int i = 0; i < records; ++i) {
        last_record_at = l->file_size();
        if (i % 3 == 2) REQUIRE(l->spend("gems", 1));
        else REQUIRE(l->consume(google_purchase("t" + std::to_string(i)), consume_options::credit("gems", 5)));
    }
    return ledger_test::read_bytes(path);
}

} // namespace

TEST_CASE("ledger crash safety: SIGKILL at random moments never loses an acknowledged consume") {
    SECTION("process durability, 200 rounds") { crash_rounds(durability::process, 200, 1234); }
    SECTION("full durability, 25 rounds") { crash_rounds(durability::full, 25, 99); }
}

TEST_CASE("ledger torn writes: a last record cut at any byte is dropped, the others stay") {
    for (const bool keyed : {false, true}) {
        ledger_test::scratch_dir dir;
        ledger_options options;
        if (keyed) options.hmac_key = "torn key";
        const auto path = dir.file("l");
        constexpr int records = 6;
        std::uint64_t last_at = 0;
        const auto full = build_ledger(path, options, records, last_at);
        INFO("keyed " << keyed);
        for (std::uint64_t cut = last_at; cut < full.size(); ++cut) {
            INFO("cut at " << cut << " of " << full.size());
            ledger_test::write_bytes(path, full.substr(0, cut));
            auto l = ledger::open(path, options);
            REQUIRE(l);
            CHECK(l->record_count() == records - 1);
            CHECK(l->recovered_bytes() == cut - last_at);
            CHECK(l->file_size() == last_at);
            CHECK(l->find(google_key("t4")));
            CHECK(l->balance("gems") == 5 * 4 - 1); // the cut record was the second spend
        }
        // Space the file system allocated but never wrote reads as zeros: torn too.
        ledger_test::write_bytes(path, full + std::string(100, '\0'));
        auto l = ledger::open(path, options);
        REQUIRE(l);
        CHECK(l->record_count() == records);
        CHECK(l->recovered_bytes() == 100);
    }
}

TEST_CASE("ledger bit flips: every single-bit change of a small ledger is detected") {
    for (const bool keyed : {false, true}) {
        ledger_test::scratch_dir dir;
        ledger_options options;
        if (keyed) options.hmac_key = "flip key";
        const auto path = dir.file("l");
        std::uint64_t last_at = 0;
        const auto original = build_ledger(path, options, 3, last_at);
        int undetected = 0;
        for (std::size_t byte = 0; byte < original.size(); ++byte) {
            for (int bit = 0; bit < 8; ++bit) {
                auto flipped = original;
                flipped[byte] = static_cast<char>(flipped[byte] ^ (1 << bit));
                ledger_test::write_bytes(path, flipped);
                const auto l = ledger::open(path, options);
                if (l || l.error_code() != errc::ledger_corrupted) {
                    ++undetected;
                    UNSCOPED_INFO("keyed " << keyed << ": flip of bit " << bit << " of byte " << byte
                                           << " not detected: " << l.message());
                }
            }
        }
        CHECK(undetected == 0);
    }
}

TEST_CASE("ledger keyed chain: deleting or reordering a middle record is detected") {
    ledger_test::scratch_dir dir;
    ledger_options options;
    options.hmac_key = "chain key";
    const auto path = dir.file("l");
    std::vector<std::uint64_t> starts;
    {
        auto l = ledger::open(path, options);
        REQUIRE(l);
        for (int i = 0; i < 4; ++i) {
            starts.push_back(l->file_size());
            REQUIRE(l->consume(google_purchase("c" + std::to_string(i))));
        }
        starts.push_back(l->file_size());
    }
    const auto original = ledger_test::read_bytes(path);
    const auto record = [&](std::size_t i) { return original.substr(starts[i], starts[i + 1] - starts[i]); };
    // Delete record 1.
    ledger_test::write_bytes(path, original.substr(0, starts[1]) + original.substr(starts[2]));
    auto deleted = ledger::open(path, options);
    CHECK(deleted.error_code() == errc::ledger_corrupted);
    CHECK(deleted.message().find("offset " + std::to_string(starts[1])) != std::string::npos);
    // Swap records 1 and 2.
    ledger_test::write_bytes(path, original.substr(0, starts[1]) + record(2) + record(1) + original.substr(starts[3]));
    CHECK(ledger::open(path, options).error_code() == errc::ledger_corrupted);
    // Intact again: opens.
    ledger_test::write_bytes(path, original);
    CHECK(ledger::open(path, options));
}

TEST_CASE("ledger fault injection: a failing write, flush, truncate or rename loses nothing acknowledged") {
    using op = ledger_test::faulty_files::op;
    for (const op kind : {op::write, op::sync, op::truncate, op::rename, op::sync_directory}) {
        for (const int error : {EIO, ENOSPC}) {
            for (int k = 1;; ++k) {
                INFO("operation " << static_cast<int>(kind) << ", errno " << error << ", failing call " << k);
                ledger_test::scratch_dir dir;
                const auto path = dir.file("l");
                ledger_test::faulty_files files(kind, k, error);
                ledger_options options;
                options.files = &files;
                options.hmac_key = "fault key";
                options.compact_slack_records = 6;
                std::set<std::string> acked;
                std::int64_t gems = 0;
                int failures = 0;
                {
                    auto l = ledger::open(path, options);
                    if (!l) {
                        CHECK(l.error_code() == errc::io_error);
                        ++failures;
                    } else {
                        for (int i = 0; i < 12; ++i) {
                            const std::string token = "f" + std::to_string(i);
                            const auto c = l->consume(google_purchase(token), consume_options::credit("gems", 3));
                            if (c) {
                                acked.insert(token);
                                gems += 3;
                            } else {
                                CHECK(c.error_code() == errc::io_error);
                                ++failures;
                            }
                            const auto s = l->spend("gems", 1);
                            if (s) {
                                gems -= 1;
                            } else if (gems < 1) {
                                CHECK(s.error_code() == errc::insufficient_balance); // its consume failed
                            } else {
                                CHECK(s.error_code() == errc::io_error);
                                ++failures;
                            }
                            if (i == 7) {
                                const auto compacted = l->compact();
                                if (!compacted) {
                                    CHECK(compacted.error_code() == errc::io_error);
                                    ++failures;
                                }
                            }
                        }
                    }
                }
                if (!files.triggered()) break; // k is past the workload's last call of this kind
                CHECK(failures >= 1);
                ledger_options clean;
                clean.hmac_key = "fault key";
                auto reopened = ledger::open(path, clean);
                INFO(reopened.message());
                REQUIRE(reopened);
                for (const auto& token : acked) CHECK(reopened->find(google_key(token)));
                // A single fault is always undone, so nothing unacknowledged appears either.
                CHECK(reopened->history(history_filter{}).size() >= acked.size());
                std::size_t consumed = 0;
                for (const auto& h : reopened->history())
                    if (h.kind == history_kind::consumed) ++consumed;
                CHECK(consumed == acked.size());
                CHECK(reopened->balance("gems") == gems);
            }
        }
    }
}

TEST_CASE("ledger fault injection: a failed write that cannot be undone stops all writes until reopened") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    ledger_test::faulty_files files(ledger_test::faulty_files::op::write, 3, EIO);
    files.fail_every_truncate();
    ledger_options options;
    options.files = &files;
    {
        auto l = ledger::open(path, options);
        REQUIRE(l);
        REQUIRE(l->consume(google_purchase("a"))); // write 2 (write 1 was the header)
        const auto failed = l->consume(google_purchase("b"));
        REQUIRE_FALSE(failed);
        CHECK(failed.error_code() == errc::io_error);
        const auto refused = l->consume(google_purchase("c"));
        REQUIRE_FALSE(refused);
        CHECK(refused.error_code() == errc::io_error);
        CHECK(refused.message().find("reopen") != std::string::npos);
        CHECK(l->spend("gems", 1).error_code() == errc::insufficient_balance); // checked before writing
        CHECK(l->mark_delivered(google_key("a")).error_code() == errc::io_error);
        CHECK(l->find(google_key("a")));
    }
    auto reopened = ledger::open(path);
    REQUIRE(reopened);
    CHECK(reopened->find(google_key("a")));
    CHECK_FALSE(reopened->find(google_key("b")));
    CHECK(reopened->recovered_bytes() > 0); // the half-written record was a torn tail
    CHECK(reopened->consume(google_purchase("b")));
}

TEST_CASE("ledger torn and failed writes: a link or a declaration of no payment is all there or not at all") {
    for (const bool keyed : {false, true}) {
        for (const bool link : {true, false}) {
            INFO((keyed ? "keyed" : "unkeyed") << ", " << (link ? "link_payment" : "mark_without_server_payment"));
            ledger_test::scratch_dir dir;
            const auto path = dir.file("l");
            ledger_options options;
            if (keyed) options.hmac_key = "link key";
            const auto write = [&](ledger& l) {
                return link ? l.link_payment(google_key("a"), "P1") : l.mark_without_server_payment(google_key("a"));
            };
            std::uint64_t before = 0;
            {
                auto l = ledger::open(path, options);
                REQUIRE(l);
                REQUIRE(l->consume(google_purchase("a")));
                REQUIRE(l->consume(google_purchase("b")));
                server_payment listed;
                listed.payment_seq = "P1";
                listed.access_token = "token-P1";
                listed.market = "GG";
                REQUIRE(l->record_server_available(listed));
                before = l->file_size();
                REQUIRE(write(*l));
            }
            const auto full = ledger_test::read_bytes(path);
            for (std::uint64_t cut = before; cut <= full.size(); ++cut) {
                INFO("cut at " << cut << " of " << full.size());
                ledger_test::write_bytes(path, full.substr(0, cut));
                auto l = ledger::open(path, options);
                REQUIRE(l);
                const bool applied = cut == full.size();
                const auto a = l->find(google_key("a"));
                REQUIRE(a);
                CHECK(a->payment_seq == (applied && link ? "P1" : ""));
                CHECK(a->without_server_payment == (applied && !link));
                CHECK(l->find_payment("P1")->state == (applied && link ? server_state::pending : server_state::available));
                CHECK(l->unlinked_consumes(store_kind::google_play).size() == (applied ? 1u : 2u));
                CHECK(l->consume(google_purchase("c")).error_code() == errc::malformed_input);
            }

            // A failing write or flush of the record: an error, and the old state after a reopen.
            using op = ledger_test::faulty_files::op;
            for (const op kind : {op::write, op::sync}) {
                ledger_test::write_bytes(path, full.substr(0, before));
                ledger_test::faulty_files files(kind, 1, EIO);
                ledger_options faulty = options;
                faulty.files = &files;
                {
                    auto l = ledger::open(path, faulty);
                    REQUIRE(l);
                    auto failed = write(*l);
                    REQUIRE(files.triggered());
                    REQUIRE_FALSE(failed);
                    CHECK(failed.error_code() == errc::io_error);
                    CHECK(l->unlinked_consumes(store_kind::google_play).size() == 2);
                }
                auto l = ledger::open(path, options);
                REQUIRE(l);
                CHECK(l->file_size() == before);
                CHECK(l->unlinked_consumes(store_kind::google_play).size() == 2);
                REQUIRE(write(*l));
                CHECK(l->unlinked_consumes(store_kind::google_play).size() == 1);
            }
        }
    }
}
