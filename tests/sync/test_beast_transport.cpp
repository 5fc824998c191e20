// SPDX-License-Identifier: MIT
//
// beast_transport against loopback servers (test_tls_loopback.hpp) on a background thread.
#include "iap_embedded/beast_transport.hpp"

#include "test_tls_loopback.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace sync_test;
using iap_embedded::beast_transport;
using iap_embedded::beast_transport_options;
using iap_embedded::errc;
using iap_embedded::http_request;
using iap_embedded::http_response;

namespace {

beast_transport_options pinned(const std::string& ca = "ca.pem") {
    beast_transport_options o;
    o.ca_certificates = pki(ca);
    return o;
}

std::unique_ptr<beast_transport> make_transport(const std::string& url, beast_transport_options options) {
    auto t = beast_transport::create(url, std::move(options));
    INFO(url << ": " << t.message());
    REQUIRE(t);
    return std::move(*t);
}

http_request consume_request(const std::string& body = R"({"paymentSeq":"2020-0001"})") {
    http_request r;
    r.method = "POST";
    r.target = "/v1/service/consume";
    r.headers = {{"Content-Type", "application/json;charset=UTF-8"}, {"X-Test", "1"}};
    r.body = body;
    return r;
}

} // namespace

TEST_CASE("beast_transport: HTTPS request and response", "[transport]") {
    loopback_server server(server_context());
    auto transport = make_transport(server.url() + "/base", pinned());
    auto response = transport->send(consume_request());
    INFO(response.message());
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body == R"({"paymentSeq":"2020-0001"})");
    CHECK(response->header("content-type") == "application/json");
    CHECK(transport->connections_opened() == 1);

    const auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].method == "POST");
    CHECK(seen[0].target == "/base/v1/service/consume");
    CHECK(seen[0].host == "localhost:" + std::to_string(server.port()));
    CHECK(seen[0].content_type == "application/json;charset=UTF-8");
    CHECK(seen[0].content_length == std::to_string(seen[0].body.size()));
    CHECK(seen[0].body == R"({"paymentSeq":"2020-0001"})");
}

TEST_CASE("beast_transport: an HTTP error status is a response, not an error", "[transport]") {
    loopback_server server(server_context());
    auto transport = make_transport(server.url(), pinned());
    auto request = consume_request();
    request.headers.emplace_back("X-Want-Status", "503");
    auto response = transport->send(request);
    INFO(response.message());
    REQUIRE(response);
    CHECK(response->status == 503);
}

TEST_CASE("beast_transport: keep-alive reuses one connection", "[transport]") {
    loopback_server server(server_context());
    auto transport = make_transport(server.url(), pinned());
    for (int i = 0; i < 5; ++i) {
        auto response = transport->send(consume_request("request " + std::to_string(i)));
        INFO(response.message());
        REQUIRE(response);
        CHECK(response->body == "request " + std::to_string(i));
    }
    CHECK(transport->connections_opened() == 1);
    CHECK(server.connections() == 1);
}

TEST_CASE("beast_transport: without keep-alive, one connection per request", "[transport]") {
    loopback_server server(server_context());
    auto options = pinned();
    options.keep_alive = false;
    auto transport = make_transport(server.url(), options);
    for (int i = 0; i < 4; ++i) {
        auto response = transport->send(consume_request());
        INFO(response.message());
        REQUIRE(response);
    }
    CHECK(transport->connections_opened() == 4);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 4);
    for (const auto& r : seen) CHECK(r.connection == "close");
    for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i].connection_index == static_cast<int>(i));
}

TEST_CASE("beast_transport: a kept-alive connection the server closed is replaced transparently", "[transport]") {
    const auto how = GENERATE(behaviour::close_after_answer, behaviour::drop_after_answer);
    INFO((how == behaviour::close_after_answer ? "close_notify, then close" : "TCP close without close_notify"));
    loopback_server server(server_context(), how);
    auto transport = make_transport(server.url(), pinned());
    for (int i = 0; i < 3; ++i) {
        auto response = transport->send(consume_request("n" + std::to_string(i)));
        INFO("request " << i << ": " << response.message());
        REQUIRE(response);
        CHECK(response->body == "n" + std::to_string(i));
    }
    CHECK(transport->connections_opened() == 3);
    // Copies written to a connection the server had closed were never read by it: the server
    // saw each request once, each on its own connection.
    const auto seen = server.requests();
    REQUIRE(seen.size() == 3);
    for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i].connection_index == static_cast<int>(i));
}

TEST_CASE("beast_transport: a request on a fresh connection is never repeated", "[transport]") {
    loopback_server server(server_context(), behaviour::hang_up);
    auto transport = make_transport(server.url(), pinned());
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::network_error);
    CHECK_THAT(response.message(), Catch::Contains("closed"));
    CHECK(server.requests().size() == 1);
    CHECK(transport->connections_opened() == 1);
}

