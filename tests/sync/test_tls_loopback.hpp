// SPDX-License-Identifier: MIT
//
// Test helpers for the sync transport: the test PKI made by make_test_pki.sh, and a loopback
// HTTP(S) server on a background thread whose TLS side is tls::stream in the server role. Each
// server behaves one scripted way (answer, close, stay silent, answer garbage...).
#ifndef IAP_EMBEDDED_TESTS_SYNC_TEST_TLS_LOOPBACK_HPP
#define IAP_EMBEDDED_TESTS_SYNC_TEST_TLS_LOOPBACK_HPP

#include "iap_embedded/detail/tls_stream.hpp"

#include "../support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace sync_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace tls = iap_embedded::tls;
using tcp = net::ip::tcp;

/// A file of the test PKI.
inline std::string pki(const std::string& name) {
    return test_support::read_file(std::string(IAP_EMBEDDED_TEST_PKI_DIR) + "/" + name);
}

/// A server context with `certificate` (a file of the PKI) and the shared leaf key.
inline std::shared_ptr<tls::context> server_context(const std::string& certificate = "localhost.pem") {
    auto ctx = tls::context::server(pki(certificate), pki("leaf_key.pem"));
    INFO(ctx.message());
    REQUIRE(ctx);
    return *ctx;
}

/// A client context that trusts `ca` (a file of the PKI).
inline std::shared_ptr<tls::context> client_context(const std::string& ca = "ca.pem") {
    auto ctx = tls::context::client(pki(ca));
    INFO(ctx.message());
    REQUIRE(ctx);
    return *ctx;
}

/// What a loopback server does with each connection.
enum class behaviour {
    answer,            ///< answers every request, keeping the connection as the client asks
    close_after_answer, ///< answers (saying keep-alive), then sends close_notify and closes
    drop_after_answer, ///< answers (saying keep-alive), then closes TCP without close_notify
    hang_up,           ///< reads the request, closes without answering
    answer_first_only, ///< answers the server's first request; hangs up on every later one
    silent,            ///< reads the request, never answers, keeps the connection open
    garbage,           ///< answers with bytes that are not HTTP
};

/// One request as the server saw it.
struct seen_request {
    std::string method, target, host, content_type, content_length, connection, body;
    int connection_index = 0; ///< which accepted connection (0, 1, ...)
};

/// An HTTP server on 127.0.0.1 (an ephemeral port), HTTPS when given a context. Answers carry the
/// request body back, status 200 unless the request has "X-Want-Status", and a body of
/// "X-Want-Body-Bytes" 'x' bytes when asked.
class loopback_server {
public:
    explicit loopback_server(std::shared_ptr<tls::context> tls_context, behaviour b = behaviour::answer)
        : tls_(std::move(tls_context)), behaviour_(b), acceptor_(ioc_) {
        tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
        boost::system::error_code ec;
        acceptor_.open(endpoint.protocol(), ec);
        if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        if (!ec) acceptor_.bind(endpoint, ec);
        if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
        INFO(ec.message());
        REQUIRE(!ec);
        port_ = acceptor_.local_endpoint().port();
        accept();
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~loopback_server() {
        net::post(ioc_, [this] {
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto& weak : sessions_)
                if (auto s = weak.lock()) s->abort();
            held_.clear();
        });
        thread_.join();
    }

    loopback_server(const loopback_server&) = delete;
    loopback_server& operator=(const loopback_server&) = delete;

    std::uint16_t port() const { return port_; }
    /// "https://localhost:PORT" (or http://).
    std::string url(const std::string& host = "localhost") const {
        return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
    }
    int connections() const { return connections_.load(); }
    /// Every request received so far.
    std::vector<seen_request> requests() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return requests_;
    }
    /// Handshake failures seen by the server (the client refusing its certificate, a client
    /// speaking plain HTTP).
    int handshake_failures() const { return handshake_failures_.load(); }

