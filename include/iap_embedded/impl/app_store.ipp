// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_APP_STORE_IPP
#define IAP_EMBEDDED_IMPL_APP_STORE_IPP

#include "iap_embedded/app_store.hpp"
#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/app_receipt_payload.hpp"
#include "iap_embedded/detail/asn1.hpp"
#include "iap_embedded/detail/cms.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/x509_chain.hpp"

#include <cstring>
#include <memory>
#include <utility>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

constexpr const char* apple_receipt_signing_marker = "1.2.840.113635.100.6.11.1";
constexpr const char* apple_wwdr_marker = "1.2.840.113635.100.6.2.1";

// A receipt taken apart, verified or not. Views point into the caller's input (DER) or into
// `decoded` (base64 input), and the payload's into the same bytes, or into `cms.content`'s own
// buffer when BER split the content into segments; none of these buffers moves with this
// object, which lives on the heap.
struct parsed_app_receipt {
    std::vector<unsigned char> decoded;
    cms::signed_data cms;
    receipt_payload payload;
};

// Parses `input`: DER when it starts like DER (a SEQUENCE), else base64 text of it.
inline result<std::unique_ptr<parsed_app_receipt>> parse_app_receipt(std::string_view input) {
    if (input.empty()) return make_error(errc::not_a_receipt, "the receipt is empty");
    if (input.size() > IAP_EMBEDDED_MAX_RECEIPT_BYTES)
        return make_error(errc::not_a_receipt, "the receipt has " + std::to_string(input.size()) +
                                                   " bytes; at most " + std::to_string(IAP_EMBEDDED_MAX_RECEIPT_BYTES) +
                                                   " are accepted (IAP_EMBEDDED_MAX_RECEIPT_BYTES)");
    auto parsed = std::make_unique<parsed_app_receipt>();
    asn1::bytes_view der{reinterpret_cast<const unsigned char*>(input.data()), input.size()};
    if (der.data[0] != asn1::tag_sequence) {
        auto decoded = decode_base64(input);
        if (!decoded)
            return make_error(errc::not_a_receipt, "the receipt is neither DER (it does not start with a SEQUENCE) "
                                                   "nor base64: " + decoded.error().detail);
        parsed->decoded = std::move(*decoded);
        der = {parsed->decoded.data(), parsed->decoded.size()};
    }
    auto signed_data = cms::parse_signed_data(der.data, der.size);
    if (!signed_data) return std::move(signed_data).error();
    parsed->cms = std::move(*signed_data);
    auto payload = parse_receipt_payload({parsed->cms.content.data(), parsed->cms.content.size()});
    if (!payload) return std::move(payload).error();
    parsed->payload = std::move(*payload);
    return parsed;
}

inline result<app_store_environment> environment_of(const receipt_payload& p) {
    if (!p.receipt_type || *p.receipt_type == "Production") return app_store_environment::production;
    if (*p.receipt_type == "ProductionSandbox" || *p.receipt_type == "Sandbox") return app_store_environment::sandbox;
    if (*p.receipt_type == "Xcode") return app_store_environment::xcode;
    return make_error(errc::malformed_input, "unknown receipt type \"" + *p.receipt_type + "\" (attribute 0)");
}

inline app_store_receipt to_receipt(receipt_payload&& p, app_store_environment environment) {
    app_store_receipt r;
    r.bundle_id = std::move(p.bundle_id);
    r.app_version = std::move(p.app_version);
    r.original_app_version = std::move(p.original_app_version);
    r.environment = environment;
    r.creation_time_ms = p.creation_time_ms.value_or(0);
    r.expiration_time_ms = p.expiration_time_ms;
    r.purchases = std::move(p.purchases);
    return r;
}

// Issuer, subject and serial of a certificate, read straight from its TBSCertificate.
struct certificate_names {
    asn1::bytes_view issuer;
    asn1::bytes_view subject;
    asn1::bytes_view serial;
};

