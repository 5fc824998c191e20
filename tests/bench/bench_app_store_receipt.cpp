// SPDX-License-Identifier: MIT
//
// What does verify_app_store_receipt cost, and what does the chain cache save?
//
//   cold: verify_app_store_receipt with an empty chain cache every time (parse the CMS and the
//         payload, parse the certificates, verify the chain and the CMS signature);
//   warm: the same with one chain cache kept across calls (the chain's signatures are not
//         checked again; validity at the evaluation time is);
//   bare: the cryptography a verifier cannot avoid, called on mbedTLS directly: the digest of
//         the content plus the receipt's RSA verification, and the digest plus RSA verification
//         of each certificate link (leaf <- WWDR <- Apple Root CA). Keys are parsed and every
//         span located once, outside the loop;
//   parse: parse_unverified_app_store_receipt (DER in, fields out, no cryptography).
//
// Cases: the real production receipt (SHA-256, 4 purchases) and the 79 KB SHA-1 legacy sandbox
// receipt (187 purchases). Each measurement runs in alternating batches over several rounds and
// reports the median ns/op. It measures and prints; nothing here asserts a timing.
//
//   bench_app_store_receipt [--quick]
#include "iap_embedded/app_store.hpp"
#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/asn1.hpp"
#include "iap_embedded/detail/cms.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/x509_chain.hpp"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#ifndef IAP_EMBEDDED_TESTDATA_DIR
#error "IAP_EMBEDDED_TESTDATA_DIR must name the shared test data directory"
#endif

namespace {

namespace iap = iap_embedded;
namespace asn1 = iap_embedded::detail::asn1;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_app_store_receipt: %s\n", what.c_str());
    std::exit(1);
}

