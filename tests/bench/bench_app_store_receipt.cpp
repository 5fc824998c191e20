// SPDX-License-Identifier: MIT
//
// What does verify_app_store_receipt cost, against the cryptography it cannot avoid?
//
//   cold:   verify_app_store_receipt with an empty chain cache every time (parse the CMS and the
//           payload, parse the certificates, verify the chain and the CMS signature);
//   warm:   the same with one chain cache kept across calls (the chain's signatures are not
//           checked again; validity at the evaluation time is);
//   bare:   all the cryptography of a cold verification, called on mbedTLS directly: the digest
//           of the content plus the receipt's RSA verification, and the digest plus RSA
//           verification of each certificate link (leaf <- WWDR <- Apple Root CA);
//   single: the cryptography of a warm verification: the digest of the signed content and one
//           mbedtls_pk_verify of the signer's signature;
//   parse:  parse_unverified_app_store_receipt (DER in, fields out, no cryptography);
//   records: copying the parsed receipt's purchases into a new vector and freeing it: the cost
//           of the result itself, which any parser producing this model pays on every call;
//   ratio:  warm / single, the overhead of everything but the cryptography.
// Keys are parsed and every span located once, outside the timed loops.
//
// Cases: the real production receipt (SHA-256, 4 purchases) and the 79 KB SHA-1 legacy sandbox
// receipt (187 purchases). The operations run in alternating batches over several rounds, and
// each column reports the median. It measures and prints; nothing here asserts a timing.
//
//   bench_app_store_receipt [--quick]
//   bench_app_store_receipt --repeat production|legacy cold|warm|bare|single|parse|records N
//
// --repeat runs one operation N times untimed (after one untimed warm-up call), for
// instruction counts: the difference between `valgrind --tool=callgrind` runs with N=11 and
// N=1, divided by 10, is the cost of one operation.
#include "iap_embedded/app_store.hpp"
#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/asn1.hpp"
#include "iap_embedded/detail/cms.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/x509_chain.hpp"
#include "../testdata.hpp"

#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
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
    std::string bytes;
    if (!testdata::read(relative, bytes)) fail(testdata::missing(relative));
    return bytes;
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

// The receipt's own signature: over the content, or (signed attributes) over the attributes
// re-tagged as a SET, after checking the content's digest against messageDigest.
bool bare_receipt_signature(const mbedtls_pk_context* key, mbedtls_md_type_t md, const iap::detail::cms::signed_data& sd,
                            const std::vector<unsigned char>& attrs_as_set) {
    const asn1::bytes_view content{sd.content.data(), sd.content.size()};
    if (sd.signer.signed_attrs.empty()) return bare_verify(key, md, content, sd.signer.signature);
    unsigned char hash[64];
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(md);
    if (mbedtls_md(info, content.data, content.size, hash) != 0) return false;
    if (!sd.signer.message_digest || sd.signer.message_digest->size != mbedtls_md_get_size(info) ||
        std::memcmp(sd.signer.message_digest->data, hash, sd.signer.message_digest->size) != 0)
        return false;
    return bare_verify(key, md, {attrs_as_set.data(), attrs_as_set.size()}, sd.signer.signature);
}

double median(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

// ns per call of `op`, over one batch.
double batch_ns(const std::function<bool()>& op, long batch) {
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < batch; ++i)
        if (!op()) fail("an operation failed during measurement");
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
           static_cast<double>(batch);
}

// Everything a case needs, located once.
struct receipt_case {
    std::string der;
    iap::detail::cms::signed_data sd;
    std::vector<bare_certificate> certs;
    bare_certificate root;
    mbedtls_md_type_t content_md = MBEDTLS_MD_NONE;
    std::vector<unsigned char> attrs_as_set;
    iap::detail::chain_cache warm_cache;
    iap::app_store_receipt_options options; // the receipt's own app, Sandbox allowed
    std::vector<iap::purchase> purchases;
    std::map<std::string, std::function<bool()>> ops;
};

