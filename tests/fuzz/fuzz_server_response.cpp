// SPDX-License-Identifier: MIT
//
// Fuzzes reading the IAP server's answers (detail/iap_server_response.hpp), which arrive from the
// network. Invariants: nothing crashes; every failure is malformed_response; an envelope that
// parses always has a result that the consumable-list and consume readers either accept or refuse
// with malformed_response; an accepted consumable list only holds payments with a payment_seq and
// an access token, in state available, with the market they were read for.
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/iap_server_response.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace iap_embedded;
    namespace d = iap_embedded::detail;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto envelope = d::parse_server_envelope(body);
    if (!envelope) {
        IAP_EMBEDDED_FUZZ_ASSERT(envelope.error_code() == errc::malformed_response);
        return 0;
    }
    const auto list = d::parse_consumable_list(envelope->result, "GG");
    if (list) {
        for (const auto& p : *list) {
            IAP_EMBEDDED_FUZZ_ASSERT(!p.payment_seq.empty() && !p.access_token.empty());
            IAP_EMBEDDED_FUZZ_ASSERT(p.state == server_state::available && p.market == "GG");
        }
    } else {
        IAP_EMBEDDED_FUZZ_ASSERT(list.error_code() == errc::malformed_response);
    }
    const auto consumed = d::parse_consume_answer(envelope->result);
    IAP_EMBEDDED_FUZZ_ASSERT(consumed || consumed.error_code() == errc::malformed_response);
    return 0;
}
