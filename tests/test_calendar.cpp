// SPDX-License-Identifier: MIT
//
// Dates past the ends of 32-bit time: 2038-01-19T03:14:08Z (2^31 s, where a signed 32-bit time_t
// ends, as on Debian 12 armhf) and 2106-02-07T06:28:16Z (2^32 s, where an unsigned one ends), and
// millisecond values past 2^32 (where a 32-bit long or size_t ends). The calendar, receipt date
// parsing, certificate validity, chain verification and the ledger's subscription expiries must
// all carry them whole on every target, 32-bit ones included.
#include "test_ledger_support.hpp"

#include <iap_embedded/detail/app_receipt_payload.hpp>
#include <iap_embedded/detail/calendar.hpp>
#include <iap_embedded/detail/x509_certificate.hpp>
#include <iap_embedded/detail/x509_chain.hpp>
#include <iap_embedded/base64.hpp>
#include <iap_embedded/ledger.hpp>
#include <iap_embedded/trusted_roots.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

namespace {

using iap_embedded::detail::days_from_civil;
using iap_embedded::detail::format_time_ms;
using iap_embedded::detail::parse_receipt_time_ms;

constexpr std::int64_t s2038 = 2147483648;  // 2038-01-19T03:14:08Z = 2^31 s
constexpr std::int64_t s2106 = 4294967296;  // 2106-02-07T06:28:16Z = 2^32 s
using test_support::ms2038;
using test_support::ms2106;
static_assert(ms2038 == s2038 * 1000 && ms2106 == s2106 * 1000);

// An EC P-256 root and a leaf it issued, both valid from 2038-01-19T03:14:08Z to
// 2106-02-07T06:28:16Z (notBefore a UTCTime, notAfter a GeneralizedTime), made with
// `openssl ca -startdate 20380119031408Z -enddate 21060207062816Z`.
const char* const root_2038_2106 =
    "MIIBgTCCASigAwIBAgICEAAwCgYIKoZIzj0EAwIwJzElMCMGA1UEAwwcQ2FsZW5kYXIgVGVzdCBSb290IDIwMzgtMjEwNjAgFw0z"
    "ODAxMTkwMzE0MDhaGA8yMTA2MDIwNzA2MjgxNlowJzElMCMGA1UEAwwcQ2FsZW5kYXIgVGVzdCBSb290IDIwMzgtMjEwNjBZMBMG"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABI11MEHglKF6/10cRhik6fFY2uUmzM0KoJzrj8SLJPo1wnCryxtJCkkmaWoYI6WV73PsxoWJ"
    "iotNbDLQcpimn0ujQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgIEMB0GA1UdDgQWBBSEIKHgJbiwSMzkJCEVtClH"
    "sJN/sDAKBggqhkjOPQQDAgNHADBEAiBqtLUYNMpoV/CncYOSWc6sZJZgon82Jphof/HTETDXQgIgVEnHmJcDCl5UUw/z/wcUtj46"
    "NVeoHBasCwexyltyT7E=";
const char* const leaf_2038_2106 =
    "MIIBnzCCAUagAwIBAgICEAEwCgYIKoZIzj0EAwIwJzElMCMGA1UEAwwcQ2FsZW5kYXIgVGVzdCBSb290IDIwMzgtMjEwNjAgFw0z"
    "ODAxMTkwMzE0MDhaGA8yMTA2MDIwNzA2MjgxNlowJzElMCMGA1UEAwwcQ2FsZW5kYXIgVGVzdCBMZWFmIDIwMzgtMjEwNjBZMBMG"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABJMPzcWc4R0p3ZHy1TWggWoHQ5tJG4LdXlePEKw8Y0Nrv3ndfQgjjZ/yUpPuyKXfQ+YZ95YS"
    "GATTGaA5tBlIkSijYDBeMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBREZwsIPCaKmv0hmlf27J2ZsHp4"
    "pTAfBgNVHSMEGDAWgBSEIKHgJbiwSMzkJCEVtClHsJN/sDAKBggqhkjOPQQDAgNHADBEAiAWGmuWDmuv6fq8v4U30DgVXaUiMpnl"
    "iLrKPHPnZ31OpQIgGGlYcqY5Ukm7EudJ8YvhxDNFaZsrfj4K2TSk3o/KWnk=";

std::string der_of(const char* base64) {
    const auto bytes = iap_embedded::decode_base64(base64);
    REQUIRE(bytes);
    return std::string(bytes->begin(), bytes->end());
}

iap_embedded::detail::der_view view_of(const std::string& der) {
    return {reinterpret_cast<const unsigned char*>(der.data()), der.size()};
}

} // namespace

