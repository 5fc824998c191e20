// SPDX-License-Identifier: MIT
//
// App Store app receipts end to end: Apple's real receipts (production, sandbox, SHA-1 legacy,
// Xcode BER) with the outcomes SOURCES.md records, look-alike receipts signed with the forged PKI
// (make_forged_receipts.py), and the payload parser's refusals.
#include "support.hpp"

#include <iap_embedded/app_store.hpp>
#include <iap_embedded/base64.hpp>
#include <iap_embedded/detail/app_receipt_payload.hpp>
#include <iap_embedded/detail/x509_chain.hpp>
#include <iap_embedded/verifier.hpp>

#include <catch2/catch.hpp>
#include <picojson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace iap_embedded;
using bytes = std::vector<unsigned char>;

const std::string tp = "apple_receipts/tpinappreceipt/";
const std::string g5_device = "956328D9-CC6A-47F4-BE40-6953FB0AB6C7";

std::string receipt_text(const std::string& name) { return test_support::read_testdata(tp + name); }

std::string receipt_der(const std::string& name) {
    auto der = decode_base64(receipt_text(name));
    REQUIRE(der);
    return std::string(der->begin(), der->end());
}

std::string forged(const std::string& name) {
    return test_support::read_file(std::string(IAP_EMBEDDED_FORGED_RECEIPTS_DIR) + "/" + name);
}

trusted_roots roots_of(const std::vector<std::string>& files) {
    std::vector<std::string> certs;
    for (const auto& f : files) certs.push_back(test_support::read_file(f));
    auto roots = trusted_roots::from_certificates(certs);
    INFO(roots.message());
    REQUIRE(roots);
    return std::move(*roots);
}

trusted_roots storekit_root() { return roots_of({test_support::testdata_path(tp + "StoreKitTestCertificate.cer")}); }
trusted_roots forged_root() { return roots_of({std::string(IAP_EMBEDDED_FORGED_PKI_DIR) + "/root.der"}); }

std::vector<unsigned char> device(const std::string& text) {
    auto id = parse_device_identifier(text);
    INFO(id.message());
    REQUIRE(id);
    return *id;
}

// Options for `bundle_id`'s app, Sandbox receipts accepted too (as a shipping app must).
app_store_receipt_options for_app(std::string bundle_id) {
    app_store_receipt_options options;
    options.expected_bundle_id = std::move(bundle_id);
    options.allow_sandbox = true;
    return options;
}

// Options for the app the receipt names (read unverified), for tests about something else.
app_store_receipt_options for_its_app(const std::string& receipt) {
    const auto named = parse_unverified_app_store_receipt(receipt);
    return for_app(named && !named->bundle_id.empty() ? named->bundle_id : std::string("com.example.none"));
}

app_store_receipt verified(const std::string& receipt, const app_store_receipt_options& options) {
    auto r = verify_app_store_receipt(receipt, options);
    INFO(r.message());
    REQUIRE(r);
    return std::move(*r);
}

void require_error(const result<app_store_receipt>& r, errc code) {
    INFO("message: " << r.message());
    REQUIRE_FALSE(r);
    CHECK(r.error_code() == code);
    CHECK_FALSE(r.message().empty());
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t ms(const char* rfc3339) {
    const auto t = detail::parse_receipt_time_ms(rfc3339);
    REQUIRE(t);
    return *t;
}

// Changes one byte of the first occurrence of `needle` in `data` (at `offset` inside it).
std::string patched(std::string data, const std::string& needle, std::size_t offset) {
    const auto at = data.find(needle);
    REQUIRE(at != std::string::npos);
    data[at + offset] = static_cast<char>(data[at + offset] ^ 0x01);
    return data;
}

} // namespace

TEST_CASE("app store receipt: real production receipt verifies at its creation date, every field mapped") {
    for (const std::string& input : {receipt_text("receipt-production"), receipt_der("receipt-production")}) {
        const auto r = verified(input, for_app("org.getpure.pure-iphone"));
        CHECK(r.bundle_id == "org.getpure.pure-iphone");
        CHECK(r.app_version == "15741");
        CHECK(r.original_app_version == "434");
        CHECK(r.environment == app_store_environment::production);
        CHECK(r.creation_time_ms == ms("2024-02-23T17:27:16Z"));
        CHECK_FALSE(r.device_checked);
        REQUIRE(r.purchases.size() == 4);
        CHECK(r.purchases[0].product_id == "org.getpure.pure.Week");
        CHECK(r.purchases[0].transaction_id == "340001196262039");
        const char* months[] = {"340001237736590", "340001264290434", "340001311555626"};
        for (int i = 0; i < 3; ++i) {
            const purchase& p = r.purchases[static_cast<std::size_t>(i + 1)];
            CHECK(p.product_id == "org.getpure.pure.Month");
            CHECK(p.transaction_id == months[i]);
            CHECK(p.original_transaction_id == "340001196262039");
        }
        for (const auto& p : r.purchases) {
            CHECK(p.store == store_kind::app_store);
            CHECK(p.state == purchase_state::purchased);
            CHECK(p.quantity == 1);
            CHECK(p.other_product_ids.empty());
            REQUIRE(p.expires_time_ms);
            CHECK(*p.expires_time_ms > p.purchase_time_ms);
            CHECK(p.web_order_line_item_id);
        }
    }
}

