// SPDX-License-Identifier: MIT
//
// Fuzzes the strict ASN.1 reader: walks every element of the input depth-first with an explicit
// stack (descending into every constructed element the reader lets it), and runs every value
// reader on every element. Invariants: every element lies inside the input and its content
// inside the element, the walk never goes deeper than IAP_EMBEDDED_MAX_ASN1_DEPTH, and every
// failure is `malformed_input` with a message.
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/asn1.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

namespace asn1 = iap_embedded::detail::asn1;
using iap_embedded::errc;

template <class T>
void check_failure(const iap_embedded::result<T>& r) {
    if (!r) {
        IAP_EMBEDDED_FUZZ_ASSERT(r.error_code() == errc::malformed_input);
        IAP_EMBEDDED_FUZZ_ASSERT(!r.message().empty());
    }
}

void read_values(const asn1::element& e) {
    check_failure(asn1::to_int64(e));
    check_failure(asn1::integer_bytes(e));
    const auto dotted = asn1::oid_to_dotted(e);
    check_failure(dotted);
    if (dotted) IAP_EMBEDDED_FUZZ_ASSERT(asn1::oid_equals(e, *dotted));
    const auto text = asn1::text_string(e);
    check_failure(text);
    if (text) IAP_EMBEDDED_FUZZ_ASSERT(text->size() == e.content.size);
    std::vector<unsigned char> octets;
    const auto joined = asn1::append_octet_string(e, octets);
    check_failure(joined);
    if (joined) IAP_EMBEDDED_FUZZ_ASSERT(octets.size() <= e.content.size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const unsigned char* begin = data;
    const unsigned char* end = data + size;
    std::vector<asn1::reader> stack{asn1::reader(data, size)};
    std::size_t elements = 0;
    while (!stack.empty() && elements < 4096) {
        asn1::reader& r = stack.back();
        if (r.empty()) {
            stack.pop_back();
            continue;
        }
        auto e = r.next();
        check_failure(e);
        if (!e) {
            stack.pop_back();
            continue;
        }
        ++elements;
        IAP_EMBEDDED_FUZZ_ASSERT(e->whole.data >= begin && e->whole.data + e->whole.size <= end);
        IAP_EMBEDDED_FUZZ_ASSERT(e->content.data >= e->whole.data &&
                                 e->content.data + e->content.size <= e->whole.data + e->whole.size);
        IAP_EMBEDDED_FUZZ_ASSERT(!e->indefinite || e->constructed());
        read_values(*e);
        if (e->constructed()) {
            auto child = r.enter(*e);
            check_failure(child);
            if (child) {
                IAP_EMBEDDED_FUZZ_ASSERT(child->depth() <= IAP_EMBEDDED_MAX_ASN1_DEPTH);
                stack.push_back(*child);
            }
        }
    }
    return 0;
}
