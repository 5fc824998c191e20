// SPDX-License-Identifier: MIT
//
// Fuzzes certificate chain verification against the built-in Apple roots.
//
// Input: one flags byte, then certificates, each a 2-byte big-endian length and that many bytes of
// DER; the first is the leaf, the rest are the other certificates, in order. Flags: bit 0 requires
// the intermediate marker, bit 1 asks for exactly the given number of certificates (JWS x5c
// shape), bit 2 allows the leaf to be a trusted root (Xcode). The leaf marker is always required,
// and the evaluation time is fixed at 2030-01-01T00:00:00Z: both built-in roots are valid then,
// and no genuine Apple receipt-signing leaf in the seed data is.
//
// Invariants: nothing forged ever verifies (the only success is a built-in root sent as the leaf
// with bit 2 set); every failure is one of the chain's documented errors; a shared cache never
// changes an answer.
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/apple_root_certificates.hpp"
#include "iap_embedded/detail/x509_chain.hpp"
#include "iap_embedded/trusted_roots.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

constexpr std::int64_t evaluation_time = 1893456000; // 2030-01-01T00:00:00Z

bool is_builtin_root(iap_embedded::detail::der_view der) {
    using namespace iap_embedded::detail;
    return same_bytes(der, {apple_root_ca_der, sizeof apple_root_ca_der}) ||
           same_bytes(der, {apple_root_ca_g3_der, sizeof apple_root_ca_g3_der});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace iap_embedded;
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    std::vector<detail::der_view> certificates;
    std::size_t pos = 1;
    while (pos + 2 <= size && certificates.size() < 12) {
        const std::size_t length = static_cast<std::size_t>(data[pos]) << 8 | data[pos + 1];
        pos += 2;
        const std::size_t available = length < size - pos ? length : size - pos;
        certificates.push_back({data + pos, available});
        pos += available;
    }
    const detail::der_view leaf = certificates.empty() ? detail::der_view{} : certificates.front();
    const std::vector<detail::der_view> others(certificates.empty() ? certificates.end() : certificates.begin() + 1,
                                               certificates.end());

    detail::chain_rules rules;
    rules.leaf_marker_oid = "1.2.840.113635.100.6.11.1";
    rules.intermediate_marker_oid = (flags & 1) ? "1.2.840.113635.100.6.2.1" : nullptr;
    rules.exact_length = (flags & 2) ? certificates.size() : 0;
    rules.leaf_may_be_root = (flags & 4) != 0;

    static detail::chain_cache cache(8);
    static const trusted_roots root_sets[] = {trusted_roots::apple_root_ca(), trusted_roots::apple_root_ca_g3()};
    for (const auto& roots : root_sets) {
        const auto uncached = detail::verify_chain(leaf, others, roots, evaluation_time, rules, nullptr);
        const auto cached = detail::verify_chain(leaf, others, roots, evaluation_time, rules, &cache);
        IAP_EMBEDDED_FUZZ_ASSERT(uncached.has_value() == cached.has_value());
        IAP_EMBEDDED_FUZZ_ASSERT(uncached.error_code() == cached.error_code());
        if (uncached) {
            IAP_EMBEDDED_FUZZ_ASSERT(rules.leaf_may_be_root && is_builtin_root(leaf));
            continue;
        }
        const auto code = uncached.error_code();
        IAP_EMBEDDED_FUZZ_ASSERT(code == errc::malformed_input || code == errc::unsupported_algorithm ||
                                 code == errc::untrusted_certificate || code == errc::certificate_expired ||
                                 code == errc::internal_error);
        IAP_EMBEDDED_FUZZ_ASSERT(!uncached.message().empty());
    }
    return 0;
}
