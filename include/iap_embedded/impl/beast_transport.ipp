// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_BEAST_TRANSPORT_IPP
#define IAP_EMBEDDED_IMPL_BEAST_TRANSPORT_IPP

#include "iap_embedded/beast_transport.hpp"
#include "iap_embedded/detail/tls_stream.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <exception>
#include <new>
#include <optional>
#include <utility>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Largest response header accepted by `beast_transport`.
inline constexpr std::uint32_t beast_transport_header_limit = 16 * 1024;

inline bool is_http_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        if (!ok) return false;
    }
    return true;
}

inline bool is_header_value(std::string_view s) noexcept {
    for (const char c : s)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

inline bool is_request_target(std::string_view s) noexcept {
    if (s.empty() || s.front() != '/') return false;
    for (const char c : s)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
    return true;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// The connection ended under the request: what a kept-alive connection that the server closed
// while idle looks like.
inline bool is_connection_closed(const boost::system::error_code& ec) noexcept {
    return ec == boost::beast::http::error::end_of_stream || ec == boost::asio::error::eof ||
           ec == boost::asio::error::connection_reset || ec == boost::asio::error::connection_aborted ||
           ec == boost::asio::error::broken_pipe || ec == boost::asio::error::not_connected ||
           ec == tls::make_error_code(tls::stream_errc::stream_truncated);
}

} // namespace detail

struct beast_transport::state {
    using request_type = boost::beast::http::request<boost::beast::http::string_body>;

    // The io_context comes first: the streams, destroyed before it, never outlive it. Made on the
    // first connect, and made anew after an exception (see forget_connection).
    std::unique_ptr<boost::asio::io_context> ioc;
    server_url url;
    beast_transport_options options;
    std::string authority; // "host:port", for messages
    std::shared_ptr<tls::context> tls_context;
    std::optional<boost::beast::tcp_stream> plain;
    std::optional<tls::stream<boost::beast::tcp_stream>> secure;
    boost::beast::flat_buffer buffer;
    std::uint64_t opened = 0;

    bool connected() const noexcept { return plain.has_value() || secure.has_value(); }
    boost::beast::tcp_stream& tcp() noexcept { return secure ? secure->next_layer() : *plain; }

    // Runs one asynchronous operation to completion on this thread. `start` gets the completion
    // handler; every operation here completes (possibly by timeout), so run() returns.
    template <class Start>
    boost::system::error_code run(Start&& start) {
        boost::system::error_code outcome = boost::asio::error::operation_aborted;
        bool done = false;
        start([&outcome, &done](boost::system::error_code ec, auto&&...) {
            outcome = ec;
            done = true;
        });
        ioc->restart();
        ioc->run();
        return done ? outcome : boost::system::error_code(boost::asio::error::operation_aborted);
    }

    template <class F>
    boost::system::error_code on_stream(F&& f) {
        if (secure) return f(*secure);
        return f(*plain);
    }

    std::string millis(std::chrono::milliseconds d) const { return std::to_string(d.count()) + " ms"; }

    // Closes the connection; `graceful` first sends TLS close_notify (bounded by a short timeout).
    void disconnect(bool graceful) {
        if (secure && graceful && secure->handshake_done()) {
            secure->next_layer().expires_after(std::min(options.io_timeout, std::chrono::milliseconds(1000)));
            (void)run([this](auto handler) { secure->async_shutdown(std::move(handler)); });
        }
        if (connected()) {
            boost::system::error_code ignored;
            tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
            tcp().socket().close(ignored);
        }
        secure.reset();
        plain.reset();
        buffer.clear();
    }

    result<void> connect() {
        disconnect(false);
        if (!ioc) ioc = std::make_unique<boost::asio::io_context>(1);
        boost::asio::ip::tcp::resolver resolver(*ioc);
        boost::system::error_code ec;
        const auto endpoints = resolver.resolve(url.host, std::to_string(url.port),
                                                boost::asio::ip::resolver_base::numeric_service, ec);
        if (ec)
            return make_error(errc::network_error, "cannot resolve the host name '" + url.host + "': " + ec.message());

        boost::beast::tcp_stream tcp_stream(*ioc);
        tcp_stream.expires_after(options.connect_timeout);
        ec = run([&](auto handler) { tcp_stream.async_connect(endpoints, std::move(handler)); });
        if (ec == boost::beast::error::timeout)
            return make_error(errc::network_error, "timed out connecting to " + authority + " (connect_timeout " +
                                                       millis(options.connect_timeout) + ")");
        if (ec) return make_error(errc::network_error, "cannot connect to " + authority + ": " + ec.message());
        ++opened;
        tcp_stream.expires_never();
        // Requests are small and answered at once: don't let Nagle hold the last segment back.
        tcp_stream.socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);

        if (!url.https) {
            plain.emplace(std::move(tcp_stream));
            return {};
        }
        secure.emplace(tls_context, std::move(tcp_stream));
        if (auto named = secure->set_hostname(url.host); !named) {
            disconnect(false);
            return named;
        }
        secure->next_layer().expires_after(options.connect_timeout);
        ec = run([this](auto handler) { secure->async_handshake(std::move(handler)); });
        if (!ec) {
            secure->next_layer().expires_never();
            return {};
        }
        error_info failure;
        if (ec == boost::beast::error::timeout) {
            failure = make_error(errc::network_error, "timed out in the TLS handshake with " + authority +
                                                          " (connect_timeout " + millis(options.connect_timeout) + ")");
        } else if (tls::is_verification_failure(ec)) {
            failure = make_error(errc::tls_error,
                                 "the certificate of " + authority + " is refused: " + secure->verify_failure(),
                                 ec.value());
        } else if (ec.category() == tls::category() && ec.value() < 0) {
            failure = make_error(errc::tls_error, "the TLS handshake with " + authority + " failed: " + ec.message(),
                                 ec.value());
        } else if (ec == tls::make_error_code(tls::stream_errc::stream_truncated)) {
            failure = make_error(errc::network_error, "the connection to " + authority +
                                                          " was closed in the TLS handshake (not a TLS server, or "
                                                          "it refused this client)");
        } else {
            failure = make_error(errc::network_error,
                                 "the connection to " + authority + " failed in the TLS handshake: " + ec.message());
        }
        disconnect(false);
        return failure;
    }

    error_info io_failure(const boost::system::error_code& ec, const char* step) const {
        namespace http = boost::beast::http;
        const std::string where = std::string(step) + " " + authority;
        if (ec == boost::beast::error::timeout)
            return make_error(errc::network_error,
                              "timed out " + where + " (io_timeout " + millis(options.io_timeout) + ")");
        if (ec == http::error::end_of_stream)
            return make_error(errc::network_error, "the connection was closed before the response, " + where);
        if (ec == http::error::partial_message)
            return make_error(errc::network_error, "the connection was closed within the response, " + where);
        if (ec == tls::make_error_code(tls::stream_errc::stream_truncated))
            return make_error(errc::network_error, "the connection was closed without TLS close_notify, " + where);
        if (ec == http::error::body_limit)
            return make_error(errc::malformed_response, "the response body is larger than " +
                                                            std::to_string(options.max_response_bytes) + " bytes, " +
                                                            where);
        if (ec == http::error::header_limit)
            return make_error(errc::malformed_response, "the response header is larger than " +
                                                            std::to_string(detail::beast_transport_header_limit) +
                                                            " bytes, " + where);
        if (ec.category() == http::make_error_code(http::error::end_of_stream).category())
            return make_error(errc::malformed_response,
                              "the response is not HTTP/1.x (" + ec.message() + "), " + where);
        if (ec.category() == tls::category())
            return make_error(errc::tls_error, "TLS failure " + where + ": " + ec.message(),
                              ec.value() < 0 ? ec.value() : 0);
        return make_error(errc::network_error, "failed " + where + ": " + ec.message());
    }

    struct exchange_outcome {
        result<http_response> response;
        bool repeatable; // nothing of a response arrived and the connection was closed under it
    };

    exchange_outcome exchange(const request_type& request) {
        namespace http = boost::beast::http;
        tcp().expires_after(options.io_timeout);
        auto ec = on_stream([&](auto& s) {
            return run([&](auto handler) { http::async_write(s, request, std::move(handler)); });
        });
        if (ec) {
            disconnect(false);
            return {io_failure(ec, "sending the request to"), ec != boost::beast::error::timeout};
        }
        http::response_parser<http::string_body> parser;
        parser.header_limit(detail::beast_transport_header_limit);
        parser.body_limit(options.max_response_bytes);
        if (request.method() == http::verb::head) parser.skip(true);
        // The header first, on its own: Beast 1.74's eager parsing (what async_read uses) drops
        // the body_limit error for a Content-Length over the limit when body bytes arrive with
        // the header, and reads the body anyway.
        ec = on_stream([&](auto& s) {
            return run([&](auto handler) { http::async_read_header(s, buffer, parser, std::move(handler)); });
        });
        if (!ec && !parser.is_done()) {
            ec = on_stream([&](auto& s) {
                return run([&](auto handler) { http::async_read(s, buffer, parser, std::move(handler)); });
            });
        }
        if (!ec && parser.get().body().size() > options.max_response_bytes) ec = http::error::body_limit;
        if (ec) {
            const bool nothing_read = !parser.got_some() && buffer.size() == 0;
            disconnect(false);
            return {io_failure(ec, "reading the response from"), nothing_read && detail::is_connection_closed(ec)};
        }
        tcp().expires_never();
        auto message = parser.release();
        http_response out;
        out.status = static_cast<int>(message.result_int());
        for (const auto& field : message)
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        out.body = std::move(message.body());
        if (!options.keep_alive || !message.keep_alive()) disconnect(true);
        return {std::move(out), false};
    }

    result<request_type> build(const http_request& in) const {
        namespace http = boost::beast::http;
        if (!detail::is_http_token(in.method))
            return make_error(errc::malformed_input, "the HTTP method '" + in.method + "' is not a token");
        if (!detail::is_request_target(in.target))
            return make_error(errc::malformed_input, "the request target '" + in.target +
                                                         "' must start with '/' and have no spaces or controls");
        request_type out;
        const http::verb verb = http::string_to_verb(in.method);
        if (verb == http::verb::unknown)
            out.method_string(in.method);
        else
            out.method(verb);
        out.target(url.base_path + in.target);
        out.version(11);
        std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
        if (url.port != (url.https ? 443 : 80)) host += ":" + std::to_string(url.port);
        out.set(http::field::host, host);
        bool has_user_agent = false;
        for (const auto& header : in.headers) {
            if (!detail::is_http_token(header.first) || !detail::is_header_value(header.second))
                return make_error(errc::malformed_input, "the request header '" + header.first + "' is not valid HTTP");
            static const std::string_view own[] = {"host", "content-length", "connection", "transfer-encoding",
                                                   "keep-alive"};
            if (std::any_of(std::begin(own), std::end(own),
                            [&](std::string_view o) { return detail::equals_ignoring_case(header.first, o); }))
                continue;
            has_user_agent = has_user_agent || detail::equals_ignoring_case(header.first, "user-agent");
            out.insert(header.first, header.second);
        }
        if (!has_user_agent) out.set(http::field::user_agent, "iap_embedded/" IAP_EMBEDDED_VERSION_STRING);
        out.body() = in.body;
        out.keep_alive(options.keep_alive);
        out.prepare_payload();
        return out;
    }

    result<http_response> send(const http_request& in, const before_request_hook* hook) {
        auto request = build(in);
        if (!request) return std::move(request).error();
        // Whatever fails before the hook ran kept the request on this device.
        const auto may_send = [hook]() { return hook != nullptr ? (*hook)() : result<void>(); };
        const bool reused = connected();
        if (!reused) {
            if (auto c = connect(); !c) return std::move(c).error();
        }
        if (auto ready = may_send(); !ready) return std::move(ready).error();
        auto outcome = exchange(*request);
        if (!outcome.response && outcome.repeatable && reused) {
            // The server closed the kept-alive connection while it was idle (the usual case) or
            // dropped it under this request; see the class comment for why one repeat is safe.
            if (auto c = connect(); !c) return std::move(c).error();
            if (auto ready = may_send(); !ready) return std::move(ready).error();
            outcome = exchange(*request);
        }
        return std::move(outcome.response);
    }
};

