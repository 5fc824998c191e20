// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_HTTP_TRANSPORT_IPP
#define IAP_EMBEDDED_IMPL_HTTP_TRANSPORT_IPP

#include "iap_embedded/http_transport.hpp"

namespace iap_embedded {
inline namespace v1 {

IAP_EMBEDDED_DECL result<server_url> parse_server_url(std::string_view url) {
    const auto bad = [&](const char* why) {
        return make_error(errc::malformed_input, "server URL '" + std::string(url) + "': " + why);
    };
    server_url out;
    std::string_view rest = url;
    if (rest.substr(0, 8) == "https://") {
        rest.remove_prefix(8);
    } else if (rest.substr(0, 7) == "http://") {
        out.https = false;
        out.port = 80;
        rest.remove_prefix(7);
    } else {
        return bad("must start with https:// (or http://)");
    }
    if (rest.find_first_of("?#@") != std::string_view::npos) return bad("user info, query and fragment are not allowed");
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
        out.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad("junk after the IPv6 literal");
            port = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        out.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
        if (out.host.find(':') != std::string::npos) return bad("IPv6 addresses must be in brackets");
    }
    if (out.host.empty()) return bad("no host");
    for (const char c : out.host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '-' || c == ':' || c == '_';
        if (!ok) return bad("the host has a character that is not allowed");
    }
    if (authority.find(':') != std::string_view::npos && port.empty() && authority.back() == ':')
        return bad("empty port");
    if (!port.empty()) {
        unsigned value = 0;
        for (const char c : port) {
            if (c < '0' || c > '9' || value > 65535) return bad("the port is not a number from 1 to 65535");
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return bad("the port is not a number from 1 to 65535");
        out.port = static_cast<std::uint16_t>(value);
    }
    out.base_path = std::string(path);
    return out;
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_HTTP_TRANSPORT_IPP