TEST_CASE("app store receipt: sandbox G5 receipt, device hash match and mismatch") {
    const std::string text = receipt_text("receipt-sandbox-g5");
    app_store_receipt_options options;
    options.device_identifier = device(g5_device);
    options.expected_bundle_id = "dev.bonzer.weeka.app";
    options.expected_app_version = "2";
    options.expected_environment = app_store_environment::sandbox;
    const auto r = verified(text, options);
    CHECK(r.device_checked);
    CHECK(r.environment == app_store_environment::sandbox);
    CHECK(r.original_app_version == "1.0");
    CHECK(r.creation_time_ms == ms("2025-12-26T18:39:47Z"));
    REQUIRE(r.purchases.size() == 2);
    CHECK(r.purchases[0].product_id == "dev.bonzer.weeka.app.subscription.pro.annual");
    CHECK(r.purchases[0].transaction_id == "2000001092134138");
    CHECK(r.purchases[0].expires_time_ms == ms("2025-12-26T18:19:07Z"));
    CHECK(r.purchases[1].transaction_id == "2000001092148094");
    CHECK(r.purchases[1].expires_time_ms == ms("2025-12-26T18:55:07Z"));
    CHECK(r.purchases[1].original_transaction_id == "2000001092134138");

    options.device_identifier = device("956328d9cc6a47f4be406953fb0ab6c7");
    CHECK(verified(text, options).device_checked);
    options.device_identifier = device("00000000-0000-0000-0000-000000000000");
    require_error(verify_app_store_receipt(text, options), errc::device_hash_mismatch);
    options.device_identifier = device("00:11:22:33:44:55");
    require_error(verify_app_store_receipt(text, options), errc::device_hash_mismatch);
    options.device_identifier = {1, 2, 3};
    require_error(verify_app_store_receipt(text, options), errc::malformed_input);
}

TEST_CASE("app store receipt: SHA-1 signed legacy sandbox receipt with 187 purchases") {
    const auto r = verified(receipt_text("receipt-sandbox-legacy"), for_app("com.nutcall.alert"));
    CHECK(r.bundle_id == "com.nutcall.alert");
    CHECK(r.app_version == "32");
    CHECK(r.original_app_version == "1.0");
    CHECK(r.environment == app_store_environment::sandbox);
    CHECK(r.creation_time_ms == ms("2020-05-06T18:28:49Z"));
    CHECK(r.purchases.size() == 187);
    for (const auto& p : r.purchases) {
        CHECK_FALSE(p.product_id.empty());
        CHECK_FALSE(p.transaction_id.empty());
        CHECK(p.purchase_time_ms > ms("2015-01-01T00:00:00Z"));
        CHECK(p.purchase_time_ms <= r.creation_time_ms);
    }
}

TEST_CASE("app store receipt: real receipts fail when certificates are evaluated today") {
    for (const char* name : {"receipt-production", "receipt-sandbox-g5", "receipt-sandbox-legacy"}) {
        INFO(name);
        auto options = for_its_app(receipt_text(name));
        options.evaluation_time_ms = now_ms();
        require_error(verify_app_store_receipt(receipt_text(name), options), errc::certificate_expired);
        options.evaluation_time_ms = ms("2040-01-01T00:00:00Z");
        require_error(verify_app_store_receipt(receipt_text(name), options), errc::certificate_expired);
    }
}

TEST_CASE("app store receipt: the WWDR G5 intermediate as the only root is not enough") {
    auto options = for_app("org.getpure.pure-iphone");
    options.roots = roots_of({test_support::testdata_path("apple_roots/AppleWWDRCAG5.cer")});
    require_error(verify_app_store_receipt(receipt_text("receipt-production"), options), errc::untrusted_certificate);
    options.roots = storekit_root();
    require_error(verify_app_store_receipt(receipt_text("receipt-production"), options), errc::untrusted_certificate);
}

TEST_CASE("app store receipt: corrupted signature or content is signature_invalid") {
    const std::string der = receipt_der("receipt-production");
    const auto production_app = for_app("org.getpure.pure-iphone");
    std::string bad_signature = der;
    bad_signature[der.size() - 10] = static_cast<char>(bad_signature[der.size() - 10] ^ 0x40);
    require_error(verify_app_store_receipt(bad_signature, for_app("org.getpure.pure-iphone")), errc::signature_invalid);

    require_error(verify_app_store_receipt(patched(der, "org.getpure.pure-iphone", 4), production_app), errc::signature_invalid);
    require_error(verify_app_store_receipt(patched(der, "340001311555626", 14), production_app), errc::signature_invalid);

    const std::string legacy = receipt_der("receipt-sandbox-legacy");
    require_error(verify_app_store_receipt(patched(legacy, "com.nutcall.alert", 3), for_app("com.nutcall.alert")), errc::signature_invalid);
}

TEST_CASE("app store receipt: bundle id, app version and environment checks") {
    const std::string text = receipt_text("receipt-production");
    app_store_receipt_options options;
    options.expected_bundle_id = "org.getpure.pure-iphonex";
    require_error(verify_app_store_receipt(text, options), errc::bundle_id_mismatch);
    options = for_app("org.getpure.pure-iphone");
    options.expected_app_version = "15740";
    require_error(verify_app_store_receipt(text, options), errc::app_version_mismatch);
    options = for_app("org.getpure.pure-iphone");
    options.expected_environment = app_store_environment::sandbox;
    require_error(verify_app_store_receipt(text, options), errc::environment_mismatch);
    options.expected_environment = app_store_environment::production;
    options.expected_bundle_id = "org.getpure.pure-iphone";
    options.expected_app_version = "15741";
    CHECK(verified(text, options).purchases.size() == 4);
}

