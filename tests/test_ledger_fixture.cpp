// SPDX-License-Identifier: MIT
//
// The ledger file across byte orders and word sizes. tests/fixtures/ledger_x86_64.hpp holds a
// keyed ledger written on x86_64 by write_sample() below, and the description of its content
// there; every target (arm64, armhf, s390x under tools/check_cross.sh) opens those bytes and must
// describe them identically. The reverse direction, a ledger written on the cross target and
// opened on the host, runs through the two hidden test cases at the end (tools/check_cross.sh
// calls them; tests/fixtures/make_ledger_fixture.py makes the header with the first).
#include "test_ledger_support.hpp"

#include "fixtures/ledger_x86_64.hpp"

#include <iap_embedded/ledger.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace {

using iap_embedded::consume_options;
using iap_embedded::ledger;
using iap_embedded::product_kind;
using iap_embedded::purchase_key;
using iap_embedded::store_kind;

using test_support::ms2038;
using test_support::ms2106;
constexpr std::int64_t ms2107 = 4323283200000; // 2107-01-01
constexpr std::int64_t ms9999 = 253402300799999;

ledger open_keyed(const std::string& path) {
    iap_embedded::ledger_options options;
    options.hmac_key = "ledger fixture key, 32 bytes...";
    auto l = ledger::open(path, options);
    INFO(l.message());
    REQUIRE(l);
    return std::move(*l);
}

consume_options kind(product_kind k) {
    consume_options o;
    o.kind = k;
    return o;
}

const purchase_key gems{store_kind::google_play, "fixture-gems"};
const purchase_key premium{store_kind::google_play, "fixture-premium"};
const purchase_key vip{store_kind::google_play, "fixture-vip"};
const purchase_key yearly{store_kind::app_store, "2000000001"};

// Every kind of record a device writes, with times past 2038 and 2106 and 64-bit amounts.
void write_sample(const std::string& path) {
    auto l = open_keyed(path);
    auto credit = consume_options::credit("gems", 5000000000); // over 2^32
    credit.store_time_ms = ms2038;
    REQUIRE(l.consume(ledger_test::google_purchase(gems.id, "gems_100", 2208988800000), credit));
    REQUIRE(l.consume(ledger_test::google_purchase(premium.id, "remove_ads", ms2038 + 5),
                      kind(product_kind::non_consumable)));
    auto subscription = kind(product_kind::subscription);
    subscription.store_time_ms = ms2106 - 86400000;
    REQUIRE(l.consume(ledger_test::apple_subscription(yearly.id, ms2106 - 86400000, ms2106 + 1000), subscription));
    auto paid = kind(product_kind::subscription);
    paid.expires_time_ms = ms9999;
    paid.payment_seq = "2026120610000001";
    paid.access_token = "fixture-token";
    REQUIRE(l.consume(ledger_test::google_purchase(vip.id, "vip", ms2106), paid));
    REQUIRE(l.mark_delivered(premium));
    const auto left = l.spend("gems", 1234567890);
    REQUIRE(left);
    REQUIRE(*left == 5000000000 - 1234567890);
    CHECK(l.spend("gems", 5000000000).error_code() == iap_embedded::errc::insufficient_balance);
    // A renewal seen after 2106 moves the expiry into 2107.
    REQUIRE(l.record_update(ledger_test::apple_subscription(yearly.id, ms2106 - 86400000, ms2107), ms2106 + 1));
    REQUIRE(l.observe_store_time(ms2106 + 2000));
}

// The content as text: every query of the ledger, every field of every entry.
std::string describe(const ledger& l) {
    std::ostringstream out;
    out << "trusted_time_ms " << l.trusted_time_ms() << "\n";
    for (const auto& [name, value] : l.balances()) out << "balance " << name << " " << value << "\n";
    for (const std::int64_t at : {ms2038, ms2106, ms2106 + 1001, ms2107, ms2107 + 1}) {
        out << "entitlements at " << at << ":";
        for (const auto& e : l.entitlements(at)) out << " " << e.key.to_string();
        out << "\n";
    }
    out << "undelivered:";
    for (const auto& e : l.undelivered()) out << " " << e.key.to_string();
    out << "\n";
    for (const auto& key : {gems, premium, vip, yearly}) {
        const auto e = l.find(key);
        REQUIRE(e);
        out << "entry " << e->key.to_string() << " product " << e->product_id << " order " << e->order_id
            << " kind " << iap_embedded::to_string(e->kind) << " state " << iap_embedded::to_string(e->state)
            << " quantity " << e->quantity << " purchased " << e->purchase_time_ms << " expires "
            << e->expires_time_ms.value_or(-1) << " consumed " << e->consumed_time_ms << " delivered "
            << e->delivered_time_ms.value_or(-1) << " credit " << e->credit_balance << " " << e->credit_amount
            << " payment " << e->payment_seq << "\n";
    }
    for (const auto state : {iap_embedded::server_state::pending, iap_embedded::server_state::synced}) {
        for (const auto& p : l.server_payments(state))
            out << "payment " << p.payment_seq << " " << iap_embedded::to_string(p.state) << " token "
                << p.access_token << " attempted " << p.attempted << " time " << p.time_ms << "\n";
    }
    out << "history " << l.history_json() << "\n";
    return out.str();
}

