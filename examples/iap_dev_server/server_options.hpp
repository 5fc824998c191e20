// SPDX-License-Identifier: MIT
//
// The dev server's command line (documented at the top of main.cpp). Every flag taking a value
// accepts both "--flag VALUE" and "--flag=VALUE".
#ifndef IAP_DEV_SERVER_SERVER_OPTIONS_HPP
#define IAP_DEV_SERVER_SERVER_OPTIONS_HPP

#include "faults.hpp"
#include "http_server.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_dev_server {

struct server_options {
    std::string app_key;
    std::string listen = "127.0.0.1:0";
    bool https = true;
    std::string cert_file;
    std::string key_file;
    std::string write_cert_file;
    std::string data_file;
    http_settings http;
    fault_settings faults;
    bool help = false;
    bool version = false;
};

/// The parsed options, or why the command line is wrong.
struct parsed_options {
    server_options options;
    std::string problem; ///< empty on success
};

inline std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return std::nullopt;
    return value;
}

/// "127.0.0.1:8443", "[::1]:0", "localhost:0" (= 127.0.0.1).
struct listen_address {
    boost::asio::ip::address address;
    std::uint16_t port = 0;
};

inline std::optional<listen_address> parse_listen_address(const std::string& text) {
    std::string host, port;
    if (!text.empty() && text[0] == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos || text.find(':') != colon) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host == "localhost") host = "127.0.0.1";
    boost::system::error_code ec;
    listen_address out;
    out.address = boost::asio::ip::make_address(host, ec);
    const auto port_number = parse_integer(port, 0, 65535);
    if (ec || !port_number) return std::nullopt;
    out.port = static_cast<std::uint16_t>(*port_number);
    return out;
}

inline parsed_options parse_server_options(const std::vector<std::string>& args) {
    parsed_options out;
    server_options& o = out.options;
    bool saw_http = false, saw_https = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> inline_value;
        if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = flag.substr(eq + 1);
            flag = flag.substr(0, eq);
        }
        const auto value = [&](std::string& into) -> bool {
            if (inline_value) return into = *inline_value, true;
            if (i + 1 >= args.size()) return out.problem = flag + " needs a value", false;
            into = args[++i];
            return true;
        };
        const auto number = [&](std::int64_t min, std::int64_t max) -> std::optional<std::int64_t> {
            std::string text;
            if (!value(text)) return std::nullopt;
            const auto n = parse_integer(text, min, max);
            if (!n) out.problem = flag + " needs an integer from " + std::to_string(min) + " to " + std::to_string(max);
            return n;
        };
        const auto no_value = [&]() -> bool {
            if (inline_value) return out.problem = flag + " takes no value", false;
            return true;
        };

        if (flag == "--help" || flag == "-h") { o.help = true; return out; }
        if (flag == "--version") { o.version = true; return out; }
        if (flag == "--app-key") { if (!value(o.app_key)) return out; continue; }
        if (flag == "--listen") { if (!value(o.listen)) return out; continue; }
        if (flag == "--http") { if (!no_value()) return out; saw_http = true; o.https = false; continue; }
        if (flag == "--https") { if (!no_value()) return out; saw_https = true; o.https = true; continue; }
        if (flag == "--cert") { if (!value(o.cert_file)) return out; continue; }
        if (flag == "--key") { if (!value(o.key_file)) return out; continue; }
        if (flag == "--write-cert") { if (!value(o.write_cert_file)) return out; continue; }
        if (flag == "--data") { if (!value(o.data_file)) return out; continue; }
        if (flag == "--verbose") { if (!no_value()) return out; o.http.verbose = true; continue; }
        if (flag == "--idle-timeout") {
            const auto n = number(1, 3600);
            if (!n) return out;
            o.http.idle_timeout = std::chrono::seconds(*n);
            continue;
        }
        if (flag == "--body-limit") {
            const auto n = number(1024, 16 * 1024 * 1024);
            if (!n) return out;
            o.http.body_limit = static_cast<std::size_t>(*n);
            continue;
        }
        if (flag == "--fault-delay-ms") {
            const auto n = number(0, fault_settings::max_delay_ms);
            if (!n) return out;
            o.faults.delay_ms = *n;
            continue;
        }
        if (flag == "--fault-count") {
            const auto n = number(0, INT32_MAX);
            if (!n) return out;
            o.faults.count = *n;
            continue;
        }
        bool* switch_flag = flag == "--fault-drop"                ? &o.faults.drop
                            : flag == "--fault-drop-after-commit" ? &o.faults.drop_after_commit
                            : flag == "--fault-status500"         ? &o.faults.status500
                            : flag == "--fault-malformed"         ? &o.faults.malformed
                            : flag == "--fault-already-consumed"  ? &o.faults.already_consumed
                                                                  : nullptr;
        if (switch_flag != nullptr) {
            if (!no_value()) return out;
            *switch_flag = true;
            continue;
        }
        out.problem = "unknown argument '" + args[i] + "'";
        return out;
    }
    if (saw_http && saw_https) return out.problem = "--http and --https exclude each other", out;
    if (o.app_key.empty()) return out.problem = "--app-key KEY is required", out;
    if (!parse_listen_address(o.listen))
        return out.problem = "--listen needs IP:PORT (for example 127.0.0.1:0 or [::1]:8443), not '" + o.listen + "'", out;
    if (!o.https && (!o.cert_file.empty() || !o.key_file.empty() || !o.write_cert_file.empty()))
        return out.problem = "--cert, --key and --write-cert are for --https", out;
    if (o.cert_file.empty() != o.key_file.empty()) return out.problem = "--cert and --key go together", out;
    return out;
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_SERVER_OPTIONS_HPP
