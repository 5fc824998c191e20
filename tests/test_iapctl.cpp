// SPDX-License-Identifier: MIT
//
// iapctl is the library's contract with shells and scripts: exit codes 0/1/2, exactly one JSON
// object on stdout, messages on stderr. These tests run the built binary.
#include "iapctl_runner.hpp"
#include "support.hpp"

#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>
#include <picojson.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace iapctl_runner;

const std::string go_iap = "google_play/go-iap/";

std::vector<std::string> go_iap_args() {
    return {"verify", "google-play", "--public-key", "@" + test_support::testdata_path(go_iap + "public_key.b64"),
            "--data", test_support::testdata_path(go_iap + "signed_data.json"), "--signature",
            "@" + test_support::testdata_path(go_iap + "signature.b64")};
}

} // namespace

TEST_CASE("iapctl demo runs with nothing prepared and passes") {
    const auto r = iapctl({"demo"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("demo").get<std::string>() == "passed");
    CHECK(j.at("steps").get<picojson::array>().size() >= 6);
    CHECK(j.at("purchases").get<picojson::array>().size() == 2);
}

TEST_CASE("iapctl verify google-play: the real go-iap purchase is valid and fully mapped") {
    auto args = go_iap_args();
    args.insert(args.end(), {"--package-name", "my.package"});
    const auto r = iapctl(args);
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("valid").get<bool>());
    CHECK(j.at("store").get<std::string>() == "google_play");
    const auto& purchases = j.at("purchases").get<picojson::array>();
    REQUIRE(purchases.size() == 1);
    const auto& p = purchases[0].get<picojson::object>();

    picojson::value source;
    REQUIRE(picojson::parse(source, test_support::read_testdata(go_iap + "signed_data.json")).empty());
    const auto& s = source.get<picojson::object>();
    CHECK(p.at("product_id").get<std::string>() == s.at("productId").get<std::string>());
    CHECK(p.at("order_id").get<std::string>() == s.at("orderId").get<std::string>());
    CHECK(p.at("purchase_token").get<std::string>() == s.at("purchaseToken").get<std::string>());
    CHECK(p.at("package_name").get<std::string>() == s.at("packageName").get<std::string>());
    CHECK(p.at("developer_payload").get<std::string>() == s.at("developerPayload").get<std::string>());
    CHECK(p.at("purchase_time_ms").get<double>() == s.at("purchaseTime").get<double>());
    CHECK(p.at("quantity").get<double>() == 1);
    CHECK(p.at("state").get<std::string>() == "purchased");
    CHECK(j.count("repeat") == 0);
}

TEST_CASE("iapctl verify google-play reads the data from stdin and the key inline") {
    const std::string key = test_support::read_testdata(go_iap + "public_key.b64");
    const auto r = iapctl({"verify", "google-play", "--public-key", key, "--data", "-", "--signature",
                           "@" + test_support::testdata_path(go_iap + "signature.b64")},
                          test_support::testdata_path(go_iap + "signed_data.json"));
    CHECK(r.exit_code == 0);
    CHECK(json_of(r).at("valid").get<bool>());
}

TEST_CASE("iapctl verify --repeat adds repeat and ns_per_op") {
    auto args = go_iap_args();
    args.insert(args.end(), {"--repeat", "5"});
    const auto r = iapctl(args);
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("repeat").get<double>() == 5);
    CHECK(j.at("ns_per_op").get<double>() > 0);
}

