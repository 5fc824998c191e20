// SPDX-License-Identifier: MIT
//
// Fault switches: ways the dev server misbehaves on purpose so tests can see how a client copes
// with a slow, broken or lying IAP server. They apply to API requests (/v1/service/...) only.
#ifndef IAP_DEV_SERVER_FAULTS_HPP
#define IAP_DEV_SERVER_FAULTS_HPP

#include "json_text.hpp"

#include <iap_embedded/detail/json.hpp>
#include <iap_embedded/error.hpp>

#include <picojson.h>

#include <cstdint>
#include <string>

namespace iap_dev_server {

struct fault_settings {
    /// Wait this long before handling the request (other connections are served meanwhile).
    std::int64_t delay_ms = 0;
    /// Close the connection without answering and without handling the request.
    bool drop = false;
    /// Handle the request (a consume is recorded), then close the connection without answering.
    bool drop_after_commit = false;
    /// Answer HTTP 500 without handling the request.
    bool status500 = false;
    /// Answer HTTP 200 with a body that is not JSON, without handling the request.
    bool malformed = false;
    /// Answer every consume with 5018 without handling it.
    bool already_consumed = false;
    /// Apply to the next `count` API requests, then clear every switch; 0: until changed.
    std::int64_t count = 0;

    static constexpr std::int64_t max_delay_ms = 600000;

    bool active() const noexcept {
        return delay_ms > 0 || drop || drop_after_commit || status500 || malformed || already_consumed;
    }
};

inline picojson::value fault_json(const fault_settings& f) {
    picojson::object o;
    o["delayMs"] = json_number(f.delay_ms);
    o["drop"] = picojson::value(f.drop);
    o["dropAfterCommit"] = picojson::value(f.drop_after_commit);
    o["status500"] = picojson::value(f.status500);
    o["malformed"] = picojson::value(f.malformed);
    o["alreadyConsumed"] = picojson::value(f.already_consumed);
    o["count"] = json_number(f.count);
    return picojson::value(std::move(o));
}

/// The body of POST /v1/dev/faults: every member optional, an absent one is off (or 0). Unknown
/// members are refused so that a misspelt switch is not silently ignored.
inline iap_embedded::result<fault_settings> faults_from_json(const picojson::object& object) {
    using iap_embedded::errc;
    static const char* const known[] = {"delayMs", "drop", "dropAfterCommit", "status500", "malformed", "alreadyConsumed", "count"};
    for (const auto& member : object) {
        bool found = false;
        for (const char* name : known) found = found || member.first == name;
        if (!found) return iap_embedded::make_error(errc::malformed_input, "unknown fault \"" + member.first + "\"");
    }
    iap_embedded::detail::json_fields fields(object);
    fault_settings f;
    f.delay_ms = fields.integer("delayMs").value_or(0);
    f.drop = fields.boolean("drop").value_or(false);
    f.drop_after_commit = fields.boolean("dropAfterCommit").value_or(false);
    f.status500 = fields.boolean("status500").value_or(false);
    f.malformed = fields.boolean("malformed").value_or(false);
    f.already_consumed = fields.boolean("alreadyConsumed").value_or(false);
    f.count = fields.integer("count").value_or(0);
    if (fields.failure) return *fields.failure;
    if (f.delay_ms < 0 || f.delay_ms > fault_settings::max_delay_ms)
        return iap_embedded::make_error(errc::malformed_input, "delayMs must be 0.." + std::to_string(fault_settings::max_delay_ms));
    if (f.count < 0) return iap_embedded::make_error(errc::malformed_input, "count must be 0 or more");
    return f;
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_FAULTS_HPP
