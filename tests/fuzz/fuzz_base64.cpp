// SPDX-License-Identifier: MIT
//
// Fuzzes the strict base64 decoder both ways round:
// - the input as base64 text: decode_base64 and decode_base64_into (exact, short and empty
//   buffers) must agree, and since the decoder accepts exactly one spelling of any bytes, a
//   successful decode re-encodes to the input minus its whitespace;
// - the input as bytes: decode(encode(x)) == x.
#include "fuzz_assert.hpp"

#include "iap_embedded/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace {

std::string without_whitespace(std::string_view text) {
    std::string out;
    for (const char c : text)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') out += c;
    return out;
}

void fuzz_decode(std::string_view text) {
    using namespace iap_embedded;
    const auto decoded = decode_base64(text);
    if (decoded) {
        IAP_EMBEDDED_FUZZ_ASSERT(decoded->size() <= base64_decoded_size_bound(text.size()));
        IAP_EMBEDDED_FUZZ_ASSERT(encode_base64(decoded->data(), decoded->size()) == without_whitespace(text));
    } else {
        IAP_EMBEDDED_FUZZ_ASSERT(decoded.error_code() == errc::malformed_input);
        IAP_EMBEDDED_FUZZ_ASSERT(!decoded.message().empty());
    }

    // Heap buffers of exactly the advertised size, so a write past `out_size` is caught by ASan.
    const std::size_t exact = decoded ? decoded->size() : base64_decoded_size_bound(text.size());
    auto buffer = std::make_unique<unsigned char[]>(exact);
    const auto into = decode_base64_into(text, buffer.get(), exact);
    IAP_EMBEDDED_FUZZ_ASSERT(into.has_value() == decoded.has_value());
    if (decoded) {
        IAP_EMBEDDED_FUZZ_ASSERT(*into == decoded->size());
        IAP_EMBEDDED_FUZZ_ASSERT(exact == 0 || std::memcmp(buffer.get(), decoded->data(), exact) == 0);
    }

    if (decoded && !decoded->empty()) {
        // One byte short must fail, and an empty buffer must fail without being written.
        const std::size_t short_size = decoded->size() - 1;
        auto short_buffer = std::make_unique<unsigned char[]>(short_size);
        const auto too_short = decode_base64_into(text, short_buffer.get(), short_size);
        IAP_EMBEDDED_FUZZ_ASSERT(!too_short && too_short.error_code() == errc::malformed_input);
        const auto empty = decode_base64_into(text, nullptr, 0);
        IAP_EMBEDDED_FUZZ_ASSERT(!empty && empty.error_code() == errc::malformed_input);
    }
}

void fuzz_round_trip(const unsigned char* data, std::size_t size) {
    using namespace iap_embedded;
    const std::string encoded = encode_base64(data, size);
    IAP_EMBEDDED_FUZZ_ASSERT(encoded.size() == (size + 2) / 3 * 4);
    const auto decoded = decode_base64(encoded);
    IAP_EMBEDDED_FUZZ_ASSERT(decoded.has_value());
    IAP_EMBEDDED_FUZZ_ASSERT(decoded->size() == size);
    IAP_EMBEDDED_FUZZ_ASSERT(size == 0 || std::memcmp(decoded->data(), data, size) == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_decode(std::string_view(reinterpret_cast<const char*>(data), size));
    fuzz_round_trip(data, size);
    return 0;
}
