// SPDX-License-Identifier: MIT
//
// What the dev server answers, independent of how requests arrive: one request in (method,
// target, app key, content type, body), one reply out. The HTTP layer (http_server.hpp) only
// moves bytes and applies the delay; everything documented at the top of main.cpp is decided here.
#ifndef IAP_DEV_SERVER_DEV_SERVER_API_HPP
#define IAP_DEV_SERVER_DEV_SERVER_API_HPP

#include "faults.hpp"
#include "html_console.hpp"
#include "json_text.hpp"
#include "purchase_book.hpp"
#include "request_target.hpp"

#include <iap_embedded/detail/calendar.hpp>
#include <iap_embedded/detail/json.hpp>

#include <picojson.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace iap_dev_server {

struct api_request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< "/v1/service/consume", "/?userKey=..."
    std::optional<std::string> app_key; ///< X-NHN-TCIAP-AppKey
    std::string content_type;
    std::string body;
};

struct api_reply {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    /// Close the connection without sending anything (the drop faults).
    bool drop = false;
    /// The envelope's resultCode, for the log; -1 when the body is not an envelope.
    int result_code = -1;
};

class dev_server_api {
public:
    dev_server_api(std::string app_key, purchase_book& book, fault_settings faults)
        : app_key_(std::move(app_key)), book_(book), faults_(faults) {}

    static bool is_api_path(const std::string& path) { return path.rfind("/v1/service/", 0) == 0; }

    /// The faults that apply to this request, counted against `count`. Called once per request,
    /// when it has been read.
    fault_settings take_faults(const api_request& request) {
        if (!is_api_path(parse_request_target(request.target).path) || !faults_.active()) return {};
        const fault_settings applied = faults_;
        if (faults_.count > 0 && --faults_.count == 0) faults_ = {};
        return applied;
    }

    /// The reply to `request`, with the faults `take_faults` gave for it (already delayed).
    api_reply handle(const api_request& request, const fault_settings& faults) {
        const request_target target = parse_request_target(request.target);
        if (is_api_path(target.path)) {
            if (faults.drop) return dropped();
            if (faults.status500) return {500, "text/plain; charset=utf-8", "Internal Server Error (fault injected)\n", {}, false, -1};
            if (faults.malformed) return {200, "application/json", "<html>this is not JSON (fault injected)", {}, false, -1};
            api_reply reply = handle_api(request, target, faults);
            reply.drop = faults.drop_after_commit;
            return reply;
        }
        if (target.path.rfind("/v1/", 0) == 0) return handle_dev(request, target);
        if (target.path == "/") {
            if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET, HEAD");
            return console_page(target);
        }
        return {404, "text/plain; charset=utf-8", "not found\n", {}, false, -1};
    }

private:
    static api_reply dropped() {
        api_reply r;
        r.drop = true;
        return r;
    }
    static api_reply success(picojson::value result) {
        return {200, "application/json", success_envelope(std::move(result)), {}, false, result_code::success};
    }
    static api_reply failure(int code, const std::string& message, unsigned status = 200) {
        return {status, "application/json", failure_envelope(code, message), {}, false, code};
    }
    static api_reply invalid(const std::string& why) { return failure(result_code::invalid_parameter, "invalid parameter: " + why); }
    static api_reply method_not_allowed(const char* allowed) {
        api_reply r = failure(result_code::unknown_error, std::string("method not allowed; use ") + allowed, 405);
        r.headers.emplace_back("Allow", allowed);
        return r;
    }
    static api_reply not_found(const std::string& path) {
        return failure(result_code::unknown_error, "no such API: " + path, 404);
    }

    static std::int64_t now_ms() { return iap_embedded::detail::wall_clock_ms(); }

    /// "application/json", ignoring parameters and case.
    static bool is_json_content_type(const std::string& value) {
        std::string media = value.substr(0, value.find(';'));
        while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
        std::size_t start = 0;
        while (start < media.size() && (media[start] == ' ' || media[start] == '\t')) ++start;
        media = media.substr(start);
        for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return media == "application/json";
    }

