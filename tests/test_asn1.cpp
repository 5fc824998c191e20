// SPDX-License-Identifier: MIT
//
// The strict ASN.1 reader under App Store receipts: DER plus the BER features Xcode writes
// (indefinite lengths, constructed OCTET STRINGs), and every near-miss it must refuse.
#include <iap_embedded/detail/asn1.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

namespace asn1 = iap_embedded::detail::asn1;
using iap_embedded::errc;
using bytes = std::vector<unsigned char>;

// Elements view their input, so every input a test parses stays alive until the program ends.
const bytes& keep(bytes b) {
    static std::deque<bytes> inputs;
    inputs.push_back(std::move(b));
    return inputs.back();
}

iap_embedded::result<asn1::element> single(const bytes& b) {
    const bytes& kept = keep(b);
    return asn1::read_single(kept.data(), kept.size(), "test");
}

std::int64_t int_of(const bytes& b) {
    auto e = single(b);
    REQUIRE(e);
    auto n = asn1::to_int64(*e);
    INFO(n.message());
    REQUIRE(n);
    return *n;
}

errc int_error(const bytes& b) {
    auto e = single(b);
    REQUIRE(e);
    auto n = asn1::to_int64(*e);
    REQUIRE_FALSE(n);
    return static_cast<errc>(n.error_code().value());
}

std::string error_of(const bytes& b) {
    auto e = single(b);
    REQUIRE_FALSE(e);
    CHECK(e.error_code() == errc::malformed_input);
    return e.message();
}

std::string octets_of(const bytes& b) {
    auto e = single(b);
    REQUIRE(e);
    bytes out;
    auto joined = asn1::append_octet_string(*e, out);
    INFO(joined.message());
    REQUIRE(joined);
    return std::string(out.begin(), out.end());
}

} // namespace

TEST_CASE("asn1: definite short and long form lengths") {
    auto e = single({0x04, 0x03, 'a', 'b', 'c'});
    REQUIRE(e);
    CHECK(e->tag == asn1::tag_octet_string);
    CHECK(e->content.as_chars() == "abc");
    CHECK(e->whole.size == 5);
    CHECK_FALSE(e->indefinite);

    bytes long_form{0x04, 0x81, 0x80};
    long_form.resize(3 + 0x80, 'x');
    auto l = single(long_form);
    REQUIRE(l);
    CHECK(l->content.size == 0x80);

    bytes two_bytes{0x04, 0x82, 0x01, 0x00};
    two_bytes.resize(4 + 256, 'y');
    REQUIRE(single(two_bytes));
}

TEST_CASE("asn1: lengths that are not minimal, too long or past the end are refused") {
    CHECK(error_of({0x04, 0x81, 0x05, 1, 2, 3, 4, 5}).find("non-minimal length") != std::string::npos);
    CHECK(error_of({0x04, 0x82, 0x00, 0x05, 1, 2, 3, 4, 5}).find("non-minimal length") != std::string::npos);
    CHECK(error_of({0x04, 0x85, 1, 0, 0, 0, 0}).find("more than 4 bytes") != std::string::npos);
    CHECK(error_of({0x04, 0x05, 1, 2}).find("runs past the end") != std::string::npos);
    CHECK(error_of({0x04, 0x82, 0x01}).find("truncated ASN.1 length") != std::string::npos);
    CHECK(error_of({0x04}).find("truncated ASN.1 header") != std::string::npos);
    CHECK(error_of({}).find("missing ASN.1 element") != std::string::npos);
    CHECK(error_of({0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF}).find("runs past the end") != std::string::npos);
}

TEST_CASE("asn1: high tag numbers, stray end-of-contents and trailing bytes are refused") {
    CHECK(error_of({0x1F, 0x81, 0x00}).find("high-tag-number") != std::string::npos);
    CHECK(error_of({0x00, 0x00}).find("end-of-contents") != std::string::npos);
    CHECK(error_of({0x05, 0x00, 0x00}).find("unexpected bytes") != std::string::npos);
}

