// SPDX-License-Identifier: MIT
//
// tls::stream and tls::context on their own: both ends of a loopback connection in one
// io_context on this thread.
#include "iap_embedded/detail/tls_stream.hpp"

#include "test_tls_loopback.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>

#include <chrono>
#include <optional>

using namespace sync_test;
using iap_embedded::errc;

namespace {

using tls_stream = tls::stream<beast::tcp_stream>;

static_assert(std::is_same_v<beast::lowest_layer_type<tls_stream>, beast::tcp_stream>,
              "beast::get_lowest_layer must reach the tcp_stream through next_layer()");
static_assert(beast::is_async_stream<tls_stream>::value, "usable by Beast's HTTP algorithms");
static_assert(std::is_move_constructible_v<tls_stream>);

/// A connected client/server pair of TLS streams over loopback TCP, not yet handshaken.
struct tls_pair {
    net::io_context ioc;
    std::optional<tls_stream> client;
    std::optional<tls_stream> server;

    tls_pair(std::shared_ptr<tls::context> client_ctx, std::shared_ptr<tls::context> server_ctx) {
        tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        tcp::socket accepted(ioc);
        beast::tcp_stream connecting(ioc);
        boost::system::error_code accept_ec, connect_ec;
        acceptor.async_accept(accepted, [&](boost::system::error_code ec) { accept_ec = ec; });
        connecting.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) { connect_ec = ec; });
        ioc.run();
        ioc.restart();
        REQUIRE(!accept_ec);
        REQUIRE(!connect_ec);
        client.emplace(std::move(client_ctx), std::move(connecting));
        server.emplace(std::move(server_ctx), std::move(accepted));
    }

    /// Runs both handshakes; returns {client error, server error}.
    std::pair<boost::system::error_code, boost::system::error_code> handshake(const std::string& host = "localhost") {
        if (!host.empty()) REQUIRE(client->set_hostname(host));
        boost::system::error_code client_ec = net::error::would_block, server_ec = net::error::would_block;
        // A refusing client closes at once; the server then fails its handshake too.
        client->async_handshake([&](boost::system::error_code ec) {
            client_ec = ec;
            if (ec) beast::get_lowest_layer(*client).close();
        });
        server->async_handshake([&](boost::system::error_code ec) {
            server_ec = ec;
            if (ec) beast::get_lowest_layer(*server).close();
        });
        ioc.run();
        ioc.restart();
        return {client_ec, server_ec};
    }

    void handshake_ok() {
        const auto [c, s] = handshake();
        INFO(c.message() << " / " << s.message());
        REQUIRE(!c);
        REQUIRE(!s);
    }
};

std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

} // namespace

TEST_CASE("tls::stream: handshake, then bytes both ways across many records", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    CHECK(p.client->handshake_done());
    CHECK(p.client->verify_failure().empty());

    const std::string sent = pattern(100 * 1024 + 17); // several 16 KiB records, a short last one
    std::string received(sent.size(), '\0'), echoed(sent.size(), '\0');
    boost::system::error_code write_ec, read_ec, echo_write_ec, echo_read_ec;
    net::async_write(*p.client, net::buffer(sent), [&](boost::system::error_code ec, std::size_t n) {
        write_ec = ec;
        CHECK(n == sent.size());
        net::async_read(*p.client, net::buffer(echoed), [&](boost::system::error_code ec2, std::size_t m) {
            echo_read_ec = ec2;
            CHECK(m == sent.size());
        });
    });
    net::async_read(*p.server, net::buffer(received), [&](boost::system::error_code ec, std::size_t n) {
        read_ec = ec;
        CHECK(n == sent.size());
        net::async_write(*p.server, net::buffer(received),
                         [&](boost::system::error_code ec2, std::size_t) { echo_write_ec = ec2; });
    });
    p.ioc.run();
    CHECK(!write_ec);
    CHECK(!read_ec);
    CHECK(!echo_write_ec);
    CHECK(!echo_read_ec);
    CHECK(received == sent);
    CHECK(echoed == sent);
}

