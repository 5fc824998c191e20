// SPDX-License-Identifier: MIT
//
// `iapctl sync`: one sync of a ledger with the IAP server.
//   sync --ledger FILE [--hmac-key KEY] --server URL --app-key KEY --user-key ID --market GG|AS|ONESTORE
//        [--ca CERT] [--insecure-http] [--claim PAYMENT_SEQ]... [--timeout-ms N]
// Prints {"pushed", "fetched", "conflicts": [...], "refused": [...], "pending", "available"} (plus
// "claimed" for --claim); exit 0 on success, 1 with "error" (and the same counts, read from the
// ledger) when the server could not be reached or failed, 2 on usage errors. --claim consumes
// available payments after the sync, server first.
//
// Its own translation unit: it is the only part of iapctl that includes Boost.Beast, and compiles
// beside main.cpp.
#include "sync_command.hpp"

#include "ledger_command.hpp"

#include <iap_embedded/beast_transport.hpp>
#include <iap_embedded/sync.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace iapctl {

outcome run_sync(const std::vector<std::string>& args) {
    using namespace ledger_detail;
    flags f;
    std::string problem;
    if (!f.parse(args, {"--ledger", "--hmac-key", "--server", "--app-key", "--user-key", "--market", "--ca", "--claim",
                        "--timeout-ms"},
                 {"--insecure-http"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--ledger", "--server", "--app-key", "--user-key", "--market"}); !missing.empty())
        return outcome::usage("missing " + missing);
    auto market = iap_embedded::parse_market(*f.value("--market"));
    if (!market) return outcome::usage("--market: " + market.message());

    iap_embedded::beast_transport_options tls;
    tls.allow_plain_http = f.has("--insecure-http");
    if (const auto ca = f.value("--ca")) {
        const auto bytes = read_input(*ca);
        if (!bytes) return outcome::unreadable("cannot read the CA certificate " + *ca);
        tls.ca_certificates = *bytes;
    }
    if (const auto text = f.value("--timeout-ms")) {
        const auto ms = parse_count(*text);
        if (!ms) return outcome::usage("--timeout-ms needs a positive integer, not '" + *text + "'");
        tls.connect_timeout = tls.io_timeout = std::chrono::milliseconds(*ms);
    }
    auto transport = iap_embedded::beast_transport::create(*f.value("--server"), tls);
    if (!transport) {
        if (transport.error_code() == iap_embedded::errc::malformed_input) return outcome::usage("--server: " + transport.message());
        return ledger_failure(transport.error());
    }

    std::optional<outcome> failed;
    auto ledger = open_ledger(f, true, failed);
    if (!ledger) return *failed;
    iap_embedded::sync_options options;
    options.app_key = *f.value("--app-key");
    options.user_key = *f.value("--user-key");
    options.market = *market;
    iap_embedded::sync_client client(*ledger, **transport, options);

    const auto counts = [&](json out) {
        out.set("pending", ledger->server_payments(iap_embedded::server_state::pending).size());
        out.set("available", ledger->server_payments(iap_embedded::server_state::available).size());
        return out;
    };
    const auto failure = [&](const iap_embedded::error_info& e) {
        outcome o = ledger_failure(e);
        if (o.code == exit_rejected) o.output = counts(std::move(o.output));
        return o;
    };
    auto summary = client.sync();
    if (!summary) return failure(summary.error());
    auto out = json::object();
    out.set("pushed", summary->pushed);
    out.set("fetched", summary->fetched);
    out.set("conflicts", payments_to_json(summary->conflicts));
    auto refused = json::array();
    for (const auto& r : summary->refused) {
        auto item = json::object();
        item.set("payment_seq", r.payment_seq);
        item.set("result_code", r.result_code);
        if (!r.message.empty()) item.set("message", r.message);
        refused.push(std::move(item));
    }
    out.set("refused", std::move(refused));
    if (f.has("--claim")) {
        auto claimed = json::array();
        for (const std::string& seq : f.values("--claim")) {
            auto entry = client.claim(seq);
            if (!entry) {
                outcome o = failure(entry.error());
                if (o.code == exit_rejected) {
                    o.output.set("payment_seq", seq);
                    o.output.set("claimed", std::move(claimed));
                }
                return o;
            }
            claimed.push(entry_to_json(*entry));
        }
        out.set("claimed", std::move(claimed));
    }
    return outcome::success(counts(std::move(out)));
}

} // namespace iapctl