TEST_CASE("asn1: indefinite lengths are found by their end-of-contents, nested too") {
    // SEQUENCE (indefinite) { OCTET STRING "ab", SEQUENCE (indefinite) { NULL } }
    const bytes ber{0x30, 0x80, 0x04, 0x02, 'a', 'b', 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00};
    auto e = single(ber);
    REQUIRE(e);
    CHECK(e->indefinite);
    CHECK(e->whole.size == ber.size());
    CHECK(e->content.size == ber.size() - 4);
    asn1::reader outer(ber.data(), ber.size());
    auto first = outer.next();
    REQUIRE(first);
    auto inner = outer.enter(*first);
    REQUIRE(inner);
    auto s = inner->next(asn1::tag_octet_string, "a string");
    REQUIRE(s);
    CHECK(s->content.as_chars() == "ab");
    auto nested = inner->next(asn1::tag_sequence, "a sequence");
    REQUIRE(nested);
    CHECK(nested->indefinite);
    CHECK(inner->empty());
}

TEST_CASE("asn1: malformed indefinite lengths are refused") {
    CHECK(error_of({0x04, 0x80, 0x00, 0x00}).find("primitive") != std::string::npos);
    CHECK(error_of({0x30, 0x80, 0x05, 0x00}).find("without end-of-contents") != std::string::npos);
    CHECK_FALSE(single({0x30, 0x80, 0x05, 0x00, 0x00}));
    // An end-of-contents marker with a non-zero length is not one.
    CHECK(error_of({0x30, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00}).find("end-of-contents") != std::string::npos);
}

TEST_CASE("asn1: nesting beyond the bound is refused without recursion") {
    bytes deep;
    const int levels = 100000;
    for (int i = 0; i < levels; ++i) deep.insert(deep.end(), {0x30, 0x80});
    for (int i = 0; i < levels; ++i) deep.insert(deep.end(), {0x00, 0x00});
    CHECK(error_of(deep).find("nesting deeper than") != std::string::npos);

    bytes shallow;
    for (int i = 0; i < IAP_EMBEDDED_MAX_ASN1_DEPTH - 1; ++i) shallow.insert(shallow.end(), {0x30, 0x80});
    for (int i = 0; i < IAP_EMBEDDED_MAX_ASN1_DEPTH - 1; ++i) shallow.insert(shallow.end(), {0x00, 0x00});
    CHECK(single(shallow));

    // Definite nesting is bounded when a caller descends.
    bytes definite{0x05, 0x00};
    for (int i = 0; i < IAP_EMBEDDED_MAX_ASN1_DEPTH + 2; ++i) {
        definite.insert(definite.begin(), static_cast<unsigned char>(definite.size()));
        definite.insert(definite.begin(), 0x30);
    }
    asn1::reader r(definite.data(), definite.size());
    bool refused = false;
    for (int i = 0; i < IAP_EMBEDDED_MAX_ASN1_DEPTH + 2 && !refused; ++i) {
        auto e = r.next();
        REQUIRE(e);
        auto child = r.enter(*e);
        if (!child) {
            refused = true;
            CHECK(child.message().find("nesting deeper") != std::string::npos);
        } else {
            r = *child;
        }
    }
    CHECK(refused);
}

TEST_CASE("asn1: INTEGER to int64 with range and minimality checks") {
    CHECK(int_of({0x02, 0x01, 0x00}) == 0);
    CHECK(int_of({0x02, 0x01, 0x7F}) == 127);
    CHECK(int_of({0x02, 0x02, 0x00, 0x80}) == 128);
    CHECK(int_of({0x02, 0x01, 0xFF}) == -1);
    CHECK(int_of({0x02, 0x02, 0x06, 0xA5}) == 1701);
    CHECK(int_of({0x02, 0x08, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}) == INT64_MAX);
    CHECK(int_of({0x02, 0x08, 0x80, 0, 0, 0, 0, 0, 0, 0}) == INT64_MIN);
    CHECK(int_error({0x02, 0x09, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0}) == errc::malformed_input);
    CHECK(int_error({0x02, 0x02, 0x00, 0x01}) == errc::malformed_input);
    CHECK(int_error({0x02, 0x02, 0xFF, 0x80}) == errc::malformed_input);
    CHECK(int_error({0x02, 0x00}) == errc::malformed_input);
    CHECK(int_error({0x04, 0x01, 0x01}) == errc::malformed_input);

    auto big = single({0x02, 0x09, 0x00, 0x80, 1, 2, 3, 4, 5, 6, 7});
    REQUIRE(big);
    auto raw = asn1::integer_bytes(*big);
    REQUIRE(raw);
    CHECK(raw->size == 9);
}

