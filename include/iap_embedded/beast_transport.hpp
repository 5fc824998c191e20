// SPDX-License-Identifier: MIT
//
// The default `http_transport`: HTTP/1.1 with Boost.Beast over TLS with mbedTLS
// (`detail/tls_stream.hpp`), synchronous from the caller's view.
//
//   auto transport = iap_embedded::beast_transport::create("https://api-iap.cloud.toast.com");
//   if (!transport) { /* transport.message() */ }
//   auto response = (*transport)->send(request);   // result<http_response>
//
// Needs Boost (Beast and Asio, header-only) besides mbedTLS; the rest of the library does not.
//
// What it checks: the server certificate must chain to the pinned CA(s) or, when none are pinned,
// to the system bundle, must be valid now, and must be issued for the URL's host. The host name
// check is mbedTLS's: dNSName entries of the subjectAltName (wildcards in the first label), or the
// CN when the certificate has no subjectAltName. For an IP-literal URL ("https://10.0.0.5/"),
// mbedTLS 2.28 compares the address TEXT with those same dNSName/CN entries and ignores iPAddress
// entries, so such a certificate needs a dNSName (or CN) "10.0.0.5"; newer mbedTLS 3.x also
// accepts a matching iPAddress entry. mbedTLS also sends the address as SNI in that case.
//
// Timeouts: `connect_timeout` bounds the TCP connect (over all resolved addresses) and,
// separately, the TLS handshake; `io_timeout` bounds writing one request and reading its whole
// response. Name resolution uses the system resolver synchronously and is bounded by its own
// timeouts (resolv.conf), not by these.
//
// Errors (the message says which step failed and why):
// - `network_error`: name not resolved, connection refused, timed out ("timed out" in the
//   message), reset, closed before or within the response;
// - `tls_error`: the certificate is refused (the message carries mbedTLS's verification result,
//   e.g. "certificate is not trusted", "hostname does not match the certificate", "certificate
//   has expired") or the handshake failed otherwise (alert, no common cipher suite, not TLS);
// - `malformed_response`: the answer is not HTTP/1.x, its header exceeds 16 KiB or its body
//   `max_response_bytes`;
// - at `create`: `malformed_input` for a bad URL, or an http:// URL without `allow_plain_http`;
//   the errors of `tls::context::client` for the CA options.
// An HTTP error status is a response, not an error. No exception leaves `create` or `send`.
#ifndef IAP_EMBEDDED_BEAST_TRANSPORT_HPP
#define IAP_EMBEDDED_BEAST_TRANSPORT_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/http_transport.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {

/// Settings of a `beast_transport`.
struct beast_transport_options {
    std::string ca_certificates;   ///< pinned CA(s): PEM text (one or more) or one DER certificate; empty: ca_file
    std::string ca_file;           ///< empty: the system bundle /etc/ssl/certs/ca-certificates.crt
    bool allow_plain_http = false; ///< http:// URLs are refused unless this is set (loopback tests)
    std::chrono::milliseconds connect_timeout{10000}; ///< TCP connect; then again the TLS handshake
    std::chrono::milliseconds io_timeout{20000};      ///< per request: write + read of the response
    std::size_t max_response_bytes = 1 << 20;         ///< largest response body accepted
    bool keep_alive = true; ///< reuse one connection across send() calls; false: new connection per request
};

/// An `http_transport` to one server over HTTPS (or plain HTTP when allowed), keeping one
/// connection alive between requests. `send` is called from one thread at a time.
///
/// A kept-alive connection that the server closed while idle is noticed when the next request
/// fails to be written or gets no byte of answer; the request is then sent once more on a new
/// connection. The first copy may have reached the server; repeating it is safe by the sync
/// client's contract (sync.hpp): a repeated consume answers 5018 and the ledger's attempted mark
/// says it was ours, and the other requests only read. Only a connection reused from an earlier
/// request is retried, only once, and never after a timeout or after any byte of the response.
class beast_transport final : public http_transport {
public:
    /// A transport to `server_url` (`https://host[:port][/base/path]`; `http://` only with
    /// `allow_plain_http`). Loads the CAs; does not connect yet.
    static result<std::unique_ptr<beast_transport>> create(std::string_view server_url,
                                                           beast_transport_options options = {});

    ~beast_transport() override;
    beast_transport(const beast_transport&) = delete;
    beast_transport& operator=(const beast_transport&) = delete;

    /// Sends `request` (its target is appended to the URL's base path) and returns the
    /// response, whatever its status. Adds Host, Content-Length and Connection; the request's own
    /// headers of those names are ignored. `malformed_input` for a request that cannot be sent
    /// as given (a method that is not a token, a target not starting with '/', CR or LF in a
    /// header).
    result<http_response> send(const http_request& request) override;

    /// `send`, calling `hook` after the TCP connect and the TLS handshake succeeded (or on a
    /// kept-alive connection), just before the request is written; again before the one repeat
    /// on a fresh connection. A failure to resolve, connect or complete the handshake returns
    /// without calling it: the request never left the device.
    result<http_response> send_when_connected(const http_request& request, const before_request_hook& hook) override;

    /// How many TCP connections this transport has opened so far (for tests and the
    /// connection-reuse benchmark).
    std::uint64_t connections_opened() const noexcept;

private:
    struct state;
    explicit beast_transport(std::unique_ptr<state> s) noexcept;
    std::unique_ptr<state> state_;
};

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/beast_transport.ipp"
#endif

#endif // IAP_EMBEDDED_BEAST_TRANSPORT_HPP
