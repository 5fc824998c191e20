// SPDX-License-Identifier: MIT
//
// A request target split into its path and its decoded query parameters
// ("/?userKey=a%3Cb&consumed=no" -> "/", {userKey: "a<b", consumed: "no"}).
#ifndef IAP_DEV_SERVER_REQUEST_TARGET_HPP
#define IAP_DEV_SERVER_REQUEST_TARGET_HPP

#include <map>
#include <string>
#include <string_view>

namespace iap_dev_server {

struct request_target {
    std::string path;
    std::map<std::string, std::string> query; ///< a parameter given twice keeps its first value

    /// The parameter's value, or empty.
    std::string param(const std::string& name) const {
        const auto it = query.find(name);
        return it == query.end() ? std::string{} : it->second;
    }
};

/// Percent-decoding of a query component; '+' is a space. A malformed escape stays as it is.
inline std::string decode_query_component(std::string_view text) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

inline request_target parse_request_target(std::string_view target) {
    request_target out;
    const auto fragment = target.find('#');
    if (fragment != std::string_view::npos) target = target.substr(0, fragment);
    const auto question = target.find('?');
    out.path = std::string(target.substr(0, question));
    if (question == std::string_view::npos) return out;
    std::string_view rest = target.substr(question + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string name = decode_query_component(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? std::string{} : decode_query_component(pair.substr(eq + 1));
        out.query.emplace(std::move(name), std::move(value));
    }
    return out;
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_REQUEST_TARGET_HPP