TEST_CASE("tls::stream: Beast's HTTP write and read work over it", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    http::request<http::string_body> request{http::verb::post, "/v1/echo", 11};
    request.set(http::field::host, "localhost");
    request.body() = R"({"hello":"world"})";
    request.prepare_payload();
    http::request<http::string_body> got_request;
    http::response<http::string_body> response, got_response;
    beast::flat_buffer server_buffer, client_buffer;
    boost::system::error_code ec1, ec2, ec3, ec4;
    http::async_write(*p.client, request, [&](boost::system::error_code ec, std::size_t) {
        ec1 = ec;
        http::async_read(*p.client, client_buffer, got_response,
                         [&](boost::system::error_code e, std::size_t) { ec4 = e; });
    });
    http::async_read(*p.server, server_buffer, got_request, [&](boost::system::error_code ec, std::size_t) {
        ec2 = ec;
        response.result(http::status::ok);
        response.version(11);
        response.body() = "echo:" + got_request.body();
        response.prepare_payload();
        http::async_write(*p.server, response, [&](boost::system::error_code e, std::size_t) { ec3 = e; });
    });
    p.ioc.run();
    CHECK(!ec1);
    CHECK(!ec2);
    CHECK(!ec3);
    CHECK(!ec4);
    CHECK(got_request.target() == "/v1/echo");
    CHECK(got_request.body() == request.body());
    CHECK(got_response.result_int() == 200);
    CHECK(got_response.body() == "echo:" + request.body());
}

TEST_CASE("tls::stream: the peer's close_notify ends reads with eof", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    boost::system::error_code shutdown_ec = net::error::would_block, read_ec;
    p.server->async_shutdown([&](boost::system::error_code ec) {
        shutdown_ec = ec;
        beast::get_lowest_layer(*p.server).close();
    });
    char byte;
    p.client->async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
    p.ioc.run();
    p.ioc.restart();
    CHECK(!shutdown_ec);
    CHECK(read_ec == net::error::eof);
    // And keeps doing so.
    boost::system::error_code again;
    p.client->async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { again = ec; });
    p.ioc.run();
    CHECK(again == net::error::eof);
}

TEST_CASE("tls::stream: a connection closed without close_notify is stream_truncated", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    beast::get_lowest_layer(*p.server).close();
    boost::system::error_code read_ec;
    char byte;
    p.client->async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
    p.ioc.run();
    INFO(read_ec.message());
    CHECK(read_ec == tls::make_error_code(tls::stream_errc::stream_truncated));
    CHECK(read_ec.category() == tls::category());
}

TEST_CASE("tls::stream: tcp_stream timeouts work through the stream", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    beast::get_lowest_layer(*p.client).expires_after(std::chrono::milliseconds(100));
    boost::system::error_code read_ec;
    char byte;
    p.client->async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
    p.ioc.run();
    CHECK(read_ec == beast::error::timeout);
}

TEST_CASE("tls::stream: completion handlers never run inside the initiating call", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    const std::string two = "ab";
    boost::system::error_code write_ec;
    net::async_write(*p.server, net::buffer(two), [&](boost::system::error_code ec, std::size_t) { write_ec = ec; });
    char first = 0, second = 0;
    p.client->async_read_some(net::buffer(&first, 1), [&](boost::system::error_code ec, std::size_t n) {
        REQUIRE(!ec);
        REQUIRE(n == 1);
        // The second byte is already decrypted inside mbedTLS: this read needs no I/O, and its
        // handler must still be deferred.
        bool initiating = true;
        bool ran_inside = false;
        p.client->async_read_some(net::buffer(&second, 1),
                                  [&, flag = &initiating](boost::system::error_code e, std::size_t) {
                                      ran_inside = *flag;
                                      CHECK(!e);
                                  });
        initiating = false;
        CHECK(!ran_inside);
    });
    p.ioc.run();
    CHECK(!write_ec);
    CHECK(first == 'a');
    CHECK(second == 'b');
}