// What write_sample() wrote, checked value by value (not against a description).
void check_sample(const ledger& l) {
    CHECK(l.trusted_time_ms() == ms2106 + 2000);
    CHECK(l.balance("gems") == 5000000000 - 1234567890);
    const auto y = l.find(yearly);
    REQUIRE(y);
    CHECK(y->kind == product_kind::subscription);
    CHECK(y->purchase_time_ms == ms2106 - 86400000);
    CHECK(y->expires_time_ms == ms2107);
    const auto v = l.find(vip);
    REQUIRE(v);
    CHECK(v->purchase_time_ms == ms2106);
    CHECK(v->expires_time_ms == ms9999);
    CHECK(v->payment_seq == "2026120610000001");
    const auto g = l.find(gems);
    REQUIRE(g);
    CHECK(g->purchase_time_ms == 2208988800000);
    CHECK(g->credit_amount == 5000000000);
    CHECK(l.find(premium)->delivered_time_ms.has_value());
    // Owned after 2106 (the trusted clock is there): the non-consumable and both subscriptions,
    // the yearly one only until its 2107 renewal runs out.
    CHECK(l.entitlements(ms2106 + 3000).size() == 3);
    const auto later = l.entitlements(ms2107 + 1);
    REQUIRE(later.size() == 2);
    CHECK(later[0].key == premium);
    CHECK(later[1].key == vip);
    CHECK(l.server_payments(iap_embedded::server_state::pending).size() == 1);
}

std::string fixture_path_from_environment() {
    const char* path = std::getenv("IAP_EMBEDDED_LEDGER_FIXTURE");
    if (path == nullptr || *path == '\0') FAIL("set IAP_EMBEDDED_LEDGER_FIXTURE to the ledger's path");
    return path;
}

} // namespace

TEST_CASE("ledger fixture: a keyed ledger written on x86_64 opens here with the same content") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("ledger");
    ledger_test::write_bytes(path, std::string(reinterpret_cast<const char*>(ledger_fixture::x86_64_ledger),
                                               sizeof ledger_fixture::x86_64_ledger));
    {
        const auto l = open_keyed(path);
        check_sample(l);
        CHECK(describe(l) == ledger_fixture::x86_64_description);
    }
    // Appending here to the x86_64 file keeps its HMAC chain: it opens again with the new record.
    {
        auto l = open_keyed(path);
        REQUIRE(l.mark_delivered(yearly));
    }
    const auto l = open_keyed(path);
    CHECK(l.find(yearly)->delivered_time_ms.has_value());
    CHECK(l.balance("gems") == 5000000000 - 1234567890);
}

TEST_CASE("ledger fixture: a keyed ledger written here reopens with the same content") {
    ledger_test::scratch_dir dir;
    const auto path = dir.file("ledger");
    write_sample(path);
    std::string before;
    {
        const auto l = open_keyed(path);
        check_sample(l);
        before = describe(l);
    }
    const auto l = open_keyed(path);
    CHECK(describe(l) == before);
    CHECK(ledger_test::read_bytes(path).size() == sizeof ledger_fixture::x86_64_ledger);
}

TEST_CASE("ledger file layer: an offset past 4 GiB never wraps to the start of the file") {
    // With a 32-bit off_t (32-bit targets without _FILE_OFFSET_BITS=64) the offset would wrap to
    // 1 and overwrite the file's second byte; it must fail instead, or land where it was asked
    // (a sparse file, where off_t has 64 bits).
    ledger_test::scratch_dir dir;
    auto& files = iap_embedded::detail::default_file_system();
    const auto f = files.open(dir.file("big"), true);
    REQUIRE(f);
    REQUIRE(files.write_at(*f, 0, "ab", 2));
    const std::uint64_t far = (std::uint64_t{1} << 32) + 1;
    const auto wrote = files.write_at(*f, far, "x", 1);
    char byte[2] = {0, 0};
    if (wrote) {
        const auto size = files.size(*f);
        REQUIRE(size);
        CHECK(*size == far + 1);
        const auto read = files.read_at(*f, far, byte, 1);
        REQUIRE(read);
        CHECK(*read == 1);
        CHECK(byte[0] == 'x');
        REQUIRE(files.truncate(*f, 2));
    } else {
        CHECK(wrote.error_code() == iap_embedded::errc::io_error);
        CHECK(files.read_at(*f, far, byte, 1).error_code() == iap_embedded::errc::io_error);
        CHECK(files.truncate(*f, far).error_code() == iap_embedded::errc::io_error);
    }
    const auto start = files.read_at(*f, 0, byte, 2);
    REQUIRE(start);
    CHECK(*start == 2);
    CHECK(std::string(byte, 2) == "ab");
    files.close(*f);
}

// Run by tools/check_cross.sh and tests/fixtures/make_ledger_fixture.py only: writes the sample
// ledger to $IAP_EMBEDDED_LEDGER_FIXTURE and its description next to it (.txt) ...
TEST_CASE("ledger fixture: write the sample ledger", "[.ledger_fixture_write]") {
    const std::string path = fixture_path_from_environment();
    std::remove(path.c_str());
    write_sample(path);
    ledger_test::write_bytes(path + ".txt", describe(open_keyed(path)));
}

// ... and opens one that another target wrote, which must describe itself the same here.
TEST_CASE("ledger fixture: read a sample ledger written elsewhere", "[.ledger_fixture_read]") {
    const std::string path = fixture_path_from_environment();
    const std::string expected = ledger_test::read_bytes(path + ".txt");
    REQUIRE_FALSE(expected.empty());
    const auto l = open_keyed(path);
    check_sample(l);
    CHECK(describe(l) == expected);
}
