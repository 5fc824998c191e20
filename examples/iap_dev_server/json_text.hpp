// SPDX-License-Identifier: MIT
//
// JSON output for the dev server: picojson values written compactly, with numbers in their
// shortest exact form (picojson itself writes 0.99 as 0.98999999999999999) and without picojson's
// "\/" escapes, and the response envelope of the NHN Cloud IAP server API.
#ifndef IAP_DEV_SERVER_JSON_TEXT_HPP
#define IAP_DEV_SERVER_JSON_TEXT_HPP

#include <iap_embedded/detail/json_escape.hpp>

#include <picojson.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace iap_dev_server {

inline picojson::value json_number(std::int64_t n) { return picojson::value(static_cast<double>(n)); }

inline void append_json_number(std::string& out, double d) {
    char buf[40];
    if (std::fabs(d) < 9007199254740992.0 && std::floor(d) == d) {
        std::snprintf(buf, sizeof buf, "%.0f", d);
    } else {
        for (int precision = 15; precision <= 17; ++precision) {
            std::snprintf(buf, sizeof buf, "%.*g", precision, d);
            if (std::strtod(buf, nullptr) == d) break;
        }
    }
    out += buf;
}

/// A JSON string: '"', '\\' and control characters escaped, other bytes (UTF-8) as they are.
using iap_embedded::detail::append_json_string;

inline void append_json(std::string& out, const picojson::value& v) {
    if (v.is<picojson::object>()) {
        out += '{';
        bool first = true;
        for (const auto& member : v.get<picojson::object>()) {
            if (!first) out += ',';
            first = false;
            append_json_string(out, member.first);
            out += ':';
            append_json(out, member.second);
        }
        out += '}';
    } else if (v.is<picojson::array>()) {
        out += '[';
        bool first = true;
        for (const auto& item : v.get<picojson::array>()) {
            if (!first) out += ',';
            first = false;
            append_json(out, item);
        }
        out += ']';
    } else if (v.is<double>()) {
        append_json_number(out, v.get<double>());
    } else if (v.is<std::string>()) {
        append_json_string(out, v.get<std::string>());
    } else {
        out += v.serialize(); // booleans, null
    }
}

inline std::string json_text(const picojson::value& v) {
    std::string out;
    append_json(out, v);
    return out;
}

/// Result codes of the IAP server API, as the dev server uses them.
namespace result_code {
constexpr int success = 0;
constexpr int invalid_app_key = 1001;
constexpr int invalid_parameter = 1100;
constexpr int consume_failed = 5000;
constexpr int already_consumed = 5018;
constexpr int unknown_error = 9999;
} // namespace result_code

/// `{"header": {"isSuccessful": true, "resultCode": 0, "resultMessage": "SUCCESS"}, "result": ...}`
inline std::string success_envelope(picojson::value result) {
    picojson::object header;
    header["isSuccessful"] = picojson::value(true);
    header["resultCode"] = json_number(result_code::success);
    header["resultMessage"] = picojson::value("SUCCESS");
    picojson::object root;
    root["header"] = picojson::value(std::move(header));
    root["result"] = std::move(result);
    return json_text(picojson::value(std::move(root)));
}

/// `{"header": {"isSuccessful": false, "resultCode": code, "resultMessage": message}}`: like the
/// real server's documented error answers, without a "result" member.
inline std::string failure_envelope(int code, const std::string& message) {
    picojson::object header;
    header["isSuccessful"] = picojson::value(false);
    header["resultCode"] = json_number(code);
    header["resultMessage"] = picojson::value(message);
    picojson::object root;
    root["header"] = picojson::value(std::move(header));
    return json_text(picojson::value(std::move(root)));
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_JSON_TEXT_HPP
