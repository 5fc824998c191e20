// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_SYNC_IPP
#define IAP_EMBEDDED_IMPL_SYNC_IPP

#include "iap_embedded/config.hpp"

// picojson throws and does not compile without exceptions.
#if !IAP_EMBEDDED_HAS_EXCEPTIONS
#error "iap_embedded: this part parses JSON (picojson), which needs exceptions. For -fno-exceptions code, define IAP_EMBEDDED_SEPARATE_COMPILATION for the whole program and compile the one file that includes iap_embedded/src.hpp with exceptions enabled (see config.hpp)"
#endif

#include "iap_embedded/detail/iap_server_response.hpp"
#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/sync.hpp"

#include <algorithm>
#include <utility>

namespace iap_embedded {
inline namespace v1 {

IAP_EMBEDDED_DECL result<market> parse_market(std::string_view id) {
    if (id == "GG") return market::google_play;
    if (id == "AS") return market::app_store;
    if (id == "ONESTORE") return market::one_store;
    return make_error(errc::malformed_input, "unknown market '" + std::string(id) + "' (GG, AS or ONESTORE)");
}

struct sync_client::answer {
    detail::server_envelope envelope;
};

namespace detail {
/// The IAP server's result code for "already consumed".
constexpr std::int64_t server_code_already_consumed = 5018;

/// A JSON object of string members, in the order given.
inline std::string json_request(std::initializer_list<std::pair<const char*, std::string_view>> members) {
    picojson::object o;
    for (const auto& m : members) o[m.first] = picojson::value(std::string(m.second));
    return picojson::value(std::move(o)).serialize();
}

inline error_info server_failure(const server_envelope& e, const char* target) {
    return make_error(errc::server_error, std::string("the IAP server refused ") + target + ": result code " +
                                              std::to_string(e.result_code) +
                                              (e.result_message.empty() ? std::string() : " (" + e.result_message + ")"));
}
} // namespace detail

IAP_EMBEDDED_DECL sync_client::sync_client(ledger& ledger, http_transport& transport, sync_options options)
    : ledger_(&ledger), transport_(&transport), options_(std::move(options)), jitter_(std::random_device{}()) {}

IAP_EMBEDDED_DECL result<sync_client::answer> sync_client::post(const char* target, const std::string& body,
                                                               const before_request_hook* hook) {
    http_request request;
    request.target = target;
    request.headers = {{"Content-Type", "application/json"}, {"X-NHN-TCIAP-AppKey", options_.app_key}};
    request.body = body;
    auto response = hook != nullptr ? transport_->send_when_connected(request, *hook) : transport_->send(request);
    if (!response) return std::move(response).error();
    if (response->status < 200 || response->status > 299)
        return make_error(errc::server_error, std::string("the IAP server answered HTTP ") +
                                                  std::to_string(response->status) + " to " + target);
    auto envelope = detail::parse_server_envelope(response->body);
    if (!envelope) return std::move(envelope).error();
    return answer{std::move(*envelope)};
}

IAP_EMBEDDED_DECL result<sync_client::answer> sync_client::consume_on_server(std::string_view payment_seq,
                                                                            std::string_view access_token) {
    // The attempted mark goes to disk once the request may reach the server and before it can:
    // a request that never left the device leaves none.
    const before_request_hook mark = [this, payment_seq]() { return ledger_->record_server_attempt(payment_seq); };
    return post("/v1/service/consume",
                detail::json_request({{"paymentSeq", payment_seq}, {"accessToken", access_token}}), &mark);
}

IAP_EMBEDDED_DECL result<void> sync_client::push(const server_payment& p, sync_summary& summary) {
    auto got = consume_on_server(p.payment_seq, p.access_token);
    if (!got) return std::move(got).error();
    const detail::server_envelope& e = got->envelope;
    if (e.successful) {
        if (auto parsed = detail::parse_consume_answer(e.result); !parsed) return std::move(parsed).error();
        if (auto done = ledger_->record_server_result(p.payment_seq, server_state::synced, e.result_code); !done) return done;
        ++summary.pushed;
        return {};
    }
    if (e.result_code == detail::server_code_already_consumed) {
        // Consumed before this request: elsewhere, or by an earlier request of ours whose answer
        // was lost. The server cannot say which, so it is never taken as ours.
        if (auto done = ledger_->record_server_result(p.payment_seq, server_state::conflict, e.result_code); !done)
            return done;
        auto now = ledger_->find_payment(p.payment_seq);
        summary.conflicts.push_back(now ? *now : p);
        return {};
    }
    // This payment is refused; the server itself works, so the others go on.
    summary.refused.push_back(server_refusal{p.payment_seq, e.result_code, e.result_message});
    return {};
}

IAP_EMBEDDED_DECL result<sync_summary> sync_client::run() {
    sync_summary summary;
    for (const server_payment& p : ledger_->server_payments(server_state::pending)) {
        if (auto pushed = push(p, summary); !pushed) return std::move(pushed).error();
    }
    const std::string_view market = market_id(options_.market);
    auto got = post("/v1/service/consumable", detail::json_request({{"marketId", market},
                                                                    {"userChannel", options_.user_channel},
                                                                    {"userKey", options_.user_key}}));
    if (!got) return std::move(got).error();
    if (!got->envelope.successful) return detail::server_failure(got->envelope, "the consumable list");
    auto listed = detail::parse_consumable_list(got->envelope.result, market);
    if (!listed) return std::move(listed).error();
    for (const server_payment& p : *listed) {
        auto added = ledger_->record_server_available(p);
        if (!added) return std::move(added).error();
        if (*added) ++summary.fetched;
    }
    summary.pending = ledger_->server_payments(server_state::pending).size();
    summary.available = ledger_->server_payments(server_state::available).size();
    return summary;
}

IAP_EMBEDDED_DECL result<sync_summary> sync_client::sync() {
    auto done = run();
    if (done) {
        failures_ = 0;
        retry_delay_ = std::chrono::milliseconds(0);
        return done;
    }
    ++failures_;
    // base * 2^(k-1), capped, then a random factor in [0.5, 1] so many devices do not retry in step.
    const auto base = std::max<std::int64_t>(options_.backoff_base.count(), 1);
    const auto most = std::max<std::int64_t>(options_.backoff_max.count(), base);
    std::int64_t delay = base;
    for (unsigned k = 1; k < failures_ && delay < most; ++k) delay = delay > most / 2 ? most : delay * 2;
    delay = std::min(delay, most);
    std::uniform_int_distribution<std::int64_t> factor(delay / 2, delay);
    retry_delay_ = std::chrono::milliseconds(factor(jitter_));
    return done;
}

IAP_EMBEDDED_DECL result<ledger_entry> sync_client::claim(std::string_view payment_seq, consume_options options) {
    auto known = ledger_->find_payment(payment_seq);
    if (!known) return make_error(errc::malformed_input, "server payment " + std::string(payment_seq) + " is not in the ledger; sync first");
    if (known->state != server_state::available) {
        return make_error(errc::already_consumed,
                          "server payment " + std::string(payment_seq) +
                              (known->state == server_state::conflict ? " was consumed elsewhere"
                                                                      : " was already consumed here" +
                                                                            (known->key ? " as " + known->key->to_string() : std::string())));
    }
    auto m = parse_market(known->market);
    const store_kind store = store_of(m ? *m : options_.market);
    // A purchase of this store consumed here without its payment may be this very payment: the
    // server cannot say, so nothing is claimed until each such entry is linked or declared.
    const auto unlinked = ledger_->unlinked_consumes(store);
    if (!unlinked.empty()) {
        return make_error(errc::conflict,
                          "server payment " + std::string(payment_seq) + " is not claimed: " +
                              std::to_string(unlinked.size()) + " " + std::string(to_string(store)) +
                              " purchase(s) were consumed here without a payment_seq (the first: " +
                              unlinked.front().key.to_string() +
                              "), and any of them may be this payment. Link each one to its payment "
                              "(ledger::link_payment) or declare that it has none "
                              "(ledger::mark_without_server_payment), then claim again");
    }
    auto got = consume_on_server(payment_seq, known->access_token);
    if (!got) return std::move(got).error();
    const detail::server_envelope& e = got->envelope;
    if (!e.successful && e.result_code == detail::server_code_already_consumed) {
        // As in push(): a 5018 is never taken as ours, even after an earlier attempt of ours.
        if (auto done = ledger_->record_server_result(payment_seq, server_state::conflict, e.result_code); !done)
            return std::move(done).error();
        return make_error(errc::already_consumed,
                          "server payment " + std::string(payment_seq) + " was consumed before this claim (the IAP server answered 5018): " +
                              (known->attempted ? "elsewhere, or by an earlier claim from this device whose answer was lost; "
                                                : "elsewhere; ") +
                              "not granted, recorded as a conflict");
    }
    if (!e.successful) return detail::server_failure(e, "a consume");
    if (auto parsed = detail::parse_consume_answer(e.result); !parsed) return std::move(parsed).error();

    purchase p;
    p.store = store;
    // The purchase is known only by its payment: its key is the payment's.
    const std::string id = "iap-payment-" + known->payment_seq;
    switch (p.store) {
    case store_kind::google_play: p.purchase_token = id; break;
    case store_kind::one_store: p.purchase_id = id; break;
    case store_kind::app_store: p.transaction_id = id; break;
    }
    p.product_id = known->product_seq;
    options.payment_seq = known->payment_seq;
    options.access_token = known->access_token;
    options.server_confirmed = true;
    options.without_server_payment = false; // it has one: the ledger would refuse the two together
    return ledger_->consume(p, options);
}

IAP_EMBEDDED_DECL result<std::vector<server_subscription>> sync_client::active_subscriptions(std::string_view package_name) {
    auto got = post("/v1/service/activeSubscriptionList",
                    detail::json_request({{"marketId", market_id(options_.market)},
                                          {"packageName", package_name},
                                          {"userChannel", options_.user_channel},
                                          {"userKey", options_.user_key}}));
    if (!got) return std::move(got).error();
    if (!got->envelope.successful) return detail::server_failure(got->envelope, "the subscription list");
    const picojson::value& r = got->envelope.result;
    std::vector<server_subscription> out;
    if (r.is<picojson::null>()) return out;
    if (!r.is<picojson::array>()) return detail::malformed_response("to a subscription list is not an array");
    for (const auto& item : r.get<picojson::array>()) {
        if (!item.is<picojson::object>()) return detail::malformed_response("lists a subscription that is not an object");
        detail::json_fields f(item.get<picojson::object>());
        server_subscription s;
        s.payment_seq = detail::scalar_text(f, "paymentSeq", true);
        s.product_seq = detail::scalar_text(f, "productSeq", false);
        s.product_id = detail::server_text(f, "productId");
        s.purchase_time_ms = f.milliseconds("purchaseTime");
        s.expiry_time_ms = f.milliseconds("expiryTime");
        if (f.failure) return detail::malformed_response("lists a malformed subscription: " + f.failure->message());
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_SYNC_IPP
