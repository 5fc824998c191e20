// SPDX-License-Identifier: MIT
//
// A program built with -fno-exceptions against the separately compiled library (src.cpp, built
// with exceptions): real purchases of every store verify, and the ledger consumes each once, also
// after reopening. Catch2 runs without exceptions too (CATCH_CONFIG_DISABLE_EXCEPTIONS): a failed
// REQUIRE ends the program.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_DISABLE_EXCEPTIONS
#include <catch2/catch.hpp>

#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/testing.hpp>

#include "../testdata.hpp"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#error "this file must be compiled with -fno-exceptions"
#endif
#if IAP_EMBEDDED_HAS_EXCEPTIONS
#error "IAP_EMBEDDED_HAS_EXCEPTIONS should be 0 here"
#endif
#if defined(IAP_EMBEDDED_TEST_EXPECTS_SINGLE_HEADER) && !defined(IAP_EMBEDDED_SINGLE_HEADER)
#error "this build should see the single header first"
#endif
#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION)
#error "this file is built with IAP_EMBEDDED_SEPARATE_COMPILATION"
#endif

#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace {

using iap_embedded::app_store_environment;
using iap_embedded::errc;
using iap_embedded::purchase;
using iap_embedded::purchase_state;
using iap_embedded::receipt;
using iap_embedded::store_kind;

std::string read_testdata(const std::string& relative) {
    std::string bytes;
    if (!testdata::read(relative, bytes)) FAIL(testdata::missing(relative));
    return bytes;
}

// Google Play: the go-iap sample triplet, signed by Google's SHA1withRSA.
purchase google_play_purchase(const iap_embedded::verifier& v) {
    const auto verified = v.verify(receipt::google_play(read_testdata("google_play/go-iap/signed_data.json"),
                                                        read_testdata("google_play/go-iap/signature.b64")));
    INFO(verified.message());
    REQUIRE(verified);
    REQUIRE(verified->purchases.size() == 1);
    const purchase& p = verified->purchases[0];
    CHECK(p.store == store_kind::google_play);
    CHECK(p.package_name == "my.package");
    CHECK(p.product_id == "myproduct");
    CHECK(p.order_id == "GPA.xxxx-xxxx-xxxx-xxxxx");
    CHECK(p.purchase_token == "some-token");
    CHECK(p.purchase_time_ms == 1437564796303);
    CHECK(p.state == purchase_state::purchased);
    return p;
}

// ONE store: no public signed sample exists, so the purchase is signed here (SHA512withRSA) with a
// key from a fixed seed, as the unit tests do.
const std::string one_store_json =
    R"({"orderId":"ONESTORE7_000000000000000000000000123","packageName":"com.example.game",)"
    R"("productId":"gem_pack_100","purchaseTime":1700000000456,"purchaseId":"SANDBOX3000000123456",)"
    R"("purchaseToken":"TOKEN3000000123456","purchaseState":0,"acknowledgeState":0,"quantity":1})";

// App Store: a real production receipt, checked against the built-in Apple Root CA at its
// creation date.
std::vector<purchase> app_store_purchases(const iap_embedded::verifier& v) {
    const auto verified = v.verify(receipt::app_store(read_testdata("apple_receipts/tpinappreceipt/receipt-production")));
    INFO(verified.message());
    REQUIRE(verified);
    REQUIRE(verified->app_store);
    CHECK(verified->app_store->bundle_id == "org.getpure.pure-iphone");
    CHECK(verified->app_store->app_version == "15741");
    CHECK(verified->app_store->environment == app_store_environment::production);
    REQUIRE(verified->purchases.size() == 4);
    for (const purchase& p : verified->purchases) CHECK(p.store == store_kind::app_store);
    return verified->purchases;
}

// StoreKit 2: Apple's mock "transactionInfo", signed by Apple's test certificate authority (it
// names no transaction, so verified as one it is malformed_input), and a transaction signed by
// Xcode's StoreKit testing certificate.
purchase app_store_jws_purchase() {
    const auto root = iap_embedded::trusted_roots::from_certificates(
        {read_testdata("apple_jws/app-store-server-library/certs/testCA.der")});
    INFO(root.message());
    REQUIRE(root);
    iap_embedded::app_store_jws_options mock_options;
    mock_options.roots = *root;
    mock_options.expected_bundle_id = "com.example";
    mock_options.allow_sandbox = true;
    const std::string mock = read_testdata("apple_jws/app-store-server-library/mock_signed_data/transactionInfo");
    const auto verified_mock = iap_embedded::verify_app_store_jws(mock, mock_options);
    INFO(verified_mock.message());
    CHECK(verified_mock.error_code() == errc::malformed_input);
    CHECK(verified_mock.message().find("transactionId") != std::string::npos);
    // The built-in Apple Root CA - G3 does not trust Apple's test CA.
    mock_options.roots.reset();
    CHECK(iap_embedded::verify_app_store_jws(mock, mock_options).error_code() == errc::untrusted_certificate);

    iap_embedded::verifier v;
    iap_embedded::app_store_jws_options options;
    options.allow_xcode = true;
    options.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
    REQUIRE(v.add_app_store_jws(options));
    const auto verified = v.verify(
        receipt::app_store_jws(read_testdata("apple_jws/app-store-server-library/xcode/xcode-signed-transaction")));
    INFO(verified.message());
    REQUIRE(verified);
    REQUIRE(verified->purchases.size() == 1);
    const purchase& p = verified->purchases[0];
    CHECK(p.store == store_kind::app_store);
    CHECK(p.product_id == "pass.premium");
    CHECK(p.transaction_id == "0");
    return p;
}