TEST_CASE("asn1: OBJECT IDENTIFIERs in dotted form and compared") {
    const bytes signed_data{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
    auto e = single(signed_data);
    REQUIRE(e);
    auto dotted = asn1::oid_to_dotted(*e);
    REQUIRE(dotted);
    CHECK(*dotted == "1.2.840.113549.1.7.2");
    CHECK(asn1::oid_equals(*e, "1.2.840.113549.1.7.2"));
    CHECK_FALSE(asn1::oid_equals(*e, "1.2.840.113549.1.7.1"));
    CHECK(asn1::oid_equals_der(*e, {signed_data.data() + 2, signed_data.size() - 2}));

    auto apple = single({0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x63, 0x64, 0x06, 0x0B, 0x01});
    REQUIRE(apple);
    CHECK(asn1::oid_equals(*apple, "1.2.840.113635.100.6.11.1"));
    auto two = single({0x06, 0x03, 0x88, 0x37, 0x03});
    REQUIRE(two);
    CHECK(*asn1::oid_to_dotted(*two) == "2.999.3");

    for (const bytes& bad : {bytes{0x06, 0x00}, bytes{0x06, 0x02, 0x2A, 0x86}, bytes{0x06, 0x03, 0x2A, 0x80, 0x01},
                             bytes{0x02, 0x01, 0x2A}}) {
        auto b = single(bad);
        REQUIRE(b);
        CHECK_FALSE(asn1::oid_to_dotted(*b));
        CHECK_FALSE(asn1::oid_equals(*b, "1.2"));
    }
}

TEST_CASE("asn1: OCTET STRINGs, primitive and constructed (BER segments, nested)") {
    CHECK(octets_of({0x04, 0x02, 'h', 'i'}) == "hi");
    CHECK(octets_of({0x24, 0x08, 0x04, 0x02, 'a', 'b', 0x04, 0x02, 'c', 'd'}) == "abcd");
    CHECK(octets_of({0x24, 0x80, 0x04, 0x01, 'a', 0x24, 0x80, 0x04, 0x01, 'b', 0x00, 0x00, 0x04, 0x01, 'c', 0x00, 0x00}) ==
          "abc");
    CHECK(octets_of({0x24, 0x00}).empty());

    auto wrong_segment = single({0x24, 0x03, 0x02, 0x01, 0x01});
    REQUIRE(wrong_segment);
    bytes out;
    auto r = asn1::append_octet_string(*wrong_segment, out);
    REQUIRE_FALSE(r);
    CHECK(r.message().find("segment with tag 0x02") != std::string::npos);
    auto not_octets = single({0x0C, 0x01, 'a'});
    REQUIRE(not_octets);
    CHECK_FALSE(asn1::append_octet_string(*not_octets, out));
}

TEST_CASE("asn1: UTF8String and IA5String text, validated") {
    auto utf8 = single({0x0C, 0x04, 'c', 0xC3, 0xA9, '!'});
    REQUIRE(utf8);
    CHECK(*asn1::text_string(*utf8) == "c\xC3\xA9!");
    auto ia5 = single({0x16, 0x02, 'o', 'k'});
    REQUIRE(ia5);
    CHECK(*asn1::text_string(*ia5) == "ok");
    for (const bytes& bad : {bytes{0x0C, 0x02, 0xC0, 0x80}, bytes{0x0C, 0x01, 0xFF}, bytes{0x0C, 0x03, 0xED, 0xA0, 0x80},
                             bytes{0x0C, 0x01, 0xC3}, bytes{0x16, 0x01, 0x80}, bytes{0x04, 0x01, 'a'}}) {
        auto e = single(bad);
        REQUIRE(e);
        auto text = asn1::text_string(*e);
        CHECK_FALSE(text);
        CHECK(text.error_code() == errc::malformed_input);
    }
}

TEST_CASE("asn1: reader reports the expected tag, the found tag and the offset") {
    const bytes seq{0x30, 0x03, 0x02, 0x01, 0x05};
    asn1::reader r(seq.data(), seq.size());
    auto wrong = r.next(asn1::tag_set, "a SET");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.message() == "expected a SET (tag 0x31), found tag 0x30 at offset 0");
    auto ok = r.next(asn1::tag_sequence, "a SEQUENCE");
    REQUIRE(ok);
    auto inner = r.enter(*ok);
    REQUIRE(inner);
    CHECK(inner->offset() == 2);
    CHECK(inner->peek_tag() == asn1::tag_integer);
    auto missing = inner->next(asn1::tag_integer, "an INTEGER");
    REQUIRE(missing);
    auto past = inner->next(asn1::tag_integer, "another INTEGER");
    REQUIRE_FALSE(past);
    CHECK(past.message().find("found the end") != std::string::npos);
    CHECK(inner->finish("the SEQUENCE"));
    auto primitive = r.enter(asn1::element{0x04, {seq.data(), 2}, {seq.data() + 2, 0}, false});
    CHECK_FALSE(primitive);
}

