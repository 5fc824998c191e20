// SPDX-License-Identifier: MIT
//
// StoreKit 2 JWS: Apple's own mock data (signed by Apple's test CA), Xcode data, and JWS forged
// here with a look-alike Apple PKI (tests/make_forged_pki.sh), each rule broken once.
#include "support.hpp"

#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/app_store_jws.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace {

using iap_embedded::app_store_environment;
using iap_embedded::app_store_jws_kind;
using iap_embedded::app_store_jws_options;
using iap_embedded::errc;
using iap_embedded::testing::ec_test_key;

const std::string library = "apple_jws/app-store-server-library/";

std::string testdata_jws(const std::string& name) { return test_support::read_testdata(library + name); }

std::string forged(const std::string& name) {
    return test_support::read_file(std::string(IAP_EMBEDDED_FORGED_PKI_DIR) + "/" + name);
}

app_store_jws_options with_root(const std::string& der) {
    auto roots = iap_embedded::trusted_roots::from_certificates({der});
    REQUIRE(roots);
    app_store_jws_options options;
    options.roots = *roots;
    return options;
}

app_store_jws_options mock_options() { return with_root(testdata_jws("certs/testCA.der")); }

std::string b64url(const std::string& s) {
    return ec_test_key::base64url(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}
std::string b64(const std::string& s) {
    return iap_embedded::encode_base64(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// JWS signed with the forged P-256 leaf, its x5c the forged chain (or `x5c_override`).
ec_test_key forged_leaf_key() {
    auto k = ec_test_key::from_pem(forged("leaf_ecc_key.pem"));
    REQUIRE(k);
    return std::move(*k);
}

struct forger {
    ec_test_key key = forged_leaf_key();

    std::string x5c() const {
        return "[\"" + b64(forged("leaf_ecc.der")) + "\",\"" + b64(forged("wwdr_g6.der")) + "\",\"" +
               b64(forged("root_g3.der")) + "\"]";
    }
    std::string sign(const std::string& payload, const std::string& alg = "ES256", std::string chain = {}) const {
        if (chain.empty()) chain = x5c();
        const std::string input = b64url("{\"alg\":\"" + alg + "\",\"x5c\":" + chain + "}") + "." + b64url(payload);
        auto sig = key.sign_es256_base64url(input);
        REQUIRE(sig);
        return input + "." + *sig;
    }
};

const std::string transaction_payload =
    R"({"transactionId":"2000000123","originalTransactionId":"2000000100","webOrderLineItemId":"2000000050",)"
    R"("bundleId":"com.example.game","productId":"gems_100","purchaseDate":1767225600000,)"
    R"("originalPurchaseDate":1767225600000,"quantity":2,"type":"Consumable","inAppOwnershipType":"PURCHASED",)"
    R"("signedDate":1767225601000,"environment":"Production","storefront":"KOR","currency":"KRW","price":1200000})";

app_store_jws_options forged_options() { return with_root(forged("root_g3.der")); }

} // namespace

TEST_CASE("Apple's mock transaction verifies against Apple's test CA, as Sandbox") {
    auto options = mock_options();
    options.expected_bundle_id = "com.example";
    options.expected_environment = app_store_environment::sandbox;
    const auto v = iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/transactionInfo"), options);
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->kind == app_store_jws_kind::transaction);
    CHECK(v->environment == app_store_environment::sandbox);
    CHECK(v->bundle_id == "com.example");
    CHECK(v->signed_time_ms == 1672956154000);
}

TEST_CASE("Apple's mock data is rejected where its rules say so") {
    const auto options = mock_options();
    SECTION("the built-in Apple Root CA - G3 does not trust Apple's test CA") {
        const auto v = iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/transactionInfo"));
        CHECK(v.error_code() == errc::untrusted_certificate);
    }
    SECTION("environment Production expected") {
        auto o = options;
        o.expected_environment = app_store_environment::production;
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/transactionInfo"), o).error_code() ==
              errc::environment_mismatch);
    }
    SECTION("wrongBundleId: a notification for com.example.wrong, com.examplex expected") {
        auto o = options;
        o.expected_bundle_id = "com.examplex";
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/wrongBundleId"), o).error_code() ==
              errc::bundle_id_mismatch);
        const auto unchecked = iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/wrongBundleId"), options);
        REQUIRE(unchecked);
        CHECK(unchecked->kind == app_store_jws_kind::notification);
        CHECK(unchecked->notification_type == "TEST");
    }
    SECTION("missingX5CHeaderClaim") {
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/missingX5CHeaderClaim"), options)
                  .error_code() == errc::untrusted_certificate);
    }
    SECTION("legacyTransaction is not a JWS") {
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/legacyTransaction"), options)
                  .error_code() == errc::malformed_input);
    }
}

