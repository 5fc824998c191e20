// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-receipt` against the contract in IAPCTL.md: fields, error codes and
// exit codes 0/1/2, on Apple's real receipts and the forged ones.
#include "iapctl_runner.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <picojson.h>

#include <string>
#include <vector>

namespace {

using namespace iapctl_runner;

const std::string tp = "apple_receipts/tpinappreceipt/";

std::string receipt(const std::string& name) { return test_support::testdata_path(tp + name); }

std::vector<std::string> verify_args(const std::string& receipt_path) {
    return {"verify", "app-store-receipt", "--receipt", receipt_path};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE("iapctl app-store-receipt: sandbox receipt with device id, every receipt and purchase field") {
    const auto r = iapctl(with(verify_args(receipt("receipt-sandbox-g5")),
                               {"--bundle-id", "dev.bonzer.weeka.app", "--app-version", "2", "--device-id",
                                "956328D9-CC6A-47F4-BE40-6953FB0AB6C7"}));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("valid").get<bool>());
    CHECK(j.at("store").get<std::string>() == "app_store");
    CHECK(j.at("bundle_id").get<std::string>() == "dev.bonzer.weeka.app");
    CHECK(j.at("app_version").get<std::string>() == "2");
    CHECK(j.at("original_app_version").get<std::string>() == "1.0");
    CHECK(j.at("environment").get<std::string>() == "Sandbox");
    CHECK(j.at("creation_time_ms").get<double>() == 1766774387000.0);
    CHECK(j.at("device_checked").get<bool>());
    const auto& purchases = j.at("purchases").get<picojson::array>();
    REQUIRE(purchases.size() == 2);
    const auto& p = purchases[1].get<picojson::object>();
    CHECK(p.at("product_id").get<std::string>() == "dev.bonzer.weeka.app.subscription.pro.annual");
    CHECK(p.at("transaction_id").get<std::string>() == "2000001092148094");
    CHECK(p.at("original_transaction_id").get<std::string>() == "2000001092134138");
    CHECK(p.at("expires_time_ms").get<double>() == 1766775307000.0);
    CHECK(p.at("state").get<std::string>() == "purchased");
    CHECK(p.at("quantity").get<double>() == 1);
    CHECK(p.count("web_order_line_item_id") == 1);
    CHECK(p.count("in_intro_offer") == 1);
    CHECK(p.count("purchase_token") == 0);
    CHECK(p.count("order_id") == 0);
}

TEST_CASE("iapctl app-store-receipt: DER input, MAC-style and undashed device ids, --repeat") {
    const auto r = iapctl(with(verify_args(receipt("receipt-production")), {"--repeat", "3"}));
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("environment").get<std::string>() == "Production");
    CHECK(j.at("purchases").get<picojson::array>().size() == 4);
    CHECK(j.at("repeat").get<double>() == 3);
    CHECK(j.at("ns_per_op").get<double>() > 0);
    CHECK_FALSE(j.at("device_checked").get<bool>());

    require_rejected(iapctl(with(verify_args(receipt("receipt-sandbox-g5")), {"--device-id", "00:11:22:33:44:55"})),
                     "device_hash_mismatch");
    require_rejected(iapctl(with(verify_args(receipt("receipt-sandbox-g5")),
                                 {"--device-id", "00000000000000000000000000000000"})),
                     "device_hash_mismatch");
}

TEST_CASE("iapctl app-store-receipt: bundle id and environment, as the tool defaults them") {
    // Without --bundle-id: checked against the bundle id the receipt names, and said so.
    const auto own = iapctl(verify_args(receipt("receipt-sandbox-g5")));
    REQUIRE(own.exit_code == 0);
    CHECK(json_of(own).at("bundle_id").get<std::string>() == "dev.bonzer.weeka.app");
    CHECK_FALSE(json_of(own).at("bundle_id_checked").get<bool>());
    const auto given = iapctl(with(verify_args(receipt("receipt-sandbox-g5")), {"--bundle-id", "dev.bonzer.weeka.app"}));
    REQUIRE(given.exit_code == 0);
    CHECK(json_of(given).at("bundle_id_checked").get<bool>());
    // --environment as the library has it: Sandbox only with --allow-sandbox.
    require_rejected(iapctl(with(verify_args(receipt("receipt-sandbox-g5")), {"--environment", "Production"})),
                     "environment_mismatch");
    CHECK(iapctl(with(verify_args(receipt("receipt-sandbox-g5")), {"--environment", "Production", "--allow-sandbox"}))
              .exit_code == 0);
    CHECK(iapctl(with(verify_args(receipt("receipt-sandbox-g5")), {"--environment", "Sandbox"})).exit_code == 0);
    require_rejected(iapctl(with(verify_args(receipt("receipt-production")), {"--environment", "Sandbox"})),
                     "environment_mismatch");
    require_usage_error(iapctl(with(verify_args(receipt("receipt-production")), {"--environment", "Staging"})));
}