inline result<certificate_names> read_certificate_names(asn1::bytes_view der) {
    asn1::reader top(der.data, der.size);
    auto cert = top.next(asn1::tag_sequence, "a Certificate");
    if (!cert) return std::move(cert).error();
    auto c = top.enter(*cert);
    if (!c) return std::move(c).error();
    auto tbs = c->next(asn1::tag_sequence, "a TBSCertificate");
    if (!tbs) return std::move(tbs).error();
    auto t = c->enter(*tbs);
    if (!t) return std::move(t).error();
    if (t->peek_tag() == asn1::context_tag(0, true)) {
        auto version = t->next();
        if (!version) return std::move(version).error();
    }
    auto serial = t->next(asn1::tag_integer, "the certificate serial number");
    if (!serial) return std::move(serial).error();
    auto algorithm = t->next(asn1::tag_sequence, "the certificate signature algorithm");
    if (!algorithm) return std::move(algorithm).error();
    auto issuer = t->next(asn1::tag_sequence, "the certificate issuer");
    if (!issuer) return std::move(issuer).error();
    auto validity = t->next(asn1::tag_sequence, "the certificate validity");
    if (!validity) return std::move(validity).error();
    auto subject = t->next(asn1::tag_sequence, "the certificate subject");
    if (!subject) return std::move(subject).error();
    return certificate_names{issuer->whole, subject->whole, serial->content};
}

// The certificate the SignerInfo names by issuer and serial number, and its names.
struct signer_certificate {
    std::size_t index = 0;
    certificate_names names;
};

inline result<signer_certificate> find_signer_certificate(const cms::signed_data& sd) {
    for (std::size_t i = 0; i < sd.certificates.size(); ++i) {
        auto names = read_certificate_names(sd.certificates[i]);
        if (!names)
            return make_error(errc::untrusted_certificate,
                              "certificate " + std::to_string(i) + " of the receipt is malformed: " + names.error().detail);
        if (names->issuer == sd.signer.issuer && names->serial == sd.signer.serial) return signer_certificate{i, *names};
    }
    return make_error(errc::untrusted_certificate, "the receipt does not contain the signer's certificate (" +
                                                       std::to_string(sd.certificates.size()) +
                                                       " certificates, none with the signer's issuer and serial)");
}

inline result<void> verify_cms_signature(const certificate& signer, const cms::signed_data& sd) {
    const cms::signer_info& s = sd.signer;
    if (s.signed_attrs.empty())
        return signer.verify_signature(s.digest, sd.content.data(), sd.content.size(), s.signature.data, s.signature.size);
    if (s.content_type_mismatch)
        return make_error(errc::signature_invalid, "the signed content-type attribute is not id-data");
    if (!s.message_digest)
        return make_error(errc::signature_invalid, "the signed attributes have no messageDigest attribute");
    auto digest = compute_digest(s.digest, sd.content.data(), sd.content.size());
    if (!digest) return std::move(digest).error();
    if (s.message_digest->size != digest->size || std::memcmp(s.message_digest->data, digest->bytes, digest->size) != 0)
        return make_error(errc::signature_invalid, std::string("the messageDigest attribute is not the ") +
                                                       digest_name(s.digest) + " of the receipt content");
    const std::vector<unsigned char> attrs = s.signed_attrs_as_set();
    return signer.verify_signature(s.digest, attrs.data(), attrs.size(), s.signature.data, s.signature.size);
}

inline result<void> check_device_hash(const receipt_payload& p, const std::vector<unsigned char>& device) {
    std::vector<unsigned char> input;
    input.reserve(device.size() + p.opaque_value.size + p.bundle_id_value.size);
    input.insert(input.end(), device.begin(), device.end());
    input.insert(input.end(), p.opaque_value.data, p.opaque_value.data + p.opaque_value.size);
    input.insert(input.end(), p.bundle_id_value.data, p.bundle_id_value.data + p.bundle_id_value.size);
    auto hash = compute_digest(digest_kind::sha1, input.data(), input.size());
    if (!hash) return std::move(hash).error();
    if (p.sha1_hash.size != hash->size || std::memcmp(p.sha1_hash.data, hash->bytes, hash->size) != 0)
        return make_error(errc::device_hash_mismatch, "the receipt's device hash does not match the device identifier");
    return {};
}

