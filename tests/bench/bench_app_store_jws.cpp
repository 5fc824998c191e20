// SPDX-License-Identifier: MIT
//
// StoreKit 2 JWS verification against the bare mbedTLS work it cannot avoid, in one process run:
//   cold: verify_app_store_jws with an empty chain cache every time (chain fully verified);
//   warm: verify_app_store_jws with the chain cached (the steady state of an app);
//   bare: SHA-256 of `header.payload` + mbedtls_pk_verify with the leaf key parsed once.
// Input: Apple's mock "transactionInfo" (P-256 leaf, Apple's test CA as root), read in place. It
// names no transactionId, so each verification ends with malformed_input at the kind check, which
// runs after the chain and the signature: the same work as accepting a transaction, and an
// operation counts as done only when it ended there.
// Batches alternate over several rounds; the table shows the median ns/op. Never fails on timings.
//
//   bench_app_store_jws [--quick]
#include <iap_embedded/app_store_jws.hpp>
#include "../testdata.hpp"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_app_store_jws: %s\n", what.c_str());
    std::exit(1);
}

std::string read_testdata(const std::string& relative) {
    std::string bytes;
    if (!testdata::read(relative, bytes)) fail(testdata::missing(relative));
    return bytes;
}

double time_batch(const std::function<bool()>& op, std::size_t n, const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i)
        if (!op()) fail(std::string(what) + " failed during the benchmark");
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
           static_cast<double>(n);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    namespace iap = iap_embedded;
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    const std::string dir = "apple_jws/app-store-server-library/";
    std::string jws = read_testdata(dir + "mock_signed_data/transactionInfo");
    while (!jws.empty() && (jws.back() == '\n' || jws.back() == '\r')) jws.pop_back();
    auto roots = iap::trusted_roots::from_certificates({read_testdata(dir + "certs/testCA.der")});
    if (!roots) fail("root: " + roots.message());
    iap::app_store_jws_options options;
    options.roots = *roots;
    options.expected_bundle_id = "com.example";
    options.expected_environment = iap::app_store_environment::sandbox;
    // Signed and chained, refused only as no transaction.
    const auto reached_kind_check = [](const iap::result<iap::app_store_jws>& r) {
        return r.error_code() == iap::errc::malformed_input && r.message().find("transactionId") != std::string::npos;
    };

    // Bare side: the leaf key from x5c[0], the raw signature as DER, parsed once.
    const auto first_dot = jws.find('.'), last_dot = jws.rfind('.');
    const auto header = iap::decode_base64url(jws.substr(0, first_dot));
    if (!header) fail("header");
    const std::string header_text(header->begin(), header->end());
    const auto x5c_at = header_text.find("[\"") + 2;
    const auto leaf_der = iap::decode_base64(header_text.substr(x5c_at, header_text.find('"', x5c_at) - x5c_at));
    if (!leaf_der) fail("leaf");
    mbedtls_x509_crt leaf;
    mbedtls_x509_crt_init(&leaf);
    if (mbedtls_x509_crt_parse_der(&leaf, leaf_der->data(), leaf_der->size()) != 0) fail("leaf parse");
    const auto raw = iap::decode_base64url(jws.substr(last_dot + 1));
    if (!raw) fail("signature");
    auto rs = iap::detail::ecdsa_signature_from_raw(raw->data(), raw->size(), 32);
    if (!rs) fail("signature split");
    unsigned char der[140];
    const std::size_t der_size = iap::detail::ecdsa_signature_to_der(*rs, der);
    const std::string signing_input = jws.substr(0, last_dot);
    const auto bare = [&] {
        unsigned char hash[32];
        mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size(), hash);
        return mbedtls_pk_verify(&leaf.pk, MBEDTLS_MD_SHA256, hash, sizeof hash, der, der_size) == 0;
    };
    iap::detail::chain_cache warm_cache;
    const auto warm = [&] { return reached_kind_check(iap::verify_app_store_jws(jws, options, &warm_cache)); };
    const auto cold = [&] {
        iap::detail::chain_cache fresh(1);
        return reached_kind_check(iap::verify_app_store_jws(jws, options, &fresh));
    };

    const int rounds = quick ? 5 : 31;
    const std::size_t batch = quick ? 20 : 100;
    std::vector<double> t_cold, t_warm, t_bare;
    for (const auto& op : {std::function<bool()>(cold), std::function<bool()>(warm), std::function<bool()>(bare)})
        time_batch(op, 5, "warm-up");
    for (int r = 0; r < rounds; ++r) {
        t_bare.push_back(time_batch(bare, batch, "bare ES256"));
        t_warm.push_back(time_batch(warm, batch, "warm verify"));
        t_cold.push_back(time_batch(cold, batch / 4, "cold verify"));
    }
    const double b = median(t_bare), w = median(t_warm), c = median(t_cold);
    std::printf("bench_app_store_jws: mbedTLS %s, %d rounds\n\n", MBEDTLS_VERSION_STRING, rounds);
    std::printf("| case | ns/op | ratio to bare ES256 |\n|---|---:|---:|\n");
    std::printf("| bare mbedTLS ES256 (SHA-256 + pk_verify) | %.0f | 1.000x |\n", b);
    std::printf("| verify_app_store_jws, warm (chain cached) | %.0f | %.3fx |\n", w, w / b);
    std::printf("| verify_app_store_jws, cold (full chain) | %.0f | %.3fx |\n", c, c / b);
    mbedtls_x509_crt_free(&leaf);
    return 0;
}