TEST_CASE("app store receipt: Xcode receipts need allow_xcode and the caller's StoreKit root") {
    for (const std::string& path : {tp + "receipt-xcode", tp + "receipt-xcode-with-purchases",
                                   std::string("apple_receipts/app-store-server-library/xcode-app-receipt-empty"),
                                   std::string("apple_receipts/app-store-server-library/xcode-app-receipt-with-transaction")}) {
        INFO(path);
        const std::string text = test_support::read_testdata(path);
        require_error(verify_app_store_receipt(text, for_its_app(text)), errc::xcode_not_allowed);
        auto options = for_its_app(text);
        options.roots = storekit_root();
        require_error(verify_app_store_receipt(text, options), errc::xcode_not_allowed);
        options.allow_xcode = true;
        options.roots.reset();
        require_error(verify_app_store_receipt(text, options), errc::untrusted_certificate);
        options.roots = trusted_roots::apple_root_ca();
        require_error(verify_app_store_receipt(text, options), errc::untrusted_certificate);
        options.roots = storekit_root();
        const auto r = verified(text, options);
        CHECK(r.environment == app_store_environment::xcode);
        // allow_xcode alone decides, whatever the expected environment.
        options.expected_environment = app_store_environment::sandbox;
        CHECK(verify_app_store_receipt(text, options));
    }
    auto options = for_app("net.zachariadis.cyclemaps");
    options.allow_xcode = true;
    options.roots = storekit_root();
    const auto cyclemaps = verified(receipt_text("receipt-xcode"), options);
    CHECK(cyclemaps.bundle_id == "net.zachariadis.cyclemaps");
    CHECK(cyclemaps.app_version == "31.10.0");
    CHECK(cyclemaps.creation_time_ms == ms("2020-07-22T17:33:15Z")); // written as 18:33:15+0100
    REQUIRE(cyclemaps.purchases.size() == 1);
    CHECK(cyclemaps.purchases[0].product_id == "CYCLEMAPS_PREMIUM");
    CHECK(cyclemaps.purchases[0].transaction_id == "0");

    options.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
    const auto birds = verified(receipt_text("receipt-xcode-with-purchases"), options);
    CHECK(birds.bundle_id == "com.example.naturelab.backyardbirds.example");
    CHECK(birds.app_version == "1");
    CHECK(birds.creation_time_ms == ms("2023-10-19T01:45:40Z"));
    REQUIRE(birds.purchases.size() == 1);
    CHECK(birds.purchases[0].product_id == "pass.premium");
    CHECK(birds.purchases[0].transaction_id == "0");
    CHECK(birds.purchases[0].in_intro_offer == true);
    CHECK(birds.purchases[0].expires_time_ms == ms("2023-11-19T01:45:36Z"));

    const auto empty = verified(test_support::read_testdata("apple_receipts/app-store-server-library/xcode-app-receipt-empty"),
                                options);
    CHECK(empty.purchases.empty());
    CHECK(empty.bundle_id == "com.example.naturelab.backyardbirds.example");
}

TEST_CASE("app store receipt: what is not a receipt") {
    const std::string legacy =
        test_support::read_testdata("apple_jws/app-store-server-library/mock_signed_data/legacyTransaction");
    for (const std::string& input :
         {legacy, std::string(), std::string("   \n"), std::string("garbage!"), std::string("{\"receipt\": 1}"),
          std::string("AAAA"), encode_base64(reinterpret_cast<const unsigned char*>("hello world"), 11),
          std::string(1, '\x30'), std::string("\x30\x00", 2), receipt_der("receipt-production") + std::string(1, '\0'),
          test_support::read_testdata("apple_jws/app-store-server-library/mock_signed_data/transactionInfo")}) {
        require_error(verify_app_store_receipt(input, for_its_app(input)), errc::not_a_receipt);
        require_error(parse_unverified_app_store_receipt(input), errc::not_a_receipt);
    }
}

TEST_CASE("app store receipt: every truncation fails cleanly, DER and base64") {
    for (const char* name : {"receipt-production", "receipt-xcode"}) {
        const std::string der = receipt_der(name);
        const std::string text = receipt_text(name);
        auto options = for_its_app(der);
        options.allow_xcode = true;
        for (std::size_t n = 0; n < der.size(); n += (n < 200 ? 1 : 13)) {
            INFO(name << " cut at " << n);
            CHECK_FALSE(verify_app_store_receipt(der.substr(0, n), options));
            CHECK_FALSE(parse_unverified_app_store_receipt(der.substr(0, n)));
        }
        for (std::size_t n = 0; n < text.size(); n += 97) CHECK_FALSE(verify_app_store_receipt(text.substr(0, n), options));
    }
}

TEST_CASE("app store receipt: forged chain verifies only with its root given, every field as signed") {
    const std::string receipt = forged("sha256_noattr.der");
    require_error(verify_app_store_receipt(receipt, for_its_app(receipt)), errc::untrusted_certificate);

    picojson::value expected_json;
    REQUIRE(picojson::parse(expected_json, forged("expected.json")).empty());
    const auto& e = expected_json.get<picojson::object>();
    auto options = for_app(e.at("bundle_id").get<std::string>());
    options.roots = forged_root();
    options.device_identifier = device(e.at("device_uuid").get<std::string>());
    for (const char* name : {"sha256_noattr.der", "sha1_noattr.der", "sha256_attrs.der", "sha256_attrs.b64"}) {
        INFO(name);
        const auto r = verified(forged(name), options);
        CHECK(r.bundle_id == e.at("bundle_id").get<std::string>());
        CHECK(r.app_version == e.at("app_version").get<std::string>());
        CHECK(r.original_app_version == e.at("original_app_version").get<std::string>());
        CHECK(r.environment == app_store_environment::production);
        CHECK(r.creation_time_ms == static_cast<std::int64_t>(e.at("creation_time_ms").get<double>()));
        CHECK(r.device_checked);
        const auto& purchases = e.at("purchases").get<picojson::array>();
        REQUIRE(r.purchases.size() == purchases.size());
        for (std::size_t i = 0; i < purchases.size(); ++i) {
            const auto& x = purchases[i].get<picojson::object>();
            const purchase& p = r.purchases[i];
            const auto number = [&](const char* key) { return static_cast<std::int64_t>(x.at(key).get<double>()); };
            CHECK(p.product_id == x.at("product_id").get<std::string>());
            CHECK(p.transaction_id == x.at("transaction_id").get<std::string>());
            CHECK(p.original_transaction_id == x.at("original_transaction_id").get<std::string>());
            CHECK(p.quantity == number("quantity"));
            CHECK(p.purchase_time_ms == number("purchase_time_ms"));
            CHECK(p.original_purchase_time_ms == number("original_purchase_time_ms"));
            CHECK(p.web_order_line_item_id == number("web_order_line_item_id"));
            CHECK(p.in_intro_offer == x.at("in_intro_offer").get<bool>());
            CHECK(std::string(to_string(p.state)) == x.at("state").get<std::string>());
            if (x.count("expires_time_ms")) CHECK(p.expires_time_ms == number("expires_time_ms"));
            else CHECK_FALSE(p.expires_time_ms);
            if (x.count("cancellation_time_ms")) CHECK(p.cancellation_time_ms == number("cancellation_time_ms"));
            else CHECK_FALSE(p.cancellation_time_ms);
        }
    }
    options.device_identifier = device("00000000000000000000000000000000");
    require_error(verify_app_store_receipt(receipt, options), errc::device_hash_mismatch);
}

