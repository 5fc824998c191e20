// SPDX-License-Identifier: MIT
//
// The signed content of an App Store receipt: a DER SET OF ReceiptAttribute ::= SEQUENCE { type
// INTEGER, version INTEGER, value OCTET STRING }, where the value of an in-app purchase
// attribute (17) is itself such a SET. Unknown types are ignored; a known type appearing twice,
// a value of the wrong ASN.1 type or an unparseable date is `malformed_input`. Parsing verifies
// nothing.
#ifndef IAP_EMBEDDED_DETAIL_APP_RECEIPT_PAYLOAD_HPP
#define IAP_EMBEDDED_DETAIL_APP_RECEIPT_PAYLOAD_HPP

#include "iap_embedded/detail/asn1.hpp"
#include "iap_embedded/detail/calendar.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/purchase.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Parses an RFC 3339 date-time as Apple and Xcode write it into receipts and as iapctl takes it
/// on the command line: `YYYY-MM-DDTHH:MM:SS`, optional fraction (milliseconds kept), then `Z`,
/// `+HH:MM` or `+HHMM` (Xcode). Returns milliseconds since the Unix epoch, or nothing.
inline std::optional<std::int64_t> parse_receipt_time_ms(std::string_view s) noexcept {
    std::size_t i = 0;
    const auto digits = [&](std::size_t n, int& out) {
        if (s.size() - i < n) return false;
        out = 0;
        for (std::size_t k = 0; k < n; ++k, ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    const auto literal = [&](char c) {
        if (i >= s.size() || s[i] != c) return false;
        ++i;
        return true;
    };
    int year, month, day, hour, minute, second;
    if (!digits(4, year) || !literal('-') || !digits(2, month) || !literal('-') || !digits(2, day)) return std::nullopt;
    if (!(literal('T') || literal('t') || literal(' '))) return std::nullopt;
    if (!digits(2, hour) || !literal(':') || !digits(2, minute) || !literal(':') || !digits(2, second))
        return std::nullopt;
    int millis = 0;
    if (literal('.')) {
        int scale = 100;
        std::size_t count = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            millis += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
            ++count;
        }
        if (count == 0 || count > 9) return std::nullopt;
    }
    int offset_minutes = 0;
    if (literal('Z') || literal('z')) {
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        const int sign = s[i] == '-' ? -1 : 1;
        ++i;
        int oh, om;
        if (!digits(2, oh)) return std::nullopt;
        (void)literal(':');
        if (!digits(2, om) || oh > 23 || om > 59) return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    static constexpr int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1] || (month == 2 && day == 29 && !leap))
        return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + millis;
}

/// Top-level receipt attribute types.
enum receipt_attribute : std::int64_t {
    attr_receipt_type = 0,
    attr_bundle_id = 2,
    attr_app_version = 3,
    attr_opaque_value = 4,
    attr_sha1_hash = 5,
    attr_creation_date = 12,
    attr_in_app = 17,
    attr_original_purchase_date = 18,
    attr_original_app_version = 19,
    attr_expiration_date = 21,
};

/// In-app purchase attribute types.
enum in_app_attribute : std::int64_t {
    in_app_quantity = 1701,
    in_app_product_id = 1702,
    in_app_transaction_id = 1703,
    in_app_purchase_date = 1704,
    in_app_original_transaction_id = 1705,
    in_app_original_purchase_date = 1706,
    in_app_expires_date = 1708,
    in_app_web_order_line_item_id = 1711,
    in_app_cancellation_date = 1712,
    in_app_trial_period = 1713,
    in_app_intro_offer_period = 1719,
    in_app_promotional_offer_id = 1721,
};

/// The parsed content. Views point into the content buffer passed to `parse_receipt_payload`.
struct receipt_payload {
    std::optional<std::string> receipt_type; ///< Attribute 0: "Production", "ProductionSandbox", "Xcode".
    std::string bundle_id;
    /// The raw value octets of attribute 2 (a DER UTF8String with its tag and length): the
    /// device hash covers these bytes, not the decoded text.
    asn1::bytes_view bundle_id_value;
    std::string app_version;
    std::string original_app_version;
    asn1::bytes_view opaque_value; ///< Attribute 4, raw.
    asn1::bytes_view sha1_hash;    ///< Attribute 5, raw.
    std::optional<std::int64_t> creation_time_ms;
    std::optional<std::int64_t> expiration_time_ms;
    std::optional<std::int64_t> original_purchase_time_ms;
    std::vector<purchase> purchases;
};

struct receipt_attribute_view {
    std::int64_t type = 0;
    asn1::bytes_view value; ///< The OCTET STRING's content.
};

