// SPDX-License-Identifier: MIT
//
// `iapctl ledger ...`: the consume ledger from the command line.
//   ledger consume --ledger FILE [--hmac-key KEY] [--deliver] [--credit NAME=AMOUNT]
//                  [--payment-seq S --access-token T | --without-server-payment] STORE VERIFY-ARGS...
//   ledger deliver --ledger FILE [--hmac-key KEY] --key STORE:ID
//   ledger link    --ledger FILE [--hmac-key KEY] --key STORE:ID --payment-seq S [--access-token T]
//   ledger no-payment --ledger FILE [--hmac-key KEY] --key STORE:ID
//   ledger spend   --ledger FILE [--hmac-key KEY] --balance NAME --amount N
//   ledger history|undelivered|entitlements|balances --ledger FILE [--hmac-key KEY] [--at TIME]
//   ledger check   --ledger FILE [--hmac-key KEY]
//   ledger payments --ledger FILE [--hmac-key KEY] [--state pending|synced|conflict|available]
// Exit 0 success; 1 a rejected purchase, already_consumed, insufficient_balance, ledger_locked,
// ledger_corrupted; 2 usage or I/O errors.
#ifndef IAPCTL_LEDGER_COMMAND_HPP
#define IAPCTL_LEDGER_COMMAND_HPP

#include "app_store_jws_command.hpp"
#include "cli.hpp"
#include "verify_command.hpp"

#include <iap_embedded/base64.hpp>
#include <iap_embedded/ledger.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iapctl {