TEST_CASE("asn1: the bool interface reads what next/enter/finish read and words the same errors") {
    const std::vector<bytes> inputs = {
        {0x04, 0x03, 'a', 'b', 'c'},
        {0x30, 0x81, 0x80},
        {0x30, 0x80, 0x05, 0x00, 0x00, 0x00},
        {0x04, 0x81, 0x05, 1, 2, 3, 4, 5},
        {0x04, 0x85, 1, 0, 0, 0, 0},
        {0x04, 0x05, 1, 2},
        {0x04, 0x82, 0x01},
        {0x04},
        {},
        {0x1F, 0x81, 0x00},
        {0x00, 0x00},
        {0x04, 0x80, 0x00, 0x00},
        {0x30, 0x80, 0x05, 0x00},
        {0x30, 0x80, 0x00, 0x01, 0x00, 0x00, 0x00},
        {0x05, 0x00, 0x00},
    };
    for (const bytes& input : inputs) {
        const bytes& b = keep(input);
        INFO("input of " << b.size() << " bytes starting " << (b.empty() ? -1 : b[0]));
        asn1::reader with_results(b.data(), b.size());
        asn1::reader with_bools(b.data(), b.size());
        auto e = with_results.next();
        asn1::element f;
        const bool read = with_bools.read(f);
        REQUIRE(read == e.has_value());
        if (!read) {
            CHECK(with_bools.error().detail == e.message());
            CHECK(with_bools.error().code == iap_embedded::make_error_code(errc::malformed_input));
            continue;
        }
        CHECK(f.tag == e->tag);
        CHECK(f.whole == e->whole);
        CHECK(f.content == e->content);
        CHECK(f.indefinite == e->indefinite);
        const auto done = with_results.finish("the input");
        CHECK(with_bools.at_end("the input") == done.has_value());
        if (!done) CHECK(with_bools.error().detail == done.message());
    }

    const bytes& seq = keep({0x30, 0x03, 0x02, 0x01, 0x05});
    asn1::reader r(seq.data(), seq.size());
    asn1::element e;
    CHECK_FALSE(r.read(asn1::tag_set, "a SET", e));
    CHECK(r.error().detail == "expected a SET (tag 0x31), found tag 0x30 at offset 0");
    REQUIRE(r.read(asn1::tag_sequence, "a SEQUENCE", e));
    CHECK_FALSE(r.read(asn1::tag_sequence, "another SEQUENCE", e));
    CHECK(r.error().detail == "expected another SEQUENCE, found the end of its enclosing element at offset 5");
    asn1::reader child;
    REQUIRE(r.descend(e, child));
    CHECK(child.depth() == 1);
    CHECK(child.offset() == 2);
    asn1::element integer;
    REQUIRE(child.read(integer));
    CHECK_FALSE(child.descend(integer, r));
    CHECK(child.error().detail == "element with tag 0x02 at offset 2 is not constructed");
}