// Calls `on_attribute(attribute)` for each element of a SET OF ReceiptAttribute; stops at the
// first error `on_attribute` returns.
template <class OnAttribute>
result<void> for_each_receipt_attribute(asn1::bytes_view set_der, const char* what, OnAttribute&& on_attribute) {
    auto set = asn1::read_single(set_der.data, set_der.size, what);
    if (!set) return std::move(set).error();
    if (set->tag != asn1::tag_set)
        return make_error(errc::malformed_input, std::string(what) + " is not a SET (tag " + asn1::hex_byte(set->tag) + ")");
    asn1::reader top(set_der.data, set_der.size);
    auto items = top.enter(*set);
    if (!items) return std::move(items).error();
    while (!items->empty()) {
        auto attr = items->next(asn1::tag_sequence, "a ReceiptAttribute SEQUENCE");
        if (!attr) return std::move(attr).error();
        auto fields = items->enter(*attr);
        if (!fields) return std::move(fields).error();
        auto type = fields->next(asn1::tag_integer, "the attribute type");
        if (!type) return std::move(type).error();
        auto version = fields->next(asn1::tag_integer, "the attribute version");
        if (!version) return std::move(version).error();
        auto value = fields->next(asn1::tag_octet_string, "the attribute value OCTET STRING");
        if (!value) return std::move(value).error();
        if (auto done = fields->finish("a ReceiptAttribute"); !done) return done;
        auto type_value = asn1::to_int64(*type);
        if (!type_value) return std::move(type_value).error();
        if (auto handled = on_attribute(receipt_attribute_view{*type_value, value->content}); !handled) return handled;
    }
    return {};
}

inline error_info attribute_error(std::int64_t type, const std::string& why) {
    return make_error(errc::malformed_input, "receipt attribute " + std::to_string(type) + ": " + why);
}

inline result<std::string> attribute_text(const receipt_attribute_view& a) {
    auto e = asn1::read_single(a.value.data, a.value.size, "the attribute value");
    if (!e) return attribute_error(a.type, e.error().detail);
    auto text = asn1::text_string(*e);
    if (!text) return attribute_error(a.type, text.error().detail);
    return text;
}

inline result<std::int64_t> attribute_integer(const receipt_attribute_view& a) {
    auto e = asn1::read_single(a.value.data, a.value.size, "the attribute value");
    if (!e) return attribute_error(a.type, e.error().detail);
    auto n = asn1::to_int64(*e);
    if (!n) return attribute_error(a.type, n.error().detail);
    return n;
}

// A date attribute: an RFC 3339 IA5String; the empty string means "not set".
inline result<std::optional<std::int64_t>> attribute_time(const receipt_attribute_view& a) {
    auto text = attribute_text(a);
    if (!text) return std::move(text).error();
    if (text->empty()) return std::optional<std::int64_t>{};
    const auto ms = parse_receipt_time_ms(*text);
    if (!ms) return attribute_error(a.type, "\"" + *text + "\" is not an RFC 3339 date");
    return std::optional<std::int64_t>{ms};
}

// Sets a singular field once; a second occurrence of the same known type is an error.
template <class T, class Value>
result<void> set_once(std::optional<T>& slot, std::int64_t type, Value&& value) {
    if (slot) return attribute_error(type, "appears twice");
    slot.emplace(std::forward<Value>(value));
    return {};
}

