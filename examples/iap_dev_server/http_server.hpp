// SPDX-License-Identifier: MIT
//
// The dev server's HTTP/1.1 side: an acceptor and one session per connection, all on one
// io_context thread (so the API and its purchase book need no locks). A session is a template over
// its stream, so plain TCP and TLS (iap_embedded::tls::stream over a tcp_stream) share every line
// but the handshake and the shutdown. Keep-alive, a body limit, an idle timeout, and the delay
// fault (a timer, so other connections are served meanwhile) live here; what to answer is
// decided by dev_server_api.
#ifndef IAP_DEV_SERVER_HTTP_SERVER_HPP
#define IAP_DEV_SERVER_HTTP_SERVER_HPP

#include "dev_server_api.hpp"

#include <iap_embedded/detail/tls_stream.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace iap_dev_server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

struct http_settings {
    std::chrono::seconds idle_timeout{30};  ///< for the TLS handshake, and for each request to arrive
    std::chrono::seconds io_timeout{30};    ///< for a response to be written
    std::size_t body_limit = 64 * 1024;
    bool verbose = false;                   ///< one line per request on stderr
};

/// Writes text to the log with control characters replaced, so request bytes cannot forge lines.
inline std::string printable(std::string text) {
    for (char& c : text)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return text;
}

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>> {
public:
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

    template <class... StreamArgs>
    http_session(dev_server_api& api, const http_settings& settings, StreamArgs&&... stream_args)
        : api_(api), settings_(settings), stream_(std::forward<StreamArgs>(stream_args)...),
          delay_(stream_.get_executor()) {}

    void run() {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

private:
    beast::tcp_stream& tcp_layer() {
        if constexpr (is_tls) return stream_.next_layer();
        else return stream_;
    }

    void start() {
        if constexpr (is_tls) {
            tcp_layer().expires_after(settings_.idle_timeout);
            stream_.async_handshake([self = this->shared_from_this()](beast::error_code ec) {
                if (ec) {
                    if (self->settings_.verbose) std::fprintf(stderr, "iap_dev_server: TLS handshake failed: %s\n", ec.message().c_str());
                    return self->close_now();
                }
                self->read_request();
            });
        } else {
            read_request();
        }
    }

    void read_request() {
        parser_.emplace();
        parser_->body_limit(settings_.body_limit);
        tcp_layer().expires_after(settings_.idle_timeout);
        http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_header(ec);
        });
    }

    /// Whether `ec` was answered (or the connection closed) because the request is unusable.
    bool reject_unreadable(beast::error_code ec) {
        if (!ec) return false;
        if (ec == http::error::body_limit) send_plain(413, "request body too large\n");
        else if (ec == http::error::header_limit) send_plain(431, "request header too large\n");
        else if (ec.category() == beast::error_code(http::error::bad_target).category() && ec != http::error::end_of_stream &&
                 ec != http::error::partial_message)
            send_plain(400, "malformed HTTP request\n");
        else close_now(); // end of stream, idle timeout, reset: nothing to answer
        return true;
    }

    void on_header(beast::error_code ec) {
        if (reject_unreadable(ec)) return;
        // curl sends "Expect: 100-continue" with bodies over 1 KiB and waits a second for this.
        if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
            continue_ = {http::status::continue_, 11};
            http::async_write(stream_, continue_, [self = this->shared_from_this()](beast::error_code write_ec, std::size_t) {
                if (write_ec) return self->close_now();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        http::async_read(stream_, buffer_, *parser_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (reject_unreadable(ec)) return;

        const auto& message = parser_->get();
        request_ = api_request{};
        request_.method = std::string(message.method_string());
        request_.target = std::string(message.target());
        if (const auto it = message.find("X-NHN-TCIAP-AppKey"); it != message.end()) request_.app_key = std::string(it->value());
        request_.content_type = std::string(message[http::field::content_type]);
        request_.body = message.body();
        version_ = message.version();
        keep_alive_ = message.keep_alive();

        faults_ = api_.take_faults(request_);
        if (faults_.delay_ms > 0) {
            delay_.expires_after(std::chrono::milliseconds(faults_.delay_ms));
            delay_.async_wait([self = this->shared_from_this()](beast::error_code wait_ec) {
                if (wait_ec) return self->close_now();
                self->answer();
            });
            return;
        }
        answer();
    }

    void answer() {
        api_reply reply = api_.handle(request_, faults_);
        if (settings_.verbose)
            std::fprintf(stderr, "iap_dev_server: %s %s -> %s%u resultCode %d\n", printable(request_.method).c_str(),
                         printable(request_.target).c_str(), reply.drop ? "dropped, would be " : "", reply.status,
                         reply.result_code);
        if (reply.drop) return close_now();
        response_ = {};
        response_.version(version_);
        response_.result(static_cast<http::status>(reply.status));
        response_.set(http::field::server, "iap_dev_server");
        response_.set(http::field::content_type, reply.content_type);
        for (const auto& header : reply.headers) response_.set(header.first, header.second);
        response_.body() = std::move(reply.body);
        response_.keep_alive(keep_alive_);
        response_.prepare_payload();
        if (request_.method == "HEAD") response_.body().clear(); // Content-Length stays that of the GET
        write_response();
    }

    /// Answers an unreadable request and closes the connection.
    void send_plain(unsigned status, const char* text) {
        if (settings_.verbose) std::fprintf(stderr, "iap_dev_server: bad request -> %u\n", status);
        response_ = {};
        response_.version(11);
        response_.result(static_cast<http::status>(status));
        response_.set(http::field::server, "iap_dev_server");
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        response_.body() = text;
        response_.keep_alive(false);
        response_.prepare_payload();
        write_response();
    }

    void write_response() {
        tcp_layer().expires_after(settings_.io_timeout);
        http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close_now();
            if (!self->response_.keep_alive()) return self->shutdown();
            self->read_request();
        });
    }

    void shutdown() {
        if constexpr (is_tls) {
            tcp_layer().expires_after(std::chrono::seconds(5));
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_now(); });
        } else {
            beast::error_code ignored;
            tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
    }

    /// Closes the TCP connection at once (no TLS close_notify): also how the drop faults look.
    void close_now() {
        beast::error_code ignored;
        tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp_layer().close();
    }

    dev_server_api& api_;
    const http_settings& settings_;
    Stream stream_;
    net::steady_timer delay_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    http::response<http::empty_body> continue_;
    api_request request_;
    fault_settings faults_;
    unsigned version_ = 11;
    bool keep_alive_ = true;
};