TEST_CASE("asn1: span_cursor takes definite elements of the asked identifier, as the reader reads them") {
    bytes long_form{0x04, 0x81, 0x80};
    long_form.resize(3 + 0x80, 'x');
    bytes two_byte_length{0x30, 0x82, 0x01, 0x00};
    two_byte_length.resize(4 + 0x100, 0x05);
    struct take_case {
        bytes input;
        unsigned char tag;
        bool taken;
    };
    const std::vector<take_case> cases = {
        {{0x04, 0x03, 'a', 'b', 'c', 0x05, 0x00}, 0x04, true},
        {{0x04, 0x00}, 0x04, true},
        {long_form, 0x04, true},
        {two_byte_length, 0x30, true},
        {{0x04, 0x03, 'a', 'b', 'c'}, 0x0C, false},       // another identifier
        {{0x30, 0x80, 0x05, 0x00, 0x00, 0x00}, 0x30, false}, // indefinite: the reader's job
        {{0x04, 0x81, 0x05, 1, 2, 3, 4, 5}, 0x04, false},  // non-minimal length
        {{0x04, 0x82, 0x00, 0x80}, 0x04, false},          // non-minimal length
        {{0x04, 0x85, 1, 0, 0, 0, 0}, 0x04, false},       // length of 5 bytes
        {{0x04, 0x05, 1, 2}, 0x04, false},                // past the end
        {{0x04, 0x82, 0x01}, 0x04, false},                // truncated length
        {{0x04}, 0x04, false},
        {{}, 0x04, false},
    };
    for (const auto& c : cases) {
        const bytes& b = keep(c.input);
        INFO("input of " << b.size() << " bytes, tag " << int(c.tag));
        asn1::span_cursor cursor{b.data(), b.data() + b.size()};
        asn1::bytes_view content;
        REQUIRE(cursor.take(c.tag, content) == c.taken);
        asn1::reader r(b.data(), b.size());
        asn1::element e;
        if (!c.taken) {
            CHECK(cursor.pos == b.data());
            continue;
        }
        REQUIRE(r.read(c.tag, "the element", e));
        CHECK(content == e.content);
        CHECK(cursor.pos == e.whole.data + e.whole.size);
        r.consume(cursor);
        CHECK(r.offset() == e.whole.size);
    }
}

TEST_CASE("asn1: INTEGER content octets to int64 without a result") {
    const auto value_of = [](const bytes& content, std::int64_t& out) {
        const bytes& kept = keep(content);
        return asn1::read_int64(asn1::bytes_view{kept.data(), kept.size()}, out);
    };
    std::int64_t v = 0;
    CHECK(value_of({0x06, 0xA5}, v) == asn1::integer_error::none);
    CHECK(v == 1701);
    CHECK(value_of({0x80}, v) == asn1::integer_error::none);
    CHECK(v == -128);
    CHECK(value_of({0xFF, 0x7F}, v) == asn1::integer_error::none);
    CHECK(v == -129);
    CHECK(value_of({0x80, 0, 0, 0, 0, 0, 0, 0}, v) == asn1::integer_error::none);
    CHECK(v == INT64_MIN);
    CHECK(value_of({}, v) == asn1::integer_error::empty);
    CHECK(value_of({0x00, 0x7F}, v) == asn1::integer_error::non_minimal);
    CHECK(value_of({0xFF, 0x80}, v) == asn1::integer_error::non_minimal);
    CHECK(value_of({0x00, 0x80, 0, 0, 0, 0, 0, 0, 0}, v) == asn1::integer_error::too_large);
    CHECK(value_of({0x00, 0x00, 0, 0, 0, 0, 0, 0, 1}, v) == asn1::integer_error::non_minimal);
    const bytes& octets = keep({0x04, 0x01, 0x01});
    auto e = asn1::read_single(octets.data(), octets.size(), "test");
    REQUIRE(e);
    CHECK(asn1::read_int64(*e, v) == asn1::integer_error::not_integer);
    CHECK(asn1::integer_failure(asn1::integer_error::not_integer, *e).detail == "expected an INTEGER, found tag 0x04");
}