inline result<purchase> parse_in_app_purchase(asn1::bytes_view set_der) {
    std::optional<std::string> product_id, transaction_id, original_transaction_id;
    std::optional<std::int64_t> quantity, web_order, intro;
    std::optional<std::optional<std::int64_t>> purchase_time, original_time, expires, cancellation;
    auto walked = for_each_receipt_attribute(set_der, "an in-app purchase", [&](const receipt_attribute_view& a) -> result<void> {
        switch (a.type) {
        case in_app_product_id:
        case in_app_transaction_id:
        case in_app_original_transaction_id: {
            auto text = attribute_text(a);
            if (!text) return std::move(text).error();
            auto& slot = a.type == in_app_product_id       ? product_id
                         : a.type == in_app_transaction_id ? transaction_id
                                                           : original_transaction_id;
            return set_once(slot, a.type, std::move(*text));
        }
        case in_app_quantity:
        case in_app_web_order_line_item_id:
        case in_app_intro_offer_period: {
            auto n = attribute_integer(a);
            if (!n) return std::move(n).error();
            auto& slot = a.type == in_app_quantity ? quantity : a.type == in_app_web_order_line_item_id ? web_order : intro;
            return set_once(slot, a.type, *n);
        }
        case in_app_purchase_date:
        case in_app_original_purchase_date:
        case in_app_expires_date:
        case in_app_cancellation_date: {
            auto t = attribute_time(a);
            if (!t) return std::move(t).error();
            auto& slot = a.type == in_app_purchase_date            ? purchase_time
                         : a.type == in_app_original_purchase_date ? original_time
                         : a.type == in_app_expires_date           ? expires
                                                                   : cancellation;
            return set_once(slot, a.type, *t);
        }
        default: return {};
        }
    });
    if (!walked) return std::move(walked).error();
    if (!product_id || product_id->empty())
        return make_error(errc::malformed_input, "an in-app purchase has no product id (attribute 1702)");
    if (!transaction_id || transaction_id->empty())
        return make_error(errc::malformed_input, "in-app purchase of " + *product_id + " has no transaction id (1703)");
    if (!purchase_time || !*purchase_time)
        return make_error(errc::malformed_input, "in-app purchase " + *transaction_id + " has no purchase date (1704)");
    purchase p;
    p.store = store_kind::app_store;
    p.product_id = *product_id;
    p.product_ids.push_back(*product_id);
    p.transaction_id = std::move(*transaction_id);
    p.original_transaction_id = original_transaction_id.value_or(std::string());
    if (quantity) p.quantity = *quantity;
    p.purchase_time_ms = **purchase_time;
    if (original_time) p.original_purchase_time_ms = *original_time;
    if (expires) p.expires_time_ms = *expires;
    if (cancellation) p.cancellation_time_ms = *cancellation;
    if (web_order) p.web_order_line_item_id = *web_order;
    if (intro) p.in_intro_offer = *intro != 0;
    if (p.cancellation_time_ms) p.state = purchase_state::refunded;
    return p;
}

/// Parses the receipt content. Bundle id (2), app version (3), opaque value (4) and SHA-1 hash
/// (5) are required; everything else is optional.
inline result<receipt_payload> parse_receipt_payload(asn1::bytes_view content) {
    receipt_payload out;
    std::optional<std::string> type, bundle, version, original_version;
    std::optional<asn1::bytes_view> opaque, hash;
    std::optional<std::optional<std::int64_t>> created, expires, original_purchase;
    auto walked = for_each_receipt_attribute(content, "the receipt payload", [&](const receipt_attribute_view& a) -> result<void> {
        switch (a.type) {
        case attr_receipt_type:
        case attr_bundle_id:
        case attr_app_version:
        case attr_original_app_version: {
            auto text = attribute_text(a);
            if (!text) return std::move(text).error();
            if (a.type == attr_bundle_id) out.bundle_id_value = a.value;
            auto& slot = a.type == attr_receipt_type ? type
                         : a.type == attr_bundle_id  ? bundle
                         : a.type == attr_app_version ? version
                                                      : original_version;
            return set_once(slot, a.type, std::move(*text));
        }
        case attr_opaque_value: return set_once(opaque, a.type, a.value);
        case attr_sha1_hash: return set_once(hash, a.type, a.value);
        case attr_creation_date:
        case attr_expiration_date:
        case attr_original_purchase_date: {
            auto t = attribute_time(a);
            if (!t) return std::move(t).error();
            auto& slot = a.type == attr_creation_date ? created : a.type == attr_expiration_date ? expires : original_purchase;
            return set_once(slot, a.type, *t);
        }
        case attr_in_app: {
            auto p = parse_in_app_purchase(a.value);
            if (!p) return std::move(p).error();
            out.purchases.push_back(std::move(*p));
            return {};
        }
        default: return {};
        }
    });
    if (!walked) return std::move(walked).error();
    if (!bundle) return make_error(errc::malformed_input, "the receipt has no bundle id (attribute 2)");
    if (!version) return make_error(errc::malformed_input, "the receipt has no app version (attribute 3)");
    if (!opaque) return make_error(errc::malformed_input, "the receipt has no opaque value (attribute 4)");
    if (!hash) return make_error(errc::malformed_input, "the receipt has no SHA-1 hash (attribute 5)");
    out.receipt_type = std::move(type);
    out.bundle_id = std::move(*bundle);
    out.app_version = std::move(*version);
    out.original_app_version = original_version.value_or(std::string());
    out.opaque_value = *opaque;
    out.sha1_hash = *hash;
    if (created) out.creation_time_ms = *created;
    if (expires) out.expiration_time_ms = *expires;
    if (original_purchase) out.original_purchase_time_ms = *original_purchase;
    return out;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_APP_RECEIPT_PAYLOAD_HPP