/// Whether `expected` names an environment (a value cast from elsewhere may not).
inline bool known_environment(app_store_environment e) noexcept {
    return e == app_store_environment::production || e == app_store_environment::sandbox ||
           e == app_store_environment::xcode;
}

// The options' required values, checked before any data is looked at (and by
// verifier::add_app_store, at configuration time).
inline result<void> check_receipt_options(const app_store_receipt_options& options) {
    if (options.expected_bundle_id.empty())
        return make_error(errc::malformed_input,
                          "app_store_receipt_options::expected_bundle_id is empty: set it to your app's bundle id");
    if (!known_environment(options.expected_environment))
        return make_error(errc::malformed_input, "app_store_receipt_options::expected_environment is not an environment");
    const std::size_t device = options.device_identifier.size();
    if (device != 0 && device != 16 && device != 6)
        return make_error(errc::malformed_input, "the device identifier has " + std::to_string(device) +
                                                     " bytes; a UUID has 16 and a MAC address 6");
    return {};
}

// The environment rule of receipts and JWS alike: data of `expected`, Sandbox data with
// `allow_sandbox`, Xcode data with `allow_xcode` (Xcode data without it was refused earlier as
// `xcode_not_allowed`). `actual` is absent when the data names no environment.
inline result<void> check_environment(std::optional<app_store_environment> actual, app_store_environment expected,
                                      bool allow_sandbox, bool allow_xcode, const char* what) {
    if (actual && (*actual == expected || (*actual == app_store_environment::sandbox && allow_sandbox) ||
                   (*actual == app_store_environment::xcode && allow_xcode)))
        return {};
    std::string message = std::string(what) + " comes from " +
                          (actual ? std::string(to_string(*actual)) : std::string("no named environment")) +
                          ", expected " + std::string(to_string(expected));
    if (actual == app_store_environment::sandbox)
        message += " (set allow_sandbox to accept Sandbox data too, as App Review needs)";
    return make_error(errc::environment_mismatch, std::move(message));
}

inline const trusted_roots& built_in_apple_root() {
    static const trusted_roots apple = trusted_roots::apple_root_ca();
    return apple;
}

inline chain_cache* shared_chain_cache() {
    static chain_cache cache;
    return &cache;
}

inline std::int64_t floor_div_1000(std::int64_t ms) noexcept { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

} // namespace detail

