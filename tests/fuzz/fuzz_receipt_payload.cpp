// SPDX-License-Identifier: MIT
//
// Fuzzes the receipt payload parser (SET OF ReceiptAttribute, nested in-app SETs, dates) and
// the RFC 3339 reader on the raw input. Invariants: failures are `malformed_input` with a
// message; on success the required fields are present, the raw views lie inside the input, and
// every purchase has a product id, a transaction id, store app_store, and state refunded
// exactly when it has a cancellation date.
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/app_receipt_payload.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace asn1 = iap_embedded::detail::asn1;

bool inside(asn1::bytes_view v, const unsigned char* begin, std::size_t size) {
    return v.size == 0 || (v.data >= begin && v.data + v.size <= begin + size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace iap_embedded;
    const auto payload = detail::parse_receipt_payload({data, size});
    if (!payload) {
        IAP_EMBEDDED_FUZZ_ASSERT(payload.error_code() == errc::malformed_input);
        IAP_EMBEDDED_FUZZ_ASSERT(!payload.message().empty());
    } else {
        IAP_EMBEDDED_FUZZ_ASSERT(inside(payload->bundle_id_value, data, size));
        IAP_EMBEDDED_FUZZ_ASSERT(inside(payload->opaque_value, data, size));
        IAP_EMBEDDED_FUZZ_ASSERT(inside(payload->sha1_hash, data, size));
        IAP_EMBEDDED_FUZZ_ASSERT(payload->bundle_id_value.size >= payload->bundle_id.size() + 2);
        for (const auto& p : payload->purchases) {
            IAP_EMBEDDED_FUZZ_ASSERT(p.store == store_kind::app_store);
            IAP_EMBEDDED_FUZZ_ASSERT(!p.product_id.empty() && !p.transaction_id.empty());
            IAP_EMBEDDED_FUZZ_ASSERT((p.state == purchase_state::refunded) == p.cancellation_time_ms.has_value());
        }
    }
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto ms = detail::parse_receipt_time_ms(text)) {
        // Years 0000..9999 with offsets up to a day stay within this range.
        IAP_EMBEDDED_FUZZ_ASSERT(*ms > -62167305600000 - 86400000 && *ms < 253402387200000 + 86400000);
    }
    return 0;
}
