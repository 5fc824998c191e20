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
    // The fixed part, "YYYY-MM-DDTHH:MM:SS", is read at fixed positions, without a branch per
    // digit (receipts hold thousands of dates); the shortest complete date adds a one-character
    // zone.
    if (s.size() < 20) return std::nullopt;
    unsigned not_digits = 0;
    const auto two_digits = [&s, &not_digits](std::size_t i) noexcept {
        const unsigned high = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - unsigned{'0'};
        const unsigned low = static_cast<unsigned>(static_cast<unsigned char>(s[i + 1])) - unsigned{'0'};
        not_digits |= static_cast<unsigned>(high > 9) | static_cast<unsigned>(low > 9);
        return high * 10 + low;
    };
    const unsigned year = two_digits(0) * 100 + two_digits(2), month = two_digits(5), day = two_digits(8);
    const unsigned hour = two_digits(11), minute = two_digits(14), second = two_digits(17);
    if (not_digits != 0 || s[4] != '-' || s[7] != '-' || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
        s[13] != ':' || s[16] != ':')
        return std::nullopt;
    std::size_t i = 19;
    int millis = 0;
    if (s[i] == '.') {
        ++i;
        const std::size_t first = i;
        int scale = 100;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            millis += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == first || i - first > 9) return std::nullopt;
    }
    if (i == s.size()) return std::nullopt;
    int offset_minutes = 0;
    const char zone = s[i++];
    if (zone == '+' || zone == '-') {
        // HH, an optional colon, MM, and nothing after.
        const bool colon = s.size() - i == 5 && s[i + 2] == ':';
        if (s.size() - i != (colon ? 5u : 4u)) return std::nullopt;
        const unsigned oh = two_digits(i), om = two_digits(i + (colon ? 3 : 2));
        if (not_digits != 0 || oh > 23 || om > 59) return std::nullopt;
        offset_minutes = (zone == '-' ? -1 : 1) * static_cast<int>(oh * 60 + om);
    } else if ((zone != 'Z' && zone != 'z') || i != s.size()) {
        return std::nullopt;
    }
    static constexpr unsigned month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1]) return std::nullopt;
    if (month == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return std::nullopt;
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    const std::int64_t days = days_from_civil(year, month, day);
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

// Reads a SET OF ReceiptAttribute one attribute at a time. A receipt holds thousands of
// attributes, so nothing here allocates or builds a message until something fails.
class receipt_attribute_reader {
public:
    receipt_attribute_reader(asn1::bytes_view set_der, const char* what) {
        asn1::reader top(set_der.data, set_der.size);
        asn1::element set;
        if (!top.read(set) || !top.at_end(what)) {
            fail(top.error());
        } else if (set.tag != asn1::tag_set) {
            fail(make_error(errc::malformed_input,
                            std::string(what) + " is not a SET (tag " + asn1::hex_byte(set.tag) + ")"));
        } else if (!top.descend(set, items_)) {
            fail(top.error());
        }
    }

    /// The next attribute into `out`; false at the end of the SET or on failure (`failed()`).
    IAP_EMBEDDED_ASN1_HOT bool next(receipt_attribute_view& out) {
        if (failed_ || items_.empty()) return false;
        // Definite lengths throughout, the common case, are read with bare cursors; anything
        // else is read again by read_with_reader, which accepts what these accept, with the same
        // result, and words the errors.
        asn1::span_cursor rest = items_.unread();
        asn1::bytes_view attribute, type, version, value;
        if (rest.take(asn1::tag_sequence, attribute)) {
            asn1::span_cursor fields{attribute.data, attribute.data + attribute.size};
            if (fields.take(asn1::tag_integer, type) && fields.take(asn1::tag_integer, version) &&
                fields.take(asn1::tag_octet_string, value) && fields.empty() &&
                asn1::read_int64(type, out.type) == asn1::integer_error::none) {
                out.value = value;
                items_.consume(rest);
                return true;
            }
        }
        return read_with_reader(out);
    }

    bool failed() const noexcept { return failed_; }
    error_info take_error() { return std::move(error_); }

private:
    IAP_EMBEDDED_ASN1_COLD bool read_with_reader(receipt_attribute_view& out) {
        asn1::element attribute, type, version, value;
        asn1::reader fields;
        if (!items_.read(asn1::tag_sequence, "a ReceiptAttribute SEQUENCE", attribute) ||
            !items_.descend(attribute, fields))
            return fail(items_.error());
        if (!fields.read(asn1::tag_integer, "the attribute type", type) ||
            !fields.read(asn1::tag_integer, "the attribute version", version) ||
            !fields.read(asn1::tag_octet_string, "the attribute value OCTET STRING", value) ||
            !fields.at_end("a ReceiptAttribute"))
            return fail(fields.error());
        if (const auto bad = asn1::read_int64(type, out.type); bad != asn1::integer_error::none)
            return fail(asn1::integer_failure(bad, type));
        out.value = value.content;
        return true;
    }

    bool fail(error_info e) {
        error_ = std::move(e);
        failed_ = true;
        return false;
    }

    asn1::reader items_;
    bool failed_ = false;
    error_info error_;
};

inline error_info attribute_error(std::int64_t type, const std::string& why) {
    return make_error(errc::malformed_input, "receipt attribute " + std::to_string(type) + ": " + why);
}

// The single element an attribute's value holds, read again by a reader that words the error.
IAP_EMBEDDED_ASN1_COLD inline bool attribute_element_with_reader(const receipt_attribute_view& a, asn1::element& out,
                                                                 error_info& error) {
    asn1::reader r(a.value.data, a.value.size);
    if (r.read(out) && r.at_end("the attribute value")) return true;
    error = attribute_error(a.type, r.error().detail);
    return false;
}

// The single element an attribute's value holds. The readers of attribute values return false
// with `error` set, rather than a result, to stay cheap per attribute.
IAP_EMBEDDED_ASN1_HOT bool attribute_element(const receipt_attribute_view& a, asn1::element& out, error_info& error) {
    const unsigned char* const end = a.value.data + a.value.size;
    asn1::header h;
    if (asn1::decode_header(a.value.data, end, h) != asn1::header_error::none || h.indefinite ||
        h.content + h.length != end)
        return attribute_element_with_reader(a, out, error);
    out.tag = h.tag;
    out.indefinite = false;
    out.content = {h.content, h.length};
    out.whole = a.value;
    return true;
}

// A UTF8String or IA5String value, viewed in place.
inline bool attribute_text(const receipt_attribute_view& a, std::string_view& out, error_info& error) {
    asn1::element e;
    if (!attribute_element(a, e, error)) return false;
    if (const auto bad = asn1::check_text(e); bad != asn1::text_error::none) {
        error = attribute_error(a.type, asn1::text_failure(bad, e).detail);
        return false;
    }
    out = e.content.as_chars();
    return true;
}

inline bool attribute_integer(const receipt_attribute_view& a, std::int64_t& out, error_info& error) {
    asn1::element e;
    if (!attribute_element(a, e, error)) return false;
    if (const auto bad = asn1::read_int64(e, out); bad != asn1::integer_error::none) {
        error = attribute_error(a.type, asn1::integer_failure(bad, e).detail);
        return false;
    }
    return true;
}

// A date attribute: an RFC 3339 IA5String; the empty string means "not set".
inline bool attribute_time(const receipt_attribute_view& a, std::optional<std::int64_t>& out, error_info& error) {
    std::string_view text;
    if (!attribute_text(a, text, error)) return false;
    if (text.empty()) {
        out.reset();
        return true;
    }
    out = parse_receipt_time_ms(text);
    if (out) return true;
    error = attribute_error(a.type, "\"" + std::string(text) + "\" is not an RFC 3339 date");
    return false;
}

// Known attribute types seen so far, one bit each: a known type appearing twice is an error.
class seen_types {
public:
    explicit seen_types(std::int64_t first_type) noexcept : first_(first_type) {}

    bool contains(std::int64_t type) const noexcept { return (bits_ & bit(type)) != 0; }

    // Records `type`; false with `error` set when it was already there.
    IAP_EMBEDDED_ASN1_HOT bool first_time(std::int64_t type, error_info& error) {
        if (contains(type)) return twice(type, error);
        bits_ |= bit(type);
        return true;
    }

private:
    IAP_EMBEDDED_ASN1_COLD static bool twice(std::int64_t type, error_info& error) {
        error = attribute_error(type, "appears twice");
        return false;
    }

    std::uint32_t bit(std::int64_t type) const noexcept { return std::uint32_t{1} << (type - first_); }

    std::int64_t first_;
    std::uint32_t bits_ = 0;
};

// Fills `p` from an in-app purchase's SET; false with `error` set when it is malformed.
inline bool read_in_app_purchase(asn1::bytes_view set_der, purchase& p, error_info& error) {
    receipt_attribute_reader attributes(set_der, "an in-app purchase");
    seen_types seen(in_app_quantity);
    std::optional<std::int64_t> purchase_time;
    receipt_attribute_view a;
    while (attributes.next(a)) {
        switch (a.type) {
        case in_app_product_id:
        case in_app_transaction_id:
        case in_app_original_transaction_id: {
            std::string_view text;
            if (!attribute_text(a, text, error) || !seen.first_time(a.type, error)) return false;
            std::string& slot = a.type == in_app_product_id       ? p.product_id
                                : a.type == in_app_transaction_id ? p.transaction_id
                                                                  : p.original_transaction_id;
            slot = std::string(text);
            break;
        }
        case in_app_quantity:
        case in_app_web_order_line_item_id:
        case in_app_intro_offer_period: {
            std::int64_t n = 0;
            if (!attribute_integer(a, n, error) || !seen.first_time(a.type, error)) return false;
            if (a.type == in_app_quantity) p.quantity = n;
            else if (a.type == in_app_web_order_line_item_id) p.web_order_line_item_id = n;
            else p.in_intro_offer = n != 0;
            break;
        }
        case in_app_purchase_date:
        case in_app_original_purchase_date:
        case in_app_expires_date:
        case in_app_cancellation_date: {
            std::optional<std::int64_t> t;
            if (!attribute_time(a, t, error) || !seen.first_time(a.type, error)) return false;
            auto& slot = a.type == in_app_purchase_date            ? purchase_time
                         : a.type == in_app_original_purchase_date ? p.original_purchase_time_ms
                         : a.type == in_app_expires_date           ? p.expires_time_ms
                                                                   : p.cancellation_time_ms;
            slot = t;
            break;
        }
        default: break;
        }
    }
    if (attributes.failed()) {
        error = attributes.take_error();
        return false;
    }
    if (p.product_id.empty()) {
        error = make_error(errc::malformed_input, "an in-app purchase has no product id (attribute 1702)");
        return false;
    }
    if (p.transaction_id.empty()) {
        error = make_error(errc::malformed_input, "in-app purchase of " + p.product_id + " has no transaction id (1703)");
        return false;
    }
    if (!purchase_time) {
        error = make_error(errc::malformed_input, "in-app purchase " + p.transaction_id + " has no purchase date (1704)");
        return false;
    }
    p.store = store_kind::app_store;
    p.product_ids.push_back(p.product_id);
    p.purchase_time_ms = *purchase_time;
    if (p.cancellation_time_ms) p.state = purchase_state::refunded;
    return true;
}

// How many purchases a payload may hold, to reserve them at once. Malformed input only stops
// the count (the parse reports it), and the count is bounded by the size of the smallest
// purchase that can parse (a product id, a transaction id and a date: more than 64 bytes), so a
// forged count cannot reserve more than a real parse of that many bytes would fill.
inline std::size_t in_app_purchase_capacity(asn1::bytes_view content) {
    receipt_attribute_reader attributes(content, "the receipt payload");
    std::size_t count = 0;
    receipt_attribute_view a;
    while (attributes.next(a)) count += a.type == attr_in_app ? 1 : 0;
    return count < content.size / 64 ? count : content.size / 64;
}

/// Parses the receipt content. Bundle id (2), app version (3), opaque value (4) and SHA-1 hash
/// (5) are required; everything else is optional.
inline result<receipt_payload> parse_receipt_payload(asn1::bytes_view content) {
    receipt_payload out;
    out.purchases.reserve(in_app_purchase_capacity(content));
    seen_types seen(attr_receipt_type);
    error_info error;
    receipt_attribute_reader attributes(content, "the receipt payload");
    receipt_attribute_view a;
    while (attributes.next(a)) {
        switch (a.type) {
        case attr_receipt_type:
        case attr_bundle_id:
        case attr_app_version:
        case attr_original_app_version: {
            std::string_view text;
            if (!attribute_text(a, text, error)) return error;
            if (a.type == attr_bundle_id) out.bundle_id_value = a.value;
            if (!seen.first_time(a.type, error)) return error;
            std::string& slot = a.type == attr_receipt_type ? out.receipt_type.emplace()
                                : a.type == attr_bundle_id  ? out.bundle_id
                                : a.type == attr_app_version ? out.app_version
                                                             : out.original_app_version;
            slot = std::string(text);
            break;
        }
        case attr_opaque_value:
        case attr_sha1_hash:
            if (!seen.first_time(a.type, error)) return error;
            (a.type == attr_opaque_value ? out.opaque_value : out.sha1_hash) = a.value;
            break;
        case attr_creation_date:
        case attr_expiration_date:
        case attr_original_purchase_date: {
            std::optional<std::int64_t> t;
            if (!attribute_time(a, t, error) || !seen.first_time(a.type, error)) return error;
            auto& slot = a.type == attr_creation_date     ? out.creation_time_ms
                         : a.type == attr_expiration_date ? out.expiration_time_ms
                                                          : out.original_purchase_time_ms;
            slot = t;
            break;
        }
        case attr_in_app:
            if (!read_in_app_purchase(a.value, out.purchases.emplace_back(), error)) return error;
            break;
        default: break;
        }
    }
    if (attributes.failed()) return attributes.take_error();
    const auto missing = [&](std::int64_t type) { return !seen.contains(type); };
    if (missing(attr_bundle_id)) return make_error(errc::malformed_input, "the receipt has no bundle id (attribute 2)");
    if (missing(attr_app_version))
        return make_error(errc::malformed_input, "the receipt has no app version (attribute 3)");
    if (missing(attr_opaque_value))
        return make_error(errc::malformed_input, "the receipt has no opaque value (attribute 4)");
    if (missing(attr_sha1_hash)) return make_error(errc::malformed_input, "the receipt has no SHA-1 hash (attribute 5)");
    return out;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_APP_RECEIPT_PAYLOAD_HPP
