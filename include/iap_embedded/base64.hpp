// SPDX-License-Identifier: MIT
//
// Strict base64 (RFC 4648 section 4, standard alphabet). Spaces, tabs and line breaks anywhere are
// tolerated, since keys and signatures are pasted from consoles and PEM-like files. Everything
// else is rejected: characters outside the alphabet, missing or misplaced padding, non-zero
// padding bits (a second spelling of the same bytes), and anything after the padding.
#ifndef IAP_EMBEDDED_BASE64_HPP
#define IAP_EMBEDDED_BASE64_HPP

#include "iap_embedded/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {

/// Upper bound of the decoded size of `encoded`, for sizing a buffer for `decode_base64_into`.
constexpr std::size_t base64_decoded_size_bound(std::size_t encoded_size) noexcept {
    return encoded_size / 4 * 3 + 3;
}

/// Decodes `encoded` into `out` (capacity `out_size`) without allocating; returns the number of
/// bytes written. Fails with `malformed_input` on any deviation from strict base64, or when the
/// output does not fit.
IAP_EMBEDDED_DECL result<std::size_t> decode_base64_into(std::string_view encoded, unsigned char* out,
                                                         std::size_t out_size);

/// Decodes `encoded` into a new buffer. Fails with `malformed_input` as `decode_base64_into`.
IAP_EMBEDDED_DECL result<std::vector<unsigned char>> decode_base64(std::string_view encoded);

/// Decodes base64url without padding (RFC 7515 section 2, as JWS uses it): only `A-Z a-z 0-9 - _`,
/// no `=`, no whitespace, non-zero padding bits rejected. Fails with `malformed_input`.
IAP_EMBEDDED_DECL result<std::vector<unsigned char>> decode_base64url(std::string_view encoded);

/// Encodes bytes as padded standard base64 on one line.
IAP_EMBEDDED_DECL std::string encode_base64(const unsigned char* data, std::size_t size);

} // namespace v1
} // namespace iap_embedded

#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION) || defined(IAP_EMBEDDED_SOURCE)
#include "iap_embedded/impl/base64.ipp"
#endif

#endif // IAP_EMBEDDED_BASE64_HPP