TEST_CASE("Xcode JWS: rejected unless Xcode is allowed, then decoded and reported as Xcode") {
    for (const char* name : {"xcode/xcode-signed-transaction", "xcode/xcode-signed-renewal-info",
                             "xcode/xcode-signed-app-transaction"}) {
        INFO(name);
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws(name)).error_code() == errc::xcode_not_allowed);
        app_store_jws_options options;
        options.allow_xcode = true;
        const auto v = iap_embedded::verify_app_store_jws(testdata_jws(name), options);
        INFO(v.message());
        REQUIRE(v);
        CHECK(v->environment == app_store_environment::xcode);
    }
    app_store_jws_options options;
    options.allow_xcode = true;
    const auto t = iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-transaction"), options);
    REQUIRE(t);
    CHECK(t->kind == app_store_jws_kind::transaction);
    CHECK(t->bundle_id == "com.example.naturelab.backyardbirds.example");
    REQUIRE(t->purchases.size() == 1);
    CHECK(t->purchases[0].product_id == "pass.premium");
    CHECK(t->purchases[0].transaction_id == "0");
    CHECK(t->purchases[0].purchase_time_ms == 1697679936049);
    CHECK(t->purchases[0].expires_time_ms == 1700358336049);
    CHECK(t->transaction_details[0].type == "Auto-Renewable Subscription");
    const auto r = iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"), options);
    REQUIRE(r);
    CHECK(r->kind == app_store_jws_kind::renewal_info);
    REQUIRE(r->renewal_info);
    CHECK(r->renewal_info->auto_renew_product_id == "pass.premium");
    const auto a = iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-app-transaction"), options);
    REQUIRE(a);
    CHECK(a->kind == app_store_jws_kind::app_transaction);
    CHECK(a->original_app_version == "1");

    SECTION("changing one byte of an Xcode payload breaks its signature") {
        std::string jws = testdata_jws("xcode/xcode-signed-transaction");
        const auto dot = jws.find('.');
        jws[dot + 10] = jws[dot + 10] == 'A' ? 'B' : 'A';
        CHECK_FALSE(iap_embedded::verify_app_store_jws(jws, options));
    }
}

TEST_CASE("a forged Apple chain verifies only with its own root, and every field comes through") {
    const forger f;
    const std::string jws = f.sign(transaction_payload);
    CHECK(iap_embedded::verify_app_store_jws(jws).error_code() == errc::untrusted_certificate);

    auto options = forged_options();
    options.expected_bundle_id = "com.example.game";
    options.expected_environment = app_store_environment::production;
    const auto v = iap_embedded::verify_app_store_jws(jws, options);
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->kind == app_store_jws_kind::transaction);
    CHECK(v->signed_time_ms == 1767225601000);
    REQUIRE(v->purchases.size() == 1);
    const auto& p = v->purchases[0];
    CHECK(p.store == iap_embedded::store_kind::app_store);
    CHECK(p.transaction_id == "2000000123");
    CHECK(p.original_transaction_id == "2000000100");
    CHECK(p.web_order_line_item_id == 2000000050);
    CHECK(p.product_id == "gems_100");
    CHECK(p.purchase_time_ms == 1767225600000);
    CHECK(p.quantity == 2);
    CHECK(p.state == iap_embedded::purchase_state::purchased);
    CHECK(v->transaction_details[0].currency == "KRW");
    CHECK(v->transaction_details[0].price == 1200000);
}