TEST_CASE("tls::stream: a second concurrent operation is refused, the first goes on", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    char a = 0, b = 0;
    boost::system::error_code first_ec = net::error::would_block, second_ec;
    p.client->async_read_some(net::buffer(&a, 1), [&](boost::system::error_code ec, std::size_t) { first_ec = ec; });
    p.client->async_read_some(net::buffer(&b, 1), [&](boost::system::error_code ec, std::size_t) { second_ec = ec; });
    const char z = 'z';
    net::async_write(*p.server, net::buffer(&z, 1), [](boost::system::error_code, std::size_t) {});
    p.ioc.run();
    CHECK(second_ec == tls::make_error_code(tls::stream_errc::operation_in_progress));
    CHECK(!first_ec);
    CHECK(a == 'z');
}

TEST_CASE("tls::stream: a server chain with an intermediate verifies against the root", "[tls]") {
    tls_pair p(client_context(), server_context("chained.pem"));
    p.handshake_ok();
}

TEST_CASE("tls::stream: a DER CA can be pinned", "[tls]") {
    auto ctx = tls::context::client(pki("ca.der"));
    INFO(ctx.message());
    REQUIRE(ctx);
    tls_pair p(*ctx, server_context());
    p.handshake_ok();
}

TEST_CASE("tls::stream: an IP-literal host matches the certificate's DNS entry for it", "[tls]") {
    tls_pair p(client_context(), server_context("localhost.pem"));
    const auto [c, s] = p.handshake("127.0.0.1");
    INFO(c.message() << ": " << p.client->verify_failure());
    CHECK(!c);
}

