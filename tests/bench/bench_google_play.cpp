// SPDX-License-Identifier: MIT
//
// How much does google_play_verifier::verify cost on top of the cryptography it cannot avoid?
//
//   ours: google_play_verifier::verify (base64-decode the signature, SHA-1, RSA verify, parse the
//         JSON, map the purchase, check the package name), key parsed once by `create`;
//   bare: mbedtls_md(SHA-1) + mbedtls_pk_verify, called directly, with the key parsed and the
//         signature decoded once outside the loop.
//
// Cases: a realistic Google Play purchase signed by a generated RSA-2048 key (fixed seed, so
// every run measures the same key), and the real RSA-1024 purchase from awa/go-iap. Ours and bare
// run in alternating batches over several rounds; the table reports the median ns/op of each, and
// a second table breaks the difference down into the library's own steps. It measures and prints;
// nothing here asserts a timing.
//
//   bench_google_play [--quick]
#include "iap_embedded/base64.hpp"
#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/google_play.hpp"
#include "iap_embedded/testing.hpp"
#include "../testdata.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef IAP_EMBEDDED_TESTDATA_DIR
#error "IAP_EMBEDDED_TESTDATA_DIR must name the shared test data directory"
#endif

namespace {

namespace iap = iap_embedded;

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "bench_google_play: %s\n", what.c_str());
    std::exit(1);
}

