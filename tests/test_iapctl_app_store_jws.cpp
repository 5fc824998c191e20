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

TEST_CASE("iapctl verify app-store-jws: Apple's mock 'transactionInfo' is no transaction (--kind)") {
    // It used to print a valid transaction with no ids: the kind was guessed from the fields.
    const auto r = iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo"), "--root",
                           path("certs/testCA.der"), "--bundle-id", "com.example", "--environment", "Sandbox"});
    require_rejected(r, "malformed_input");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo"), "--root",
                             path("certs/testCA.der"), "--bundle-id", "com.example", "--kind", "notification"}),
                     "malformed_input");
}

TEST_CASE("iapctl verify app-store-jws: Xcode transaction allowed and decoded") {
    const auto r = iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"), "--allow-xcode",
                           "--repeat", "3"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("valid").get<bool>());
    CHECK(j.at("store").get<std::string>() == "app_store");
    CHECK(j.at("kind").get<std::string>() == "transaction");
    CHECK(j.at("environment").get<std::string>() == "Xcode");
    CHECK(j.at("bundle_id").get<std::string>() == "com.example.naturelab.backyardbirds.example");
    CHECK_FALSE(j.at("bundle_id_checked").get<bool>());
    CHECK(j.at("repeat").get<double>() == 3);
    const auto& p = j.at("purchases").get<picojson::array>().at(0).get<picojson::object>();
    CHECK(p.at("product_id").get<std::string>() == "pass.premium");
    CHECK(p.at("transaction_id").get<std::string>() == "0");
    CHECK(p.at("purchase_time_ms").get<double>() == 1697679936049.0);
    CHECK(p.at("expires_time_ms").get<double>() == 1700358336049.0);
    const auto checked = iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"),
                                 "--allow-xcode", "--bundle-id", "com.example.naturelab.backyardbirds.example",
                                 "--kind", "transaction", "--environment", "Production"});
    REQUIRE(checked.exit_code == 0);
    CHECK(json_of(checked).at("bundle_id_checked").get<bool>());
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"), "--allow-xcode",
                             "--bundle-id", "com.example.other"}),
                     "bundle_id_mismatch");
}

TEST_CASE("iapctl verify app-store-jws --kind renewal_info and app_transaction") {
    const auto renewal = path("xcode/xcode-signed-renewal-info");
    const auto r = iapctl({"verify", "app-store-jws", "--jws", renewal, "--allow-xcode", "--kind", "renewal_info",
                           "--original-transaction-id", "0"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("kind").get<std::string>() == "renewal_info");
    CHECK(j.at("renewal_info").get<picojson::object>().at("original_transaction_id").get<std::string>() == "0");
    CHECK(j.at("purchases").get<picojson::array>().empty());
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", renewal, "--allow-xcode", "--kind", "renewal_info",
                             "--original-transaction-id", "2000000100"}),
                     "original_transaction_id_mismatch");
    // Renewal info verified as a transaction (the default kind).
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", renewal, "--allow-xcode"}), "malformed_input");
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", renewal, "--allow-xcode", "--kind", "renewal_info"}));
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"),
                                "--allow-xcode", "--original-transaction-id", "0"}));
    const auto a = iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-app-transaction"),
                           "--allow-xcode", "--kind", "app_transaction"});
    REQUIRE(a.exit_code == 0);
    CHECK(json_of(a).at("kind").get<std::string>() == "app_transaction");
    CHECK(json_of(a).at("original_app_version").get<std::string>() == "1");
}

TEST_CASE("iapctl verify app-store-jws rejections and usage errors") {
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction")}),
                     "xcode_not_allowed");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/transactionInfo")}),
                     "untrusted_certificate");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/wrongBundleId"), "--root",
                             path("certs/testCA.der"), "--bundle-id", "com.examplex", "--kind", "notification"}),
                     "bundle_id_mismatch");
    // SOURCES.md: the TEST notification names no environment; Apple's verifier refuses it too.
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/wrongBundleId"), "--root",
                             path("certs/testCA.der"), "--kind", "notification"}),
                     "environment_mismatch");
    require_rejected(iapctl({"verify", "app-store-jws", "--jws", path("mock_signed_data/wrongBundleId"), "--root",
                             path("certs/testCA.der"), "--bundle-id", "com.example.wrong"}),
                     "malformed_input");
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
    require_usage_error(iapctl({"verify", "app-store-jws", "--jws", path("xcode/xcode-signed-transaction"), "--kind",
                                "subscription"}));
}
