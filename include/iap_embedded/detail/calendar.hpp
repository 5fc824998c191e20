// SPDX-License-Identifier: MIT
//
// Calendar arithmetic on Unix times (proleptic Gregorian, UTC) and the wall clock, shared by the
// receipt, certificate and ledger code. Howard Hinnant's days_from_civil / civil_from_days.
#ifndef IAP_EMBEDDED_DETAIL_CALENDAR_HPP
#define IAP_EMBEDDED_DETAIL_CALENDAR_HPP

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Days from 1970-01-01 to the date `y`-`m`-`d`.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// "2026-03-01T10:00:00.000Z" for a time in milliseconds since the epoch.
inline std::string format_time_ms(std::int64_t ms) {
    std::int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) rem += 1000, --secs;
    std::int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) sod += 86400, --days;
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                  static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(sod / 3600),
                  static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60), static_cast<long long>(rem));
    return buf;
}

/// The device's clock, in milliseconds since the epoch. Untrusted: the user can set it.
inline std::int64_t wall_clock_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_CALENDAR_HPP