TEST_CASE("iapctl verify google-play rejections exit 1 with the error code") {
    scratch_dir dir;
    const std::string data = dir.write("data.json", test_support::read_testdata(go_iap + "signed_data.json"));
    const std::string key = "@" + test_support::testdata_path(go_iap + "public_key.b64");
    const std::string sig = "@" + test_support::testdata_path(go_iap + "signature.b64");

    SECTION("package name mismatch") {
        auto args = go_iap_args();
        args.insert(args.end(), {"--package-name", "com.other.app"});
        require_rejected(iapctl(args), "bundle_id_mismatch");
    }
    SECTION("one byte of the data changed") {
        std::string tampered = test_support::read_testdata(go_iap + "signed_data.json");
        tampered[tampered.find("myproduct")] = 'M';
        const auto path = dir.write("tampered.json", tampered);
        require_rejected(iapctl({"verify", "google-play", "--public-key", key, "--data", path, "--signature", sig}),
                         "signature_invalid");
    }
    SECTION("a trailing newline added to the signed bytes") {
        const auto path = dir.write("newline.json", test_support::read_testdata(go_iap + "signed_data.json") + "\n");
        require_rejected(iapctl({"verify", "google-play", "--public-key", key, "--data", path, "--signature", sig}),
                         "signature_invalid");
    }
    SECTION("key that is not base64") {
        require_rejected(iapctl({"verify", "google-play", "--public-key", "dummy_public_key", "--data", data,
                                 "--signature", sig}),
                         "malformed_key");
    }
    SECTION("signature that is not base64") {
        require_rejected(iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature",
                                 "invalid_signature"}),
                         "malformed_input");
    }
    SECTION("empty signature, as Google's static test products have") {
        const auto r = iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature", ""});
        require_rejected(r, "malformed_input");
        CHECK(json_of(r).at("message").get<std::string>().find("unsigned") != std::string::npos);
    }
    SECTION("the SHA-1 signature does not verify as ONE store's SHA-512") {
        require_rejected(iapctl({"verify", "one-store", "--public-key", key, "--data", data, "--signature", sig}),
                         "signature_invalid");
    }
}

TEST_CASE("iapctl verify one-store: a generated purchase is valid, a tampered one is not") {
    auto key = iap_embedded::testing::rsa_test_key::generate(1024, "iapctl one-store");
    REQUIRE(key);
    const std::string purchase =
        R"({"orderId":"ONE-1","packageName":"com.example.app","productId":"gold","purchaseTime":1767225600000,)"
        R"("purchaseId":"P-77","purchaseState":2,"acknowledgeState":1,"quantity":3})";
    const auto sig = key->sign_base64(purchase, iap_embedded::testing::digest::sha512);
    REQUIRE(sig);
    scratch_dir dir;
    const auto key_path = dir.write("key.b64", key->public_key_base64() + "\n");
    const auto sig_path = dir.write("sig.b64", *sig + "\n");
    const auto data_path = dir.write("purchase.json", purchase);

    const auto r = iapctl({"verify", "one-store", "--public-key", "@" + key_path, "--data", data_path, "--signature",
                           "@" + sig_path, "--package-name", "com.example.app"});
    REQUIRE(r.exit_code == 0);
    const auto j = json_of(r);
    CHECK(j.at("store").get<std::string>() == "one_store");
    const auto& p = j.at("purchases").get<picojson::array>().at(0).get<picojson::object>();
    CHECK(p.at("purchase_id").get<std::string>() == "P-77");
    CHECK(p.at("state").get<std::string>() == "refunded");
    CHECK(p.at("quantity").get<double>() == 3);
    CHECK(p.at("acknowledged").get<bool>());

    std::string tampered = purchase;
    tampered.replace(tampered.find("\"quantity\":3"), 12, "\"quantity\":4");
    const auto tampered_path = dir.write("tampered.json", tampered);
    require_rejected(iapctl({"verify", "one-store", "--public-key", "@" + key_path, "--data", tampered_path,
                             "--signature", "@" + sig_path}),
                     "signature_invalid");
    require_rejected(iapctl({"verify", "google-play", "--public-key", "@" + key_path, "--data", data_path,
                             "--signature", "@" + sig_path}),
                     "signature_invalid");
}

TEST_CASE("iapctl usage errors and unreadable files exit 2 with a message on stderr only") {
    const std::string data = test_support::testdata_path(go_iap + "signed_data.json");
    const std::string key = "@" + test_support::testdata_path(go_iap + "public_key.b64");
    const std::string sig = "@" + test_support::testdata_path(go_iap + "signature.b64");
    require_usage_error(iapctl({}));
    require_usage_error(iapctl({"frobnicate"}));
    require_usage_error(iapctl({"verify"}));
    require_usage_error(iapctl({"verify", "amazon", "--public-key", key, "--data", data, "--signature", sig}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--signature", sig}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature", sig, "--x"}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature"}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature", sig,
                                "--repeat", "0"}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--data", data, "--signature", sig,
                                "--repeat", "ten"}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", key, "--data", "/nonexistent/data.json",
                                "--signature", sig}));
    require_usage_error(iapctl({"verify", "google-play", "--public-key", "@/nonexistent/key.b64", "--data", data,
                                "--signature", sig}));
    require_usage_error(iapctl({"demo", "extra"}));
}

TEST_CASE("iapctl --help prints usage and exits 0") {
    const auto r = iapctl({"--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("iapctl verify google-play") != std::string::npos);
}
