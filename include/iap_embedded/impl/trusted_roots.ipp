// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_IMPL_TRUSTED_ROOTS_IPP
#define IAP_EMBEDDED_IMPL_TRUSTED_ROOTS_IPP

#include "iap_embedded/detail/apple_root_certificates.hpp"
#include "iap_embedded/detail/x509_certificate.hpp"
#include "iap_embedded/trusted_roots.hpp"

#include <mbedtls/x509_crt.h>

#include <string>
#include <utility>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

inline bool looks_like_pem(std::string_view text) noexcept {
    const auto start = text.find_first_not_of(" \t\r\n");
    return start != std::string_view::npos && text.substr(start, 10) == "-----BEGIN";
}

/// Parses DER or PEM into one or more certificates, appended to `out`.
inline result<void> parse_root_certificates(std::string_view der_or_pem,
                                            std::vector<std::shared_ptr<const certificate>>& out) {
    if (der_or_pem.empty()) return make_error(errc::malformed_input, "the root certificate is empty");
    if (!looks_like_pem(der_or_pem)) {
        auto cert = certificate::parse_der(reinterpret_cast<const unsigned char*>(der_or_pem.data()),
                                           der_or_pem.size());
        if (!cert) return std::move(cert).error();
        out.push_back(std::move(*cert));
        return {};
    }
    // mbedTLS reads PEM only from a NUL-terminated buffer.
    const std::string text(der_or_pem);
    mbedtls_x509_crt chain;
    mbedtls_x509_crt_init(&chain);
    const int rc = mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(text.c_str()),
                                          text.size() + 1);
    result<void> outcome;
    if (rc != 0) {
        outcome = make_error(errc::malformed_input,
                             rc > 0 ? std::to_string(rc) + " certificate(s) of the PEM text do not parse"
                                    : std::string("the PEM text holds no parsable certificate"),
                             rc < 0 ? rc : 0);
    } else {
        std::vector<std::shared_ptr<const certificate>> parsed;
        for (const mbedtls_x509_crt* c = &chain; c != nullptr && c->raw.p != nullptr; c = c->next) {
            auto cert = certificate::parse_der(c->raw.p, c->raw.len);
            if (!cert) {
                outcome = std::move(cert).error();
                break;
            }
            parsed.push_back(std::move(*cert));
        }
        if (outcome) out.insert(out.end(), parsed.begin(), parsed.end());
    }
    mbedtls_x509_crt_free(&chain);
    return outcome;
}

/// One built-in root, parsed once per process. Should the bytes not parse (an mbedTLS built
/// without RSA or P-384), the set is empty and trusts nothing.
inline std::shared_ptr<const std::vector<std::shared_ptr<const certificate>>> builtin_root(const unsigned char* der,
                                                                                           std::size_t size) {
    auto list = std::make_shared<std::vector<std::shared_ptr<const certificate>>>();
    if (auto cert = certificate::parse_der(der, size)) list->push_back(std::move(*cert));
    return list;
}

} // namespace detail

IAP_EMBEDDED_DECL trusted_roots::trusted_roots(std::shared_ptr<const list> certificates) noexcept
    : certificates_(std::move(certificates)) {}

IAP_EMBEDDED_DECL trusted_roots trusted_roots::apple_root_ca() {
    static const auto certificates = detail::builtin_root(detail::apple_root_ca_der, sizeof detail::apple_root_ca_der);
    return trusted_roots(certificates);
}

IAP_EMBEDDED_DECL trusted_roots trusted_roots::apple_root_ca_g3() {
    static const auto certificates =
        detail::builtin_root(detail::apple_root_ca_g3_der, sizeof detail::apple_root_ca_g3_der);
    return trusted_roots(certificates);
}

IAP_EMBEDDED_DECL result<trusted_roots> trusted_roots::from_certificates(const std::vector<std::string>& der_or_pem) {
    if (der_or_pem.empty()) return make_error(errc::malformed_input, "no root certificate was given");
    auto certificates = std::make_shared<list>();
    for (std::size_t i = 0; i < der_or_pem.size(); ++i) {
        if (auto parsed = detail::parse_root_certificates(der_or_pem[i], *certificates); !parsed) {
            error_info e = std::move(parsed).error();
            e.detail = "root certificate " + std::to_string(i + 1) + " of " + std::to_string(der_or_pem.size()) +
                       ": " + e.message();
            return e;
        }
    }
    return trusted_roots(std::move(certificates));
}

IAP_EMBEDDED_DECL result<void> trusted_roots::add(std::string_view der_or_pem) {
    auto certificates = std::make_shared<list>(*certificates_);
    if (auto parsed = detail::parse_root_certificates(der_or_pem, *certificates); !parsed) return parsed;
    certificates_ = std::move(certificates);
    return {};
}

IAP_EMBEDDED_DECL std::size_t trusted_roots::size() const noexcept { return certificates_->size(); }

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_IMPL_TRUSTED_ROOTS_IPP
