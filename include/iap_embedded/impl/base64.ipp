// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_BASE64_IPP
#define IAP_EMBEDDED_IMPL_BASE64_IPP

#include "iap_embedded/base64.hpp"

namespace iap_embedded {
inline namespace v1 {
namespace detail {

constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, -1 otherwise.
constexpr int base64_value(unsigned char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

struct base64_table_type {
    signed char value[256];
};

constexpr base64_table_type make_base64_table() noexcept {
    base64_table_type table{};
    for (int c = 0; c < 256; ++c) table.value[c] = static_cast<signed char>(base64_value(static_cast<unsigned char>(c)));
    return table;
}

inline constexpr base64_table_type base64_table = make_base64_table();

constexpr bool base64_is_space(unsigned char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline error_info base64_error(const char* what, std::size_t offset) {
    return make_error(errc::malformed_input, std::string("not valid base64: ") + what + " at offset " + std::to_string(offset));
}

inline error_info base64_too_long(std::size_t limit) {
    return make_error(errc::malformed_input, "the base64 text decodes to more than " + std::to_string(limit) + " bytes");
}

} // namespace detail

IAP_EMBEDDED_DECL result<std::size_t> decode_base64_into(std::string_view encoded, unsigned char* out,
                                                         std::size_t out_size) {
    unsigned quartet[4] = {0, 0, 0, 0};
    std::size_t filled = 0;  // significant characters in the current quartet
    std::size_t padding = 0; // '=' seen so far
    std::size_t written = 0;
    const auto* text = reinterpret_cast<const unsigned char*>(encoded.data());
    const auto& table = detail::base64_table.value;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        // Fast path: four alphabet characters starting a quartet.
        if (filled == 0 && padding == 0 && encoded.size() - i >= 4 && out_size - written >= 3) {
            const int a = table[text[i]], b = table[text[i + 1]], c = table[text[i + 2]], d = table[text[i + 3]];
            if ((a | b | c | d) >= 0) {
                const unsigned bits = unsigned(a) << 18 | unsigned(b) << 12 | unsigned(c) << 6 | unsigned(d);
                out[written++] = static_cast<unsigned char>(bits >> 16);
                out[written++] = static_cast<unsigned char>(bits >> 8);
                out[written++] = static_cast<unsigned char>(bits);
                i += 3;
                continue;
            }
        }
        const auto c = text[i];
        if (detail::base64_is_space(c)) continue;
        if (c == '=') {
            // Padding may only complete the third or fourth position of a quartet.
            if (filled + padding < 2 || filled + padding == 4)
                return detail::base64_error("misplaced '=' padding", i);
            ++padding;
            continue;
        }
        const int v = table[c];
        if (v < 0) return detail::base64_error("character outside the base64 alphabet", i);
        if (padding != 0) return detail::base64_error("data after '=' padding", i);
        quartet[filled++] = static_cast<unsigned>(v);
        if (filled == 4) {
            if (out_size - written < 3) return detail::base64_too_long(out_size);
            const unsigned bits = quartet[0] << 18 | quartet[1] << 12 | quartet[2] << 6 | quartet[3];
            out[written++] = static_cast<unsigned char>(bits >> 16);
            out[written++] = static_cast<unsigned char>(bits >> 8);
            out[written++] = static_cast<unsigned char>(bits);
            filled = 0;
        }
    }
    if (filled == 0 && padding == 0) return written;
    if (filled + padding != 4)
        return make_error(errc::malformed_input, "not valid base64: the length is not a multiple of 4 (missing '=' padding?)");
    const unsigned bits = quartet[0] << 18 | quartet[1] << 12 | (filled == 3 ? quartet[2] << 6 : 0u);
    const std::size_t tail = filled - 1; // 2 significant chars -> 1 byte, 3 -> 2 bytes
    // The unused low bits must be zero, or the same bytes would have several spellings.
    const unsigned unused_mask = tail == 1 ? 0xFFFFu : 0xFFu;
    if ((bits & unused_mask) != 0)
        return make_error(errc::malformed_input, "not valid base64: non-zero bits before the '=' padding");
    if (out_size - written < tail) return detail::base64_too_long(out_size);
    out[written++] = static_cast<unsigned char>(bits >> 16);
    if (tail == 2) out[written++] = static_cast<unsigned char>(bits >> 8);
    return written;
}

IAP_EMBEDDED_DECL result<std::vector<unsigned char>> decode_base64(std::string_view encoded) {
    std::vector<unsigned char> out(base64_decoded_size_bound(encoded.size()));
    auto n = decode_base64_into(encoded, out.data(), out.size());
    if (!n) return std::move(n).error();
    out.resize(*n);
    return out;
}

IAP_EMBEDDED_DECL result<std::vector<unsigned char>> decode_base64url(std::string_view encoded) {
    if (encoded.size() % 4 == 1) return make_error(errc::malformed_input, "not valid base64url: impossible length");
    std::string standard;
    standard.reserve(encoded.size() + 2);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        const char c = encoded[i];
        if (c == '-') standard += '+';
        else if (c == '_') standard += '/';
        else if (c == '+' || c == '/' || detail::base64_table.value[static_cast<unsigned char>(c)] < 0)
            return detail::base64_error("character outside the base64url alphabet", i);
        else standard += c;
    }
    standard.append((4 - standard.size() % 4) % 4, '=');
    return decode_base64(standard);
}

IAP_EMBEDDED_DECL std::string encode_base64(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const unsigned bits = unsigned{data[i]} << 16 | unsigned{data[i + 1]} << 8 | data[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out += detail::base64_alphabet[(bits >> shift) & 63];
    }
    if (i < size) {
        const bool two = i + 1 < size;
        const unsigned bits = unsigned{data[i]} << 16 | (two ? unsigned{data[i + 1]} << 8 : 0u);
        out += detail::base64_alphabet[(bits >> 18) & 63];
        out += detail::base64_alphabet[(bits >> 12) & 63];
        out += two ? detail::base64_alphabet[(bits >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_BASE64_IPP