TEST_CASE("forged JWS: purchase and expiry dates past 2038 and 2106 come through whole") {
    const forger f;
    const std::string payload =
        R"({"transactionId":"2000000200","originalTransactionId":"2000000200","bundleId":"com.example.game",)"
        R"("productId":"pro_yearly","purchaseDate":2208988800000,"originalPurchaseDate":2147483648000,)"
        R"("expiresDate":4294967296001,"quantity":1,"type":"Auto-Renewable Subscription",)"
        R"("inAppOwnershipType":"PURCHASED","signedDate":1767225601000,"environment":"Production"})";
    const auto v = iap_embedded::verify_app_store_jws(f.sign(payload), forged_options());
    INFO(v.message());
    REQUIRE(v);
    REQUIRE(v->purchases.size() == 1);
    const auto& p = v->purchases[0];
    CHECK(p.purchase_time_ms == 2208988800000);          // 2040-01-01
    CHECK(p.original_purchase_time_ms == 2147483648000); // 2038-01-19T03:14:08Z, 2^31 s
    CHECK(p.expires_time_ms == 4294967296001);           // 2106-02-07T06:28:16.001Z, 2^32 s
}

TEST_CASE("forged JWS: each rule broken once") {
    const forger f;
    const auto options = forged_options();
    const auto code = [&](const std::string& jws, const app_store_jws_options& o) {
        const auto v = iap_embedded::verify_app_store_jws(jws, o);
        INFO(v.message());
        return v.error_code();
    };
    const std::string good = f.sign(transaction_payload);
    REQUIRE(iap_embedded::verify_app_store_jws(good, options));

    SECTION("payload changed after signing") {
        std::string payload = transaction_payload;
        payload.replace(payload.find("\"quantity\":2"), 12, "\"quantity\":9");
        const std::string jws = good.substr(0, good.find('.')) + "." + b64url(payload) + good.substr(good.rfind('.'));
        CHECK(code(jws, options) == errc::signature_invalid);
    }
    SECTION("algorithms other than ES256") {
        for (const char* alg : {"none", "HS256", "ES384", "RS256", "es256"}) CHECK(code(f.sign(transaction_payload, alg), options) == errc::unsupported_algorithm);
    }
    SECTION("x5c of two certificates, or with the leaf alone") {
        const std::string two = "[\"" + b64(forged("leaf_ecc.der")) + "\",\"" + b64(forged("wwdr_g6.der")) + "\"]";
        CHECK(code(f.sign(transaction_payload, "ES256", two), options) == errc::untrusted_certificate);
        CHECK(code(f.sign(transaction_payload, "ES256", "[\"" + b64(forged("leaf_ecc.der")) + "\"]"), options) ==
              errc::untrusted_certificate);
        CHECK(code(f.sign(transaction_payload, "ES256", "[]"), options) == errc::untrusted_certificate);
        CHECK(code(f.sign(transaction_payload, "ES256", "\"not an array\""), options) == errc::untrusted_certificate);
    }
    SECTION("the sender's root is never trusted by itself") {
        CHECK(code(good, mock_options()) == errc::untrusted_certificate);
    }
    SECTION("certificates evaluated at signedDate: before 2020 and after 2040 the forged chain is not valid") {
        std::string early = transaction_payload;
        early.replace(early.find("\"signedDate\":1767225601000"), 26, "\"signedDate\":1500000000000");
        CHECK(code(f.sign(early), options) == errc::certificate_expired);
        auto late = options;
        late.evaluation_time_ms = 2300000000000;
        CHECK(code(good, late) == errc::certificate_expired);
    }
    SECTION("bundle id, environment and app Apple id") {
        auto o = options;
        o.expected_bundle_id = "com.example.other";
        CHECK(code(good, o) == errc::bundle_id_mismatch);
        o = options;
        o.expected_environment = app_store_environment::sandbox;
        CHECK(code(good, o) == errc::environment_mismatch);
        std::string with_id = transaction_payload;
        with_id.insert(1, "\"appAppleId\":1234,");
        o = options;
        o.expected_app_apple_id = 1234;
        CHECK(iap_embedded::verify_app_store_jws(f.sign(with_id), o));
        o.expected_app_apple_id = 999;
        CHECK(code(f.sign(with_id), o) == errc::app_apple_id_mismatch);
    }
    SECTION("Xcode environment in a production-shaped JWS is still refused unless allowed") {
        std::string xcode = transaction_payload;
        xcode.replace(xcode.find("Production"), 10, "Xcode");
        CHECK(code(f.sign(xcode), options) == errc::xcode_not_allowed);
    }
    SECTION("a DER signature instead of raw r||s") {
        const auto dot = good.rfind('.');
        const auto raw = iap_embedded::decode_base64url(good.substr(dot + 1));
        REQUIRE(raw);
        auto rs = iap_embedded::detail::ecdsa_signature_from_raw(raw->data(), raw->size(), 32);
        REQUIRE(rs);
        unsigned char der[140];
        const auto n = iap_embedded::detail::ecdsa_signature_to_der(*rs, der);
        CHECK(code(good.substr(0, dot + 1) + ec_test_key::base64url(der, n), options) == errc::signature_invalid);
    }
    SECTION("malformed compact serialisations") {
        const auto dot = good.find('.');
        CHECK(code(good + "=", options) == errc::malformed_input);
        CHECK(code(good.substr(0, dot), options) == errc::malformed_input);
        CHECK(code(good + ".x", options) == errc::malformed_input);
        CHECK(code("." + good.substr(dot + 1), options) == errc::malformed_input);
        CHECK(code(good.substr(0, dot) + ".." + good.substr(good.rfind('.') + 1), options) == errc::malformed_input);
        std::string spaced = good;
        spaced.insert(dot + 5, " ");
        CHECK(code(spaced, options) == errc::malformed_input);
        std::string plus = good;
        plus[dot + 3] = '+';
        CHECK(code(plus, options) == errc::malformed_input);
        CHECK(code("", options) == errc::malformed_input);
        for (std::size_t cut = 0; cut < good.size(); cut += 7) CHECK_FALSE(iap_embedded::verify_app_store_jws(good.substr(0, cut), options));
    }
}