IAP_EMBEDDED_DECL result<app_store_receipt> verify_app_store_receipt(std::string_view receipt,
                                                                    const app_store_receipt_options& options,
                                                                    detail::chain_cache* cache) {
    if (auto checked = detail::check_receipt_options(options); !checked) return std::move(checked).error();
    auto parsed = detail::parse_app_receipt(receipt);
    if (!parsed) return std::move(parsed).error();
    const detail::cms::signed_data& sd = (*parsed)->cms;
    detail::receipt_payload& payload = (*parsed)->payload;
    auto environment = detail::environment_of(payload);
    if (!environment) return std::move(environment).error();

    auto signer_certificate = detail::find_signer_certificate(sd);
    if (!signer_certificate) return std::move(signer_certificate).error();
    const std::size_t signer_index = signer_certificate->index;
    const bool self_signed = signer_certificate->names.issuer == signer_certificate->names.subject;
    const bool xcode = *environment == app_store_environment::xcode || self_signed;
    if (xcode && !options.allow_xcode)
        return make_error(errc::xcode_not_allowed, "the receipt was produced by Xcode's StoreKit testing (" +
                                                       std::string(self_signed ? "self-signed signer" : "type Xcode") +
                                                       "); allow_xcode is off");
    if (xcode && !options.roots)
        return make_error(errc::untrusted_certificate, "Xcode receipts verify only against a root the caller passes "
                                                       "(Xcode's StoreKitTestCertificate.cer), never Apple's");
    if (xcode) environment = app_store_environment::xcode;

    std::int64_t at_ms = 0;
    if (options.evaluation_time_ms) {
        at_ms = *options.evaluation_time_ms;
    } else if (payload.creation_time_ms) {
        at_ms = *payload.creation_time_ms;
    } else {
        return make_error(errc::malformed_input,
                          "the receipt has no creation date (attribute 12) to evaluate certificates at; pass evaluation_time_ms");
    }

    const detail::asn1::bytes_view leaf_span = sd.certificates[signer_index];
    const detail::der_view leaf{leaf_span.data, leaf_span.size};
    std::vector<detail::der_view> others;
    others.reserve(sd.certificates.size());
    for (std::size_t i = 0; i < sd.certificates.size(); ++i)
        if (i != signer_index) others.push_back({sd.certificates[i].data, sd.certificates[i].size});
    detail::chain_rules rules;
    if (xcode) {
        rules.leaf_may_be_root = true;
    } else {
        rules.leaf_marker_oid = detail::apple_receipt_signing_marker;
        rules.intermediate_marker_oid = detail::apple_wwdr_marker;
    }
    const trusted_roots& roots = options.roots ? *options.roots : detail::built_in_apple_root();
    auto signer = detail::verify_chain(leaf, others, roots, detail::floor_div_1000(at_ms), rules,
                                       cache != nullptr ? cache : detail::shared_chain_cache());
    if (!signer) return std::move(signer).error();
    if (auto signature = detail::verify_cms_signature(**signer, sd); !signature) return std::move(signature).error();

    bool device_checked = false;
    if (!options.device_identifier.empty()) {
        if (auto hash = detail::check_device_hash(payload, options.device_identifier); !hash)
            return std::move(hash).error();
        device_checked = true;
    }
    if (payload.bundle_id != options.expected_bundle_id)
        return make_error(errc::bundle_id_mismatch, "the receipt is for bundle id \"" + payload.bundle_id +
                                                        "\", expected \"" + options.expected_bundle_id + "\"");
    if (!options.expected_app_version.empty() && payload.app_version != options.expected_app_version)
        return make_error(errc::app_version_mismatch, "the receipt is for app version \"" + payload.app_version +
                                                          "\", expected \"" + options.expected_app_version + "\"");
    if (auto env = detail::check_environment(*environment, options.expected_environment, options.allow_sandbox,
                                             options.allow_xcode, "the receipt");
        !env)
        return std::move(env).error();
    app_store_receipt out = detail::to_receipt(std::move(payload), *environment);
    out.device_checked = device_checked;
    return out;
}

IAP_EMBEDDED_DECL result<app_store_receipt> parse_unverified_app_store_receipt(std::string_view receipt) {
    auto parsed = detail::parse_app_receipt(receipt);
    if (!parsed) return std::move(parsed).error();
    auto environment = detail::environment_of((*parsed)->payload);
    if (!environment) return std::move(environment).error();
    return detail::to_receipt(std::move((*parsed)->payload), *environment);
}

IAP_EMBEDDED_DECL result<std::vector<unsigned char>> parse_device_identifier(std::string_view text) {
    std::vector<unsigned char> out;
    int pending = -1;
    std::size_t separators = 0;
    for (const char c : text) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == '-' || c == ':') {
            if (pending >= 0) return make_error(errc::malformed_input, "a separator splits a hex byte of the device identifier");
            ++separators;
            continue;
        } else {
            return make_error(errc::malformed_input, "the device identifier holds '" + std::string(1, c) +
                                                         "'; expected hex digits, dashes or colons");
        }
        if (pending < 0) {
            pending = v;
        } else {
            out.push_back(static_cast<unsigned char>(pending * 16 + v));
            pending = -1;
        }
    }
    if (pending >= 0 || (out.size() != 16 && out.size() != 6))
        return make_error(errc::malformed_input,
                          "the device identifier must be a UUID (32 hex digits) or a MAC address (12 hex digits)");
    if (out.size() == 16 && separators != 0 && separators != 4)
        return make_error(errc::malformed_input, "a UUID has 4 dashes or none");
    if (out.size() == 6 && separators != 0 && separators != 5)
        return make_error(errc::malformed_input, "a MAC address has 5 colons or none");
    return out;
}

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_APP_STORE_IPP
