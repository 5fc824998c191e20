// SPDX-License-Identifier: MIT
//
// The one thing the sync client needs from a network stack: send one HTTP request to the IAP
// server, get its status, headers and body back. An engine with its own HTTP stack implements
// `http_transport` over it; `beast_transport.hpp` (Boost.Beast over mbedTLS) is the default.
//
// Contract for implementations:
// - `send` is called from one thread at a time per transport object.
// - The request's `target` is the API path ("/v1/service/consume"); the transport prefixes the
//   base path of its server URL, adds `Host`, `Content-Length` and connection headers itself.
// - Failures map to typed errors: `network_error` (no connection, dropped, timed out),
//   `tls_error` (certificate not trusted or not for the host, handshake failed),
//   `malformed_response` (not HTTP, or larger than the transport's limit). An HTTP error status
//   is NOT a transport failure: it is returned as a response and the caller decides.
// - A request whose outcome is unknown (the connection dropped after it was sent) is reported
//   as `network_error`; the caller treats it as possibly delivered.
// - `send_when_connected` calls its hook once the request may reach the server (connection and
//   TLS handshake done, nothing of the request written yet), and never when it fails before
//   that: the sync client writes its durable "attempted" mark there, so a request that never
//   left the device (no network, connection refused, certificate refused) leaves no mark. The
//   default implementation cannot tell: it calls the hook first, then `send`.
#ifndef IAP_EMBEDDED_HTTP_TRANSPORT_HPP
#define IAP_EMBEDDED_HTTP_TRANSPORT_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

/// One HTTP request to the IAP server.
struct http_request {
    std::string method = "POST";
    std::string target; ///< API path, e.g. "/v1/service/consume"
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// One HTTP response.
struct http_response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// The first header named `name` (case-insensitive), or empty.
    std::string_view header(std::string_view name) const noexcept {
        for (const auto& h : headers) {
            if (h.first.size() != name.size()) continue;
            bool same = true;
            for (std::size_t i = 0; i < name.size() && same; ++i) {
                const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
                same = lower(h.first[i]) == lower(name[i]);
            }
            if (same) return h.second;
        }
        return {};
    }
};

/// Called by `http_transport::send_when_connected` just before the request may reach the server;
/// an error stops the send (nothing is written) and is returned as the send's error.
using before_request_hook = std::function<result<void>()>;

/// Sends requests to one server. See the contract at the top of this header.
class http_transport {
public:
    virtual ~http_transport() = default;
    virtual result<http_response> send(const http_request& request) = 0;

    /// `send`, calling `hook` once the request may reach the server and never before a failure
    /// that keeps it on the device. A transport that can connect ahead of writing overrides this;
    /// the default calls `hook` first, so the caller's mark errs on the side of "maybe sent".
    virtual result<http_response> send_when_connected(const http_request& request, const before_request_hook& hook) {
        if (auto ready = hook(); !ready) return std::move(ready).error();
        return send(request);
    }
};

/// A parsed server URL: `https://host[:port][/base/path]` (or `http://` when plain HTTP is
/// explicitly allowed by the transport).
struct server_url {
    bool https = true;
    std::string host;
    std::uint16_t port = 443;
    std::string base_path; ///< without a trailing slash; empty for the root
};

/// Parses `url`. `malformed_input` for anything but http(s)://host[:port][/path] (no user info,
/// query or fragment; IPv6 literals in brackets).
IAP_EMBEDDED_DECL result<server_url> parse_server_url(std::string_view url);

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/http_transport.ipp"
#endif

#endif // IAP_EMBEDDED_HTTP_TRANSPORT_HPP