TEST_CASE("calendar: days and formatted times past 2038 and 2106") {
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2038, 1, 19) == 24855);
    CHECK(days_from_civil(2106, 2, 7) == 49710);
    CHECK(days_from_civil(2107, 1, 1) == 50038);
    CHECK(days_from_civil(9999, 12, 31) * 86400 + 86399 == 253402300799);

    CHECK(format_time_ms(ms2038 - 1) == "2038-01-19T03:14:07.999Z");
    CHECK(format_time_ms(ms2038) == "2038-01-19T03:14:08.000Z");
    CHECK(format_time_ms(ms2106) == "2106-02-07T06:28:16.000Z");
    CHECK(format_time_ms(ms2106 + 1001) == "2106-02-07T06:28:17.001Z");
    CHECK(format_time_ms(253402300799999) == "9999-12-31T23:59:59.999Z");
    // 2^32 ms: what a 32-bit millisecond count would wrap to zero.
    CHECK(format_time_ms(4294967296) == "1970-02-19T17:02:47.296Z");
    CHECK(format_time_ms(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(iap_embedded::detail::format_unix_seconds(s2106) == "2106-02-07T06:28:16Z");
}

TEST_CASE("calendar: receipt and command-line times past 2038 and 2106") {
    CHECK(parse_receipt_time_ms("2038-01-19T03:14:07Z") == ms2038 - 1000);
    CHECK(parse_receipt_time_ms("2038-01-19T03:14:08Z") == ms2038);
    CHECK(parse_receipt_time_ms("2038-01-19T03:14:08.5Z") == ms2038 + 500);
    CHECK(parse_receipt_time_ms("2106-02-07T06:28:16Z") == ms2106);
    CHECK(parse_receipt_time_ms("2106-02-07T15:28:16+09:00") == ms2106);
    CHECK(parse_receipt_time_ms("2106-02-06T22:28:16-0800") == ms2106);
    CHECK(parse_receipt_time_ms("2107-01-01T00:00:00.999Z") == 4323283200999);
    CHECK(parse_receipt_time_ms("2400-02-29T12:00:00Z") == days_from_civil(2400, 2, 29) * 86400000 + 43200000);
    CHECK(parse_receipt_time_ms("9999-12-31T23:59:59Z") == 253402300799000);
    CHECK_FALSE(parse_receipt_time_ms("2200-02-29T00:00:00Z")); // 2200 is not a leap year
    // Round trip through the formatter, a day at a time across both ends.
    for (std::int64_t ms = ms2038 - 3 * 86400000; ms < ms2038 + 3 * 86400000; ms += 86400000 + 1001) {
        INFO(ms);
        CHECK(parse_receipt_time_ms(format_time_ms(ms)) == ms);
    }
    for (std::int64_t ms = ms2106 - 3 * 86400000; ms < ms2106 + 3 * 86400000; ms += 86400000 + 1001) {
        INFO(ms);
        CHECK(parse_receipt_time_ms(format_time_ms(ms)) == ms);
    }
}

TEST_CASE("calendar: certificate validity from 2038 to 2106, and a chain verified at both ends") {
    const std::string root_der = der_of(root_2038_2106), leaf_der = der_of(leaf_2038_2106);
    const auto leaf = iap_embedded::detail::certificate::parse_der(
        reinterpret_cast<const unsigned char*>(leaf_der.data()), leaf_der.size());
    REQUIRE(leaf);
    CHECK((*leaf)->not_before() == s2038);
    CHECK((*leaf)->not_after() == s2106);
    CHECK_FALSE((*leaf)->valid_at(s2038 - 1));
    CHECK((*leaf)->valid_at(s2038));
    CHECK((*leaf)->valid_at(s2106));
    CHECK_FALSE((*leaf)->valid_at(s2106 + 1));

    const auto roots = iap_embedded::trusted_roots::from_certificates({root_der});
    REQUIRE(roots);
    const auto verify_at = [&](std::int64_t at) {
        return iap_embedded::detail::verify_chain(view_of(leaf_der), {}, *roots, at, {}, nullptr);
    };
    for (const std::int64_t at : {s2038, s2038 + 86400, s2106 - 86400, s2106}) {
        INFO(at);
        const auto verified = verify_at(at);
        INFO(verified.message());
        CHECK(verified);
    }
    CHECK(verify_at(s2038 - 1).error_code() == iap_embedded::errc::certificate_expired);
    CHECK(verify_at(s2106 + 1).error_code() == iap_embedded::errc::certificate_expired);
    // The same second seen through a 32-bit time_t would be 1901 or 1970: still not valid.
    CHECK(verify_at(static_cast<std::int64_t>(static_cast<std::int32_t>(s2106 + 1 - 4294967296))).error_code() ==
          iap_embedded::errc::certificate_expired);
}

TEST_CASE("calendar: subscription expiries and store times past 2038 and 2106 in the ledger") {
    using iap_embedded::ledger;
    ledger_test::scratch_dir dir;
    const auto path = dir.file("l");
    const std::int64_t purchased = 2208988800000; // 2040-01-01
    {
        auto l = ledger::open(path);
        REQUIRE(l);
        REQUIRE(l->consume(ledger_test::apple_subscription("2038", purchased, ms2106 + 1)));
        REQUIRE(l->consume(ledger_test::apple_subscription("2106", purchased, ms2106 + 86400000)));
        CHECK(l->trusted_time_ms() == purchased);
        CHECK(l->entitlements(ms2106).size() == 2);
        REQUIRE(l->observe_store_time(ms2106 + 1));
        CHECK(l->trusted_time_ms() == ms2106 + 1);
    }
    auto l = ledger::open(path);
    REQUIRE(l);
    CHECK(l->trusted_time_ms() == ms2106 + 1);
    const auto entry = l->find({iap_embedded::store_kind::app_store, "2106"});
    REQUIRE(entry);
    CHECK(entry->purchase_time_ms == purchased);
    CHECK(entry->expires_time_ms == ms2106 + 86400000);
    // The trusted clock is past the first expiry: asking at an earlier time revives nothing.
    const auto owned = l->entitlements(ms2038);
    REQUIRE(owned.size() == 1);
    CHECK(owned[0].key.id == "2106");
    CHECK(l->entitlements(ms2106 + 86400000 + 1).empty());
    const std::string history = l->history_json();
    CHECK(history.find("\"expires_time_ms\": 4295053696000") != std::string::npos);
}