namespace ledger_detail {

/// Parses RFC 3339 UTC times such as 2026-03-01T10:00:00Z (optional fraction, or a +hh:mm offset).
inline json entry_to_json(const iap_embedded::ledger_entry& e) {
    using iap_embedded::to_string;
    auto out = json::object();
    out.set("key", e.key.to_string());
    out.set("store", to_string(e.key.store));
    out.set("product_id", e.product_id);
    if (!e.order_id.empty()) out.set("order_id", e.order_id);
    out.set("kind", to_string(e.kind));
    out.set("state", to_string(e.state));
    out.set("quantity", e.quantity);
    out.set("purchase_time_ms", e.purchase_time_ms);
    if (e.expires_time_ms) out.set("expires_time_ms", *e.expires_time_ms);
    out.set("consumed_time_ms", e.consumed_time_ms);
    if (e.delivered_time_ms) out.set("delivered_time_ms", *e.delivered_time_ms);
    if (!e.credit_balance.empty()) {
        out.set("credit_balance", e.credit_balance);
        out.set("credit_amount", e.credit_amount);
    }
    if (!e.payment_seq.empty()) out.set("payment_seq", e.payment_seq);
    if (e.without_server_payment) out.set("without_server_payment", true);
    return out;
}

/// A server payment; the access token is a credential and is never printed.
inline json payment_to_json(const iap_embedded::server_payment& p) {
    auto out = json::object();
    out.set("payment_seq", p.payment_seq);
    out.set("state", iap_embedded::to_string(p.state));
    if (p.key) out.set("key", p.key->to_string());
    if (!p.market.empty()) out.set("market", p.market);
    if (!p.product_seq.empty()) out.set("product_seq", p.product_seq);
    if (!p.price.empty()) out.set("price", p.price);
    if (!p.currency.empty()) out.set("currency", p.currency);
    out.set("attempted", p.attempted);
    if (p.state == iap_embedded::server_state::synced || p.state == iap_embedded::server_state::conflict)
        out.set("result_code", p.result_code);
    out.set("time_ms", p.time_ms);
    return out;
}

inline json payments_to_json(const std::vector<iap_embedded::server_payment>& payments) {
    auto out = json::array();
    for (const auto& p : payments) out.push(payment_to_json(p));
    return out;
}

inline json entries_to_json(const std::vector<iap_embedded::ledger_entry>& entries) {
    auto out = json::array();
    for (const auto& e : entries) out.push(entry_to_json(e));
    return out;
}

inline json balances_to_json(const std::map<std::string, std::int64_t>& balances) {
    auto out = json::object();
    for (const auto& b : balances) out.set(b.first, b.second);
    return out;
}

inline json history_to_json(const std::vector<iap_embedded::history_event>& events) {
    using iap_embedded::to_string;
    auto out = json::array();
    for (const auto& h : events) {
        auto item = json::object();
        item.set("kind", to_string(h.kind));
        item.set("time_ms", h.time_ms);
        if (h.key) {
            item.set("store", to_string(h.key->store));
            item.set("key", h.key->to_string());
            item.set("product_id", h.product_id);
            item.set("state", to_string(h.state));
        }
        if (h.expires_time_ms) item.set("expires_time_ms", *h.expires_time_ms);
        if (!h.balance.empty()) {
            item.set("balance", h.balance);
            item.set("amount", h.amount);
        }
        out.push(std::move(item));
    }
    return out;
}

/// A ledger error as the contract wants it: I/O failures are exit 2, everything else exit 1
/// with "error" (and "offset" for a corrupted ledger).
inline outcome ledger_failure(const iap_embedded::error_info& e) {
    const auto code = static_cast<iap_embedded::errc>(e.code.value());
    if (code == iap_embedded::errc::io_error) return outcome::unreadable(e.message());
    auto out = json::object();
    out.set("error", iap_embedded::to_string(code));
    out.set("message", e.message());
    if (code == iap_embedded::errc::ledger_corrupted) {
        const std::string text = e.message();
        const auto at = text.find("offset ");
        if (at != std::string::npos) {
            std::int64_t offset = 0;
            for (std::size_t i = at + 7; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
                offset = offset * 10 + (text[i] - '0');
            out.set("offset", offset);
        }
    }
    return outcome::reject(std::move(out));
}

/// Opens the ledger named by --ledger with --hmac-key; on failure `problem` holds the outcome.
inline std::optional<iap_embedded::ledger> open_ledger(const flags& f, bool create, std::optional<outcome>& problem) {
    iap_embedded::ledger_options options;
    options.create = create;
    if (const auto key_arg = f.value("--hmac-key")) {
        const auto text = read_text_argument(*key_arg);
        if (!text) return problem = outcome::unreadable("cannot read the HMAC key file " + key_arg->substr(1)), std::nullopt;
        const auto key = iap_embedded::decode_base64(*text);
        if (!key || key->empty())
            return problem = outcome::usage("--hmac-key needs non-empty base64 text (or @file holding it)"), std::nullopt;
        options.hmac_key.assign(key->begin(), key->end());
    }
    auto opened = iap_embedded::ledger::open(*f.value("--ledger"), options);
    if (!opened) return problem = ledger_failure(opened.error()), std::nullopt;
    return std::move(*opened);
}

inline outcome consume(const std::vector<std::string>& args) {
    // The ledger's own flags come first; the first other word is the store.
    std::vector<std::string> own;
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--deliver" || a == "--without-server-payment") {
            own.push_back(a);
        } else if (a == "--ledger" || a == "--hmac-key" || a == "--credit" || a == "--payment-seq" ||
                   a == "--access-token") {
            own.push_back(a);
            if (i + 1 < args.size()) own.push_back(args[++i]);
        } else {
            break;
        }
    }
    flags f;
    std::string problem;
    if (!f.parse(own, {"--ledger", "--hmac-key", "--credit", "--payment-seq", "--access-token"}, {"--deliver", "--without-server-payment"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--ledger"}); !missing.empty()) return outcome::usage("missing " + missing);
    if (i >= args.size()) return outcome::usage("ledger consume needs a store and its verify arguments");
    const std::string store = args[i];
    const std::vector<std::string> verify_args(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());

    iap_embedded::consume_options options;
    options.delivered = f.has("--deliver");
    options.without_server_payment = f.has("--without-server-payment");
    if (const auto credit = f.value("--credit")) {
        const auto eq = credit->find('=');
        const auto amount = eq == std::string::npos ? std::nullopt : parse_count(credit->substr(eq + 1));
        if (eq == 0 || !amount) return outcome::usage("--credit needs NAME=AMOUNT with a positive AMOUNT, not '" + *credit + "'");
        options.credit_balance = credit->substr(0, eq);
        options.credit_amount = *amount;
        options.delivered = true;
    }
    options.payment_seq = f.value("--payment-seq").value_or("");
    options.access_token = f.value("--access-token").value_or("");
    if (options.payment_seq.empty() != options.access_token.empty())
        return outcome::usage("--payment-seq and --access-token go together, both non-empty");

    iap_embedded::verification verified;
    if (store == "google-play" || store == "one-store") {
        const auto kind = store == "google-play" ? iap_embedded::store_kind::google_play : iap_embedded::store_kind::one_store;
        const outcome checked = verify_signed_json_store(kind, verify_args, &verified);
        if (checked.code != exit_ok) return checked;
    } else if (store == "app-store-receipt") {
        const outcome checked = verify_app_store_receipt_command(verify_args, &verified);
        if (checked.code != exit_ok) return checked;
    } else if (store == "app-store-jws") {
        const outcome checked = verify_app_store_jws_command(verify_args, &verified);
        if (checked.code != exit_ok) return checked;
    } else {
        return outcome::usage("unknown store '" + store +
                              "' (expected google-play, one-store, app-store-receipt or app-store-jws)");
    }

    std::optional<outcome> failed;
    auto ledger = open_ledger(f, true, failed);
    if (!ledger) return *failed;
    auto consumed = json::array();
    for (const auto& p : verified.purchases) {
        const auto entry = ledger->consume(p, options);
        if (!entry) {
            outcome rejected_one = ledger_failure(entry.error());
            if (rejected_one.code == exit_rejected) {
                if (const auto key = iap_embedded::purchase_key::of(p)) rejected_one.output.set("key", key->to_string());
                rejected_one.output.set("consumed", std::move(consumed));
            }
            return rejected_one;
        }
        consumed.push(entry_to_json(*entry));
    }
    auto out = json::object();
    out.set("consumed", std::move(consumed));
    out.set("balances", balances_to_json(ledger->balances()));
    return outcome::success(std::move(out));
}

} // namespace ledger_detail

inline outcome run_ledger(const std::vector<std::string>& args) {
    using namespace ledger_detail;
    if (args.empty())
        return outcome::usage("ledger needs a command: consume, deliver, link, no-payment, spend, history, undelivered, "
                              "entitlements, balances, payments or check");
    const std::string& command = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "consume") return consume(rest);

    flags f;
    std::string problem;
    std::set<std::string> allowed = {"--ledger", "--hmac-key"};
    if (command == "deliver" || command == "no-payment") allowed.insert("--key");
    else if (command == "link") allowed.insert({"--key", "--payment-seq", "--access-token"});
    else if (command == "spend") allowed.insert({"--balance", "--amount"});
    else if (command == "history" || command == "undelivered" || command == "entitlements" || command == "balances")
        allowed.insert("--at");
    else if (command == "payments") allowed.insert("--state");
    else if (command != "check") return outcome::usage("unknown ledger command '" + command + "'");
    if (command == "history") allowed.insert({"--product", "--store"});
    if (!f.parse(rest, allowed, {}, problem)) return outcome::usage(problem);
    std::vector<std::string> required = {"--ledger"};
    if (command == "deliver" || command == "no-payment" || command == "link") required.push_back("--key");
    if (command == "link") required.push_back("--payment-seq");
    if (command == "spend") required.insert(required.end(), {"--balance", "--amount"});
    if (const auto missing = f.missing(required); !missing.empty()) return outcome::usage("missing " + missing);

    std::optional<outcome> bad_at;
    const std::int64_t at = read_at(f, bad_at).value_or(iap_embedded::detail::wall_clock_ms());
    if (bad_at) return std::move(*bad_at);
    std::optional<iap_embedded::purchase_key> key;
    if (const auto text = f.value("--key")) {
        auto parsed = iap_embedded::purchase_key::parse(*text);
        if (!parsed) return outcome::usage("--key: " + parsed.message());
        key = std::move(*parsed);
    }
    std::optional<long long> amount;
    if (const auto text = f.value("--amount")) {
        amount = parse_count(*text);
        if (!amount) return outcome::usage("--amount needs a positive integer, not '" + *text + "'");
    }
    iap_embedded::history_filter filter;
    filter.product_id = f.value("--product").value_or("");
    if (const auto text = f.value("--store")) {
        auto parsed = iap_embedded::purchase_key::parse(*text + ":x");
        if (!parsed) return outcome::usage("--store: unknown store '" + *text + "'");
        filter.store = parsed->store;
    }

    std::vector<iap_embedded::server_state> states = {iap_embedded::server_state::pending, iap_embedded::server_state::synced,
                                                      iap_embedded::server_state::conflict, iap_embedded::server_state::available};
    if (const auto text = f.value("--state")) {
        const auto chosen = std::find_if(states.begin(), states.end(), [&](iap_embedded::server_state s) {
            return iap_embedded::to_string(s) == *text;
        });
        if (chosen == states.end()) return outcome::usage("--state is pending, synced, conflict or available, not '" + *text + "'");
        states = {*chosen};
    }

    std::optional<outcome> failed;
    auto ledger = open_ledger(f, command != "check", failed);
    if (!ledger) {
        if (command == "check" && failed->code == exit_rejected) failed->output.set("intact", false);
        return *failed;
    }
    auto out = json::object();
    if (command == "deliver") {
        if (const auto done = ledger->mark_delivered(*key); !done) return ledger_failure(done.error());
        out.set("delivered", key->to_string());
    } else if (command == "link" || command == "no-payment") {
        const auto entry = command == "link" ? ledger->link_payment(*key, *f.value("--payment-seq"),
                                                                    f.value("--access-token").value_or(""))
                                             : ledger->mark_without_server_payment(*key);
        if (!entry) return ledger_failure(entry.error());
        out.set(command == "link" ? "linked" : "without_server_payment", entry_to_json(*entry));
    } else if (command == "spend") {
        const auto left = ledger->spend(*f.value("--balance"), *amount);
        if (!left) return ledger_failure(left.error());
        out.set("balance", *f.value("--balance"));
        out.set("spent", static_cast<std::int64_t>(*amount));
        out.set("value", *left);
    } else if (command == "history") {
        out.set("history", history_to_json(ledger->history(filter)));
    } else if (command == "undelivered") {
        out.set("undelivered", entries_to_json(ledger->undelivered()));
    } else if (command == "entitlements") {
        out.set("at_time_ms", at);
        out.set("trusted_time_ms", ledger->trusted_time_ms());
        out.set("entitlements", entries_to_json(ledger->entitlements(at)));
    } else if (command == "balances") {
        out.set("balances", balances_to_json(ledger->balances()));
    } else if (command == "payments") {
        std::vector<iap_embedded::server_payment> payments;
        for (const auto s : states) {
            auto some = ledger->server_payments(s);
            payments.insert(payments.end(), some.begin(), some.end());
        }
        out.set("payments", payments_to_json(payments));
    } else {
        out.set("intact", true);
        out.set("records", static_cast<std::int64_t>(ledger->record_count()));
        out.set("size_bytes", static_cast<std::int64_t>(ledger->file_size()));
        out.set("recovered_bytes", static_cast<std::int64_t>(ledger->recovered_bytes()));
    }
    return outcome::success(std::move(out));
}

} // namespace iapctl

#endif // IAPCTL_LEDGER_COMMAND_HPP
