// SPDX-License-Identifier: MIT
//
// What Google Play and ONE store share: purchase JSON signed with RSASSA-PKCS1-v1_5 over the exact
// bytes the store sent. The signature is checked before a single byte of JSON is parsed.
#ifndef IAP_EMBEDDED_DETAIL_SIGNED_JSON_HPP
#define IAP_EMBEDDED_DETAIL_SIGNED_JSON_HPP

#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/purchase.hpp"

#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline bool is_blank(std::string_view s) noexcept {
    for (const char c : s)
        if (!base64_is_space(static_cast<unsigned char>(c))) return false;
    return true;
}

/// Parses the store's public key: base64 of a DER SubjectPublicKeyInfo, RSA.
inline result<std::shared_ptr<const pk_key>> parse_store_public_key(std::string_view key_base64) {
    auto der = decode_base64(key_base64);
    if (!der) return make_error(errc::malformed_key, "the public key is not base64: " + der.message());
    return parse_rsa_public_key_der(der->data(), der->size());
}

/// Verifies `signature_base64` over the exact bytes of `data`, then parses them as a JSON object.
inline result<picojson::value> verify_signed_json(const pk_key& key, digest_kind digest, std::string_view data,
                                                  std::string_view signature_base64,
                                                  const char* empty_signature_message) {
    if (data.empty()) return make_error(errc::malformed_input, "the purchase data is empty");
    if (data.size() > IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES)
        return make_error(errc::malformed_input, "the purchase data is larger than " +
                                                     std::to_string(IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES) + " bytes");
    if (is_blank(signature_base64)) return make_error(errc::malformed_input, empty_signature_message);

    unsigned char sig[IAP_EMBEDDED_MAX_RSA_BITS / 8];
    auto sig_size = decode_base64_into(signature_base64, sig, sizeof sig);
    if (!sig_size) return make_error(errc::malformed_input, "the signature: " + sig_size.message());

    auto verified = verify_rsa_pkcs1v15(key, digest, reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                        sig, *sig_size);
    if (!verified) return std::move(verified).error();

    auto json = parse_json(data);
    if (!json) return std::move(json).error();
    if (!json->is<picojson::object>()) return make_error(errc::malformed_input, "the purchase data is not a JSON object");
    return json;
}

/// The package name check both stores apply after mapping.
inline result<purchase> check_package_name(purchase p, const std::string& expected) {
    if (!expected.empty() && p.package_name != expected)
        return make_error(errc::bundle_id_mismatch, "the purchase is for package \"" + p.package_name +
                                                        "\", expected \"" + expected + "\"");
    return p;
}

/// Reads `purchaseTime` and `quantity`, which both stores spell and bound the same way.
inline void read_time_and_quantity(json_fields& f, purchase& p) {
    p.purchase_time_ms = f.integer("purchaseTime", true).value_or(0);
    p.quantity = f.integer("quantity").value_or(1);
    if (p.purchase_time_ms < 0) f.fail_with("the field \"purchaseTime\" is negative");
    if (p.quantity < 1) f.fail_with("the field \"quantity\" must be at least 1");
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_SIGNED_JSON_HPP
