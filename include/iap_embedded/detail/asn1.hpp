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

/// Reads consecutive elements from a region of a buffer. Child readers (`enter`) share the
/// base pointer, so error offsets are offsets into the whole input.
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

    /// Reads the next element, whatever its tag.
    result<element> next() {
        auto e = read_element(pos_);
        if (e) pos_ = e->whole.data + e->whole.size;
        return e;
    }

    /// Reads the next element, which must have identifier `tag`; `what` names it in errors.
    result<element> next(unsigned char tag, const char* what) {
        if (empty())
            return fail(std::string("expected ") + what + ", found the end of its enclosing element");
        if (*pos_ != tag)
            return fail(std::string("expected ") + what + " (tag " + hex_byte(tag) + "), found tag " + hex_byte(*pos_));
        return next();
    }

    /// A reader over the content of constructed element `e`, one level deeper.
    result<reader> enter(const element& e) const {
        if (!e.constructed())
            return make_error(errc::malformed_input, "element with tag " + hex_byte(e.tag) + " at offset " +
                                                         std::to_string(e.whole.data - base_) + " is not constructed");
        if (depth_ + 1 > IAP_EMBEDDED_MAX_ASN1_DEPTH)
            return make_error(errc::malformed_input, "ASN.1 nesting deeper than " +
                                                         std::to_string(IAP_EMBEDDED_MAX_ASN1_DEPTH) + " levels");
        reader child;
        child.base_ = base_;
        child.pos_ = e.content.data;
        child.end_ = e.content.data + e.content.size;
        child.depth_ = depth_ + 1;
        return child;
    }

    /// Succeeds when every byte of the region was read; `what` names the region in the error.
    result<void> finish(const char* what) const {
        if (empty()) return {};
        return make_error(errc::malformed_input, std::to_string(remaining()) + " unexpected bytes at the end of " +
                                                     what + " (offset " + std::to_string(offset()) + ")");
    }

    /// An error at the current position.
    error_info fail(const std::string& why) const {
        return make_error(errc::malformed_input, why + " at offset " + std::to_string(offset()));
    }

private:
    struct header {
        unsigned char tag = 0;
        const unsigned char* content = nullptr;
        std::size_t length = 0; // definite form only
        bool indefinite = false;
    };

    error_info fail_at(const unsigned char* at, const std::string& why) const {
        return make_error(errc::malformed_input, why + " at offset " + std::to_string(at - base_));
    }

    // Identifier and length of the element at `at`; the content of a definite element lies
    // within end_.
    result<header> read_header(const unsigned char* at) const {
        const std::size_t left = static_cast<std::size_t>(end_ - at);
        if (left < 2) return fail_at(at, left == 0 ? "missing ASN.1 element" : "truncated ASN.1 header");
        header h;
        h.tag = at[0];
        if ((h.tag & 0x1F) == 0x1F) return fail_at(at, "high-tag-number identifiers are not supported");
        if (h.tag == 0) return fail_at(at, "unexpected end-of-contents marker");
        const unsigned char first = at[1];
        const unsigned char* p = at + 2;
        if (first < 0x80) {
            h.length = first;
        } else if (first == 0x80) {
            if ((h.tag & constructed_bit) == 0) return fail_at(at, "indefinite length on a primitive element");
            h.indefinite = true;
        } else {
            const std::size_t count = first & 0x7Fu;
            if (count > 4) return fail_at(at, "length of more than 4 bytes");
            if (count > left - 2) return fail_at(at, "truncated ASN.1 length");
            if (p[0] == 0) return fail_at(at, "non-minimal length encoding");
            std::size_t length = 0;
            for (std::size_t i = 0; i < count; ++i) length = (length << 8) | p[i];
            if (length < 0x80) return fail_at(at, "non-minimal length encoding");
            h.length = length;
            p += count;
        }
        h.content = p;
        if (!h.indefinite && h.length > static_cast<std::size_t>(end_ - p))
            return fail_at(at, "element length " + std::to_string(h.length) + " runs past the end of the input (" +
                                   std::to_string(end_ - p) + " bytes left)");
        return h;
    }

    // Reads a whole element. An indefinite element's extent is found by an iterative scan that
    // counts open indefinite elements and never exceeds the nesting bound.
    result<element> read_element(const unsigned char* at) const {
        auto h = read_header(at);
        if (!h) return std::move(h).error();
        element e;
        e.tag = h->tag;
        e.indefinite = h->indefinite;
        e.content.data = h->content;
        if (!h->indefinite) {
            e.content.size = h->length;
            e.whole = {at, static_cast<std::size_t>(h->content + h->length - at)};
            return e;
        }
        if (depth_ + 1 > IAP_EMBEDDED_MAX_ASN1_DEPTH)
            return fail_at(at, "ASN.1 nesting deeper than " + std::to_string(IAP_EMBEDDED_MAX_ASN1_DEPTH) + " levels");
        unsigned open = 1;
        const unsigned char* p = h->content;
        while (open > 0) {
            if (end_ - p >= 2 && p[0] == 0 && p[1] == 0) {
                p += 2;
                --open;
                continue;
            }
            auto inner = read_header(p);
            if (!inner) {
                if (p == end_) return fail_at(at, "indefinite-length element without end-of-contents");
                return std::move(inner).error();
            }
            if (inner->indefinite) {
                if (depth_ + 1 + open > IAP_EMBEDDED_MAX_ASN1_DEPTH)
                    return fail_at(p, "ASN.1 nesting deeper than " + std::to_string(IAP_EMBEDDED_MAX_ASN1_DEPTH) +
                                          " levels");
                ++open;
                p = inner->content;
            } else {
                p = inner->content + inner->length;
            }
        }
        e.content.size = static_cast<std::size_t>(p - 2 - h->content);
        e.whole = {at, static_cast<std::size_t>(p - at)};
        return e;
    }

    const unsigned char* base_ = nullptr;
    const unsigned char* pos_ = nullptr;
    const unsigned char* end_ = nullptr;
    unsigned depth_ = 0;
};