TEST_CASE("tls::stream: the client refuses certificates it cannot verify", "[tls]") {
    struct refusal {
        const char* trusted_ca;
        const char* server_certificate;
        const char* host;
        const char* reason;
    };
    const refusal cases[] = {
        {"other_ca.pem", "localhost.pem", "localhost", "not trusted"},
        {"ca.pem", "wrong_host.pem", "localhost", "hostname does not match"},
        {"ca.pem", "localhost.pem", "wrong.example", "hostname does not match"},
        {"ca.pem", "expired.pem", "localhost", "expired"},
        {"intermediate.pem", "localhost.pem", "localhost", "not trusted"},
    };
    for (const auto& r : cases) {
        INFO(r.trusted_ca << " / " << r.server_certificate << " / " << r.host);
        tls_pair p(client_context(r.trusted_ca), server_context(r.server_certificate));
        const auto [c, s] = p.handshake(r.host);
        CHECK(tls::is_verification_failure(c));
        CHECK(c.value() == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
        CHECK(!c.message().empty());
        CHECK_THAT(p.client->verify_failure(), Catch::Contains(r.reason));
        CHECK(s); // the server sees the alert or the closed connection
        CHECK(!p.client->handshake_done());
    }
}

TEST_CASE("tls::stream: a client handshake needs set_hostname", "[tls]") {
    tls_pair p(client_context(), server_context());
    const auto [c, s] = p.handshake("");
    CHECK(c == tls::make_error_code(tls::stream_errc::hostname_required));
    CHECK(!tls::is_verification_failure(c));
}

TEST_CASE("tls::stream: reads, writes and shutdown need a completed handshake", "[tls]") {
    tls_pair p(client_context(), server_context());
    char byte = 0;
    boost::system::error_code read_ec, write_ec, shutdown_ec;
    p.client->async_read_some(net::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
    p.ioc.run();
    p.ioc.restart();
    p.client->async_write_some(net::buffer(&byte, 1),
                               [&](boost::system::error_code ec, std::size_t) { write_ec = ec; });
    p.ioc.run();
    p.ioc.restart();
    p.client->async_shutdown([&](boost::system::error_code ec) { shutdown_ec = ec; });
    p.ioc.run();
    const auto required = tls::make_error_code(tls::stream_errc::handshake_required);
    CHECK(read_ec == required);
    CHECK(write_ec == required);
    CHECK(shutdown_ec == required);
}

TEST_CASE("tls::stream: empty reads and writes complete at once with 0 bytes", "[tls]") {
    tls_pair p(client_context(), server_context());
    p.handshake_ok();
    boost::system::error_code read_ec = net::error::would_block, write_ec = net::error::would_block;
    std::size_t read_n = 1, write_n = 1;
    p.client->async_read_some(net::mutable_buffer(), [&](boost::system::error_code ec, std::size_t n) {
        read_ec = ec;
        read_n = n;
    });
    p.ioc.run();
    p.ioc.restart();
    p.client->async_write_some(net::const_buffer(), [&](boost::system::error_code ec, std::size_t n) {
        write_ec = ec;
        write_n = n;
    });
    p.ioc.run();
    CHECK(!read_ec);
    CHECK(read_n == 0);
    CHECK(!write_ec);
    CHECK(write_n == 0);
}

TEST_CASE("tls::stream: a TLS client facing a plain-text peer fails with a TLS error", "[tls]") {
    tls_pair p(client_context(), server_context());
    REQUIRE(p.client->set_hostname("localhost"));
    boost::system::error_code client_ec = net::error::would_block;
    p.client->async_handshake([&](boost::system::error_code ec) { client_ec = ec; });
    const std::string reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    net::async_write(p.server->next_layer(), net::buffer(reply), [&](boost::system::error_code, std::size_t) {});
    p.ioc.run();
    INFO(client_ec.message());
    CHECK(client_ec);
    CHECK(client_ec.category() == tls::category());
    CHECK(!tls::is_verification_failure(client_ec));
}

TEST_CASE("tls::category: names mbedTLS codes and the stream's own", "[tls]") {
    CHECK(std::string(tls::category().name()) == "mbedtls");
    const auto verify = tls::make_mbedtls_error_code(MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    CHECK_THAT(verify.message(), Catch::Contains("-0x2700"));
    CHECK(tls::make_error_code(tls::stream_errc::stream_truncated).message().find("close_notify") !=
          std::string::npos);
    CHECK(tls::verify_flags_text(MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_CN_MISMATCH) ==
          "certificate is not trusted (not issued by a trusted CA); hostname does not match the certificate");
    CHECK_THAT(tls::verify_flags_text(0x40000000u), Catch::Contains("0x40000000"));
}

TEST_CASE("tls::context::client: errors for unusable CA settings", "[tls]") {
    SECTION("garbage instead of a certificate") {
        auto ctx = tls::context::client("not a certificate");
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
    }
    SECTION("a PEM list with one broken certificate") {
        std::string pem = pki("ca.pem");
        const std::string broken =
            "-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----\n";
        auto ctx = tls::context::client(pem + broken);
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
    }
    SECTION("a CA file that does not exist") {
        auto ctx = tls::context::client("", "/nonexistent/ca-bundle.crt");
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::io_error);
        CHECK_THAT(ctx.message(), Catch::Contains("/nonexistent/ca-bundle.crt"));
    }
    SECTION("a CA file without certificates") {
        test_support::scratch_dir dir;
        auto ctx = tls::context::client("", dir.write("empty.pem", "nothing here\n"));
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
    }
    SECTION("a CA file with the test CA") {
        test_support::scratch_dir dir;
        auto ctx = tls::context::client("", dir.write("ca.pem", pki("ca.pem")));
        INFO(ctx.message());
        REQUIRE(ctx);
        CHECK((*ctx)->is_client());
        tls_pair p(*ctx, server_context());
        p.handshake_ok();
    }
}

TEST_CASE("tls::context::server: errors for an unusable certificate or key", "[tls]") {
    SECTION("a key that belongs to another certificate") {
        auto ctx = tls::context::server(pki("localhost.pem"), pki("other_key.pem"));
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
        CHECK_THAT(ctx.message(), Catch::Contains("does not belong"));
    }
    SECTION("no certificate") {
        auto ctx = tls::context::server("", pki("leaf_key.pem"));
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
    }
    SECTION("no key") {
        auto ctx = tls::context::server(pki("localhost.pem"), "garbage");
        REQUIRE(!ctx);
        CHECK(ctx.error_code() == errc::malformed_input);
    }
    SECTION("a server context is not a client") {
        CHECK(!server_context()->is_client());
    }
}
