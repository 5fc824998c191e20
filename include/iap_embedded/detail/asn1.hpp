// SPDX-License-Identifier: MIT
//
// A small strict ASN.1 reader for App Store receipts. It accepts DER, plus the two BER features
// Apple's receipts use (Xcode writes them): indefinite lengths closed by end-of-contents, and
// constructed OCTET STRINGs. It rejects everything else that is not DER-like: high tag numbers,
// non-minimal long-form lengths, lengths over 4 bytes or past the end of the input, indefinite
// lengths on primitive elements, non-minimal INTEGERs and OID arcs. Nesting is counted
// explicitly and bounded by IAP_EMBEDDED_MAX_ASN1_DEPTH; nothing here recurses.
//
// Every failure is `malformed_input` with the offset of the offending byte; callers that parse a
// whole receipt re-label it (`not_a_receipt`).
#ifndef IAP_EMBEDDED_DETAIL_ASN1_HPP
#define IAP_EMBEDDED_DETAIL_ASN1_HPP

#include "iap_embedded/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

// The common path of the element reader is inlined into the loops that walk thousands of
// elements; its rare paths stay out of line so that it remains small. Used here and by
// app_receipt_payload.hpp; app_store.hpp undefines both after the receipt implementation, so that
// they do not reach the program.
#if defined(__GNUC__) || defined(__clang__)
#define IAP_EMBEDDED_ASN1_HOT __attribute__((always_inline)) inline
#define IAP_EMBEDDED_ASN1_COLD __attribute__((noinline, cold))
#elif defined(_MSC_VER)
#define IAP_EMBEDDED_ASN1_HOT __forceinline
#define IAP_EMBEDDED_ASN1_COLD __declspec(noinline)
#else
#define IAP_EMBEDDED_ASN1_HOT inline
#define IAP_EMBEDDED_ASN1_COLD
#endif

