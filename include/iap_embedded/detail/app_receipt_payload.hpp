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
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// Parses an RFC 3339 date-time as Apple and Xcode write it into receipts and as iapctl takes it
/// on the command line: `YYYY-MM-DDTHH:MM:SS`, optional fraction (milliseconds kept), then `Z`,
/// `+HH:MM` or `+HHMM` (Xcode). Returns milliseconds since the Unix epoch, or nothing.
inline std::optional<std::int64_t> parse_receipt_time_ms(std::string_view s) noexcept {
    // The fixed part, "YYYY-MM-DDTHH:MM:SS", is checked and read a word at a time (receipts hold
    // thousands of dates); the shortest complete date adds a one-character zone.
    if (s.size() < 20) return std::nullopt;
    const auto load = [&s](std::size_t at) noexcept { return asn1::load_le64(s.data() + at); };
    // Each word is XOR-ed with its template ("0000-00-", "00T00:00", "....:00."): a digit becomes
    // 0..9 and a separator 0. Adding 6 to a digit's byte leaves its high nibble 0 only for 0..9
    // (a carry out of a byte only comes from a byte that already failed), so one mask test per
    // word checks every digit and separator; the 'T' is tested on its own.
    const auto bad = [](std::uint64_t x, std::uint64_t add, std::uint64_t mask) noexcept {
        return (x | (x + add)) & mask; // nonzero where a byte is wrong
    };
    const std::uint64_t x0 = load(0) ^ 0x2D30302D30303030u;  // YYYY-MM-
    const std::uint64_t x8 = load(8) ^ 0x30303A3030003030u;  // DDTHH:MM
    const std::uint64_t x12 = load(12) ^ 0x0030303A00000000u; // HH:MM:SS
    const char t = s[10];
    if ((bad(x0, 0x0006060006060606u, 0xFFF0F0FFF0F0F0F0u) | bad(x8, 0x0606000606000606u, 0xF0F0FFF0F000F0F0u) |
         bad(x12, 0x0006060000000000u, 0x00F0F0FF00000000u)) != 0 ||
        !(t == 'T' || t == 't' || t == ' '))
        return std::nullopt;
    // Byte k of pairs(x) is 10 * digit k + digit k + 1 (at most 165: no carry between bytes).
    const auto pairs = [](std::uint64_t x) noexcept {
        const std::uint64_t d = x & 0x0F0F0F0F0F0F0F0Fu;
        return d * 10 + (d >> 8);
    };
    const auto byte = [](std::uint64_t word, unsigned k) noexcept { return static_cast<unsigned>(word >> (8 * k)) & 0xFFu; };
    const std::uint64_t p0 = pairs(x0), p8 = pairs(x8), p12 = pairs(x12);
    const unsigned year = byte(p0, 0) * 100 + byte(p0, 2), month = byte(p0, 5), day = byte(p8, 0);
    const unsigned hour = byte(p8, 3), minute = byte(p8, 6), second = byte(p12, 5);
    unsigned not_digits = 0;
    const auto two_digits = [&s, &not_digits](std::size_t i) noexcept {
        const unsigned high = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - unsigned{'0'};
        const unsigned low = static_cast<unsigned>(static_cast<unsigned char>(s[i + 1])) - unsigned{'0'};
        not_digits |= static_cast<unsigned>(high > 9) | static_cast<unsigned>(low > 9);
        return high * 10 + low;
    };
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
    // days_from_civil for a year of four digits, counted from one era (400 years) earlier so
    // that everything stays unsigned.
    const unsigned y = year + 400 - (month <= 2 ? 1 : 0);
    const unsigned era = y / 400, yoe = y - era * 400;
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468 - 146097;
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

// The ReceiptAttribute at `at`, before `end`, into `out`, when it has the form of nearly every
// attribute: DER with short or two-byte lengths, a type of at most 8 octets. Returns the byte
// after it, or null for anything else, which receipt_attribute_reader reads again with an
// asn1::reader; what this accepts, that reader accepts with the same result.
IAP_EMBEDDED_ASN1_HOT const unsigned char* take_receipt_attribute(const unsigned char* at, const unsigned char* end,
                                                                  receipt_attribute_view& out) noexcept {
    // The in-app purchase form, 30 L 02 02 T T 02 01 V 04 N value, tested a word at a time.
    if (end - at >= 11) {
        const std::uint64_t head = asn1::load_le64(at);
        const unsigned length = at[1], value_length = at[10];
        const int type = static_cast<std::int16_t>((at[4] << 8) | at[5]);
        if ((head & 0xFFFF0000FFFF00FFu) == 0x0102000002020030u && at[9] == asn1::tag_octet_string &&
            length < 0x80 && length == 9 + value_length && length <= static_cast<std::size_t>(end - at) - 2 &&
            static_cast<unsigned>(type + 128) > 255u) {
            out.type = type; // two octets, minimal: not in -128..127
            out.value = {at + 11, value_length};
            return at + 2 + length;
        }
    }
    asn1::bytes_view fields, type, value;
    if (end - at < 2 || at[0] != asn1::tag_sequence || !asn1::short_definite_content(at, end, fields)) return nullptr;
    const unsigned char* p = fields.data;
    const unsigned char* const fields_end = p + fields.size;
    // type INTEGER, 1 to 8 octets
    if (fields_end - p < 2 || p[0] != asn1::tag_integer || p[1] - 1u > 7u ||
        p[1] > static_cast<std::size_t>(fields_end - p) - 2)
        return nullptr;
    type = {p + 2, p[1]};
    p += 2 + p[1];
    // version INTEGER, not interpreted
    if (fields_end - p < 2 || p[0] != asn1::tag_integer || p[1] >= 0x80 ||
        p[1] > static_cast<std::size_t>(fields_end - p) - 2)
        return nullptr;
    p += 2 + p[1];
    // value OCTET STRING, the last field
    if (fields_end - p < 2 || p[0] != asn1::tag_octet_string || !asn1::short_definite_content(p, fields_end, value) ||
        value.data + value.size != fields_end)
        return nullptr;
    // Receipt types are one octet; read_int64 takes the rest.
    if (type.size == 1) {
        out.type = static_cast<signed char>(type.data[0]);
    } else if (asn1::read_int64(type, out.type) != asn1::integer_error::none) {
        return nullptr;
    }
    out.value = value;
    return fields_end;
}

// Reads a SET OF ReceiptAttribute one attribute at a time. A receipt holds thousands of
// attributes, so nothing here allocates or builds a message until something fails: the common
// form is read with bare pointers, and an asn1::reader, set up only when needed, reads anything
// else (BER, long forms, errors) and words the failure.
class receipt_attribute_reader {
public:
    receipt_attribute_reader(asn1::bytes_view set_der, const char* what) : set_der_(set_der), what_(what) {
        asn1::bytes_view items;
        if (set_der.size >= 2 && set_der.data[0] == asn1::tag_set &&
            asn1::short_definite_content(set_der.data, set_der.data + set_der.size, items) &&
            items.data + items.size == set_der.data + set_der.size) {
            pos_ = items.data;
            end_ = items.data + items.size;
        } else {
            open_with_reader();
        }
    }

    /// The next attribute into `out`; false at the end of the SET or on failure (`failed()`).
    IAP_EMBEDDED_ASN1_HOT bool next(receipt_attribute_view& out) {
        if (pos_ == end_) return false;
        if (const unsigned char* after = take_receipt_attribute(pos_, end_, out)) {
            pos_ = after;
            return true;
        }
        return read_with_reader(out);
    }

    bool failed() const noexcept { return failed_; }
    error_info take_error() { return std::move(error_); }

private:
    // The SET as the strict reader reads it, with the reader's words on failure; the unread
    // items from pos_ to end_ afterwards.
    IAP_EMBEDDED_ASN1_COLD void open_with_reader() {
        asn1::reader top(set_der_.data, set_der_.size);
        asn1::element set;
        if (!top.read(set) || !top.at_end(what_)) {
            fail(top.error());
        } else if (set.tag != asn1::tag_set) {
            fail(make_error(errc::malformed_input,
                            std::string(what_) + " is not a SET (tag " + asn1::hex_byte(set.tag) + ")"));
        } else if (!top.descend(set, items_)) {
            fail(top.error());
        } else {
            items_open_ = true;
            const asn1::span_cursor items = items_.unread();
            pos_ = items.pos;
            end_ = items.end;
        }
    }

    IAP_EMBEDDED_ASN1_COLD bool read_with_reader(receipt_attribute_view& out) {
        if (!items_open_) {
            // The constructor took the SET's common form, which the reader accepts alike.
            asn1::reader top(set_der_.data, set_der_.size);
            asn1::element set;
            if (!top.read(set) || !top.descend(set, items_)) return fail(top.error());
            items_open_ = true;
        }
        items_.consume({pos_, end_});
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
        pos_ = items_.unread().pos;
        return true;
    }

    bool fail(error_info e) {
        error_ = std::move(e);
        failed_ = true;
        pos_ = end_;
        return false;
    }

    const unsigned char* pos_ = nullptr;
    const unsigned char* end_ = nullptr;
    asn1::bytes_view set_der_;
    const char* what_;
    bool items_open_ = false;
    bool failed_ = false;
    asn1::reader items_;
    error_info error_;
};

inline error_info attribute_error(std::int64_t type, const std::string& why) {
    return make_error(errc::malformed_input, "receipt attribute " + std::to_string(type) + ": " + why);
}

// The single element an attribute's value holds, read by a reader that words the error.
inline bool attribute_element(const receipt_attribute_view& a, asn1::element& out, error_info& error) {
    asn1::reader r(a.value.data, a.value.size);
    if (r.read(out) && r.at_end("the attribute value")) return true;
    error = attribute_error(a.type, r.error().detail);
    return false;
}

// The content of an attribute value that is one short-form element `tag` and nothing else.
IAP_EMBEDDED_ASN1_HOT bool short_value(const receipt_attribute_view& a, unsigned char tag, asn1::bytes_view& content) noexcept {
    const unsigned char* const v = a.value.data;
    if (a.value.size < 2 || v[0] != tag || v[1] >= 0x80 || v[1] != a.value.size - 2) return false;
    content = {v + 2, v[1]};
    return true;
}

// A UTF8String or IA5String value, viewed in place, read in any form the reader accepts.
IAP_EMBEDDED_ASN1_COLD inline bool attribute_text_with_reader(const receipt_attribute_view& a, std::string_view& out,
                                                              error_info& error) {
    asn1::element e;
    if (!attribute_element(a, e, error)) return false;
    if (const auto bad = asn1::check_text(e); bad != asn1::text_error::none) {
        error = attribute_error(a.type, asn1::text_failure(bad, e).detail);
        return false;
    }
    out = e.content.as_chars();
    return true;
}

// A UTF8String or IA5String value, viewed in place. The readers of attribute values return
// false with `error` set, rather than a result, to stay cheap per attribute.
IAP_EMBEDDED_ASN1_HOT bool attribute_text(const receipt_attribute_view& a, std::string_view& out, error_info& error) {
    const unsigned char* const v = a.value.data;
    if (a.value.size >= 2 && v[1] < 0x80 && v[1] == a.value.size - 2) {
        const asn1::bytes_view c{v + 2, v[1]};
        if (v[0] == asn1::tag_ia5_string ? asn1::is_ascii(c) : v[0] == asn1::tag_utf8_string && asn1::is_utf8(c)) {
            out = c.as_chars();
            return true;
        }
    }
    return attribute_text_with_reader(a, out, error);
}

IAP_EMBEDDED_ASN1_COLD inline bool attribute_integer_with_reader(const receipt_attribute_view& a, std::int64_t& out,
                                                                 error_info& error) {
    asn1::element e;
    if (!attribute_element(a, e, error)) return false;
    if (const auto bad = asn1::read_int64(e, out); bad != asn1::integer_error::none) {
        error = attribute_error(a.type, asn1::integer_failure(bad, e).detail);
        return false;
    }
    return true;
}

IAP_EMBEDDED_ASN1_HOT bool attribute_integer(const receipt_attribute_view& a, std::int64_t& out, error_info& error) {
    asn1::bytes_view c;
    if (short_value(a, asn1::tag_integer, c) && asn1::read_int64(c, out) == asn1::integer_error::none) return true;
    return attribute_integer_with_reader(a, out, error);
}

IAP_EMBEDDED_ASN1_COLD inline bool not_a_date(const receipt_attribute_view& a, std::string_view text, error_info& error) {
    error = attribute_error(a.type, "\"" + std::string(text) + "\" is not an RFC 3339 date");
    return false;
}

// A date attribute: an RFC 3339 IA5String; the empty string means "not set" (`present` false).
IAP_EMBEDDED_ASN1_HOT bool attribute_time(const receipt_attribute_view& a, std::int64_t& ms, bool& present,
                                          error_info& error) {
    std::string_view text;
    if (!attribute_text(a, text, error)) return false;
    present = !text.empty();
    if (!present) return true;
    const std::optional<std::int64_t> t = parse_receipt_time_ms(text);
    if (!t) return not_a_date(a, text, error);
    ms = *t;
    return true;
}

IAP_EMBEDDED_ASN1_HOT bool attribute_time(const receipt_attribute_view& a, std::optional<std::int64_t>& out,
                                          error_info& error) {
    std::int64_t ms = 0;
    bool present = false;
    if (!attribute_time(a, ms, present, error)) return false;
    if (present) out = ms;
    else out.reset();
    return true;
}

// Known attribute types seen so far, one bit each: a known type appearing twice is an error.
class seen_types {
public:
    explicit seen_types(std::int64_t first_type) noexcept : first_(first_type) {}

    bool contains(std::int64_t type) const noexcept { return (bits_ & bit(type)) != 0; }

    // Records `type`; false with `error` set when it was already there.
    IAP_EMBEDDED_ASN1_HOT bool first_time(std::int64_t type, error_info& error) {
        const std::uint32_t b = bit(type);
        if ((bits_ & b) != 0) return twice(type, error);
        bits_ |= b;
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

// A text attribute into `slot` (a std::string or a small_string), assigned once; the value is
// checked before the repetition, as the error messages expect.
template <class Text>
IAP_EMBEDDED_ASN1_HOT bool text_attribute(const receipt_attribute_view& a, seen_types& seen, Text& slot,
                                          error_info& error) {
    std::string_view text;
    if (!attribute_text(a, text, error) || !seen.first_time(a.type, error)) return false;
    if constexpr (std::is_same_v<Text, std::string>) {
        // The slot is empty: constructing at the exact size and moving in is cheaper than
        // assign(), which goes through the general replace of libstdc++.
        slot = std::string(text.data(), text.size());
    } else {
        slot.assign(text);
    }
    return true;
}

IAP_EMBEDDED_ASN1_HOT bool time_attribute(const receipt_attribute_view& a, seen_types& seen,
                                          std::optional<std::int64_t>& slot, error_info& error) {
    return attribute_time(a, slot, error) && seen.first_time(a.type, error);
}

IAP_EMBEDDED_ASN1_HOT bool integer_attribute(const receipt_attribute_view& a, seen_types& seen, std::int64_t& value,
                                             error_info& error) {
    return attribute_integer(a, value, error) && seen.first_time(a.type, error);
}

IAP_EMBEDDED_ASN1_COLD inline bool in_app_purchase_incomplete(const purchase& p, bool has_purchase_time,
                                                              error_info& error) {
    if (p.product_id.empty())
        error = make_error(errc::malformed_input, "an in-app purchase has no product id (attribute 1702)");
    else if (p.transaction_id.empty())
        error = make_error(errc::malformed_input, "in-app purchase of " + p.product_id + " has no transaction id (1703)");
    else if (!has_purchase_time)
        error = make_error(errc::malformed_input, "in-app purchase " + p.transaction_id + " has no purchase date (1704)");
    return false;
}

// Fills `p` from an in-app purchase's SET; false with `error` set when it is malformed.
inline bool read_in_app_purchase(asn1::bytes_view set_der, purchase& p, error_info& error) {
    receipt_attribute_reader attributes(set_der, "an in-app purchase");
    seen_types seen(in_app_quantity);
    std::int64_t purchase_time_ms = 0;
    bool has_purchase_time = false;
    receipt_attribute_view a;
    while (attributes.next(a)) {
        bool ok = true;
        switch (a.type) {
        case in_app_product_id: ok = text_attribute(a, seen, p.product_id, error); break;
        case in_app_transaction_id: ok = text_attribute(a, seen, p.transaction_id, error); break;
        case in_app_original_transaction_id: ok = text_attribute(a, seen, p.original_transaction_id, error); break;
        case in_app_quantity: ok = integer_attribute(a, seen, p.quantity, error); break;
        case in_app_web_order_line_item_id: {
            std::int64_t n = 0;
            ok = integer_attribute(a, seen, n, error);
            if (ok) p.web_order_line_item_id = n;
            break;
        }
        case in_app_intro_offer_period: {
            std::int64_t n = 0;
            ok = integer_attribute(a, seen, n, error);
            if (ok) p.in_intro_offer = n != 0;
            break;
        }
        case in_app_purchase_date:
            ok = attribute_time(a, purchase_time_ms, has_purchase_time, error) && seen.first_time(a.type, error);
            break;
        case in_app_original_purchase_date: ok = time_attribute(a, seen, p.original_purchase_time_ms, error); break;
        case in_app_expires_date: ok = time_attribute(a, seen, p.expires_time_ms, error); break;
        case in_app_cancellation_date: ok = time_attribute(a, seen, p.cancellation_time_ms, error); break;
        default: break;
        }
        if (!ok) return false;
    }
    if (attributes.failed()) {
        error = attributes.take_error();
        return false;
    }
    if (p.product_id.empty() || p.transaction_id.empty() || !has_purchase_time)
        return in_app_purchase_incomplete(p, has_purchase_time, error);
    p.store = store_kind::app_store;
    p.purchase_time_ms = purchase_time_ms;
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
        bool ok = true;
        switch (a.type) {
        case attr_receipt_type: ok = text_attribute(a, seen, out.receipt_type.emplace(), error); break;
        case attr_bundle_id: {
            std::string_view text;
            if (!attribute_text(a, text, error)) return error;
            out.bundle_id_value = a.value;
            if (!seen.first_time(a.type, error)) return error;
            out.bundle_id = std::string(text.data(), text.size());
            break;
        }
        case attr_app_version: ok = text_attribute(a, seen, out.app_version, error); break;
        case attr_original_app_version: ok = text_attribute(a, seen, out.original_app_version, error); break;
        case attr_opaque_value:
        case attr_sha1_hash:
            ok = seen.first_time(a.type, error);
            (a.type == attr_opaque_value ? out.opaque_value : out.sha1_hash) = a.value;
            break;
        case attr_creation_date: ok = time_attribute(a, seen, out.creation_time_ms, error); break;
        case attr_expiration_date: ok = time_attribute(a, seen, out.expiration_time_ms, error); break;
        case attr_original_purchase_date: ok = time_attribute(a, seen, out.original_purchase_time_ms, error); break;
        case attr_in_app: ok = read_in_app_purchase(a.value, out.purchases.emplace_back(), error); break;
        default: break;
        }
        if (!ok) return error;
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