private:
    struct session_base {
        virtual ~session_base() = default;
        virtual void abort() = 0;
    };

    template <class Stream>
    class session : public session_base, public std::enable_shared_from_this<session<Stream>> {
    public:
        template <class... Args>
        session(loopback_server& owner, int index, Args&&... args)
            : owner_(owner), index_(index), stream_(std::forward<Args>(args)...) {}

        void start() {
            if constexpr (is_tls) {
                stream_.async_handshake([self = this->shared_from_this()](boost::system::error_code ec) {
                    if (ec) {
                        ++self->owner_.handshake_failures_;
                        return self->abort();
                    }
                    self->read();
                });
            } else {
                read();
            }
        }

        void abort() override {
            boost::system::error_code ignored;
            beast::get_lowest_layer(stream_).socket().close(ignored);
        }

    private:
        static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

        void read() {
            request_ = {};
            http::async_read(stream_, buffer_, request_,
                             [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                                 if (ec) return self->refuse(ec);
                                 self->on_request();
                             });
        }

        // Like a real server, answers what is not HTTP (a TLS ClientHello, say) with 400.
        void refuse(boost::system::error_code ec) {
            const bool not_http = ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                                  ec != http::error::end_of_stream && ec != http::error::partial_message;
            if (!not_http) return abort();
            static const char bad_request[] =
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
            net::async_write(stream_, net::buffer(bad_request, sizeof bad_request - 1),
                             [self = this->shared_from_this()](boost::system::error_code, std::size_t) {
                                 self->close(true);
                             });
        }

        void on_request() {
            std::size_t nth = 0;
            {
                seen_request seen;
                seen.method = std::string(request_.method_string());
                seen.target = std::string(request_.target());
                seen.host = std::string(request_[http::field::host]);
                seen.content_type = std::string(request_[http::field::content_type]);
                seen.content_length = std::string(request_[http::field::content_length]);
                seen.connection = std::string(request_[http::field::connection]);
                seen.body = request_.body();
                seen.connection_index = index_;
                std::lock_guard<std::mutex> lock(owner_.mutex_);
                owner_.requests_.push_back(std::move(seen));
                nth = owner_.requests_.size();
            }
            switch (owner_.behaviour_) {
            case behaviour::silent: {
                std::lock_guard<std::mutex> lock(owner_.mutex_);
                owner_.held_.push_back(this->shared_from_this());
                return;
            }
            case behaviour::hang_up: return abort();
            case behaviour::answer_first_only:
                if (nth > 1) return abort();
                break;
            case behaviour::garbage: {
                static const char junk[] = "this is not HTTP at all\r\n\r\n";
                net::async_write(stream_, net::buffer(junk, sizeof junk - 1),
                                 [self = this->shared_from_this()](boost::system::error_code, std::size_t) {
                                     self->close(true);
                                 });
                return;
            }
            default: break;
            }
            response_ = {};
            response_.version(11);
            const auto want_status = request_["X-Want-Status"];
            response_.result(want_status.empty() ? 200u : static_cast<unsigned>(std::stoi(std::string(want_status))));
            response_.set(http::field::content_type, "application/json");
            const auto want_bytes = request_["X-Want-Body-Bytes"];
            response_.body() =
                want_bytes.empty() ? request_.body() : std::string(std::stoul(std::string(want_bytes)), 'x');
            const bool keep = request_.keep_alive() || owner_.behaviour_ == behaviour::close_after_answer ||
                              owner_.behaviour_ == behaviour::drop_after_answer;
            response_.keep_alive(keep);
            response_.prepare_payload();
            http::async_write(stream_, response_,
                              [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                                  if (ec) return self->abort();
                                  self->after_answer();
                              });
        }

        void after_answer() {
            if (owner_.behaviour_ == behaviour::close_after_answer) return close(true);
            if (owner_.behaviour_ == behaviour::drop_after_answer) return abort();
            if (!request_.keep_alive()) return close(true);
            read();
        }

        // Closes politely: close_notify first on TLS.
        void close(bool graceful) {
            if constexpr (is_tls) {
                if (graceful) {
                    stream_.async_shutdown([self = this->shared_from_this()](boost::system::error_code) {
                        self->abort();
                    });
                    return;
                }
            }
            (void)graceful;
            boost::system::error_code ignored;
            beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
            abort();
        }

        loopback_server& owner_;
        int index_;
        Stream stream_;
        beast::flat_buffer buffer_;
        http::request<http::string_body> request_;
        http::response<http::string_body> response_;
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) return; // closed
            const int index = connections_++;
            std::shared_ptr<session_base> s;
            if (tls_) {
                using tls_session = session<tls::stream<beast::tcp_stream>>;
                auto t = std::make_shared<tls_session>(*this, index, tls_, std::move(socket));
                t->start();
                s = t;
            } else {
                auto p = std::make_shared<session<beast::tcp_stream>>(*this, index, std::move(socket));
                p->start();
                s = p;
            }
            {
                std::lock_guard<std::mutex> lock(mutex_);
                sessions_.push_back(s);
            }
            accept();
        });
    }

    std::shared_ptr<tls::context> tls_;
    behaviour behaviour_;
    net::io_context ioc_;
    tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
    std::atomic<int> connections_{0};
    std::atomic<int> handshake_failures_{0};
    mutable std::mutex mutex_;
    std::vector<seen_request> requests_;
    std::vector<std::weak_ptr<session_base>> sessions_;
    std::vector<std::shared_ptr<session_base>> held_;
    std::thread thread_;
};

} // namespace sync_test

#endif // IAP_EMBEDDED_TESTS_SYNC_TEST_TLS_LOOPBACK_HPP