TEST_CASE("forged notifications: valid only if the nested JWS are") {
    const forger f;
    const auto options = forged_options();
    const std::string nested = f.sign(transaction_payload);
    const std::string renewal = f.sign(
        R"({"originalTransactionId":"2000000100","autoRenewProductId":"pro.monthly","productId":"pro.monthly",)"
        R"("autoRenewStatus":1,"renewalDate":1769904000000,"signedDate":1767225601000,"environment":"Production"})");
    const auto notification = [&](const std::string& transaction) {
        return f.sign(R"({"notificationType":"DID_RENEW","subtype":"BILLING_RECOVERY","notificationUUID":"u-1",)"
                      R"("data":{"bundleId":"com.example.game","appAppleId":1234,"environment":"Production",)"
                      R"("signedTransactionInfo":")" + transaction + R"(","signedRenewalInfo":")" + renewal +
                      R"("},"signedDate":1767225602000})");
    };
    const auto v = iap_embedded::verify_app_store_jws(notification(nested), options);
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->kind == app_store_jws_kind::notification);
    CHECK(v->notification_type == "DID_RENEW");
    CHECK(v->subtype == "BILLING_RECOVERY");
    CHECK(v->app_apple_id == 1234);
    REQUIRE(v->purchases.size() == 1);
    CHECK(v->purchases[0].transaction_id == "2000000123");
    REQUIRE(v->renewal_info);
    CHECK(v->renewal_info->auto_renew_product_id == "pro.monthly");

    std::string broken = nested;
    broken[broken.find('.') + 8] = broken[broken.find('.') + 8] == 'A' ? 'B' : 'A';
    CHECK_FALSE(iap_embedded::verify_app_store_jws(notification(broken), options));
    CHECK(iap_embedded::verify_app_store_jws(notification(nested), mock_options()).error_code() ==
          errc::untrusted_certificate);
}