    bool app_key_ok(const api_request& request) const { return request.app_key && *request.app_key == app_key_; }

    /// The body as a JSON object, or why it is not one.
    static result<picojson::object> body_object(const std::string& body) {
        auto parsed = iap_embedded::detail::parse_json(body);
        if (!parsed) return parsed.error();
        if (!parsed->is<picojson::object>()) return make_error(errc::malformed_input, "the body must be a JSON object");
        return std::move(parsed->get<picojson::object>());
    }

    api_reply handle_api(const api_request& request, const request_target& target, const fault_settings& faults) {
        if (!app_key_ok(request)) return failure(result_code::invalid_app_key, "invalid appKey");
        const bool known = target.path == "/v1/service/consume" || target.path == "/v1/service/consumable" ||
                           target.path == "/v1/service/activeSubscriptionList";
        if (!known) return not_found(target.path);
        if (request.method != "POST") return method_not_allowed("POST");
        if (!is_json_content_type(request.content_type))
            return failure(result_code::invalid_parameter, "invalid parameter: Content-Type must be application/json", 415);
        if (target.path == "/v1/service/consume" && faults.already_consumed)
            return failure(result_code::already_consumed, "ALREADY CONSUMED (fault injected)");
        auto body = body_object(request.body);
        if (!body) return invalid(body.message());
        if (target.path == "/v1/service/consume") return consume(*body);
        if (target.path == "/v1/service/consumable") return consumable(*body);
        return active_subscriptions(*body);
    }

    api_reply consume(const picojson::object& body) {
        iap_embedded::detail::json_fields f(body);
        const std::string payment_seq = f.string("paymentSeq", true);
        const std::string access_token = f.string("accessToken", true);
        if (f.failure) return invalid(f.failure->message());
        if (payment_seq.empty() || access_token.empty()) return invalid("paymentSeq and accessToken must not be empty");
        const purchase* p = book_.find(payment_seq);
        if (p == nullptr) return failure(result_code::unknown_error, "UNKNOWN ERROR: no payment " + payment_seq);
        if (p->access_token != access_token)
            return failure(result_code::consume_failed, "CONSUME FAILED: the accessToken does not match the payment");
        if (p->subscription)
            return failure(result_code::consume_failed, "CONSUME FAILED: only CONSUMABLE payments can be consumed");
        if (p->consumed)
            return failure(result_code::already_consumed, "ALREADY CONSUMED at " + utc_text(p->consumed_time_ms));
        auto consumed = book_.mark_consumed(payment_seq, now_ms(), "api");
        if (!consumed) return failure(result_code::unknown_error, "UNKNOWN ERROR: could not record the consume: " + consumed.message());
        picojson::object result;
        result["price"] = picojson::value((*consumed)->price);
        result["currency"] = picojson::value((*consumed)->currency);
        result["productSeq"] = json_number((*consumed)->product_seq);
        return success(picojson::value(std::move(result)));
    }

    /// Reads the required, non-empty `marketId` (a known market), `userChannel` and `userKey`.
    static std::optional<std::string> read_user_query(iap_embedded::detail::json_fields& f, std::string& market_id,
                                                      std::string& user_channel, std::string& user_key) {
        market_id = f.string("marketId", true);
        user_channel = f.string("userChannel", true);
        user_key = f.string("userKey", true);
        if (f.failure) return f.failure->message();
        if (!is_known_market(market_id)) return "marketId must be GG, AS or ONESTORE";
        if (user_channel.empty() || user_key.empty()) return "userChannel and userKey must not be empty";
        return std::nullopt;
    }

    api_reply consumable(const picojson::object& body) {
        iap_embedded::detail::json_fields f(body);
        std::string market_id, user_channel, user_key;
        if (auto problem = read_user_query(f, market_id, user_channel, user_key)) return invalid(*problem);
        picojson::array items;
        for (const auto& p : book_.all()) {
            if (p.subscription || p.consumed || p.user_key != user_key || p.market_id != market_id ||
                p.user_channel != user_channel)
                continue;
            picojson::object item;
            item["paymentSeq"] = picojson::value(p.payment_seq);
            item["productSeq"] = json_number(p.product_seq);
            item["currency"] = picojson::value(p.currency);
            item["price"] = picojson::value(p.price);
            item["accessToken"] = picojson::value(p.access_token);
            items.emplace_back(std::move(item));
        }
        return success(picojson::value(std::move(items)));
    }