TEST_CASE("app store receipt: forged receipts that must fail, each for its reason") {
    auto options = for_app("com.example.forged");
    options.roots = forged_root();
    require_error(verify_app_store_receipt(forged("sha512_noattr.der"), options), errc::unsupported_algorithm);
    require_error(verify_app_store_receipt(forged("md5_noattr.der"), options), errc::unsupported_algorithm);
    require_error(verify_app_store_receipt(forged("no_signer_cert.der"), options), errc::untrusted_certificate);
    require_error(verify_app_store_receipt(forged("expired_leaf.der"), options), errc::certificate_expired);
    require_error(verify_app_store_receipt(forged("leaf_no_marker.der"), options), errc::untrusted_certificate);
    require_error(verify_app_store_receipt(forged("wwdr_no_marker.der"), options), errc::untrusted_certificate);
    require_error(verify_app_store_receipt(forged("sha256_noattr.der") + "\x01", options), errc::not_a_receipt);

    // Content changed after signing: without signed attributes the signature fails; with them the
    // messageDigest attribute no longer matches.
    require_error(verify_app_store_receipt(patched(forged("sha256_noattr.der"), "com.example.forged.coins", 3), options),
                  errc::signature_invalid);
    const auto attrs = verify_app_store_receipt(patched(forged("sha256_attrs.der"), "com.example.forged.coins", 3), options);
    require_error(attrs, errc::signature_invalid);
    CHECK(attrs.message().find("messageDigest") != std::string::npos);
    // A changed signed attribute (the signing time openssl adds) breaks the signature itself.
    const std::string signed_attrs = forged("sha256_attrs.der");
    const auto utc = signed_attrs.find("\x17\x0d", signed_attrs.find("\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"));
    REQUIRE(utc != std::string::npos);
    std::string changed_time = signed_attrs;
    changed_time[utc + 3] = static_cast<char>(changed_time[utc + 3] == '0' ? '1' : '0');
    require_error(verify_app_store_receipt(changed_time, options), errc::signature_invalid);
    // Certificates valid at the creation date but not at a given evaluation time.
    options.evaluation_time_ms = ms("2041-01-01T00:00:00Z");
    require_error(verify_app_store_receipt(forged("sha256_noattr.der"), options), errc::certificate_expired);
}

TEST_CASE("app store receipt: parse_unverified reads fields without any check") {
    const auto r = parse_unverified_app_store_receipt(forged("sha256_noattr.der"));
    REQUIRE(r);
    CHECK(r->bundle_id == "com.example.forged");
    CHECK_FALSE(r->device_checked);
    const auto xcode = parse_unverified_app_store_receipt(receipt_text("receipt-xcode"));
    REQUIRE(xcode);
    CHECK(xcode->environment == app_store_environment::xcode);
}

TEST_CASE("app store receipt: the unified verifier carries receipt-level fields") {
    verifier v;
    CHECK_FALSE(v.accepts(store_kind::app_store));
    const std::string text = receipt_text("receipt-sandbox-g5");
    const auto unconfigured = v.verify(receipt::app_store(text));
    REQUIRE_FALSE(unconfigured);
    CHECK(unconfigured.error_code() == errc::store_not_configured);

    CHECK(v.add_app_store({}).error_code() == errc::malformed_input);
    CHECK_FALSE(v.accepts(store_kind::app_store));
    auto bad = for_app("dev.bonzer.weeka.app");
    bad.device_identifier = {1, 2, 3, 4};
    const auto refused = v.add_app_store(bad);
    REQUIRE_FALSE(refused);
    CHECK(refused.error_code() == errc::malformed_input);
    CHECK_FALSE(v.accepts(store_kind::app_store));

    auto options = for_app("dev.bonzer.weeka.app");
    options.device_identifier = device(g5_device);
    REQUIRE(v.add_app_store(options));
    CHECK(v.accepts(store_kind::app_store));
    const auto result = v.verify(receipt::app_store(text));
    INFO(result.message());
    REQUIRE(result);
    CHECK(result->store == store_kind::app_store);
    REQUIRE(result->app_store);
    CHECK(result->app_store->bundle_id == "dev.bonzer.weeka.app");
    CHECK(result->app_store->device_checked);
    CHECK(result->app_store->environment == app_store_environment::sandbox);
    CHECK(result->purchases.size() == 2);

    const auto tampered = v.verify(receipt::app_store(patched(receipt_der("receipt-sandbox-g5"), "dev.bonzer", 2)));
    REQUIRE_FALSE(tampered);
    CHECK(tampered.error_code() == errc::signature_invalid);
}

