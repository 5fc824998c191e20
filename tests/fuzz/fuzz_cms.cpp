// SPDX-License-Identifier: MIT
//
// Fuzzes the CMS SignedData reader and the whole unverified receipt parser (DER and base64).
// Invariants: failures are `not_a_receipt`, `unsupported_algorithm` or (payload)
// `malformed_input`, always with a message; on success every certificate, the issuer, serial,
// signed attributes and signature lie inside the input, and the signed attributes re-tag to a SET.
#include "fuzz_assert.hpp"

#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/cms.hpp"
#include "iap_embedded/detail/app_receipt_payload.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

namespace asn1 = iap_embedded::detail::asn1;
namespace cms = iap_embedded::detail::cms;
using iap_embedded::errc;

bool inside(asn1::bytes_view v, const unsigned char* begin, std::size_t size) {
    return v.size == 0 || (v.data >= begin && v.data + v.size <= begin + size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto sd = cms::parse_signed_data(data, size);
    if (!sd) {
        IAP_EMBEDDED_FUZZ_ASSERT(sd.error_code() == errc::not_a_receipt || sd.error_code() == errc::unsupported_algorithm);
        IAP_EMBEDDED_FUZZ_ASSERT(!sd.message().empty());
        return 0;
    }
    for (const auto& cert : sd->certificates) IAP_EMBEDDED_FUZZ_ASSERT(inside(cert, data, size) && cert.size > 0);
    IAP_EMBEDDED_FUZZ_ASSERT(inside(sd->signer.issuer, data, size));
    IAP_EMBEDDED_FUZZ_ASSERT(inside(sd->signer.serial, data, size));
    IAP_EMBEDDED_FUZZ_ASSERT(inside(sd->signer.signature, data, size));
    IAP_EMBEDDED_FUZZ_ASSERT(inside(sd->signer.signed_attrs, data, size));
    IAP_EMBEDDED_FUZZ_ASSERT(sd->content.size() <= size);
    if (!sd->signer.signed_attrs.empty()) {
        const auto set = sd->signer.signed_attrs_as_set();
        IAP_EMBEDDED_FUZZ_ASSERT(set.size() == sd->signer.signed_attrs.size && set[0] == asn1::tag_set);
    }
    const auto payload = iap_embedded::detail::parse_receipt_payload({sd->content.data(), sd->content.size()});
    if (!payload) IAP_EMBEDDED_FUZZ_ASSERT(payload.error_code() == errc::malformed_input);

    // The same bytes as base64 text: the base64 path must reach the same parse.
    const std::string text = iap_embedded::encode_base64(data, size);
    auto decoded = iap_embedded::decode_base64(text);
    IAP_EMBEDDED_FUZZ_ASSERT(decoded.has_value());
    const auto again = cms::parse_signed_data(decoded->data(), decoded->size());
    IAP_EMBEDDED_FUZZ_ASSERT(again.has_value() && again->content == sd->content);
    return 0;
}