TEST_CASE("asn1: text checks look at every byte, past runs of ASCII too") {
    const auto text_error_of = [](unsigned char tag, const std::string& text) {
        bytes b{tag, static_cast<unsigned char>(text.size())};
        b.insert(b.end(), text.begin(), text.end());
        auto e = single(b);
        REQUIRE(e);
        return asn1::check_text(*e);
    };
    const std::string ascii = "com.example.a.long.product.id";
    CHECK(text_error_of(asn1::tag_ia5_string, ascii) == asn1::text_error::none);
    CHECK(text_error_of(asn1::tag_utf8_string, ascii + "\xC3\xA9") == asn1::text_error::none);
    for (std::size_t at : {std::size_t{0}, std::size_t{7}, std::size_t{8}, std::size_t{9}, ascii.size() - 1}) {
        INFO("non-ASCII byte at " << at);
        std::string text = ascii;
        text[at] = '\x80';
        CHECK(text_error_of(asn1::tag_ia5_string, text) == asn1::text_error::non_ascii);
        CHECK(text_error_of(asn1::tag_utf8_string, text) == asn1::text_error::invalid_utf8);
    }
    CHECK(text_error_of(asn1::tag_utf8_string, ascii + "\xC3") == asn1::text_error::invalid_utf8);
    CHECK(text_error_of(asn1::tag_octet_string, ascii) == asn1::text_error::not_text);
}

TEST_CASE("asn1: short_definite_content reads the short and two-byte forms as the reader reads them") {
    bytes one_byte_length{0x04, 0x81, 0x80};
    one_byte_length.resize(3 + 0x80, 'x');
    bytes two_byte_length{0x30, 0x82, 0x01, 0x00};
    two_byte_length.resize(4 + 0x100, 0x05);
    struct content_case {
        bytes input;
        bool read;
    };
    const std::vector<content_case> cases = {
        {{0x04, 0x03, 'a', 'b', 'c', 0x05, 0x00}, true},
        {{0x04, 0x00}, true},
        {one_byte_length, true},
        {two_byte_length, true},
        {{0x30, 0x80, 0x05, 0x00, 0x00, 0x00}, false},   // indefinite: the reader's job
        {{0x04, 0x81, 0x05, 1, 2, 3, 4, 5}, false},      // non-minimal length
        {{0x04, 0x82, 0x00, 0x80}, false},               // non-minimal length
        {{0x04, 0x83, 0x01, 0x00, 0x00}, false},         // three length bytes: the reader's job
        {{0x04, 0x85, 1, 0, 0, 0, 0}, false},            // length of 5 bytes
        {{0x04, 0x05, 1, 2}, false},                     // past the end
        {{0x04, 0x81}, false},                           // truncated length
        {{0x04, 0x82, 0x01}, false},                     // truncated length
        {{0x04, 0x81, 0x80, 1}, false},                  // past the end
    };
    for (const auto& c : cases) {
        const bytes& b = keep(c.input);
        INFO("input of " << b.size() << " bytes");
        asn1::bytes_view content;
        REQUIRE(asn1::short_definite_content(b.data(), b.data() + b.size(), content) == c.read);
        if (!c.read) continue;
        asn1::reader r(b.data(), b.size());
        asn1::element e;
        REQUIRE(r.read(e));
        CHECK(content == e.content);
        CHECK(content.data == e.content.data);
    }
}

TEST_CASE("asn1: is_ascii finds a high byte at any position of any length") {
    for (std::size_t size = 0; size <= 40; ++size) {
        bytes text(size, 'a');
        const bytes& kept = keep(text);
        CHECK(asn1::is_ascii({kept.data(), kept.size()}));
        for (std::size_t at = 0; at < size; ++at) {
            for (const unsigned char high : std::initializer_list<unsigned char>{0x80, 0xC3, 0xFF}) {
                bytes bad = text;
                bad[at] = high;
                const bytes& b = keep(bad);
                INFO("size " << size << ", byte " << int(high) << " at " << at);
                CHECK_FALSE(asn1::is_ascii({b.data(), b.size()}));
                CHECK(asn1::ascii_prefix({b.data(), b.size()}) == at);
            }
        }
    }
    // Only the view's bytes count, not those around it.
    const bytes& around = keep({0x80, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0x80});
    CHECK(asn1::is_ascii({around.data() + 1, around.size() - 2}));
    CHECK(asn1::is_ascii({around.data() + 1, 3}));
}