TEST_CASE("iapctl app-store-receipt: rejections with their error codes (exit 1)") {
    require_rejected(iapctl(with(verify_args(receipt("receipt-production")), {"--at", "2026-03-01T10:00:00Z"})),
                     "certificate_expired");
    require_rejected(iapctl(with(verify_args(receipt("receipt-production")), {"--bundle-id", "com.other"})),
                     "bundle_id_mismatch");
    require_rejected(iapctl(with(verify_args(receipt("receipt-production")), {"--app-version", "1"})),
                     "app_version_mismatch");
    require_rejected(iapctl(with(verify_args(receipt("receipt-production")),
                                 {"--root", test_support::testdata_path("apple_roots/AppleWWDRCAG5.cer")})),
                     "untrusted_certificate");
    require_rejected(iapctl(verify_args(receipt("receipt-xcode"))), "xcode_not_allowed");
    require_rejected(iapctl(with(verify_args(receipt("receipt-xcode")), {"--allow-xcode"})), "untrusted_certificate");
    require_rejected(iapctl(verify_args(test_support::testdata_path(
                         "apple_jws/app-store-server-library/mock_signed_data/legacyTransaction"))),
                     "not_a_receipt");
    require_rejected(iapctl(verify_args(std::string(IAP_EMBEDDED_FORGED_RECEIPTS_DIR) + "/sha256_noattr.der")),
                     "untrusted_certificate");
    require_rejected(iapctl(verify_args(std::string(IAP_EMBEDDED_FORGED_RECEIPTS_DIR) + "/md5_noattr.der")),
                     "unsupported_algorithm");
}

TEST_CASE("iapctl app-store-receipt: Xcode receipt with its StoreKit root (PEM or DER) and --allow-xcode") {
    const auto r = iapctl(with(verify_args(receipt("receipt-xcode-with-purchases")),
                               {"--allow-xcode", "--root", receipt("StoreKitTestCertificate.cer")}));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("environment").get<std::string>() == "Xcode");
    CHECK(j.at("bundle_id").get<std::string>() == "com.example.naturelab.backyardbirds.example");
    const auto& p = j.at("purchases").get<picojson::array>().at(0).get<picojson::object>();
    CHECK(p.at("product_id").get<std::string>() == "pass.premium");
    CHECK(p.at("transaction_id").get<std::string>() == "0");
    CHECK(p.at("in_intro_offer").get<bool>());

    // The forged chain, with its root as PEM; a refunded purchase shows its cancellation time.
    const auto f = iapctl(with(verify_args(std::string(IAP_EMBEDDED_FORGED_RECEIPTS_DIR) + "/sha256_attrs.b64"),
                               {"--root", std::string(IAP_EMBEDDED_FORGED_PKI_DIR) + "/root.pem", "--device-id",
                                "00112233-4455-6677-8899-AABBCCDDEEFF"}));
    INFO(f.out << f.err);
    REQUIRE(f.exit_code == 0);
    const auto fj = json_of(f);
    CHECK(fj.at("device_checked").get<bool>());
    const auto& refunded = fj.at("purchases").get<picojson::array>().at(1).get<picojson::object>();
    CHECK(refunded.at("state").get<std::string>() == "refunded");
    CHECK(refunded.count("cancellation_time_ms") == 1);
}

TEST_CASE("iapctl app-store-receipt: usage errors and unreadable files (exit 2)") {
    require_usage_error(iapctl({"verify", "app-store-receipt"}));
    require_usage_error(iapctl(with(verify_args(receipt("receipt-production")), {"--at", "yesterday"})));
    require_usage_error(iapctl(with(verify_args(receipt("receipt-production")), {"--device-id", "12345"})));
    require_usage_error(iapctl(with(verify_args(receipt("receipt-production")), {"--repeat", "0"})));
    require_usage_error(iapctl(with(verify_args(receipt("receipt-production")), {"--unknown"})));
    const auto missing = iapctl(verify_args("/nonexistent/receipt"));
    CHECK(missing.exit_code == 2);
    CHECK(missing.out.empty());
    const auto missing_root = iapctl(with(verify_args(receipt("receipt-production")), {"--root", "/nonexistent/root.cer"}));
    CHECK(missing_root.exit_code == 2);
}
