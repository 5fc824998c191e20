// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-jws` against the contract: JSON fields, error codes, exit codes.
#include "iapctl_runner.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using namespace iapctl_runner;

const std::string library = "apple_jws/app-store-server-library/";

std::string path(const std::string& name) { return test_support::testdata_path(library + name); }

} // namespace

TEST_CASE("iapctl verify app-store-jws: Apple's mock transaction with its test root") {
    const auto r = iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo"), "--root",
                           path("certs/testCA.der"), "--bundle-id", "com.example", "--environment", "Sandbox"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("valid").get<bool>());
    CHECK(j.at("store").get<std::string>() == "app_store");
    CHECK(j.at("kind").get<std::string>() == "transaction");
    CHECK(j.at("environment").get<std::string>() == "Sandbox");
    CHECK(j.at("bundle_id").get<std::string>() == "com.example");
    CHECK(j.at("signed_time_ms").get<double>() == 1672956154000.0);
    CHECK(j.at("purchases").is<picojson::array>());
}

TEST_CASE("iapctl verify app-store-jws: Xcode transaction allowed and decoded") {
    const auto r = iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"), "--allow-xcode",
                           "--repeat", "3"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("environment").get<std::string>() == "Xcode");
    CHECK(j.at("repeat").get<double>() == 3);
    const auto& p = j.at("purchases").get<picojson::array>().at(0).get<picojson::object>();
    CHECK(p.at("product_id").get<std::string>() == "pass.premium");
    CHECK(p.at("transaction_id").get<std::string>() == "0");
    CHECK(p.at("purchase_time_ms").get<double>() == 1697679936049.0);
    CHECK(p.at("expires_time_ms").get<double>() == 1700358336049.0);
}

TEST_CASE("iapctl verify app-store-jws rejections and usage errors") {
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction")}),
                     "xcode_not_allowed");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo")}),
                     "untrusted_certificate");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/wrongBundleId"), "--root",
                             path("certs/testCA.der"), "--bundle-id", "com.examplex"}),
                     "bundle_id_mismatch");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo"), "--root",
                             path("certs/testCA.der"), "--environment", "Production"}),
                     "environment_mismatch");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/missingX5CHeaderClaim"),
                             "--root", path("certs/testCA.der")}),
                     "untrusted_certificate");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/legacyTransaction")}),
                     "malformed_input");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo"), "--root",
                             path("certs/testCA.der"), "--at", "2042-01-01T00:00:00Z"}),
                     "certificate_expired");
    require_usage_error(iapctl({"verify", "app-store-jws"}));
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", "/nonexistent"}));
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"),
                                "--environment", "Staging"}));
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"), "--at",
                                "yesterday"}));
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"),
                                "--app-apple-id", "x"}));
}