/// Accepts connections and starts a session for each.
class http_listener : public std::enable_shared_from_this<http_listener> {
public:
    using tls_context_ptr = std::shared_ptr<iap_embedded::tls::context>;

    http_listener(net::io_context& ioc, dev_server_api& api, const http_settings& settings, tls_context_ptr tls)
        : ioc_(ioc), acceptor_(ioc), retry_(ioc), api_(api), settings_(settings), tls_(std::move(tls)) {}

    /// Opens, binds and listens; the error says which step failed.
    std::optional<std::string> listen(const tcp::endpoint& endpoint) {
        beast::error_code ec;
        if (acceptor_.open(endpoint.protocol(), ec)) return "cannot open a socket: " + ec.message();
        if (acceptor_.set_option(net::socket_base::reuse_address(true), ec)) return "cannot set SO_REUSEADDR: " + ec.message();
        if (acceptor_.bind(endpoint, ec)) return "cannot bind " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " + ec.message();
        if (acceptor_.listen(net::socket_base::max_listen_connections, ec)) return "cannot listen: " + ec.message();
        return std::nullopt;
    }

    tcp::endpoint local_endpoint() const {
        beast::error_code ec;
        return acceptor_.local_endpoint(ec);
    }

    void accept() {
        acceptor_.async_accept(ioc_, [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
            self->on_accept(ec, std::move(socket));
        });
    }

    void stop() {
        beast::error_code ignored;
        acceptor_.close(ignored);
        retry_.cancel();
    }

private:
    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) {
            // Out of descriptors, for example: wait a little instead of spinning.
            std::fprintf(stderr, "iap_dev_server: accept failed: %s\n", ec.message().c_str());
            retry_.expires_after(std::chrono::milliseconds(100));
            retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
                if (!wait_ec) self->accept();
            });
            return;
        }
        // Answers go out as several writes (TLS records, header and body); Nagle would hold them.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_) {
            std::make_shared<http_session<iap_embedded::tls::stream<beast::tcp_stream>>>(api_, settings_, tls_, std::move(socket))->run();
            return accept();
        }
        std::make_shared<http_session<beast::tcp_stream>>(api_, settings_, std::move(socket))->run();
        accept();
    }

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    net::steady_timer retry_;
    dev_server_api& api_;
    const http_settings& settings_;
    tls_context_ptr tls_;
};

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_HTTP_SERVER_HPP