    api_reply active_subscriptions(const picojson::object& body) {
        iap_embedded::detail::json_fields f(body);
        const std::string package_name = f.string("packageName", true);
        std::string market_id, user_channel, user_key;
        if (auto problem = read_user_query(f, market_id, user_channel, user_key)) return invalid(*problem);
        if (package_name.empty()) return invalid("packageName must not be empty");
        const std::int64_t now = now_ms();
        picojson::array items;
        for (const auto& p : book_.all()) {
            if (!p.subscription || p.expiry_time_ms <= now || p.user_key != user_key || p.market_id != market_id ||
                p.user_channel != user_channel || (!p.package_name.empty() && p.package_name != package_name))
                continue;
            picojson::object item;
            item["marketId"] = picojson::value(p.market_id);
            item["packageName"] = picojson::value(package_name);
            item["userChannel"] = picojson::value(p.user_channel);
            item["userKey"] = picojson::value(p.user_key);
            item["paymentSeq"] = picojson::value(p.payment_seq);
            item["productSeq"] = json_number(p.product_seq);
            item["productId"] = picojson::value(p.product_id);
            item["productType"] = picojson::value("AUTO_RENEWABLE");
            item["storePurchaseId"] = picojson::value(p.store_purchase_id);
            item["price"] = picojson::value(p.price);
            item["currency"] = picojson::value(p.currency);
            item["purchaseTime"] = json_number(p.purchase_time_ms);
            item["expiryTime"] = json_number(p.expiry_time_ms);
            items.emplace_back(std::move(item));
        }
        return success(picojson::value(std::move(items)));
    }

    // ---- dev endpoints (never faulted; any Content-Type) ----

    api_reply handle_dev(const api_request& request, const request_target& target) {
        if (!app_key_ok(request)) return failure(result_code::invalid_app_key, "invalid appKey");
        const std::string& path = target.path;
        const std::string& method = request.method;
        if (path == "/v1/dev/purchases") {
            if (method == "GET") return list_purchases(target);
            if (method == "POST") return with_body(request, [this](const picojson::object& b) { return seed(b); });
            return method_not_allowed("GET, POST");
        }
        if (path == "/v1/dev/consume-elsewhere") {
            if (method != "POST") return method_not_allowed("POST");
            return with_body(request, [this](const picojson::object& b) { return consume_elsewhere(b); });
        }
        if (path == "/v1/dev/faults") {
            if (method == "GET") return success(fault_json(faults_));
            if (method != "POST") return method_not_allowed("GET, POST");
            return with_body(request, [this](const picojson::object& b) {
                auto faults = faults_from_json(b);
                if (!faults) return invalid(faults.message());
                faults_ = *faults;
                return success(fault_json(faults_));
            });
        }
        if (path == "/v1/dev/reset") {
            if (method != "POST") return method_not_allowed("POST");
            const auto count = book_.all().size();
            if (auto cleared = book_.clear(); !cleared)
                return failure(result_code::unknown_error, "UNKNOWN ERROR: could not reset: " + cleared.message());
            faults_ = {};
            picojson::object result;
            result["removedPurchases"] = json_number(static_cast<std::int64_t>(count));
            return success(picojson::value(std::move(result)));
        }
        return not_found(path);
    }

    template <class Handler>
    static api_reply with_body(const api_request& request, Handler handler) {
        auto body = body_object(request.body);
        if (!body) return invalid(body.message());
        return handler(*body);
    }

    api_reply list_purchases(const request_target& target) {
        const std::string user_key = target.param("userKey");
        const std::string payment_seq = target.param("paymentSeq");
        picojson::array items;
        for (const auto& p : book_.all()) {
            if (!user_key.empty() && p.user_key != user_key) continue;
            if (!payment_seq.empty() && p.payment_seq != payment_seq) continue;
            items.push_back(purchase_json(p, true));
        }
        return success(picojson::value(std::move(items)));
    }