std::string read_testdata(const std::string& relative) {
    std::string bytes;
    if (!testdata::read(relative, bytes)) fail(testdata::missing(relative));
    return bytes;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

// A purchase token of the shape and length Google issues (24 letters, ".AO-J1O", ~140 more).
std::string realistic_purchase_token() {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::uint32_t x = 0x9e3779b9u;
    auto next = [&x] { return x ^= x << 13, x ^= x >> 17, x ^= x << 5; };
    std::string token;
    for (int i = 0; i < 24; ++i) token += static_cast<char>('a' + next() % 26);
    token += ".AO-J1O";
    for (int i = 0; i < 139; ++i) token += alphabet[next() % 64];
    return token;
}

// One benchmark case: the signed purchase, and everything both sides need prepared once.
struct bench_case {
    std::string name;
    std::string public_key_base64;
    std::string data;
    std::string signature_base64;
    std::string package_name;

    mbedtls_pk_context bare_key;
    std::vector<unsigned char> bare_signature;

    bench_case(std::string n, std::string key, std::string d, std::string sig, std::string package)
        : name(std::move(n)), public_key_base64(std::move(key)), data(std::move(d)),
          signature_base64(std::move(sig)), package_name(std::move(package)) {
        mbedtls_pk_init(&bare_key);
        const auto der = base64_decode(public_key_base64);
        if (mbedtls_pk_parse_public_key(&bare_key, der.data(), der.size()) != 0) fail(name + ": bare key parse");
        bare_signature = base64_decode(signature_base64);
    }
    ~bench_case() { mbedtls_pk_free(&bare_key); }
    bench_case(const bench_case&) = delete;
    bench_case& operator=(const bench_case&) = delete;

    static std::vector<unsigned char> base64_decode(const std::string& text) {
        std::size_t n = 0;
        std::vector<unsigned char> out(text.size());
        if (mbedtls_base64_decode(out.data(), out.size(), &n, reinterpret_cast<const unsigned char*>(text.data()),
                                  text.size()) != 0)
            fail("mbedtls_base64_decode");
        out.resize(n);
        return out;
    }
};

// The unavoidable work, straight from mbedTLS.
int bare_verify(bench_case& c) {
    const mbedtls_md_info_t* sha1 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    unsigned char hash[20];
    int rc = mbedtls_md(sha1, reinterpret_cast<const unsigned char*>(c.data.data()), c.data.size(), hash);
    if (rc == 0)
        rc = mbedtls_pk_verify(&c.bare_key, MBEDTLS_MD_SHA1, hash, sizeof hash, c.bare_signature.data(),
                               c.bare_signature.size());
    return rc;
}

// Nanoseconds per call of `op` over a batch of `n` calls. `op` returns 0 on success; a failure
// aborts the benchmark (it would be measuring an error path).
double time_batch(const std::function<int()>& op, std::size_t n, const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    int failures = 0;
    for (std::size_t i = 0; i < n; ++i) failures += op() != 0;
    const auto stop = std::chrono::steady_clock::now();
    if (failures != 0) fail(what + " failed during the benchmark");
    return std::chrono::duration<double, std::nano>(stop - start).count() / static_cast<double>(n);
}

// Enough calls for about `target_ms` of work, from a short trial.
std::size_t calibrate(const std::function<int()>& op, double target_ms, const std::string& what) {
    time_batch(op, 10, what); // warm caches and mbedTLS's lazily computed Montgomery constants
    const double ns = time_batch(op, 50, what);
    return std::max<std::size_t>(10, static_cast<std::size_t>(target_ms * 1e6 / ns));
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

struct measured_op {
    measured_op(std::string l, std::function<int()> f) : label(std::move(l)), op(std::move(f)) {}

    std::string label;
    std::function<int()> op;
    std::size_t batch = 0;
    std::vector<double> ns_per_op;
};

// Each round times `ours` and `bare` back to back (their order alternating), so both see the same
// machine state and their per-round ratio cancels slow drift; then the breakdown steps.
void run_interleaved(std::vector<measured_op>& ops, int rounds, double batch_ms) {
    for (auto& o : ops) o.batch = calibrate(o.op, batch_ms, o.label);
    for (int r = 0; r < rounds; ++r) {
        const std::size_t first = static_cast<std::size_t>(r % 2);
        auto run = [&ops](std::size_t k) {
            ops[k].ns_per_op.push_back(time_batch(ops[k].op, ops[k].batch, ops[k].label));
        };
        run(first);
        run(1 - first);
        for (std::size_t k = 2; k < ops.size(); ++k) run(k);
    }
}

} // namespace

int main(int argc, char** argv) {
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            quick = true;
        } else {
            std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
            return 2;
        }
    }
    const int rounds = quick ? 11 : 151;
    const double batch_ms = quick ? 5 : 10;

    auto key = iap::testing::rsa_test_key::generate(2048, "iap_embedded bench_google_play");
    if (!key) fail("key generation: " + key.message());
    const std::string purchase_2048 = std::string(R"({"orderId":"GPA.3372-6518-0420-58196",)") +
                                      R"("packageName":"com.example.game","productId":"gems_500",)" +
                                      R"("purchaseTime":1718006400123,"purchaseState":0,"purchaseToken":")" +
                                      realistic_purchase_token() + R"(","quantity":1,"acknowledged":false})";
    auto signature_2048 = key->sign_base64(purchase_2048, iap::testing::digest::sha1);
    if (!signature_2048) fail("signing: " + signature_2048.message());

    std::vector<std::unique_ptr<bench_case>> cases;
    cases.push_back(std::make_unique<bench_case>(
        "RSA-2048 generated, " + std::to_string(purchase_2048.size()) + "-byte purchase", key->public_key_base64(),
        purchase_2048, *signature_2048, "com.example.game"));
    const std::string go_data = read_testdata("google_play/go-iap/signed_data.json");
    cases.push_back(std::make_unique<bench_case>(
        "RSA-1024 go-iap, " + std::to_string(go_data.size()) + "-byte purchase",
        trim(read_testdata("google_play/go-iap/public_key.b64")), go_data,
        trim(read_testdata("google_play/go-iap/signature.b64")), "my.package"));

    std::printf("bench_google_play: mbedTLS %s, %d rounds, ~%.0f ms batches%s\n\n", MBEDTLS_VERSION_STRING, rounds,
                batch_ms, quick ? " (--quick)" : "");

    struct row {
        std::string name;
        double ours, bare;              // median ns/op
        double ours_min, bare_min;      // fastest batch, the least disturbed by other load
        double median_of_ratios;        // median of the per-round ours/bare ratios
        double decode, parse, map;      // median ns/op of the library's own steps
    };
    std::vector<row> rows;
    for (auto& cp : cases) {
        bench_case& c = *cp;
        auto verifier = iap::google_play_verifier::create(c.public_key_base64, c.package_name);
        if (!verifier) fail(c.name + ": " + verifier.message());
        if (!verifier->verify(c.data, c.signature_base64)) fail(c.name + ": the purchase does not verify");
        if (bare_verify(c) != 0) fail(c.name + ": bare verification fails");

        // The library's own steps in isolation, to explain where a difference comes from.
        unsigned char sig_buf[iap::base64_decoded_size_bound(1024)];
        std::vector<measured_op> ops = {
            {"ours", [&] { return verifier->verify(c.data, c.signature_base64) ? 0 : 1; }},
            {"bare", [&] { return bare_verify(c); }},
            {"base64 signature",
             [&] { return iap::decode_base64_into(c.signature_base64, sig_buf, sizeof sig_buf) ? 0 : 1; }},
            {"parse_json", [&] { return iap::detail::parse_json(c.data) ? 0 : 1; }},
            {"parse_json + map", [&] {
                 auto json = iap::detail::parse_json(c.data);
                 return json && iap::detail::map_google_play_purchase(json->get<picojson::object>()) ? 0 : 1;
             }},
        };
        run_interleaved(ops, rounds, batch_ms);

        std::vector<double> ratios;
        for (std::size_t r = 0; r < ops[0].ns_per_op.size(); ++r)
            ratios.push_back(ops[0].ns_per_op[r] / ops[1].ns_per_op[r]);
        const auto fastest = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
        rows.push_back({c.name, median(ops[0].ns_per_op), median(ops[1].ns_per_op), fastest(ops[0].ns_per_op),
                        fastest(ops[1].ns_per_op), median(ratios), median(ops[2].ns_per_op), median(ops[3].ns_per_op),
                        median(ops[4].ns_per_op) - median(ops[3].ns_per_op)});
    }

    std::printf("| case | ns/op ours | ns/op bare | ratio |\n|---|---:|---:|---:|\n");
    for (const auto& r : rows)
        std::printf("| %s | %.0f | %.0f | %.3fx |\n", r.name.c_str(), r.ours, r.bare, r.ours / r.bare);
    std::printf("\nns/op are medians over the rounds, ratio = median ours / median bare. Cross-checks and where the "
                "difference goes (each step timed alone, median ns/op):\n\n");
    std::printf("| case | per-round ratio (median) | fastest ours / fastest bare | base64 signature | parse_json | "
                "map purchase |\n|---|---:|---:|---:|---:|---:|\n");
    for (const auto& r : rows)
        std::printf("| %s | %.3fx | %.0f / %.0f = %.3fx | %.0f | %.0f | %.0f |\n", r.name.c_str(), r.median_of_ratios,
                    r.ours_min, r.bare_min, r.ours_min / r.bare_min, r.decode, r.parse, r.map);
    return 0;
}