TEST_CASE("revoked transactions come out refunded with the revocation time") {
    const forger f;
    std::string revoked = transaction_payload;
    revoked.insert(1, "\"revocationDate\":1767312000000.9,\"revocationReason\":1,");
    const auto v = iap_embedded::verify_app_store_jws(f.sign(revoked), forged_options());
    REQUIRE(v);
    CHECK(v->purchases[0].state == iap_embedded::purchase_state::refunded);
    CHECK(v->purchases[0].cancellation_time_ms == 1767312000000);
    CHECK(v->transaction_details[0].revocation_reason == 1);
}

TEST_CASE("AppTransaction device verification") {
    const forger f;
    const std::string nonce = "48C8B92D-CE0D-4229-BEDF-E61B4F9CFC92";
    const std::string device = "956328D9-CC6A-47F4-BE40-6953FB0AB6C7";
    std::string lower = "48c8b92d-ce0d-4229-bedf-e61b4f9cfc92956328d9-cc6a-47f4-be40-6953fb0ab6c7";
    auto hash = iap_embedded::detail::compute_digest(iap_embedded::detail::digest_kind::sha384,
                                                     reinterpret_cast<const unsigned char*>(lower.data()), lower.size());
    REQUIRE(hash);
    const std::string payload = R"({"bundleId":"com.example.game","applicationVersion":"7","originalApplicationVersion":"3",)"
                                R"("receiptType":"Production","receiptCreationDate":1767225600000,"deviceVerificationNonce":")" +
                                nonce + R"(","deviceVerification":")" + iap_embedded::encode_base64(hash->bytes, hash->size) +
                                R"("})";
    const auto v = iap_embedded::verify_app_store_jws(f.sign(payload), forged_options());
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->kind == app_store_jws_kind::app_transaction);
    CHECK(v->environment == app_store_environment::production);
    CHECK(v->app_version == "7");
    CHECK(iap_embedded::check_app_transaction_device(*v, device));
    CHECK(iap_embedded::check_app_transaction_device(*v, "00000000-0000-0000-0000-000000000000").error_code() ==
          errc::device_hash_mismatch);
}

TEST_CASE("StoreKit 2 JWS through the one verifier interface") {
    const forger f;
    const std::string jws = f.sign(transaction_payload);
    iap_embedded::verifier verifier;
    CHECK(verifier.verify(iap_embedded::receipt::app_store_jws(jws)).error_code() == errc::store_not_configured);
    REQUIRE(verifier.add_app_store({}));
    CHECK(verifier.verify(iap_embedded::receipt::app_store_jws(jws)).error_code() == errc::store_not_configured);
    auto options = forged_options();
    options.expected_bundle_id = "com.example.game";
    REQUIRE(verifier.add_app_store_jws(options));
    CHECK(verifier.accepts(iap_embedded::store_kind::app_store));
    const auto v = verifier.verify(iap_embedded::receipt::app_store_jws(jws));
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->store == iap_embedded::store_kind::app_store);
    REQUIRE(v->purchases.size() == 1);
    CHECK(v->purchases[0].product_id == "gems_100");
    REQUIRE(v->jws);
    CHECK(v->jws->kind == app_store_jws_kind::transaction);
    CHECK(v->jws->purchases.empty());
    CHECK_FALSE(v->app_store);
    std::string tampered = jws;
    tampered[tampered.find('.') + 6] ^= 1;
    CHECK_FALSE(verifier.verify(iap_embedded::receipt::app_store_jws(tampered)));
}