TEST_CASE("beast_transport: a request on a reused connection is repeated at most once", "[transport]") {
    // The first request is answered on connection 0; the server then hangs up on every request,
    // so the second one fails on the reused connection, is repeated once on a new one, and fails.
    loopback_server server(server_context(), behaviour::answer_first_only);
    auto transport = make_transport(server.url(), pinned());
    auto first = transport->send(consume_request());
    INFO(first.message());
    REQUIRE(first);
    auto second = transport->send(consume_request());
    REQUIRE(!second);
    CHECK(second.error_code() == errc::network_error);
    CHECK(transport->connections_opened() == 2);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 3);
    CHECK(seen[1].connection_index == 0);
    CHECK(seen[2].connection_index == 1);
}

TEST_CASE("beast_transport: the server never answers -> network_error after io_timeout", "[transport]") {
    loopback_server server(server_context(), behaviour::silent);
    auto options = pinned();
    options.io_timeout = std::chrono::milliseconds(200);
    auto transport = make_transport(server.url(), options);
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::network_error);
    CHECK_THAT(response.message(), Catch::Contains("timed out"));
    CHECK(server.requests().size() == 1); // a timeout is not repeated
}

TEST_CASE("beast_transport: a server that accepts but never handshakes -> network_error after connect_timeout",
          "[transport]") {
    net::io_context ioc;
    // The kernel completes TCP connections into the backlog; nobody ever accepts them.
    tcp::acceptor idle(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    auto options = pinned();
    options.connect_timeout = std::chrono::milliseconds(200);
    auto transport = make_transport("https://localhost:" + std::to_string(idle.local_endpoint().port()), options);
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::network_error);
    CHECK_THAT(response.message(), Catch::Contains("timed out in the TLS handshake"));
}

TEST_CASE("beast_transport: connection refused -> network_error", "[transport]") {
    std::uint16_t port = 0;
    {
        net::io_context ioc;
        tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    } // closed: nothing listens there now
    auto transport = make_transport("https://127.0.0.1:" + std::to_string(port), pinned());
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::network_error);
    CHECK_THAT(response.message(), Catch::Contains("cannot connect"));
    CHECK(transport->connections_opened() == 0);
}

TEST_CASE("beast_transport: a host name that does not resolve -> network_error", "[transport]") {
    auto transport = make_transport("https://nonexistent.invalid", pinned());
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::network_error);
    CHECK_THAT(response.message(), Catch::Contains("nonexistent.invalid"));
}