void prepare(receipt_case& c, const std::string& receipt_name) {
    const auto der_bytes = must(iap::decode_base64(read_testdata("apple_receipts/tpinappreceipt/" + receipt_name)), "base64");
    c.der.assign(der_bytes.begin(), der_bytes.end());
    const auto* der = reinterpret_cast<const unsigned char*>(c.der.data());
    c.sd = must(iap::detail::cms::parse_signed_data(der, c.der.size()), "cms");
    const auto root_der = read_testdata("apple_roots/AppleIncRootCertificate.cer");
    for (const auto& cert : c.sd.certificates) c.certs.push_back(take_apart(cert));
    c.root = take_apart({reinterpret_cast<const unsigned char*>(root_der.data()), root_der.size()});
    c.content_md = c.sd.signer.digest == iap::detail::digest_kind::sha1 ? MBEDTLS_MD_SHA1 : MBEDTLS_MD_SHA256;
    c.attrs_as_set = c.sd.signer.signed_attrs_as_set();
    c.options.expected_bundle_id = must(iap::parse_unverified_app_store_receipt(c.der), "parse").bundle_id;
    c.options.allow_sandbox = true;

    // Apple's receipts list [leaf, WWDR, root].
    const bare_certificate& leaf = c.certs.at(0);
    const bare_certificate& wwdr = c.certs.at(1);
    const auto single = [&c, &leaf] {
        return bare_receipt_signature(leaf.key->get(), c.content_md, c.sd, c.attrs_as_set);
    };
    c.ops["single"] = single;
    c.ops["bare"] = [&c, &leaf, &wwdr, single] {
        return single() && bare_verify(wwdr.key->get(), leaf.md, leaf.tbs, leaf.signature) &&
               bare_verify(c.root.key->get(), wwdr.md, wwdr.tbs, wwdr.signature);
    };
    c.ops["warm"] = [&c] { return iap::verify_app_store_receipt(c.der, c.options, &c.warm_cache).has_value(); };
    c.ops["cold"] = [&c] {
        iap::detail::chain_cache fresh;
        return iap::verify_app_store_receipt(c.der, c.options, &fresh).has_value();
    };
    c.ops["parse"] = [&c] { return iap::parse_unverified_app_store_receipt(c.der).has_value(); };
    c.purchases = must(iap::parse_unverified_app_store_receipt(c.der), "parse").purchases;
    c.ops["records"] = [&c] {
        const std::vector<iap::purchase> copy = c.purchases;
        return copy.size() == c.purchases.size();
    };
    for (const auto& op : c.ops)
        if (!op.second()) fail(op.first + " of " + receipt_name + " failed");
}

// Every round runs one batch of each operation in turn, so that a change in the machine's load
// shifts them alike; each column is the median over rounds, and the ratio the median of the
// rounds' warm / single ratios.
void run_case(const char* label, const std::string& receipt_name, long batch, int rounds) {
    receipt_case c;
    prepare(c, receipt_name);
    const char* const columns[] = {"cold", "warm", "bare", "single", "parse", "records"};
    std::map<std::string, std::vector<double>> samples;
    std::vector<double> ratios;
    for (int r = 0; r < rounds; ++r) {
        for (const char* column : columns)
            samples[column].push_back(batch_ns(c.ops[column], std::strcmp(column, "cold") == 0 ? batch : batch * 4));
        ratios.push_back(samples["warm"].back() / samples["single"].back());
    }
    std::printf("| %-42s | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f | %6.2fx |\n", label,
                median(samples["cold"]) / 1000, median(samples["warm"]) / 1000, median(samples["bare"]) / 1000,
                median(samples["single"]) / 1000, median(samples["parse"]) / 1000, median(samples["records"]) / 1000,
                median(ratios));
}

int repeat(const std::string& which, const std::string& op, long n) {
    const char* name = which == "production" ? "receipt-production" : which == "legacy" ? "receipt-sandbox-legacy" : nullptr;
    if (name == nullptr) fail("--repeat takes production or legacy, not " + which);
    receipt_case c;
    prepare(c, name);
    const auto found = c.ops.find(op);
    if (found == c.ops.end()) fail("--repeat takes cold, warm, bare, single, parse or records, not " + op);
    for (long i = 0; i < n; ++i)
        if (!found->second()) fail(op + " failed");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::strcmp(argv[1], "--repeat") == 0) return repeat(argv[2], argv[3], std::atol(argv[4]));
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const long batch = quick ? 10 : 50;
    const int rounds = quick ? 5 : 31;
    std::printf("verify_app_store_receipt, median of %d rounds, microseconds per receipt\n\n", rounds);
    std::printf("| %-42s | %8s | %8s | %8s | %8s | %8s | %8s | %7s |\n", "receipt", "cold", "warm", "bare", "single",
                "parse", "records", "ratio");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(44, '-').c_str(), std::string(10, '-').c_str(),
                std::string(10, '-').c_str(), std::string(10, '-').c_str(), std::string(10, '-').c_str(),
                std::string(10, '-').c_str(), std::string(10, '-').c_str(), std::string(9, '-').c_str());
    run_case("receipt-production (SHA-256, 4)", "receipt-production", batch, rounds);
    run_case("receipt-sandbox-legacy (SHA-1, 187, 79 KB)", "receipt-sandbox-legacy", batch, rounds);
    std::printf("\ncold: empty chain cache per call; warm: one cache across calls; bare: mbedTLS digests and RSA\n"
                "verifications of a cold verification (receipt + 2 certificate links); single: those of a warm\n"
                "one (content digest + the signer's mbedtls_pk_verify); parse: parse_unverified_app_store_receipt;\n"
                "records: copying the parsed purchases (the result's allocations); ratio: warm / single\n"
                "(target: at most 1.3x; parse of the legacy receipt: under 1000 us).\n");
    return 0;
}