std::string read_testdata(const std::string& relative) {
    const std::string path = std::string(IAP_EMBEDDED_TESTDATA_DIR) + "/" + relative;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class T>
T must(iap::result<T> r, const char* what) {
    if (!r) fail(std::string(what) + ": " + r.message());
    return std::move(*r);
}

// One certificate as the bare path needs it: the signed bytes, the signature and its digest,
// and the certificate's own public key.
struct bare_certificate {
    asn1::bytes_view tbs;
    asn1::bytes_view signature;
    mbedtls_md_type_t md = MBEDTLS_MD_NONE;
    std::shared_ptr<iap::detail::pk_key> key = std::make_shared<iap::detail::pk_key>();
};

bare_certificate take_apart(asn1::bytes_view der) {
    bare_certificate out;
    asn1::reader top(der.data, der.size);
    auto cert = must(top.next(asn1::tag_sequence, "Certificate"), "certificate");
    auto c = must(top.enter(cert), "certificate");
    auto tbs = must(c.next(asn1::tag_sequence, "TBSCertificate"), "certificate");
    auto algorithm = must(c.next(asn1::tag_sequence, "signatureAlgorithm"), "certificate");
    auto signature = must(c.next(0x03, "signature BIT STRING"), "certificate");
    out.tbs = tbs.whole;
    out.signature = {signature.content.data + 1, signature.content.size - 1};
    auto a = must(c.enter(algorithm), "algorithm");
    const std::string oid = must(asn1::oid_to_dotted(must(a.next(asn1::tag_oid, "OID"), "algorithm")), "algorithm");
    out.md = oid == "1.2.840.113549.1.1.5" ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256;
    auto t = must(c.enter(tbs), "tbs");
    if (t.peek_tag() == asn1::context_tag(0, true)) (void)must(t.next(), "version");
    for (int skip = 0; skip < 5; ++skip) (void)must(t.next(), "tbs field"); // serial .. subject
    auto spki = must(t.next(asn1::tag_sequence, "SubjectPublicKeyInfo"), "spki");
    if (mbedtls_pk_parse_public_key(out.key->get(), spki.whole.data, spki.whole.size) != 0) fail("SPKI");
    return out;
}

bool bare_verify(const mbedtls_pk_context* key, mbedtls_md_type_t md, asn1::bytes_view data, asn1::bytes_view sig) {
    unsigned char hash[64];
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(md);
    if (mbedtls_md(info, data.data, data.size, hash) != 0) return false;
    return mbedtls_pk_verify(const_cast<mbedtls_pk_context*>(key), md, hash, mbedtls_md_get_size(info), sig.data,
                             sig.size) == 0;
}

double median_ns(const std::function<bool()>& op, long batch, int rounds) {
    std::vector<double> samples;
    for (int r = 0; r < rounds; ++r) {
        const auto start = std::chrono::steady_clock::now();
        for (long i = 0; i < batch; ++i)
            if (!op()) fail("an operation failed during measurement");
        const auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
        samples.push_back(ns / static_cast<double>(batch));
    }
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

void run_case(const char* label, const std::string& receipt_name, long batch, int rounds) {
    const std::string text = read_testdata("apple_receipts/tpinappreceipt/" + receipt_name);
    const auto der_bytes = must(iap::decode_base64(text), "base64");
    const std::string der(der_bytes.begin(), der_bytes.end());

    // Bare: locate everything once with the library's reader (not timed).
    const auto sd = must(iap::detail::cms::parse_signed_data(der_bytes.data(), der_bytes.size()), "cms");
    const auto root_der = read_testdata("apple_roots/AppleIncRootCertificate.cer");
    std::vector<bare_certificate> certs;
    for (const auto& c : sd.certificates) certs.push_back(take_apart(c));
    bare_certificate root = take_apart({reinterpret_cast<const unsigned char*>(root_der.data()), root_der.size()});
    // Order leaf, intermediate: the receipt lists [leaf, WWDR, root] in Apple's receipts.
    const bare_certificate& leaf = certs.at(0);
    const bare_certificate& wwdr = certs.at(1);
    const mbedtls_md_type_t content_md = sd.signer.digest == iap::detail::digest_kind::sha1 ? MBEDTLS_MD_SHA1
                                                                                            : MBEDTLS_MD_SHA256;
    const asn1::bytes_view content{sd.content.data(), sd.content.size()};
    const auto bare = [&] {
        return bare_verify(leaf.key->get(), content_md, content, sd.signer.signature) &&
               bare_verify(wwdr.key->get(), leaf.md, leaf.tbs, leaf.signature) &&
               bare_verify(root.key->get(), wwdr.md, wwdr.tbs, wwdr.signature);
    };
    if (!bare()) fail(std::string("bare verification of ") + receipt_name + " failed");

    iap::detail::chain_cache warm_cache;
    const auto warm = [&] { return iap::verify_app_store_receipt(der, {}, &warm_cache).has_value(); };
    const auto cold = [&] {
        iap::detail::chain_cache fresh;
        return iap::verify_app_store_receipt(der, {}, &fresh).has_value();
    };
    const auto parse = [&] { return iap::parse_unverified_app_store_receipt(der).has_value(); };
    if (!cold() || !warm()) fail(std::string("verification of ") + receipt_name + " failed");

    const double cold_ns = median_ns(cold, batch, rounds);
    const double warm_ns = median_ns(warm, batch, rounds);
    const double bare_ns = median_ns(bare, batch, rounds);
    const double parse_ns = median_ns(parse, batch * 4, rounds);
    std::printf("| %-34s | %9.1f | %9.1f | %9.1f | %9.1f |\n", label, cold_ns / 1000, warm_ns / 1000, bare_ns / 1000,
                parse_ns / 1000);
}

} // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const long batch = quick ? 20 : 200;
    const int rounds = quick ? 3 : 7;
    std::printf("verify_app_store_receipt, median of %d rounds, microseconds per receipt\n\n", rounds);
    std::printf("| %-34s | %9s | %9s | %9s | %9s |\n", "receipt", "cold", "warm", "bare", "parse");
    std::printf("|%s|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(11, '-').c_str(),
                std::string(11, '-').c_str(), std::string(11, '-').c_str(), std::string(11, '-').c_str());
    run_case("receipt-production (SHA-256, 4)", "receipt-production", batch, rounds);
    run_case("receipt-sandbox-legacy (SHA-1, 187)", "receipt-sandbox-legacy", batch, rounds);
    std::printf("\ncold: empty chain cache per call; warm: one cache across calls; bare: mbedTLS digests and\n"
                "RSA verifications only (receipt + 2 certificate links); parse: parse_unverified_app_store_receipt.\n");
    return 0;
}