    api_reply seed(const picojson::object& body) {
        iap_embedded::detail::json_fields f(body);
        const std::int64_t now = now_ms();
        purchase p;
        p.user_key = f.string("userKey", true);
        p.market_id = f.string("marketId", true);
        p.payment_seq = f.string("paymentSeq");
        p.access_token = f.string("accessToken");
        p.product_seq = f.integer("productSeq", true).value_or(0);
        p.product_id = f.string("productId", true);
        const auto* price = f.find("price");
        if (price == nullptr || !price->is<double>()) f.fail_with("the field \"price\" must be a number");
        else p.price = price->get<double>();
        p.currency = f.string("currency", true);
        p.subscription = f.boolean("subscription").value_or(false);
        const auto expiry = f.milliseconds("expiryTime");
        p.store_purchase_id = f.string("storePurchaseId");
        const std::string channel = f.string("userChannel");
        p.package_name = f.string("packageName");
        p.purchase_time_ms = f.milliseconds("purchaseTime").value_or(now);
        if (f.failure) return invalid(f.failure->message());
        if (p.user_key.empty()) return invalid("userKey must not be empty");
        if (!is_known_market(p.market_id)) return invalid("marketId must be GG, AS or ONESTORE");
        if (p.currency.empty()) return invalid("currency must not be empty");
        if (!(p.price >= 0)) return invalid("price must be 0 or more");
        if (f.find("paymentSeq") != nullptr && p.payment_seq.empty()) return invalid("paymentSeq must not be empty");
        if (f.find("accessToken") != nullptr && p.access_token.empty()) return invalid("accessToken must not be empty");
        if (expiry && !p.subscription) return invalid("expiryTime is only for subscriptions (\"subscription\": true)");
        if (!channel.empty()) p.user_channel = channel;
        if (p.subscription) p.expiry_time_ms = expiry.value_or(now + 30LL * 24 * 3600 * 1000);
        if (p.payment_seq.empty()) p.payment_seq = book_.next_payment_seq(now);
        if (p.access_token.empty()) p.access_token = purchase_book::new_access_token();
        if (book_.find(p.payment_seq) != nullptr) return invalid("paymentSeq " + p.payment_seq + " already exists");
        auto added = book_.add(std::move(p));
        if (!added) return failure(result_code::unknown_error, "UNKNOWN ERROR: could not store the purchase: " + added.message());
        return success(purchase_json(**added, true));
    }

    api_reply consume_elsewhere(const picojson::object& body) {
        iap_embedded::detail::json_fields f(body);
        const std::string payment_seq = f.string("paymentSeq", true);
        if (f.failure) return invalid(f.failure->message());
        const purchase* p = book_.find(payment_seq);
        if (p == nullptr) return failure(result_code::unknown_error, "UNKNOWN ERROR: no payment " + payment_seq);
        if (p->subscription)
            return failure(result_code::consume_failed, "CONSUME FAILED: only CONSUMABLE payments can be consumed");
        if (p->consumed)
            return failure(result_code::already_consumed, "ALREADY CONSUMED at " + utc_text(p->consumed_time_ms));
        auto consumed = book_.mark_consumed(payment_seq, now_ms(), "elsewhere");
        if (!consumed) return failure(result_code::unknown_error, "UNKNOWN ERROR: could not record the consume: " + consumed.message());
        return success(purchase_json(**consumed, true));
    }

    api_reply console_page(const request_target& target) const {
        api_reply r;
        r.content_type = "text/html; charset=utf-8";
        r.body = render_console(book_, console_search::from(target), now_ms());
        r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
        r.headers.emplace_back("X-Content-Type-Options", "nosniff");
        r.headers.emplace_back("X-Frame-Options", "DENY");
        r.headers.emplace_back("Cache-Control", "no-store");
        return r;
    }

    std::string app_key_;
    purchase_book& book_;
    fault_settings faults_;
};

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_DEV_SERVER_API_HPP