class scratch_file {
public:
    scratch_file() {
        char pattern[] = "/tmp/iap_embedded_no_exceptions_XXXXXX";
        REQUIRE(mkdtemp(pattern) != nullptr);
        dir_ = pattern;
    }
    ~scratch_file() {
        std::remove(path().c_str());
        std::remove((path() + ".compact-tmp").c_str());
        std::remove(dir_.c_str());
    }
    scratch_file(const scratch_file&) = delete;
    scratch_file& operator=(const scratch_file&) = delete;
    std::string path() const { return dir_ + "/ledger"; }

private:
    std::string dir_;
};

} // namespace

TEST_CASE("without exceptions: every store verifies and the ledger consumes each purchase once") {
    auto one_store_key = iap_embedded::testing::rsa_test_key::generate(2048, "iap_embedded no_exceptions one-store");
    INFO(one_store_key.message());
    REQUIRE(one_store_key);
    auto one_store_signature = one_store_key->sign_base64(one_store_json, iap_embedded::testing::digest::sha512);
    REQUIRE(one_store_signature);

    iap_embedded::verifier v;
    REQUIRE(v.add_google_play(read_testdata("google_play/go-iap/public_key.b64"), "my.package"));
    REQUIRE(v.add_one_store(one_store_key->public_key_base64(), "com.example.game"));
    CHECK(v.add_app_store({}).error_code() == errc::malformed_input);
    iap_embedded::app_store_receipt_options receipt_options;
    receipt_options.expected_bundle_id = "org.getpure.pure-iphone";
    REQUIRE(v.add_app_store(receipt_options));

    const purchase google = google_play_purchase(v);

    const auto one = v.verify(receipt::one_store(one_store_json, *one_store_signature));
    INFO(one.message());
    REQUIRE(one);
    REQUIRE(one->purchases.size() == 1);
    CHECK(one->purchases[0].store == store_kind::one_store);
    CHECK(one->purchases[0].product_id == "gem_pack_100");
    CHECK(one->purchases[0].purchase_time_ms == 1700000000456);
    // A changed byte breaks the signature.
    std::string tampered = one_store_json;
    tampered[tampered.find("gem_pack_100")] = 'G';
    CHECK(v.verify(receipt::one_store(tampered, *one_store_signature)).error_code() == errc::signature_invalid);
    // Errors are values, also where the JSON parser (compiled with exceptions) refuses the input.
    const std::string not_json = "{\"orderId\":";
    auto not_json_signature = one_store_key->sign_base64(not_json, iap_embedded::testing::digest::sha512);
    REQUIRE(not_json_signature);
    CHECK(v.verify(receipt::one_store(not_json, *not_json_signature)).error_code() == errc::malformed_input);

    std::vector<purchase> all = {google, one->purchases[0]};
    for (purchase& p : app_store_purchases(v)) all.push_back(std::move(p));
    all.push_back(app_store_jws_purchase());
    REQUIRE(all.size() == 7);

    scratch_file file;
    {
        auto opened = iap_embedded::ledger::open(file.path());
        INFO(opened.message());
        REQUIRE(opened);
        for (const purchase& p : all) {
            const auto consumed = opened->consume(p);
            INFO(p.product_id << ": " << consumed.message());
            CHECK(consumed);
        }
        for (const purchase& p : all) CHECK(opened->consume(p).error_code() == errc::already_consumed);
        CHECK(opened->record_count() == all.size());
    }
    auto reopened = iap_embedded::ledger::open(file.path());
    INFO(reopened.message());
    REQUIRE(reopened);
    CHECK(reopened->record_count() == all.size());
    for (const purchase& p : all) {
        const auto key = iap_embedded::purchase_key::of(p);
        REQUIRE(key);
        CHECK(reopened->find(*key));
        CHECK(reopened->consume(p).error_code() == errc::already_consumed);
    }
    CHECK(reopened->undelivered().size() == all.size());
}
