// SPDX-License-Identifier: MIT
//
// Writing a JSON string literal: the one escaper behind the ledger's history_json, iapctl's
// output and the dev server's answers.
#ifndef IAP_EMBEDDED_DETAIL_JSON_ESCAPE_HPP
#define IAP_EMBEDDED_DETAIL_JSON_ESCAPE_HPP

#include <cstdio>
#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Appends `text` to `out` as a JSON string: quotes, backslashes and control characters escaped
/// (short forms for \n, \r, \t), everything else (UTF-8 included) as is.
inline void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_JSON_ESCAPE_HPP