/// Reads exactly one element spanning all of `data` (trailing bytes are an error).
inline result<element> read_single(const unsigned char* data, std::size_t size, const char* what) {
    reader r(data, size);
    auto e = r.next();
    if (!e) return e;
    if (auto done = r.finish(what); !done) return std::move(done).error();
    return e;
}

/// The content octets of an INTEGER (two's complement, big-endian), checked for minimality.
inline result<bytes_view> integer_bytes(const element& e) {
    if (e.tag != tag_integer)
        return make_error(errc::malformed_input, "expected an INTEGER, found tag " + hex_byte(e.tag));
    const bytes_view c = e.content;
    if (c.size == 0) return make_error(errc::malformed_input, "empty INTEGER");
    if (c.size > 1 && ((c.data[0] == 0x00 && (c.data[1] & 0x80) == 0) || (c.data[0] == 0xFF && (c.data[1] & 0x80) != 0)))
        return make_error(errc::malformed_input, "non-minimal INTEGER encoding");
    return c;
}

/// The content of an INTEGER as a signed 64-bit value; `integer` elements that are not minimal
/// or do not fit are errors.
inline result<std::int64_t> to_int64(const element& e) {
    auto bytes = integer_bytes(e);
    if (!bytes) return std::move(bytes).error();
    const bytes_view c = *bytes;
    if (c.size > 8) return make_error(errc::malformed_input, "INTEGER does not fit in 64 bits");
    std::uint64_t value = (c.data[0] & 0x80) ? ~std::uint64_t{0} : 0;
    for (std::size_t i = 0; i < c.size; ++i) value = (value << 8) | c.data[i];
    std::int64_t out;
    std::memcpy(&out, &value, sizeof out);
    return out;
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

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
inline bool is_utf8(bytes_view text) noexcept {
    const unsigned char* p = text.data;
    const unsigned char* end = p + text.size;
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

/// The text of a UTF8String (well-formed UTF-8) or IA5String (ASCII).
inline result<std::string> text_string(const element& e) {
    if (e.tag == tag_utf8_string) {
        if (!is_utf8(e.content)) return make_error(errc::malformed_input, "UTF8String holds invalid UTF-8");
    } else if (e.tag == tag_ia5_string) {
        for (std::size_t i = 0; i < e.content.size; ++i)
            if (e.content.data[i] >= 0x80) return make_error(errc::malformed_input, "IA5String holds a non-ASCII byte");
    } else {
        return make_error(errc::malformed_input, "expected a UTF8String or IA5String, found tag " + hex_byte(e.tag));
    }
    return std::string(e.content.as_chars());
}

} // namespace asn1
} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_ASN1_HPP
