// SPDX-License-Identifier: MIT
//
// iap_dev_server: a small local stand-in for the NHN Cloud IAP server, for development and tests.
// One process, one io_context thread, state in memory or in one JSON file. Never expose it: it
// has no real authentication beyond the app key, and its console is unauthenticated.
//
// COMMAND LINE
//   iap_dev_server --app-key KEY [--listen IP:PORT] [--http | --https] [--cert FILE --key FILE]
//                  [--write-cert FILE] [--data FILE] [--idle-timeout SECONDS] [--body-limit BYTES]
//                  [--verbose] [fault flags]
//   --app-key KEY        required; every /v1/... request must carry "X-NHN-TCIAP-AppKey: KEY".
//   --listen IP:PORT     default 127.0.0.1:0; PORT 0 picks a free port; IPv6 as [::1]:PORT;
//                        "localhost" means 127.0.0.1.
//   --https (default)    TLS via iap_embedded/detail/tls_stream.hpp (mbedTLS).
//   --http               plain HTTP.
//   --cert F --key F     PEM certificate chain and private key. Without them --https makes a
//                        throwaway ECDSA P-256 key and a self-signed certificate at start:
//                        CN=localhost, subjectAltName DNS:localhost, DNS:127.0.0.1, IP:127.0.0.1
//                        (plus the listen address, as IP and as DNS name, when it is another
//                        specific address), valid one year. The DNS:<ip> entries are for mbedTLS
//                        2.28 clients, which match even an IP host only against dNSName entries.
//   --write-cert F       writes the certificate (generated or from --cert) as PEM to F, atomically,
//                        before the startup line, so a client can pin it (curl --cacert F).
//                        --cert, --key and --write-cert with --http are a usage error.
//   --data F             keep purchases in F: loaded at start (a missing F is created empty; a
//                        damaged one stops the start with exit 1), and rewritten atomically
//                        (F.tmp, fsync, rename, fsync of the directory) after every change. A change
//                        whose write fails is undone and answered with 9999. Without --data the
//                        state lives in memory. Two servers must not share one F. Each change
//                        costs a rewrite and an fsync (about 10 ms for 1,000 purchases here), so
//                        run throughput benchmarks without --data.
//   --idle-timeout S     close a connection when its TLS handshake or its next request (headers
//                        and body) has not arrived within S seconds (default 30; 1..3600).
//   --body-limit B       largest request body (default 65536; 1024..16777216); larger gets HTTP 413.
//   --verbose            one line per request on stderr (off by default, so that a test that never
//                        reads stderr cannot fill the pipe and stall the server).
//   --fault-delay-ms N, --fault-drop, --fault-drop-after-commit, --fault-status500,
//   --fault-malformed, --fault-already-consumed, --fault-count N
//                        initial fault switches, same meaning as POST /v1/dev/faults below.
//   --help, --version    print and exit 0.
//   Exit codes: 0 after SIGTERM/SIGINT (or --help), 1 when the server cannot start (port taken,
//   data file unreadable or damaged, certificate unusable), 2 usage error
//   (the message and the usage go to stderr).
//
// STARTUP LINE
//   Once listening, stdout gets exactly one line and is flushed; nothing else is ever written to
//   stdout:  {"listening": "https://127.0.0.1:PORT"}   ("http://..." with --http; IPv6 in
//   brackets). Diagnostics go to stderr. SIGTERM and SIGINT stop it: the acceptor closes, open
//   connections are dropped, exit 0. All state is already on disk after every change.
//
// PROTOCOL
//   HTTP/1.1 with keep-alive (HTTP/1.0 and "Connection: close" honoured; pipelined requests are
//   answered in order; "Expect: 100-continue" gets its 100; chunked bodies are accepted; a write
//   of an answer must finish within 30 s). Every JSON answer is
//     success: {"header": {"isSuccessful": true, "resultCode": 0, "resultMessage": "SUCCESS"},
//               "result": ...}
//     failure: {"header": {"isSuccessful": false, "resultCode": N, "resultMessage": "..."}}
//   A failure has no "result" member, like the real server's documented error answers. API and
//   dev answers are HTTP 200 unless noted. Object members are written in alphabetical order.
//
// RESULT CODES
//   0     success
//   1001  invalid appKey: the X-NHN-TCIAP-AppKey header is missing or differs from --app-key
//         (HTTP 200; checked first on every /v1/... path, before the path is even looked up;
//         on /v1/service/ paths the faults below come before it).
//   1100  invalid parameter: body not JSON (syntax error, duplicate key, non-finite number,
//         nesting > 32), not an object, a required field missing/null/mistyped/empty, unknown
//         marketId, (seeding) duplicate paymentSeq, (faults) unknown switch; also with HTTP 415
//         when an API request's Content-Type is not application/json (parameters such as
//         charset are ignored).
//   5000  consume failed: the accessToken does not match the payment, or the payment is a
//         subscription (only consumable payments can be consumed).
//   5018  already consumed (resultMessage names the UTC time), or the alreadyConsumed fault.
//   9999  unknown error: no payment with that paymentSeq; the data file could not be written;
//         also (with HTTP 404) unknown /v1/... path, and (with HTTP 405 and an Allow header) a
//         known path with the wrong method.
//   Outside the envelope: HTTP 400 (unparsable HTTP), 413 (body over --body-limit), 431 (header
//   over 8 KiB) close the connection with a text/plain body; HTTP 404 text/plain for unknown
//   paths outside /v1/; HTTP 500 text/plain only from the status500 fault.
//
// API ENDPOINTS (the NHN Cloud IAP server API; POST, Content-Type: application/json; faulted)
//   POST /v1/service/consume            {"paymentSeq": str, "accessToken": str}
//     -> result {"price": number, "currency": str, "productSeq": number}. Checks, in order:
//        fields (1100), payment exists (9999), accessToken (5000), not a subscription (5000),
//        not consumed (5018). Records the consume time and consumedBy "api".
//   POST /v1/service/consumable         {"marketId": "GG"|"AS"|"ONESTORE", "userChannel": str,
//                                        "userKey": str}
//     -> result [{"paymentSeq", "productSeq", "currency", "price", "accessToken"}, ...]: the
//        user's unconsumed consumable (non-subscription) purchases with that marketId and
//        userChannel, in the order they were seeded.
//   POST /v1/service/activeSubscriptionList {"marketId", "packageName", "userChannel", "userKey"}
//     -> result [{"marketId", "packageName", "userChannel", "userKey", "paymentSeq", "productSeq",
//        "productId", "productType": "AUTO_RENEWABLE", "storePurchaseId", "price", "currency",
//        "purchaseTime" (ms), "expiryTime" (ms)}, ...]: the user's subscriptions with that
//        marketId and userChannel whose expiryTime is after now, and whose packageName (when it
//        was seeded with one) equals the request's. All four fields required and non-empty.
//
// DEV ENDPOINTS (X-NHN-TCIAP-AppKey required; any Content-Type; never faulted)
//   POST /v1/dev/purchases   seed one purchase:
//       required: "userKey" str, "marketId" GG|AS|ONESTORE, "productSeq" integer,
//                 "productId" str, "price" number >= 0, "currency" str (non-empty)
//       optional: "paymentSeq" str (default: 16 digits, UTC date + counter), "accessToken" str
//                 (default: 32 random hex digits), "subscription" bool (default false),
//                 "expiryTime" ms (subscriptions only; default now + 30 days),
//                 "storePurchaseId" str, "userChannel" str (default "GF"), "packageName" str
//                 (default "": matches any), "purchaseTime" ms (default now)
//     -> result: the stored purchase (the dev view below). 1100 for a duplicate paymentSeq.
//   POST /v1/dev/consume-elsewhere   {"paymentSeq": str}: marks it consumed "by another device"
//       (consumedBy "elsewhere") -> result: the purchase. 9999 unknown, 5018 already consumed,
//       5000 subscription.
//   GET  /v1/dev/purchases[?userKey=K][&paymentSeq=P]   -> result: array of dev views (all
//       purchases when no filter), in seeding order. Dev view: paymentSeq, accessToken, userKey,
//       marketId, userChannel, packageName, productId, productSeq, price, currency,
//       storePurchaseId, subscription, expiryTime (ms or null), purchaseTime (ms), consumed
//       (bool), consumedTime (ms or null), consumedBy ("api"|"elsewhere"|null), and the times as
//       text: purchaseTimeUtc, expiryTimeUtc, consumedTimeUtc ("2026-03-01 10:00:00.000 UTC"|null).
//   POST /v1/dev/faults      set the fault switches (replaces all; absent = off/0) -> result: the
//       switches now. GET /v1/dev/faults -> result: the switches now.
//   POST /v1/dev/reset       forget every purchase and clear the faults -> result
//       {"removedPurchases": n}. Generated paymentSeqs keep counting.
//
// FAULTS (for API requests only: paths under /v1/service/, known or not, any app key)
//   {"delayMs": 0..600000, "drop": bool, "dropAfterCommit": bool, "status500": bool,
//    "malformed": bool, "alreadyConsumed": bool, "count": N >= 0}
//   When a request has been read, the current switches are taken for it; with count > 0 the count
//   drops by one and, reaching 0, every switch clears (count 0 = until changed). Then, in order:
//   delayMs waits (a timer; other connections are served meanwhile); drop closes the connection
//   without answering and without handling the request; status500 answers HTTP 500 text/plain;
//   malformed answers HTTP 200 with a body that is not JSON; alreadyConsumed answers a consume
//   that passes the app key, method and Content-Type checks with 5018 without reading its body
//   (other APIs are handled normally); otherwise the request is handled normally, and with
//   dropAfterCommit the connection is then closed without the answer (a consume IS recorded: the
//   client sees a lost response for a request that took effect). Unknown switch names: 1100.
//
// CONSOLE
//   GET (or HEAD) /[?userKey=&paymentSeq=&product=&consumed=yes|no|any]: an HTML page for customer
//   support with a search form and a table of matching purchases (newest first, at most 1000),
//   times as UTC text. "product" matches productId or productSeq. No app key; every value is
//   HTML-escaped, and the page is served with a Content-Security-Policy forbidding scripts.
#include "server_options.hpp"
#include "http_server.hpp"
#include "purchase_book.hpp"
#include "self_signed_certificate.hpp"