namespace detail {

// No exception leaves the transport: Beast and Asio are used through their error_code overloads,
// which leaves allocation failures and the odd system_error from Asio's internals.
// `drop` forgets the connection, whose state is unknown after an exception.
template <class F, class Drop>
auto contain_exceptions(F&& f, Drop&& drop) -> decltype(f()) {
#if IAP_EMBEDDED_HAS_EXCEPTIONS
    try {
        return f();
    } catch (const std::bad_alloc&) {
        drop();
        return make_error(errc::internal_error, "out of memory in the HTTP transport");
    } catch (const std::exception& e) {
        drop();
        return make_error(errc::network_error, std::string("the HTTP transport failed: ") + e.what());
    } catch (...) {
        drop();
        return make_error(errc::network_error, "the HTTP transport failed");
    }
#else
    (void)drop;
    return f();
#endif
}

// After an exception the connection's state is unknown and handlers may still be queued that
// refer to it: the streams are dropped without I/O, then the io_context with those handlers
// (destroyed, never invoked).
template <class State>
void forget_connection(State& s) noexcept {
    s.secure.reset();
    s.plain.reset();
    s.buffer.clear();
    s.ioc.reset();
}

} // namespace detail

IAP_EMBEDDED_DECL beast_transport::beast_transport(std::unique_ptr<state> s) noexcept : state_(std::move(s)) {}