TEST_CASE("beast_transport: certificates that must be refused -> tls_error", "[transport]") {
    struct refusal {
        const char* trusted_ca;
        const char* server_certificate;
        const char* url_host;
        const char* reason;
    };
    const refusal cases[] = {
        {"other_ca.pem", "localhost.pem", "localhost", "certificate is not trusted"},
        {"ca.pem", "wrong_host.pem", "localhost", "hostname does not match"},
        {"ca.pem", "expired.pem", "localhost", "expired"},
    };
    for (const auto& r : cases) {
        INFO(r.trusted_ca << " / " << r.server_certificate);
        loopback_server server(server_context(r.server_certificate));
        auto transport = make_transport(server.url(r.url_host), pinned(r.trusted_ca));
        auto response = transport->send(consume_request());
        REQUIRE(!response);
        CHECK(response.error_code() == errc::tls_error);
        CHECK(response.mbedtls_code() == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
        CHECK_THAT(response.message(), Catch::Contains(r.reason));
        CHECK(server.requests().empty());
    }
}

TEST_CASE("beast_transport: HTTPS to a plain HTTP server -> tls_error", "[transport]") {
    loopback_server server(nullptr);
    auto transport = make_transport("https://localhost:" + std::to_string(server.port()), pinned());
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    INFO(response.message());
    CHECK(response.error_code() == errc::tls_error);
}

TEST_CASE("beast_transport: an IP-literal URL and a chained server certificate", "[transport]") {
    SECTION("https://127.0.0.1") {
        loopback_server server(server_context("localhost.pem"));
        auto transport = make_transport(server.url("127.0.0.1"), pinned());
        auto response = transport->send(consume_request());
        INFO(response.message());
        CHECK(response);
        CHECK(server.requests().at(0).host == "127.0.0.1:" + std::to_string(server.port()));
    }
    SECTION("leaf + intermediate") {
        loopback_server server(server_context("chained.pem"));
        auto transport = make_transport(server.url(), pinned());
        auto response = transport->send(consume_request());
        INFO(response.message());
        CHECK(response);
    }
}

TEST_CASE("beast_transport: plain http is refused unless allowed", "[transport]") {
    loopback_server server(nullptr);
    auto refused = beast_transport::create(server.url());
    REQUIRE(!refused);
    CHECK(refused.error_code() == errc::malformed_input);
    CHECK_THAT(refused.message(), Catch::Contains("allow_plain_http"));

    beast_transport_options options;
    options.allow_plain_http = true;
    auto transport = make_transport(server.url(), options);
    for (int i = 0; i < 3; ++i) {
        auto response = transport->send(consume_request());
        INFO(response.message());
        REQUIRE(response);
        CHECK(response->status == 200);
    }
    CHECK(transport->connections_opened() == 1);
}

TEST_CASE("beast_transport: response size limit", "[transport]") {
    loopback_server server(server_context());
    auto options = pinned();
    options.max_response_bytes = 1000;
    auto transport = make_transport(server.url(), options);
    auto request = consume_request();
    request.headers.emplace_back("X-Want-Body-Bytes", "1000");
    auto at_limit = transport->send(request);
    INFO(at_limit.message());
    REQUIRE(at_limit);
    CHECK(at_limit->body.size() == 1000);

    request.headers.back().second = "1001";
    auto over = transport->send(request);
    REQUIRE(!over);
    CHECK(over.error_code() == errc::malformed_response);
    CHECK_THAT(over.message(), Catch::Contains("larger than 1000 bytes"));

    // The connection was dropped; the next request opens a new one.
    request.headers.back().second = "10";
    auto after = transport->send(request);
    INFO(after.message());
    REQUIRE(after);
    CHECK(transport->connections_opened() == 2);
}

TEST_CASE("beast_transport: a response that is not HTTP -> malformed_response", "[transport]") {
    loopback_server server(server_context(), behaviour::garbage);
    auto transport = make_transport(server.url(), pinned());
    auto response = transport->send(consume_request());
    REQUIRE(!response);
    CHECK(response.error_code() == errc::malformed_response);
    CHECK_THAT(response.message(), Catch::Contains("not HTTP"));
}

TEST_CASE("beast_transport: requests that cannot be sent as given -> malformed_input", "[transport]") {
    loopback_server server(server_context());
    auto transport = make_transport(server.url(), pinned());
    SECTION("CR LF in a header value") {
        auto r = consume_request();
        r.headers.emplace_back("X-Injected", "a\r\nHost: evil.example");
        auto response = transport->send(r);
        REQUIRE(!response);
        CHECK(response.error_code() == errc::malformed_input);
    }
    SECTION("a header name that is not a token") {
        auto r = consume_request();
        r.headers.emplace_back("Bad Name", "x");
        CHECK(transport->send(r).error_code() == errc::malformed_input);
    }
    SECTION("a target that does not start with /") {
        auto r = consume_request();
        r.target = "v1/service/consume";
        CHECK(transport->send(r).error_code() == errc::malformed_input);
    }
    SECTION("a method that is not a token") {
        auto r = consume_request();
        r.method = "PO ST";
        CHECK(transport->send(r).error_code() == errc::malformed_input);
    }
    CHECK(server.requests().empty());
    CHECK(transport->connections_opened() == 0);
}

TEST_CASE("beast_transport: the transport's own headers win over the request's", "[transport]") {
    loopback_server server(server_context());
    auto transport = make_transport(server.url(), pinned());
    auto r = consume_request("abc");
    r.headers.emplace_back("Host", "evil.example");
    r.headers.emplace_back("Content-Length", "999");
    r.headers.emplace_back("Connection", "close");
    auto response = transport->send(r);
    INFO(response.message());
    REQUIRE(response);
    const auto seen = server.requests();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].host == "localhost:" + std::to_string(server.port()));
    CHECK(seen[0].content_length == "3");
    CHECK(seen[0].connection != "close");
    // Still kept alive.
    REQUIRE(transport->send(r));
    CHECK(transport->connections_opened() == 1);
}

TEST_CASE("beast_transport::create: errors", "[transport]") {
    SECTION("not a URL") {
        auto t = beast_transport::create("ftp://example.com");
        REQUIRE(!t);
        CHECK(t.error_code() == errc::malformed_input);
    }
    SECTION("a pinned CA that does not parse") {
        beast_transport_options o;
        o.ca_certificates = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n";
        auto t = beast_transport::create("https://localhost", o);
        REQUIRE(!t);
        CHECK(t.error_code() == errc::malformed_input);
    }
    SECTION("a CA file that does not exist") {
        beast_transport_options o;
        o.ca_file = "/nonexistent/bundle.pem";
        auto t = beast_transport::create("https://localhost", o);
        REQUIRE(!t);
        CHECK(t.error_code() == errc::io_error);
    }
    SECTION("a zero timeout") {
        auto o = pinned();
        o.io_timeout = std::chrono::milliseconds(0);
        CHECK(beast_transport::create("https://localhost", o).error_code() == errc::malformed_input);
    }
}