namespace iap_embedded {
inline namespace v1 {
namespace detail {
namespace asn1 {

constexpr unsigned char tag_boolean = 0x01;
constexpr unsigned char tag_integer = 0x02;
constexpr unsigned char tag_octet_string = 0x04;
constexpr unsigned char tag_null = 0x05;
constexpr unsigned char tag_oid = 0x06;
constexpr unsigned char tag_utf8_string = 0x0C;
constexpr unsigned char tag_ia5_string = 0x16;
constexpr unsigned char tag_sequence = 0x30;
constexpr unsigned char tag_set = 0x31;
constexpr unsigned char constructed_bit = 0x20;

/// The identifier octet of context-specific tag `[n]` (n < 31).
constexpr unsigned char context_tag(unsigned n, bool constructed) noexcept {
    return static_cast<unsigned char>(0x80 | (constructed ? constructed_bit : 0) | (n & 0x1F));
}

/// A view of bytes inside the caller's buffer.
struct bytes_view {
    const unsigned char* data = nullptr;
    std::size_t size = 0;

    bool empty() const noexcept { return size == 0; }
    bool operator==(const bytes_view& other) const noexcept {
        return size == other.size && (size == 0 || std::memcmp(data, other.data, size) == 0);
    }
    bool operator!=(const bytes_view& other) const noexcept { return !(*this == other); }
    std::string_view as_chars() const noexcept { return {reinterpret_cast<const char*>(data), size}; }
};

/// One element: its identifier octet, its content, and the exact bytes it occupies.
struct element {
    unsigned char tag = 0;
    /// The whole element: identifier, length, content and (indefinite form) end-of-contents.
    bytes_view whole;
    /// The content octets, without an end-of-contents marker.
    bytes_view content;
    bool indefinite = false;

    bool constructed() const noexcept { return (tag & constructed_bit) != 0; }
};

inline std::string hex_byte(unsigned value) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
    return text;
}

/// Why an identifier and length could not be decoded.
enum class header_error : unsigned char {
    none,
    missing,              ///< No byte left.
    truncated_header,     ///< One byte left.
    high_tag,             ///< Tag number 31 or more (multi-byte identifier).
    end_of_contents,      ///< A 00 identifier where an element was expected.
    indefinite_primitive, ///< Indefinite length on a primitive element.
    long_length,          ///< A length of more than 4 bytes.
    truncated_length,     ///< The length bytes run past the region.
    non_minimal_length,   ///< A long-form length that a shorter form could encode.
    past_end,             ///< The content runs past the region.
};

/// An element's identifier and length, as `decode_header` reads them.
struct header {
    unsigned char tag = 0;
    bool indefinite = false;
    const unsigned char* content = nullptr;
    std::size_t length = 0; ///< Definite form only.
};

/// Decodes the identifier and length at `at`, for an element that must end by `end`. Allocates
/// nothing and fails with a code only, so that walks over thousands of elements stay cheap; the
/// reader turns the code into a sentence when one is needed.
IAP_EMBEDDED_ASN1_HOT header_error decode_header(const unsigned char* at, const unsigned char* end, header& h) noexcept {
    const std::size_t left = static_cast<std::size_t>(end - at);
    if (left < 2) return left == 0 ? header_error::missing : header_error::truncated_header;
    const unsigned char tag = at[0];
    if ((tag & 0x1F) == 0x1F) return header_error::high_tag;
    if (tag == 0) return header_error::end_of_contents;
    h.tag = tag;
    const unsigned char first = at[1];
    const unsigned char* p = at + 2;
    if (first < 0x80) {
        h.indefinite = false;
        h.length = first;
    } else if (first == 0x80) {
        if ((tag & constructed_bit) == 0) return header_error::indefinite_primitive;
        h.indefinite = true;
        h.length = 0;
        h.content = p;
        return header_error::none;
    } else {
        const std::size_t count = first & 0x7Fu;
        if (count > 4) return header_error::long_length;
        if (count > left - 2) return header_error::truncated_length;
        if (p[0] == 0) return header_error::non_minimal_length;
        std::size_t length = 0;
        for (std::size_t i = 0; i < count; ++i) length = (length << 8) | p[i];
        if (length < 0x80) return header_error::non_minimal_length;
        h.indefinite = false;
        h.length = length;
        p += count;
    }
    h.content = p;
    return h.length > static_cast<std::size_t>(end - p) ? header_error::past_end : header_error::none;
}

/// The eight bytes at `p` as a word whose byte k is p[k], whatever the host's byte order.
inline std::uint64_t load_le64(const void* p) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

/// The content of the definite-length element at `at` (at least two bytes before `end`, its
/// identifier already checked by the caller, and a valid one) when its length has the short
/// form or a minimal one- or two-byte long form: the forms of nearly every element of a
/// receipt. False for anything else, which the caller reads again with a `reader`; what this
/// accepts, `decode_header` accepts with the same content.
IAP_EMBEDDED_ASN1_HOT bool short_definite_content(const unsigned char* at, const unsigned char* end,
                                                  bytes_view& content) noexcept {
    const unsigned first = at[1];
    const unsigned char* c;
    std::size_t length;
    if (first < 0x80) {
        c = at + 2;
        length = first;
    } else if (first == 0x81 && end - at >= 3 && at[2] >= 0x80) {
        c = at + 3;
        length = at[2];
    } else if (first == 0x82 && end - at >= 4 && at[2] != 0) {
        c = at + 4;
        length = (std::size_t{at[2]} << 8) | at[3];
    } else {
        return false;
    }
    if (length > static_cast<std::size_t>(end - c)) return false;
    content = {c, length};
    return true;
}

/// A bare position in a region, for walks that try the common case first: `take` reads one
/// definite-length element with a given identifier and only says whether it could. Where it
/// cannot, the caller reads the same bytes again with a `reader`, which applies the same checks
/// (both decode with `decode_header`) and also handles indefinite lengths and words errors.
struct span_cursor {
    const unsigned char* pos = nullptr;
    const unsigned char* end = nullptr;

    bool empty() const noexcept { return pos == end; }

    IAP_EMBEDDED_ASN1_HOT bool take(unsigned char tag, bytes_view& content) noexcept {
        // Short lengths inline; the valid-identifier test folds away for a constant `tag`.
        if (end - pos >= 2 && pos[0] == tag && pos[1] < 0x80 && tag != 0 && (tag & 0x1F) != 0x1F) {
            const std::size_t length = pos[1];
            if (length > static_cast<std::size_t>(end - pos) - 2) return false;
            content = {pos + 2, length};
            pos += 2 + length;
            return true;
        }
        // Returned by value, so that nothing of the caller's has to live in memory.
        const bytes_view long_form = take_long_form(pos, end, tag);
        if (long_form.data == nullptr) return false;
        content = long_form;
        pos = long_form.data + long_form.size;
        return true;
    }

private:
    // The content of a definite-length element `tag` at `at`; a null view when there is none.
    IAP_EMBEDDED_ASN1_COLD static bytes_view take_long_form(const unsigned char* at, const unsigned char* end,
                                                            unsigned char tag) noexcept {
        header h;
        if (at == end || *at != tag || decode_header(at, end, h) != header_error::none || h.indefinite) return {};
        return {h.content, h.length};
    }
};

/// Reads consecutive elements from a region of a buffer. Child readers share the base pointer,
/// so error offsets are offsets into the whole input.
///
/// Two interfaces over one implementation: `next`, `enter` and `finish` return `result`s;
/// `read`, `descend` and `at_end` return `bool` and allocate nothing, for hot loops. After one of
/// those failed, `error()` describes the failure in the words `next`, `enter` or `finish` would
/// have used.
class reader {
public:
    reader() = default;
    reader(const unsigned char* data, std::size_t size) noexcept : base_(data), pos_(data), end_(data + size) {}

    bool empty() const noexcept { return pos_ == end_; }
    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }
    unsigned depth() const noexcept { return depth_; }
    std::size_t offset() const noexcept { return static_cast<std::size_t>(pos_ - base_); }

    /// The identifier octet of the next element, or 0 at the end (0 is never a valid tag here).
    unsigned char peek_tag() const noexcept { return empty() ? 0 : *pos_; }

    /// The unread rest of the region, for a `span_cursor` walk.
    span_cursor unread() const noexcept { return {pos_, end_}; }
    /// Continues after what a `span_cursor` from `unread()` took.
    void consume(const span_cursor& c) noexcept {
        if (c.end == end_ && c.pos >= pos_ && c.pos <= end_) pos_ = c.pos;
    }

    /// Reads the next element, whatever its tag.
    IAP_EMBEDDED_ASN1_HOT bool read(element& out) noexcept {
        header h;
        if (decode_header(pos_, end_, h) != header_error::none || h.indefinite) return read_any_form(out);
        out.tag = h.tag;
        out.indefinite = false;
        out.content = {h.content, h.length};
        out.whole = {pos_, static_cast<std::size_t>(h.content + h.length - pos_)};
        pos_ = h.content + h.length;
        return true;
    }

    /// Reads the next element, which must have identifier `tag`; `what` names it in errors.
    IAP_EMBEDDED_ASN1_HOT bool read(unsigned char tag, const char* what, element& out) noexcept {
        if (pos_ != end_ && *pos_ == tag) return read(out);
        return record({pos_ == end_ ? failure::no_element : failure::wrong_tag, header_error::none, tag, pos_, what});
    }

    /// Makes `child` a reader over the content of constructed element `e`, one level deeper.
    IAP_EMBEDDED_ASN1_HOT bool descend(const element& e, reader& child) noexcept {
        const failure f = check_enter(e);
        if (f.kind != failure::none) return record(f);
        child = reader(*this, e);
        return true;
    }

    /// Whether every byte of the region was read; `what` names the region in the error.
    IAP_EMBEDDED_ASN1_HOT bool at_end(const char* what) noexcept {
        return pos_ == end_ || record({failure::trailing_bytes, header_error::none, 0, pos_, what});
    }

    /// The failure of the last `read`, `descend` or `at_end` that returned false.
    error_info error() const { return describe(failure_); }

    result<element> next() {
        element e;
        if (read(e)) return e;
        return error();
    }
    result<element> next(unsigned char tag, const char* what) {
        element e;
        if (read(tag, what, e)) return e;
        return error();
    }
    result<reader> enter(const element& e) const {
        const failure f = check_enter(e);
        if (f.kind != failure::none) return describe(f);
        return reader(*this, e);
    }
    result<void> finish(const char* what) const {
        if (empty()) return {};
        return describe({failure::trailing_bytes, header_error::none, 0, pos_, what});
    }

private:
    // A failure as recorded on the hot path: enough to write the sentence later.
    struct failure {
        enum kind_type : unsigned char {
            none,
            bad_header,         // `code` at `at`
            missing_end,        // the indefinite element at `at` has no end-of-contents
            too_deep_at,        // an indefinite element at `at` nests past the bound
            no_element,         // `what` expected at `at`, the region ended
            wrong_tag,          // `what` (identifier `tag`) expected at `at`
            not_constructed,    // the element at `at` with identifier `tag`
            too_deep,           // entering would nest past the bound
            trailing_bytes,     // `what` ends at `at`, before the end of the region
        } kind = none;
        header_error code = header_error::none;
        unsigned char tag = 0;
        const unsigned char* at = nullptr;
        const char* what = nullptr;
    };

    reader(const reader& parent, const element& e) noexcept
        : base_(parent.base_), pos_(e.content.data), end_(e.content.data + e.content.size), depth_(parent.depth_ + 1) {}

    IAP_EMBEDDED_ASN1_COLD bool record(const failure& f) noexcept {
        failure_ = f;
        return false;
    }

    failure check_enter(const element& e) const noexcept {
        if (!e.constructed()) return {failure::not_constructed, header_error::none, e.tag, e.whole.data, nullptr};
        if (depth_ + 1 > IAP_EMBEDDED_MAX_ASN1_DEPTH) return {failure::too_deep, header_error::none, 0, nullptr, nullptr};
        return {};
    }

    // Any element, every check of decode_header.
    IAP_EMBEDDED_ASN1_COLD bool read_any_form(element& out) noexcept {
        header h;
        const header_error bad = decode_header(pos_, end_, h);
        if (bad != header_error::none) return record({failure::bad_header, bad, 0, pos_, nullptr});
        out.tag = h.tag;
        out.indefinite = h.indefinite;
        out.content.data = h.content;
        if (h.indefinite) return read_indefinite(out);
        out.content.size = h.length;
        out.whole = {pos_, static_cast<std::size_t>(h.content + h.length - pos_)};
        pos_ = h.content + h.length;
        return true;
    }

    // Finds the extent of the indefinite element `out` whose header starts at pos_, by an
    // iterative scan that counts open indefinite elements and never exceeds the nesting bound.
    bool read_indefinite(element& out) noexcept {
        const unsigned char* const at = pos_;
        if (depth_ + 1 > IAP_EMBEDDED_MAX_ASN1_DEPTH)
            return record({failure::too_deep_at, header_error::none, 0, at, nullptr});
        unsigned open = 1;
        const unsigned char* p = out.content.data;
        while (open > 0) {
            if (end_ - p >= 2 && p[0] == 0 && p[1] == 0) {
                p += 2;
                --open;
                continue;
            }
            header inner;
            const header_error bad = decode_header(p, end_, inner);
            if (bad != header_error::none) {
                if (p == end_) return record({failure::missing_end, header_error::none, 0, at, nullptr});
                return record({failure::bad_header, bad, 0, p, nullptr});
            }
            if (inner.indefinite) {
                if (depth_ + 1 + open > IAP_EMBEDDED_MAX_ASN1_DEPTH)
                    return record({failure::too_deep_at, header_error::none, 0, p, nullptr});
                ++open;
                p = inner.content;
            } else {
                p = inner.content + inner.length;
            }
        }
        out.content.size = static_cast<std::size_t>(p - 2 - out.content.data);
        out.whole = {at, static_cast<std::size_t>(p - at)};
        pos_ = p;
        return true;
    }

    std::string offset_of(const unsigned char* at) const { return std::to_string(at - base_); }

    error_info describe(const failure& f) const {
        const std::string depth_bound =
            "ASN.1 nesting deeper than " + std::to_string(IAP_EMBEDDED_MAX_ASN1_DEPTH) + " levels";
        std::string why;
        switch (f.kind) {
        case failure::none: why = "no ASN.1 failure was recorded"; break;
        case failure::bad_header: why = header_sentence(f.code, f.at) + " at offset " + offset_of(f.at); break;
        case failure::missing_end:
            why = "indefinite-length element without end-of-contents at offset " + offset_of(f.at);
            break;
        case failure::too_deep_at: why = depth_bound + " at offset " + offset_of(f.at); break;
        case failure::no_element:
            why = std::string("expected ") + f.what + ", found the end of its enclosing element at offset " + offset_of(f.at);
            break;
        case failure::wrong_tag:
            why = std::string("expected ") + f.what + " (tag " + hex_byte(f.tag) + "), found tag " + hex_byte(*f.at) +
                  " at offset " + offset_of(f.at);
            break;
        case failure::not_constructed:
            why = "element with tag " + hex_byte(f.tag) + " at offset " + offset_of(f.at) + " is not constructed";
            break;
        case failure::too_deep: why = depth_bound; break;
        case failure::trailing_bytes:
            why = std::to_string(end_ - f.at) + " unexpected bytes at the end of " + f.what + " (offset " +
                  offset_of(f.at) + ")";
            break;
        }
        return make_error(errc::malformed_input, std::move(why));
    }

    std::string header_sentence(header_error code, const unsigned char* at) const {
        switch (code) {
        case header_error::none: break;
        case header_error::missing: return "missing ASN.1 element";
        case header_error::truncated_header: return "truncated ASN.1 header";
        case header_error::high_tag: return "high-tag-number identifiers are not supported";
        case header_error::end_of_contents: return "unexpected end-of-contents marker";
        case header_error::indefinite_primitive: return "indefinite length on a primitive element";
        case header_error::long_length: return "length of more than 4 bytes";
        case header_error::truncated_length: return "truncated ASN.1 length";
        case header_error::non_minimal_length: return "non-minimal length encoding";
        case header_error::past_end: {
            header h;
            (void)decode_header(at, end_, h);
            return "element length " + std::to_string(h.length) + " runs past the end of the input (" +
                   std::to_string(end_ - h.content) + " bytes left)";
        }
        }
        return "undecodable ASN.1 header";
    }

    const unsigned char* base_ = nullptr;
    const unsigned char* pos_ = nullptr;
    const unsigned char* end_ = nullptr;
    unsigned depth_ = 0;
    failure failure_;
};

/// Reads exactly one element spanning all of `data` (trailing bytes are an error).
inline result<element> read_single(const unsigned char* data, std::size_t size, const char* what) {
    reader r(data, size);
    element e;
    if (r.read(e) && r.at_end(what)) return e;
    return r.error();
}

/// Why an element is not the INTEGER asked for.
enum class integer_error : unsigned char { none, not_integer, empty, non_minimal, too_large };

inline error_info integer_failure(integer_error code, const element& e) {
    switch (code) {
    case integer_error::not_integer:
        return make_error(errc::malformed_input, "expected an INTEGER, found tag " + hex_byte(e.tag));
    case integer_error::empty: return make_error(errc::malformed_input, "empty INTEGER");
    case integer_error::non_minimal: return make_error(errc::malformed_input, "non-minimal INTEGER encoding");
    case integer_error::too_large: return make_error(errc::malformed_input, "INTEGER does not fit in 64 bits");
    case integer_error::none: break;
    }
    return make_error(errc::malformed_input, "not an INTEGER");
}

/// Whether non-empty INTEGER content octets are in minimal two's complement form.
inline bool is_minimal_integer(bytes_view c) noexcept {
    return c.size == 1 || !((c.data[0] == 0x00 && (c.data[1] & 0x80) == 0) || (c.data[0] == 0xFF && (c.data[1] & 0x80) != 0));
}

/// Checks that `e` is an INTEGER in minimal two's complement form.
inline integer_error check_integer(const element& e) noexcept {
    if (e.tag != tag_integer) return integer_error::not_integer;
    if (e.content.size == 0) return integer_error::empty;
    return is_minimal_integer(e.content) ? integer_error::none : integer_error::non_minimal;
}

/// The value of INTEGER content octets that are minimal and fit in 64 bits, into `out`.
IAP_EMBEDDED_ASN1_HOT integer_error read_int64(bytes_view c, std::int64_t& out) noexcept {
    if (c.size == 0) return integer_error::empty;
    if (!is_minimal_integer(c)) return integer_error::non_minimal;
    if (c.size > 8) return integer_error::too_large;
    // Sign-extend the first octet, then shift in the others.
    std::uint64_t value = (c.data[0] & 0x80) ? ~std::uint64_t{0xFF} | c.data[0] : c.data[0];
    for (std::size_t i = 1; i < c.size; ++i) value = (value << 8) | c.data[i];
    std::memcpy(&out, &value, sizeof out);
    return integer_error::none;
}

/// The value of an INTEGER that fits in 64 bits, into `out`; allocates nothing.
inline integer_error read_int64(const element& e, std::int64_t& out) noexcept {
    if (e.tag != tag_integer) return integer_error::not_integer;
    return read_int64(e.content, out);
}

/// The content octets of an INTEGER (two's complement, big-endian), checked for minimality.
inline result<bytes_view> integer_bytes(const element& e) {
    const integer_error bad = check_integer(e);
    if (bad != integer_error::none) return integer_failure(bad, e);
    return e.content;
}

/// The content of an INTEGER as a signed 64-bit value; `integer` elements that are not minimal
/// or do not fit are errors.
inline result<std::int64_t> to_int64(const element& e) {
    std::int64_t value = 0;
    const integer_error bad = read_int64(e, value);
    if (bad != integer_error::none) return integer_failure(bad, e);
    return value;
}

/// The dotted form ("1.2.840.113549.1.7.2") of an OBJECT IDENTIFIER; arcs must be minimal and
/// fit in 64 bits.
inline result<std::string> oid_to_dotted(const element& e) {
    if (e.tag != tag_oid)
        return make_error(errc::malformed_input, "expected an OBJECT IDENTIFIER, found tag " + hex_byte(e.tag));
    const bytes_view c = e.content;
    if (c.size == 0) return make_error(errc::malformed_input, "empty OBJECT IDENTIFIER");
    std::string out;
    std::uint64_t arc = 0;
    bool first_arc = true;
    bool arc_started = false;
    for (std::size_t i = 0; i < c.size; ++i) {
        const unsigned char b = c.data[i];
        if (!arc_started && b == 0x80) return make_error(errc::malformed_input, "non-minimal OBJECT IDENTIFIER arc");
        if (arc > (~std::uint64_t{0} >> 7)) return make_error(errc::malformed_input, "OBJECT IDENTIFIER arc too large");
        arc = (arc << 7) | (b & 0x7Fu);
        arc_started = true;
        if (b & 0x80) continue;
        if (first_arc) {
            const std::uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            out = std::to_string(top) + "." + std::to_string(arc - top * 40);
            first_arc = false;
        } else {
            out += "." + std::to_string(arc);
        }
        arc = 0;
        arc_started = false;
    }
    if (arc_started) return make_error(errc::malformed_input, "truncated OBJECT IDENTIFIER");
    return out;
}

/// Whether `e` is the OBJECT IDENTIFIER `dotted` (a malformed OID equals nothing).
inline bool oid_equals(const element& e, std::string_view dotted) {
    const auto text = oid_to_dotted(e);
    return text && *text == dotted;
}

/// Whether `e` is an OBJECT IDENTIFIER whose content octets are `der_content`.
inline bool oid_equals_der(const element& e, bytes_view der_content) noexcept {
    return e.tag == tag_oid && e.content == der_content;
}

/// Appends the octets of an OCTET STRING to `out`: a primitive one's content, or the
/// concatenated segments of a constructed (BER) one, nested at most to the depth bound.
inline result<void> append_octet_string(const element& e, std::vector<unsigned char>& out) {
    if (e.tag == tag_octet_string) {
        out.insert(out.end(), e.content.data, e.content.data + e.content.size);
        return {};
    }
    if (e.tag != (tag_octet_string | constructed_bit))
        return make_error(errc::malformed_input, "expected an OCTET STRING, found tag " + hex_byte(e.tag));
    auto top = reader(e.whole.data, e.whole.size).enter(e);
    if (!top) return std::move(top).error();
    reader stack[IAP_EMBEDDED_MAX_ASN1_DEPTH + 1];
    std::size_t count = 0;
    stack[count++] = *top;
    while (count > 0) {
        reader& current = stack[count - 1];
        if (current.empty()) {
            --count;
            continue;
        }
        auto segment = current.next();
        if (!segment) return std::move(segment).error();
        if (segment->tag == tag_octet_string) {
            out.insert(out.end(), segment->content.data, segment->content.data + segment->content.size);
        } else if (segment->tag == (tag_octet_string | constructed_bit)) {
            auto child = current.enter(*segment);
            if (!child) return std::move(child).error();
            if (count > IAP_EMBEDDED_MAX_ASN1_DEPTH)
                return make_error(errc::malformed_input, "constructed OCTET STRING nested too deeply");
            stack[count++] = *child;
        } else {
            return make_error(errc::malformed_input,
                              "a constructed OCTET STRING holds a segment with tag " + hex_byte(segment->tag));
        }
    }
    return {};
}

/// How many leading bytes of `text` are ASCII (checked eight at a time).
inline std::size_t ascii_prefix(bytes_view text) noexcept {
    std::size_t i = 0;
    for (; text.size - i >= 8; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, text.data + i, sizeof word);
        if ((word & 0x8080808080808080u) != 0) break;
    }
    while (i < text.size && text.data[i] < 0x80) ++i;
    return i;
}

/// Whether every byte of `text` is ASCII: the bytes are OR-ed together a word at a time, the
/// last word overlapping the one before, so that a short string costs a few instructions.
inline bool is_ascii(bytes_view text) noexcept {
    const unsigned char* p = text.data;
    std::size_t n = text.size;
    std::uint64_t any = 0;
    if (n >= 8) {
        for (; n > 8; n -= 8, p += 8) {
            std::uint64_t word;
            std::memcpy(&word, p, sizeof word);
            any |= word;
        }
        std::uint64_t last;
        std::memcpy(&last, p + n - 8, sizeof last);
        any |= last;
    } else if (n >= 4) {
        std::uint32_t first, last;
        std::memcpy(&first, p, sizeof first);
        std::memcpy(&last, p + n - 4, sizeof last);
        any = first | last;
    } else {
        for (std::size_t i = 0; i < n; ++i) any |= p[i];
    }
    return (any & 0x8080808080808080u) == 0;
}

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
inline bool is_utf8(bytes_view text) noexcept {
    if (is_ascii(text)) return true;
    const unsigned char* p = text.data + ascii_prefix(text);
    const unsigned char* end = text.data + text.size;
    while (p < end) {
        const unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        std::size_t n;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1Fu;
        else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0Fu;
        else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07u;
        else return false;
        if (static_cast<std::size_t>(end - p) <= n) return false;
        for (std::size_t i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        p += n + 1;
    }
    return true;
}

/// Why an element is not the text string asked for.
enum class text_error : unsigned char { none, not_text, invalid_utf8, non_ascii };

/// Checks that `e` is a UTF8String holding well-formed UTF-8 or an IA5String holding ASCII.
inline text_error check_text(const element& e) noexcept {
    if (e.tag == tag_utf8_string) return is_utf8(e.content) ? text_error::none : text_error::invalid_utf8;
    if (e.tag != tag_ia5_string) return text_error::not_text;
    return is_ascii(e.content) ? text_error::none : text_error::non_ascii;
}

inline error_info text_failure(text_error code, const element& e) {
    switch (code) {
    case text_error::invalid_utf8: return make_error(errc::malformed_input, "UTF8String holds invalid UTF-8");
    case text_error::non_ascii: return make_error(errc::malformed_input, "IA5String holds a non-ASCII byte");
    case text_error::not_text:
    case text_error::none: break;
    }
    return make_error(errc::malformed_input, "expected a UTF8String or IA5String, found tag " + hex_byte(e.tag));
}

/// The text of a UTF8String (well-formed UTF-8) or IA5String (ASCII).
inline result<std::string> text_string(const element& e) {
    const text_error bad = check_text(e);
    if (bad != text_error::none) return text_failure(bad, e);
    return std::string(e.content.as_chars());
}

} // namespace asn1
} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_ASN1_HPP