IAP_EMBEDDED_DECL beast_transport::~beast_transport() {
    if (state_) {
        // Best effort: a graceful close_notify, never an exception out of a destructor.
        (void)detail::contain_exceptions(
            [&]() -> result<void> {
                state_->disconnect(true);
                return {};
            },
            [&] { detail::forget_connection(*state_); });
    }
}

IAP_EMBEDDED_DECL result<std::unique_ptr<beast_transport>> beast_transport::create(std::string_view server_url,
                                                                                  beast_transport_options options) {
    return detail::contain_exceptions(
        [&]() -> result<std::unique_ptr<beast_transport>> {
            auto url = parse_server_url(server_url);
            if (!url) return std::move(url).error();
            if (!url->https && !options.allow_plain_http)
                return make_error(errc::malformed_input, "plain http:// is refused for '" + std::string(server_url) +
                                                             "': use https, or set allow_plain_http (loopback tests)");
            if (options.connect_timeout.count() <= 0 || options.io_timeout.count() <= 0)
                return make_error(errc::malformed_input, "the transport's timeouts must be positive");
            if (options.max_response_bytes == 0)
                return make_error(errc::malformed_input, "max_response_bytes must be positive");
            auto s = std::make_unique<state>();
            if (url->https) {
                auto ctx = tls::context::client(options.ca_certificates, options.ca_file);
                if (!ctx) return std::move(ctx).error();
                s->tls_context = std::move(*ctx);
            }
            const bool v6 = url->host.find(':') != std::string::npos;
            s->authority = (v6 ? "[" + url->host + "]" : url->host) + ":" + std::to_string(url->port);
            s->url = std::move(*url);
            s->options = std::move(options);
            return std::unique_ptr<beast_transport>(new beast_transport(std::move(s)));
        },
        [] {});
}

IAP_EMBEDDED_DECL result<http_response> beast_transport::send(const http_request& request) {
    return detail::contain_exceptions([&] { return state_->send(request, nullptr); },
                                      [&] { detail::forget_connection(*state_); });
}

IAP_EMBEDDED_DECL result<http_response> beast_transport::send_when_connected(const http_request& request,
                                                                            const before_request_hook& hook) {
    return detail::contain_exceptions([&] { return state_->send(request, &hook); },
                                      [&] { detail::forget_connection(*state_); });
}

IAP_EMBEDDED_DECL std::uint64_t beast_transport::connections_opened() const noexcept { return state_->opened; }

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_BEAST_TRANSPORT_IPP
