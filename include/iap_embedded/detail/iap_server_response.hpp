// SPDX-License-Identifier: MIT
//
// Reading the IAP server's answers, which are untrusted input like everything else that crosses
// the network. Every answer is `{"header": {"isSuccessful": bool, "resultCode": int,
// "resultMessage": string}, "result": ...}`; anything else is `malformed_response`, and so is a
// `result` without the fields the API documents.
#ifndef IAP_EMBEDDED_DETAIL_IAP_SERVER_RESPONSE_HPP
#define IAP_EMBEDDED_DETAIL_IAP_SERVER_RESPONSE_HPP

#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/ledger.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// The envelope of every answer.
struct server_envelope {
    bool successful = false;
    std::int64_t result_code = 0;
    std::string result_message;
    picojson::value result; ///< null when absent
};

/// Largest answer body read, in bytes: a consumable list of a few thousand payments.
constexpr std::size_t max_server_response_bytes = 1u << 20;

/// Longest text field of an answer, in bytes. Real ones (paymentSeq, accessToken, productSeq, price,
/// currency, productId) are under a hundred; the cap keeps whatever reaches the ledger far below
/// its record limit (ledger_format::max_payload), so a hostile server cannot make the ledger write
/// a record that its replay refuses.
constexpr std::size_t max_server_field_bytes = 4096;

inline error_info malformed_response(std::string what) {
    return make_error(errc::malformed_response, "the IAP server's response " + std::move(what));
}

inline result<server_envelope> parse_server_envelope(std::string_view body) {
    if (body.size() > max_server_response_bytes)
        return malformed_response("is larger than " + std::to_string(max_server_response_bytes) + " bytes");
    auto root = parse_json(body);
    if (!root) return malformed_response("is not JSON: " + root.message());
    if (!root->is<picojson::object>()) return malformed_response("is not a JSON object");
    json_fields top(root->get<picojson::object>());
    const picojson::object* header = top.object("header", true);
    server_envelope out;
    if (header != nullptr) {
        json_fields h(*header);
        out.successful = h.boolean("isSuccessful", true).value_or(false);
        out.result_code = h.integer("resultCode", true).value_or(0);
        out.result_message = h.string("resultMessage");
        if (h.failure) return malformed_response("header: " + h.failure->message());
    }
    if (top.failure) return malformed_response(top.failure->message());
    if (const picojson::value* r = top.find("result")) out.result = *r;
    return out;
}

/// `text`, the value of `key`, unless it is longer than `max_server_field_bytes` (then a failure).
inline std::string capped_text(json_fields& f, const char* key, std::string text) {
    if (text.size() <= max_server_field_bytes) return text;
    f.fail_with(std::string("the field \"") + key + "\" is " + std::to_string(text.size()) + " bytes, more than " +
                std::to_string(max_server_field_bytes));
    return {};
}

/// A string member (empty when absent), at most `max_server_field_bytes` long.
inline std::string server_text(json_fields& f, const char* key, bool required = false) {
    return capped_text(f, key, f.string(key, required));
}

/// A member that the server may send as a string or a number ("paymentSeq": "2014..." or
/// 2014...), as text; integral numbers are written without a fraction. Empty when absent. At most
/// `max_server_field_bytes` long.
inline std::string scalar_text(json_fields& f, const char* key, bool required) {
    const picojson::value* v = f.find(key);
    if (v == nullptr || v->is<picojson::null>()) {
        if (required) f.fail_with(std::string("the field \"") + key + "\" is missing");
        return {};
    }
    if (v->is<std::string>()) {
        if (required && v->get<std::string>().empty()) f.fail_with(std::string("the field \"") + key + "\" is empty");
        return capped_text(f, key, v->get<std::string>());
    }
    if (v->is<double>()) {
        const double d = v->get<double>();
        constexpr double exact_limit = 9007199254740992.0; // 2^53
        if (std::floor(d) == d && std::fabs(d) <= exact_limit) return std::to_string(static_cast<std::int64_t>(d));
        return capped_text(f, key, v->serialize());
    }
    f.fail_with(std::string("the field \"") + key + "\" must be a string or a number");
    return {};
}

/// One payment of a consumable list: `{paymentSeq, productSeq, currency, price, accessToken}`.
inline result<server_payment> parse_server_payment(const picojson::value& item, std::string_view market) {
    if (!item.is<picojson::object>()) return malformed_response("lists a payment that is not an object");
    json_fields f(item.get<picojson::object>());
    server_payment p;
    p.payment_seq = scalar_text(f, "paymentSeq", true);
    p.access_token = server_text(f, "accessToken", true);
    p.product_seq = scalar_text(f, "productSeq", false);
    p.price = scalar_text(f, "price", false);
    p.currency = server_text(f, "currency");
    if (!f.failure && p.access_token.empty()) f.fail_with("the field \"accessToken\" is empty");
    if (f.failure) return malformed_response("lists a payment that is malformed: " + f.failure->message());
    p.market = std::string(market);
    p.state = server_state::available;
    return p;
}

/// The result of `/v1/service/consumable`: an array of payments.
inline result<std::vector<server_payment>> parse_consumable_list(const picojson::value& result, std::string_view market) {
    if (result.is<picojson::null>()) return std::vector<server_payment>{};
    if (!result.is<picojson::array>()) return malformed_response("to a consumable list is not an array");
    std::vector<server_payment> out;
    out.reserve(result.get<picojson::array>().size());
    for (const auto& item : result.get<picojson::array>()) {
        auto p = parse_server_payment(item, market);
        if (!p) return std::move(p).error();
        out.push_back(std::move(*p));
    }
    return out;
}

/// The result of `/v1/service/consume`: `{price, currency, productSeq}`.
struct consume_answer {
    std::string price;
    std::string currency;
    std::string product_seq;
};

inline result<consume_answer> parse_consume_answer(const picojson::value& result) {
    consume_answer out;
    if (result.is<picojson::null>()) return out;
    if (!result.is<picojson::object>()) return malformed_response("to a consume is not an object");
    json_fields f(result.get<picojson::object>());
    out.price = scalar_text(f, "price", false);
    out.currency = server_text(f, "currency");
    out.product_seq = scalar_text(f, "productSeq", false);
    if (f.failure) return malformed_response("to a consume is malformed: " + f.failure->message());
    return out;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_IAP_SERVER_RESPONSE_HPP