#include <iap_embedded/detail/file.hpp>
#include <iap_embedded/version.hpp>

#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr const char* usage_text =
    "iap_dev_server " IAP_EMBEDDED_VERSION_STRING " - a local NHN Cloud IAP server for development and tests\n"
    "\n"
    "usage: iap_dev_server --app-key KEY [--listen IP:PORT] [--http | --https] [--cert FILE --key FILE]\n"
    "                      [--write-cert FILE] [--data FILE] [--idle-timeout SECONDS] [--body-limit BYTES]\n"
    "                      [--verbose] [--fault-delay-ms N] [--fault-drop] [--fault-drop-after-commit]\n"
    "                      [--fault-status500] [--fault-malformed] [--fault-already-consumed] [--fault-count N]\n"
    "\n"
    "Defaults: --listen 127.0.0.1:0 (a free port), --https with a generated self-signed certificate,\n"
    "purchases in memory, --idle-timeout 30, --body-limit 65536.\n"
    "Prints one line to stdout when ready: {\"listening\": \"https://127.0.0.1:PORT\"}. SIGTERM/SIGINT stop it.\n"
    "Endpoints, result codes and faults are documented at the top of examples/iap_dev_server/main.cpp.\n";

int usage_error(const std::string& problem) {
    std::fprintf(stderr, "iap_dev_server: %s\n\n%s", problem.c_str(), usage_text);
    return 2;
}