TEST_CASE("app store receipt: concurrent verification through one shared cache") {
    const std::string production = receipt_text("receipt-production");
    const std::string legacy = receipt_der("receipt-sandbox-legacy");
    const std::string tampered = patched(receipt_der("receipt-production"), "org.getpure.pure-iphone", 4);
    const auto production_app = for_app("org.getpure.pure-iphone");
    const auto legacy_app = for_app("com.nutcall.alert");
    detail::chain_cache cache;
    std::atomic<int> valid{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                const bool bad = (i + t) % 3 == 0;
                const auto r = verify_app_store_receipt(bad ? tampered : (t % 2 ? production : legacy),
                                                        t % 2 || bad ? production_app : legacy_app, &cache);
                if (r.has_value() != !bad) ++wrong;
                if (r) ++valid;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    CHECK(valid > 0);
}

TEST_CASE("app store receipt: device identifiers as people write them") {
    CHECK(device(g5_device).size() == 16);
    CHECK(device("956328D9CC6A47F4BE406953FB0AB6C7") == device(g5_device));
    CHECK(device("a1:b2:c3:d4:e5:f6") == bytes{0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6});
    CHECK(device("A1B2C3D4E5F6").size() == 6);
    for (const char* bad : {"", "xyz", "956328D9-CC6A-47F4-BE40-6953FB0AB6C", "956328D9-CC6A-47F4-BE40-6953FB0AB6C7AA",
                            "95-6328D9CC6A47F4BE406953FB0AB6C7", "a1:b2:c3:d4:e5", "a1b2:c3d4e5f6", "9 5"}) {
        INFO(bad);
        const auto id = parse_device_identifier(bad);
        CHECK_FALSE(id);
        CHECK(id.error_code() == errc::malformed_input);
    }
}

TEST_CASE("app store receipt: RFC 3339 dates as Apple and Xcode write them") {
    using detail::parse_receipt_time_ms;
    CHECK(parse_receipt_time_ms("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_receipt_time_ms("2024-02-23T17:27:16Z") == 1708709236000);
    CHECK(parse_receipt_time_ms("2020-07-22T18:33:15+0100") == 1595439195000);
    CHECK(parse_receipt_time_ms("2020-07-22T18:33:15+01:00") == 1595439195000);
    CHECK(parse_receipt_time_ms("2020-07-22T10:33:15-07:00") == 1595439195000);
    CHECK(parse_receipt_time_ms("2023-10-19T01:45:36.049Z") == 1697679936049);
    CHECK(parse_receipt_time_ms("2024-02-29T00:00:00Z") == 1709164800000);
    for (const char* bad : {"", "2024-02-23", "2024-02-23T17:27:16", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                            "2024-02-23T24:00:00Z", "2024-02-23T17:27:16Zjunk", "2024-02-23T17:27:16+25:00",
                            "2024-02-23T17:27:16.Z", "Etc/GMT 2024"}) {
        INFO(bad);
        CHECK_FALSE(parse_receipt_time_ms(bad));
    }
}

namespace {

bytes der(unsigned char tag, const bytes& content) {
    REQUIRE(content.size() < 128);
    bytes out{tag, static_cast<unsigned char>(content.size())};
    out.insert(out.end(), content.begin(), content.end());
    return out;
}
bytes text(unsigned char tag, const std::string& s) { return der(tag, bytes(s.begin(), s.end())); }
bytes attr(unsigned char type, const bytes& value) {
    bytes fields{0x02, 0x01, type, 0x02, 0x01, 0x01};
    const bytes v = der(0x04, value);
    fields.insert(fields.end(), v.begin(), v.end());
    return der(0x30, fields);
}
bytes set_of(const std::vector<bytes>& items) {
    bytes content;
    for (const auto& i : items) content.insert(content.end(), i.begin(), i.end());
    return der(0x31, content);
}
std::vector<bytes> required_attributes() {
    return {attr(2, text(0x0C, "a.b")), attr(3, text(0x0C, "1")), attr(4, bytes{1, 2}), attr(5, bytes(20, 0))};
}
result<detail::receipt_payload> payload_of(const bytes& set) {
    static std::vector<bytes> kept;
    kept.push_back(set);
    return detail::parse_receipt_payload({kept.back().data(), kept.back().size()});
}

} // namespace

TEST_CASE("app store receipt payload: minimal payload, unknown types ignored, refusals") {
    auto minimal = required_attributes();
    minimal.push_back(attr(99, bytes{0xFF}));
    const auto ok = payload_of(set_of(minimal));
    INFO(ok.message());
    REQUIRE(ok);
    CHECK(ok->bundle_id == "a.b");
    CHECK(ok->bundle_id_value.size == 5);
    CHECK_FALSE(ok->receipt_type);
    CHECK(ok->purchases.empty());

    for (std::size_t drop = 0; drop < 4; ++drop) {
        auto missing = required_attributes();
        missing.erase(missing.begin() + static_cast<std::ptrdiff_t>(drop));
        const auto r = payload_of(set_of(missing));
        REQUIRE_FALSE(r);
        CHECK(r.error_code() == errc::malformed_input);
    }
    const std::vector<std::vector<bytes>> refused = {
        {attr(2, text(0x0C, "x"))},                                      // bundle id twice (with required)
        {attr(12, text(0x16, "yesterday"))},                             // not a date
        {attr(3, bytes{0x02, 0x01, 0x01})},                              // version not a string
        {attr(2, text(0x0C, "\xC0\x80"))},                               // invalid UTF-8
        {attr(17, set_of({attr(0x70, text(0x0C, "no product"))}))},      // in-app without product id
        {attr(17, bytes{0x05, 0x00})},                                   // in-app value not a SET
    };
    for (const auto& extra : refused) {
        auto items = required_attributes();
        items.insert(items.end(), extra.begin(), extra.end());
        const auto r = payload_of(set_of(items));
        INFO(r.message());
        REQUIRE_FALSE(r);
        CHECK(r.error_code() == errc::malformed_input);
    }
    auto r = payload_of(der(0x30, {}));
    CHECK_FALSE(r);
    bytes trailing = set_of(required_attributes());
    trailing.push_back(0x00);
    r = payload_of(trailing);
    CHECK_FALSE(r);
}

namespace {

// Any definite length, in its minimal form.
bytes tlv(unsigned char tag, const bytes& content) {
    bytes out{tag};
    if (content.size() < 0x80) {
        out.push_back(static_cast<unsigned char>(content.size()));
    } else {
        bytes length;
        for (std::size_t n = content.size(); n > 0; n >>= 8) length.insert(length.begin(), static_cast<unsigned char>(n));
        out.push_back(static_cast<unsigned char>(0x80 | length.size()));
        out.insert(out.end(), length.begin(), length.end());
    }
    out.insert(out.end(), content.begin(), content.end());
    return out;
}
// BER: an indefinite length closed by end-of-contents (constructed elements only).
bytes indefinite(unsigned char tag, const bytes& content) {
    bytes out{tag, 0x80};
    out.insert(out.end(), content.begin(), content.end());
    out.insert(out.end(), {0x00, 0x00});
    return out;
}
bytes concat(const std::vector<bytes>& parts) {
    bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
bytes integer(std::int64_t v) {
    bytes content;
    do {
        content.insert(content.begin(), static_cast<unsigned char>(v & 0xFF));
        v >>= 8;
    } while (!((v == 0 && (content[0] & 0x80) == 0) || (v == -1 && (content[0] & 0x80) != 0)));
    return tlv(0x02, content);
}
// A ReceiptAttribute with any type; `ber` writes its SEQUENCE with an indefinite length.
bytes attribute(std::int64_t type, const bytes& value, bool ber = false) {
    const bytes fields = concat({integer(type), integer(1), tlv(0x04, value)});
    return ber ? indefinite(0x30, fields) : tlv(0x30, fields);
}
bytes text_value(const std::string& s, unsigned char tag = 0x0C) { return tlv(tag, bytes(s.begin(), s.end())); }
bytes date_value(const std::string& s) { return text_value(s, 0x16); }

// A payload with every field set and one purchase with every in-app field set, DER or with BER
// (indefinite lengths) at every level the parser accepts it.
bytes full_payload(bool ber) {
    const std::string long_product(150, 'p'); // long-form lengths in the value, the attribute and the SET
    const std::vector<bytes> in_app = {
        attribute(1701, integer(2), ber),
        attribute(1702, text_value(long_product), ber),
        attribute(1703, text_value("1000000637840752")),
        attribute(1704, date_value("2019-12-10T12:54:58Z"), ber),
        attribute(1705, text_value("1000000603177571")),
        attribute(1706, date_value("2019-12-10T12:54:58.5Z")),
        attribute(1708, date_value("2020-01-10T12:54:58Z"), ber),
        attribute(1711, integer(1000000049596395)),
        attribute(1712, date_value("2020-01-01T00:00:00+01:00")),
        attribute(1719, integer(1), ber),
        attribute(1720, bytes{0xFF, 0x00}), // unknown types are skipped, whatever their value
    };
    const bytes purchase_set = ber ? indefinite(0x31, concat(in_app)) : tlv(0x31, concat(in_app));
    const std::vector<bytes> top = {
        attribute(0, text_value("ProductionSandbox")),
        attribute(2, text_value("com.example.app"), ber),
        attribute(3, text_value("32")),
        attribute(4, bytes{1, 2, 3}),
        attribute(5, bytes(20, 0xAB)),
        attribute(12, date_value("2020-05-06T18:28:49Z")),
        attribute(17, purchase_set, ber),
        attribute(18, date_value("")),
        attribute(19, text_value("1.0")),
        attribute(21, date_value("2021-05-06T18:28:49Z")),
        attribute(70000, bytes{}),
    };
    return ber ? indefinite(0x31, concat(top)) : tlv(0x31, concat(top));
}

std::string payload_error(const bytes& set) {
    const auto r = payload_of(set);
    REQUIRE_FALSE(r);
    CHECK(r.error_code() == errc::malformed_input);
    return r.message();
}

} // namespace

TEST_CASE("app store receipt payload: BER and long-form lengths parse as their DER form does") {
    const auto der_form = payload_of(full_payload(false));
    const auto ber_form = payload_of(full_payload(true));
    INFO(der_form.message() << " / " << ber_form.message());
    REQUIRE(der_form);
    REQUIRE(ber_form);
    for (const detail::receipt_payload* p : {&*der_form, &*ber_form}) {
        CHECK(p->receipt_type == std::optional<std::string>("ProductionSandbox"));
        CHECK(p->bundle_id == "com.example.app");
        CHECK(p->bundle_id_value.size == 17);
        CHECK(p->app_version == "32");
        CHECK(p->original_app_version == "1.0");
        CHECK(p->opaque_value.size == 3);
        CHECK(p->sha1_hash.size == 20);
        CHECK(p->creation_time_ms == ms("2020-05-06T18:28:49Z"));
        CHECK(p->expiration_time_ms == ms("2021-05-06T18:28:49Z"));
        CHECK_FALSE(p->original_purchase_time_ms); // the empty date: not set
        REQUIRE(p->purchases.size() == 1);
        const purchase& x = p->purchases[0];
        CHECK(x.store == store_kind::app_store);
        CHECK(x.product_id == std::string(150, 'p'));
        CHECK(x.other_product_ids.empty());
        CHECK(x.transaction_id == "1000000637840752");
        CHECK(x.original_transaction_id == "1000000603177571");
        CHECK(x.quantity == 2);
        CHECK(x.purchase_time_ms == ms("2019-12-10T12:54:58Z"));
        CHECK(x.original_purchase_time_ms == ms("2019-12-10T12:54:58Z") + 500);
        CHECK(x.expires_time_ms == ms("2020-01-10T12:54:58Z"));
        CHECK(x.cancellation_time_ms == ms("2019-12-31T23:00:00Z"));
        CHECK(x.web_order_line_item_id == 1000000049596395);
        CHECK(x.in_intro_offer == true);
        CHECK(x.state == purchase_state::refunded);
    }
}

TEST_CASE("app store receipt payload: errors name the attribute, the element and the offset") {
    const bytes required = concat(required_attributes());
    const auto with = [&](const bytes& extra) { return payload_error(tlv(0x31, concat({required, extra}))); };
    const std::size_t at = 2 + required.size(); // where `extra` starts in the payload

    CHECK(with(tlv(0x30, concat({integer(99), tlv(0x04, {}), tlv(0x04, {})}))) ==
          "expected the attribute version (tag 0x02), found tag 0x04 at offset " + std::to_string(at + 5));
    CHECK(with(tlv(0x30, concat({integer(99), integer(1)}))) ==
          "expected the attribute value OCTET STRING, found the end of its enclosing element at offset " +
              std::to_string(at + 8));
    CHECK(with(tlv(0x30, concat({integer(99), integer(1), tlv(0x04, {}), bytes{0x05, 0x00}}))) ==
          "2 unexpected bytes at the end of a ReceiptAttribute (offset " + std::to_string(at + 10) + ")");
    CHECK(with(tlv(0x30, concat({tlv(0x02, bytes(9, 0x01)), integer(1), tlv(0x04, {})}))) ==
          "INTEGER does not fit in 64 bits");
    CHECK(with(tlv(0x30, concat({tlv(0x02, {0x00, 0x05}), integer(1), tlv(0x04, {})}))) ==
          "non-minimal INTEGER encoding");
    CHECK(with(bytes{0x30, 0x81, 0x05, 0x02, 0x01, 0x63, 0x04, 0x00}) ==
          "non-minimal length encoding at offset " + std::to_string(at));
    CHECK(with(concat({indefinite(0x30, concat({integer(99), integer(1), tlv(0x04, {})})), bytes{0x00, 0x00}})) ==
          "expected a ReceiptAttribute SEQUENCE (tag 0x30), found tag 0x00 at offset " + std::to_string(at + 12));
    CHECK(with(bytes{0x30, 0x80, 0x02, 0x01, 0x63, 0x02, 0x01, 0x01, 0x04, 0x00}) ==
          "indefinite-length element without end-of-contents at offset " + std::to_string(at));
    CHECK(with(attribute(3, concat({text_value("2"), bytes{0x05}}))) ==
          "receipt attribute 3: 1 unexpected bytes at the end of the attribute value (offset 3)");
    CHECK(with(attribute(12, date_value("2024-13-01T00:00:00Z"))) ==
          "receipt attribute 12: \"2024-13-01T00:00:00Z\" is not an RFC 3339 date");
    CHECK(with(attribute(3, text_value("\xC0\x80"))) == "receipt attribute 3: UTF8String holds invalid UTF-8");
    CHECK(with(attribute(4, bytes{9})) == "receipt attribute 4: appears twice");
    CHECK(with(attribute(17, bytes{0x05, 0x00})) == "an in-app purchase is not a SET (tag 0x05)");

    const auto in_app = [&](const std::vector<bytes>& attributes) { return with(attribute(17, tlv(0x31, concat(attributes)))); };
    const bytes product = attribute(1702, text_value("p")), transaction = attribute(1703, text_value("7"));
    const bytes date = attribute(1704, date_value("2020-01-01T00:00:00Z"));
    CHECK(in_app({product, transaction, transaction, date}) == "receipt attribute 1703: appears twice");
    CHECK(in_app({product, date}) == "in-app purchase of p has no transaction id (1703)");
    CHECK(in_app({product, transaction, attribute(1704, date_value(""))}) == "in-app purchase 7 has no purchase date (1704)");
    CHECK(in_app({transaction, date}) == "an in-app purchase has no product id (attribute 1702)");
    CHECK(in_app({product, transaction, date, attribute(1701, text_value("1"))}) ==
          "receipt attribute 1701: expected an INTEGER, found tag 0x0C");
}

TEST_CASE("app store receipt payload: many empty in-app purchases fail cleanly") {
    std::vector<bytes> items = required_attributes();
    for (int i = 0; i < 2000; ++i) items.push_back(attribute(17, bytes{0x31, 0x00}));
    CHECK(payload_error(tlv(0x31, concat(items))) == "an in-app purchase has no product id (attribute 1702)");
}

TEST_CASE("app store receipt: RFC 3339 dates, edge cases of each part") {
    using detail::parse_receipt_time_ms;
    CHECK(parse_receipt_time_ms("2024-02-23 17:27:16z") == 1708709236000);
    CHECK(parse_receipt_time_ms("2024-02-23t17:27:16Z") == 1708709236000);
    CHECK(parse_receipt_time_ms("2016-12-31T23:59:60Z") == parse_receipt_time_ms("2017-01-01T00:00:00Z"));
    CHECK(parse_receipt_time_ms("2000-02-29T00:00:00Z") == 951782400000);
    CHECK(parse_receipt_time_ms("2023-10-19T01:45:36.1Z") == 1697679936100);
    CHECK(parse_receipt_time_ms("2023-10-19T01:45:36.123456789Z") == 1697679936123);
    CHECK(parse_receipt_time_ms("2020-07-22T18:33:15+0000") == parse_receipt_time_ms("2020-07-22T18:33:15Z"));
    CHECK(parse_receipt_time_ms("0000-01-01T00:00:00Z") == -62167219200000);
    for (const char* bad : {"2100-02-29T00:00:00Z", "2024-02-23T17:27:16.1234567890Z", "2024-02-23T17:27:16+01:0",
                            "2024-02-23T17:27:16+0100x", "2024-02-23T17:27:16+01:00x", "2024-02-23T17:27:16+1:00",
                            "2024-02-23T17:27:16+01:60", "2024-02-23T17:27:61Z", "2024-02-23T17:60:16Z",
                            "2024-00-23T17:27:16Z", "2024-02-00T17:27:16Z", "2024-04-31T17:27:16Z", "2024/02/23T17:27:16Z",
                            "2024-02-23X17:27:16Z", "2024-02-23T17-27:16Z", "2024-02-23T17:27-16Z", "2024-02-2317:27:16Z",
                            "+024-02-23T17:27:16Z", "2024-02-23T17:27:16ZZ", "2024-02-23T17:27:16+", "2024-02-23T17:27:1Z",
                            "20240-02-23T17:27:16Z"}) {
        INFO(bad);
        CHECK_FALSE(parse_receipt_time_ms(bad));
    }
}

TEST_CASE("app store receipt payload: in-app attributes just outside their common form read alike") {
    const bytes required = concat(required_attributes());
    const auto payload = [&](const std::vector<bytes>& in_app) {
        return payload_of(tlv(0x31, concat({required, attribute(17, tlv(0x31, concat(in_app)))})));
    };
    // A ReceiptAttribute from its parts: type content octets, version content octets, value.
    const auto raw = [](const bytes& type, const bytes& version, const bytes& value) {
        return tlv(0x30, concat({tlv(0x02, type), tlv(0x02, version), tlv(0x04, value)}));
    };
    const bytes product = attribute(1702, text_value("p")), date = attribute(1704, date_value("2020-01-01T00:00:00Z"));
    const std::string long_id(0x77, '7'); // the SEQUENCE of this attribute needs a long-form length

    for (const bytes& transaction : {
             attribute(1703, text_value("7")),
             raw({0x06, 0xA7}, {0x00, 0x80}, text_value("7")),         // a two-octet version
             raw({0x06, 0xA7}, {}, text_value("7")),                   // an empty version
             attribute(1703, text_value("7", 0x16)),                   // IA5String
         }) {
        const auto r = payload({product, transaction, date});
        INFO(r.message());
        REQUIRE(r);
        REQUIRE(r->purchases.size() == 1);
        CHECK(r->purchases[0].transaction_id == "7");
    }
    {
        const auto r = payload({product, attribute(1703, text_value(long_id)), date});
        INFO(r.message());
        REQUIRE(r);
        CHECK(r->purchases[0].transaction_id == long_id);
    }
    const auto error = [&](const std::vector<bytes>& in_app) {
        const auto r = payload(in_app);
        REQUIRE_FALSE(r);
        return r.message();
    };
    // Two octets that one octet could hold, at either end of the range.
    CHECK(error({product, raw({0x00, 0x05}, {0x01}, text_value("7")), date}) == "non-minimal INTEGER encoding");
    CHECK(error({product, raw({0xFF, 0x80}, {0x01}, text_value("7")), date}) == "non-minimal INTEGER encoding");
    CHECK(error({product, raw({0x00, 0x7F}, {0x01}, text_value("7")), date}) == "non-minimal INTEGER encoding");
    // The value OCTET STRING does not end the SEQUENCE.
    CHECK(error({product, tlv(0x30, concat({integer(1703), integer(1), tlv(0x04, text_value("7")), bytes{0x05, 0x00}})),
                 date}) == "2 unexpected bytes at the end of a ReceiptAttribute (offset " +
                               std::to_string(2 + product.size() + 14) + ")");
    // A type in -128..127 written in one octet, and a negative two-octet type, are unknown.
    const auto r = payload({product, raw({0x85}, {0x01}, bytes{0xFF}), raw({0xF9, 0x59}, {0x01}, bytes{0xFF}),
                            attribute(1703, text_value("7")), date});
    INFO(r.message());
    REQUIRE(r);
    CHECK(r->purchases[0].transaction_id == "7");
    // A high byte in a short text is seen wherever it is.
    CHECK(error({product, attribute(1703, text_value("1234567\x80", 0x16)), date}) ==
          "receipt attribute 1703: IA5String holds a non-ASCII byte");
    CHECK(error({product, attribute(1703, text_value("\x80", 0x16)), date}) ==
          "receipt attribute 1703: IA5String holds a non-ASCII byte");
    CHECK(error({product, attribute(1703, text_value("12\xFF" "4")), date}) ==
          "receipt attribute 1703: UTF8String holds invalid UTF-8");
}

TEST_CASE("app store receipt: the bundle id is required; default options verify nothing") {
    // Default options used to accept any app's receipt.
    const std::string text = receipt_text("receipt-production");
    const auto r = verify_app_store_receipt(text, app_store_receipt_options{});
    require_error(r, errc::malformed_input);
    CHECK(r.message() == "app_store_receipt_options::expected_bundle_id is empty: set it to your app's bundle id");
    verifier v;
    const auto added = v.add_app_store({});
    CHECK(added.error_code() == errc::malformed_input);
    CHECK(added.message().find("expected_bundle_id") != std::string::npos);
    CHECK_FALSE(v.accepts(store_kind::app_store));
    require_error(verify_app_store_receipt(text, for_app("com.example.game")), errc::bundle_id_mismatch);
}

TEST_CASE("app store receipt: Sandbox receipts refused by default, accepted with allow_sandbox") {
    for (const auto& [name, bundle_id] : {std::pair<const char*, const char*>{"receipt-sandbox-g5", "dev.bonzer.weeka.app"},
                                          {"receipt-sandbox-legacy", "com.nutcall.alert"}}) {
        INFO(name);
        const std::string text = receipt_text(name);
        app_store_receipt_options options;
        options.expected_bundle_id = bundle_id;
        const auto refused = verify_app_store_receipt(text, options);
        require_error(refused, errc::environment_mismatch);
        CHECK(refused.message().find("allow_sandbox") != std::string::npos);
        options.allow_sandbox = true;
        CHECK(verified(text, options).environment == app_store_environment::sandbox);
        options.allow_sandbox = false;
        options.expected_environment = app_store_environment::sandbox;
        CHECK(verified(text, options).environment == app_store_environment::sandbox);
    }
    auto production = for_app("org.getpure.pure-iphone");
    CHECK(verified(receipt_text("receipt-production"), production).environment == app_store_environment::production);
    production.allow_sandbox = false;
    CHECK(verified(receipt_text("receipt-production"), production).environment == app_store_environment::production);
}