int start_failure(const std::string& problem) {
    std::fprintf(stderr, "iap_dev_server: %s\n", problem.c_str());
    return 1;
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    return !in.bad();
}

int run(const iap_dev_server::server_options& options) {
    using namespace iap_dev_server;

    purchase_book book(options.data_file);
    if (auto loaded = book.load(); !loaded) return start_failure("cannot use the data file: " + loaded.message());

    const auto address = *parse_listen_address(options.listen);
    // Declared before the io_context, so that the sessions its destructor frees never outlive it.
    dev_server_api api(options.app_key, book, options.faults);
    net::io_context ioc{1};

    http_listener::tls_context_ptr tls;
    if (options.https) {
        tls_identity identity;
        if (!options.cert_file.empty()) {
            if (!read_file(options.cert_file, identity.certificate_pem)) return start_failure("cannot read " + options.cert_file);
            if (!read_file(options.key_file, identity.private_key_pem)) return start_failure("cannot read " + options.key_file);
        } else {
            std::vector<unsigned char> ip_bytes;
            if (address.address.is_v4() && !address.address.is_unspecified()) {
                const auto b = address.address.to_v4().to_bytes();
                ip_bytes.assign(b.begin(), b.end());
            } else if (address.address.is_v6() && !address.address.is_unspecified()) {
                const auto b = address.address.to_v6().to_bytes();
                ip_bytes.assign(b.begin(), b.end());
            }
            auto made = make_self_signed_identity(address.address.to_string(), ip_bytes);
            if (!made) return start_failure("cannot make a self-signed certificate: " + made.message());
            identity = std::move(*made);
        }
        auto context = iap_embedded::tls::context::server(identity.certificate_pem, identity.private_key_pem);
        if (!context) return start_failure("cannot set up TLS: " + context.message());
        tls = std::move(*context);
        if (!options.write_cert_file.empty()) {
            if (auto written = write_file_atomically(options.write_cert_file, identity.certificate_pem); !written)
                return start_failure("cannot write the certificate: " + written.message());
        }
    }

    auto listener = std::make_shared<http_listener>(ioc, api, options.http, tls);
    if (auto problem = listener->listen(tcp::endpoint(address.address, address.port))) return start_failure(*problem);
    listener->accept();

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code& ec, int) {
        if (ec) return;
        listener->stop();
        ioc.stop();
    });

    const auto endpoint = listener->local_endpoint();
    const std::string host =
        endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]" : endpoint.address().to_string();
    std::printf("{\"listening\": \"%s://%s:%u\"}\n", options.https ? "https" : "http", host.c_str(),
                static_cast<unsigned>(endpoint.port()));
    std::fflush(stdout);

    ioc.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
#ifdef SIGPIPE
    std::signal(SIGPIPE, SIG_IGN); // a peer closing mid-write must be an error code, not death
#endif
    const std::vector<std::string> args(argv + 1, argv + argc);
    const auto parsed = iap_dev_server::parse_server_options(args);
    if (parsed.options.help) return std::fputs(usage_text, stdout), 0;
    if (parsed.options.version) return std::printf("iap_dev_server %s\n", IAP_EMBEDDED_VERSION_STRING), 0;
    if (!parsed.problem.empty()) return usage_error(parsed.problem);
    try {
        return run(parsed.options);
    } catch (const std::exception& e) { // Asio reports some setup failures only by throwing
        return start_failure(std::string("unexpected failure: ") + e.what());
    }
}
