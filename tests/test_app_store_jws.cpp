// SPDX-License-Identifier: MIT
//
// StoreKit 2 JWS: Apple's own mock data (signed by Apple's test CA), Xcode data, and JWS forged
// here with a look-alike Apple PKI (tests/make_forged_pki.sh), each rule broken once.
#include "support.hpp"

#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/app_store_jws.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>
#include <picojson.h>

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

// SOURCES.md: Apple verifies its mock data for bundle id com.example, environment Sandbox.
app_store_jws_options mock_options() {
    auto options = with_root(testdata_jws("certs/testCA.der"));
    options.expected_bundle_id = "com.example";
    options.expected_environment = app_store_environment::sandbox;
    return options;
}

// SOURCES.md: the Xcode data's bundle id; its transaction's originalTransactionId is "0".
const std::string xcode_bundle_id = "com.example.naturelab.backyardbirds.example";
app_store_jws_options xcode_options(app_store_jws_kind kind = app_store_jws_kind::transaction) {
    app_store_jws_options options;
    options.expected_bundle_id = xcode_bundle_id;
    options.allow_xcode = true;
    options.kind = kind;
    if (kind == app_store_jws_kind::renewal_info) options.expected_original_transaction_id = "0";
    return options;
}

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
    std::string sign(const std::string& payload, const std::string& alg = "ES256", std::string chain = {},
                     const std::string& more_header = {}) const {
        if (chain.empty()) chain = x5c();
        const std::string input =
            b64url("{\"alg\":\"" + alg + "\",\"x5c\":" + chain + more_header + "}") + "." + b64url(payload);
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

const std::string renewal_payload =
    R"({"originalTransactionId":"2000000100","autoRenewProductId":"pro.monthly","productId":"pro.monthly",)"
    R"("autoRenewStatus":1,"renewalDate":1769904000000,"signedDate":1767225601000,"environment":"Production"})";

const std::string app_transaction_payload =
    R"({"bundleId":"com.example.game","applicationVersion":"7","originalApplicationVersion":"3",)"
    R"("receiptType":"Production","receiptCreationDate":1767225600000})";

// Production, bundle id com.example.game, kind transaction: the defaults plus what is required.
app_store_jws_options forged_options(app_store_jws_kind kind = app_store_jws_kind::transaction) {
    auto options = with_root(forged("root_g3.der"));
    options.expected_bundle_id = "com.example.game";
    options.kind = kind;
    if (kind == app_store_jws_kind::renewal_info) options.expected_original_transaction_id = "2000000100";
    return options;
}

// `payload` (a JSON object) without its member `key`.
std::string without(const std::string& payload, const std::string& key) {
    picojson::value v;
    const std::string error = picojson::parse(v, payload);
    REQUIRE(error.empty());
    REQUIRE(v.get<picojson::object>().erase(key) == 1);
    return v.serialize();
}

} // namespace

TEST_CASE("kind: Apple's mock 'transactionInfo' (environment, bundleId, signedDate only) is no transaction") {
    // It used to come back as a purchased transaction with empty ids and quantity 1.
    const std::string mock = testdata_jws("mock_signed_data/transactionInfo");
    const auto v = iap_embedded::verify_app_store_jws(mock, mock_options());
    CHECK(v.error_code() == errc::malformed_input);
    CHECK(v.message().find("transactionId") != std::string::npos);
    // Judged after the signature: the same bytes with a changed signature are signature_invalid.
    std::string tampered = mock;
    tampered[tampered.rfind('.') + 5] = tampered[tampered.rfind('.') + 5] == 'A' ? 'B' : 'A';
    CHECK(iap_embedded::verify_app_store_jws(tampered, mock_options()).error_code() == errc::signature_invalid);
    for (const auto kind : {app_store_jws_kind::renewal_info, app_store_jws_kind::app_transaction,
                            app_store_jws_kind::notification}) {
        auto o = mock_options();
        o.kind = kind;
        if (kind == app_store_jws_kind::renewal_info) o.expected_original_transaction_id = "1";
        CHECK(iap_embedded::verify_app_store_jws(mock, o).error_code() == errc::malformed_input);
    }
}

TEST_CASE("kind: Xcode data verified as another kind is refused") {
    // Renewal info names its environment where a transaction does: Xcode data, signed, no transaction.
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"), xcode_options())
              .error_code() == errc::malformed_input);
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-transaction"),
                                             xcode_options(app_store_jws_kind::renewal_info))
              .error_code() == errc::malformed_input);
    // Read as another kind, an AppTransaction ("receiptType") or a transaction names no
    // environment at all, so it is not Xcode data and lacks Apple's chain of three.
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-app-transaction"), xcode_options())
              .error_code() == errc::untrusted_certificate);
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-transaction"),
                                             xcode_options(app_store_jws_kind::app_transaction))
              .error_code() == errc::untrusted_certificate);
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"),
                                             xcode_options(app_store_jws_kind::notification))
              .error_code() == errc::untrusted_certificate);
}

TEST_CASE("Apple's mock data is rejected where its rules say so") {
    const auto options = mock_options();
    SECTION("the built-in Apple Root CA - G3 does not trust Apple's test CA") {
        app_store_jws_options o;
        o.expected_bundle_id = "com.example";
        const auto v = iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/transactionInfo"), o);
        CHECK(v.error_code() == errc::untrusted_certificate);
    }
    SECTION("wrongBundleId: a notification for com.example.wrong, com.examplex expected") {
        auto o = options;
        o.kind = app_store_jws_kind::notification;
        o.expected_bundle_id = "com.examplex";
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/wrongBundleId"), o).error_code() ==
              errc::bundle_id_mismatch);
        // For its own bundle id it still fails, as in Apple's library: it names no environment.
        o.expected_bundle_id = "com.example.wrong";
        const auto own = iap_embedded::verify_app_store_jws(testdata_jws("mock_signed_data/wrongBundleId"), o);
        CHECK(own.error_code() == errc::environment_mismatch);
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
    const std::pair<const char*, app_store_jws_kind> files[] = {
        {"xcode/xcode-signed-transaction", app_store_jws_kind::transaction},
        {"xcode/xcode-signed-renewal-info", app_store_jws_kind::renewal_info},
        {"xcode/xcode-signed-app-transaction", app_store_jws_kind::app_transaction}};
    for (const auto& [name, kind] : files) {
        INFO(name);
        auto refused = xcode_options(kind);
        refused.allow_xcode = false;
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws(name), refused).error_code() == errc::xcode_not_allowed);
        const auto v = iap_embedded::verify_app_store_jws(testdata_jws(name), xcode_options(kind));
        INFO(v.message());
        REQUIRE(v);
        CHECK(v->kind == kind);
        CHECK(v->environment == app_store_environment::xcode);
    }
    const auto options = xcode_options();
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
    const auto r = iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"),
                                                      xcode_options(app_store_jws_kind::renewal_info));
    REQUIRE(r);
    CHECK(r->kind == app_store_jws_kind::renewal_info);
    REQUIRE(r->renewal_info);
    CHECK(r->renewal_info->auto_renew_product_id == "pass.premium");
    const auto a = iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-app-transaction"),
                                                      xcode_options(app_store_jws_kind::app_transaction));
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
    app_store_jws_options built_in;
    built_in.expected_bundle_id = "com.example.game";
    CHECK(iap_embedded::verify_app_store_jws(jws, built_in).error_code() == errc::untrusted_certificate);

    const auto options = forged_options();
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
    const auto options = forged_options(app_store_jws_kind::notification);
    const std::string nested = f.sign(transaction_payload);
    const std::string renewal = f.sign(renewal_payload);
    const auto notification = [&](const std::string& transaction, const std::string* renewal_override = nullptr) {
        const std::string& renewal_info = renewal_override != nullptr ? *renewal_override : renewal;
        return f.sign(R"({"notificationType":"DID_RENEW","subtype":"BILLING_RECOVERY","notificationUUID":"u-1",)"
                      R"("data":{"bundleId":"com.example.game","appAppleId":1234,"environment":"Production",)"
                      R"("signedTransactionInfo":")" + transaction + R"(","signedRenewalInfo":")" + renewal_info +
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
    auto other_root = mock_options();
    other_root.kind = app_store_jws_kind::notification;
    CHECK(iap_embedded::verify_app_store_jws(notification(nested), other_root).error_code() ==
          errc::untrusted_certificate);

    SECTION("the nested renewal info must belong to the nested transaction") {
        std::string other = renewal_payload;
        other.replace(other.find("2000000100"), 10, "2000000999");
        const std::string other_renewal = f.sign(other);
        const auto v2 = iap_embedded::verify_app_store_jws(notification(nested, &other_renewal), options);
        CHECK(v2.error_code() == errc::original_transaction_id_mismatch);
        CHECK(v2.message().find("signedRenewalInfo") != std::string::npos);
    }
    SECTION("renewal info without a transaction to tie it to") {
        const std::string lone = f.sign(
            R"({"notificationType":"DID_CHANGE_RENEWAL_STATUS","notificationUUID":"u-2","signedDate":1767225602000,)"
            R"("data":{"bundleId":"com.example.game","environment":"Production","signedRenewalInfo":")" +
            renewal + R"("}})");
        CHECK(iap_embedded::verify_app_store_jws(lone, options).error_code() == errc::malformed_input);
    }
    SECTION("nested data from another environment than the notification's") {
        std::string sandbox = transaction_payload;
        sandbox.replace(sandbox.find("Production"), 10, "Sandbox");
        auto lenient = options;
        lenient.allow_sandbox = true;
        CHECK(iap_embedded::verify_app_store_jws(notification(f.sign(sandbox)), lenient).error_code() ==
              errc::environment_mismatch);
    }
    SECTION("another app's nested transaction") {
        std::string other = transaction_payload;
        other.replace(other.find("com.example.game"), 16, "com.example.evil");
        CHECK(iap_embedded::verify_app_store_jws(notification(f.sign(other)), options).error_code() ==
              errc::bundle_id_mismatch);
    }
    SECTION("a notification verified as a transaction, and the reverse") {
        CHECK(iap_embedded::verify_app_store_jws(notification(nested), forged_options()).error_code() ==
              errc::malformed_input);
        CHECK(iap_embedded::verify_app_store_jws(nested, options).error_code() == errc::malformed_input);
    }
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
    const auto v = iap_embedded::verify_app_store_jws(f.sign(payload), forged_options(app_store_jws_kind::app_transaction));
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
    // Configured with nothing: refused at configuration, and the verifier stays unconfigured.
    const auto refused = verifier.add_app_store_jws({});
    CHECK(refused.error_code() == errc::malformed_input);
    CHECK(refused.message().find("expected_bundle_id") != std::string::npos);
    CHECK(verifier.verify(iap_embedded::receipt::app_store_jws(jws)).error_code() == errc::store_not_configured);
    auto renewal_without_transaction = forged_options(app_store_jws_kind::renewal_info);
    renewal_without_transaction.expected_original_transaction_id.clear();
    CHECK(verifier.add_app_store_jws(renewal_without_transaction).error_code() == errc::malformed_input);
    CHECK(verifier.verify(iap_embedded::receipt::app_store_jws(jws)).error_code() == errc::store_not_configured);
    const auto options = forged_options();
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
    // The verifier's kind is its configuration: renewal info is not a transaction to it.
    CHECK(verifier.verify(iap_embedded::receipt::app_store_jws(f.sign(renewal_payload))).error_code() ==
          errc::malformed_input);
    iap_embedded::verifier renewals;
    REQUIRE(renewals.add_app_store_jws(forged_options(app_store_jws_kind::renewal_info)));
    const auto r = renewals.verify(iap_embedded::receipt::app_store_jws(f.sign(renewal_payload)));
    INFO(r.message());
    REQUIRE(r);
    REQUIRE(r->jws);
    CHECK(r->jws->kind == app_store_jws_kind::renewal_info);
    CHECK(r->purchases.empty());
}

TEST_CASE("options: the bundle id is required; default options verify nothing") {
    // Default options used to accept any app's transaction.
    const forger f;
    const std::string jws = f.sign(transaction_payload);
    auto options = forged_options();
    options.expected_bundle_id.clear();
    const auto v = iap_embedded::verify_app_store_jws(jws, options);
    CHECK(v.error_code() == errc::malformed_input);
    CHECK(v.message() == "app_store_jws_options::expected_bundle_id is empty: set it to your app's bundle id");
    iap_embedded::verifier verifier;
    CHECK(verifier.add_app_store_jws(options).error_code() == errc::malformed_input);
    CHECK_FALSE(verifier.accepts(iap_embedded::store_kind::app_store));
    // Another app's transaction is refused once the app names itself.
    options.expected_bundle_id = "com.example.other";
    CHECK(iap_embedded::verify_app_store_jws(jws, options).error_code() == errc::bundle_id_mismatch);
    SECTION("renewal info needs the original transaction id; other kinds refuse one") {
        auto renewal = forged_options(app_store_jws_kind::renewal_info);
        renewal.expected_original_transaction_id.clear();
        const auto r = iap_embedded::verify_app_store_jws(f.sign(renewal_payload), renewal);
        CHECK(r.error_code() == errc::malformed_input);
        CHECK(r.message().find("expected_original_transaction_id") != std::string::npos);
        auto transaction = forged_options();
        transaction.expected_original_transaction_id = "2000000100";
        CHECK(iap_embedded::verify_app_store_jws(jws, transaction).error_code() == errc::malformed_input);
    }
}

TEST_CASE("environment: Production by default, Sandbox with allow_sandbox, Xcode with allow_xcode") {
    const forger f;
    std::string sandbox_payload = transaction_payload;
    sandbox_payload.replace(sandbox_payload.find("Production"), 10, "Sandbox");
    const std::string sandbox = f.sign(sandbox_payload);
    const std::string production = f.sign(transaction_payload);
    auto options = forged_options();
    // Sandbox transactions (free to make) used to pass default options.
    const auto refused = iap_embedded::verify_app_store_jws(sandbox, options);
    CHECK(refused.error_code() == errc::environment_mismatch);
    CHECK(refused.message().find("allow_sandbox") != std::string::npos);
    options.allow_sandbox = true;
    const auto accepted = iap_embedded::verify_app_store_jws(sandbox, options);
    INFO(accepted.message());
    REQUIRE(accepted);
    CHECK(accepted->environment == app_store_environment::sandbox);
    CHECK(iap_embedded::verify_app_store_jws(production, options));
    // Sandbox expected: Production data is not Sandbox data.
    options.allow_sandbox = false;
    options.expected_environment = app_store_environment::sandbox;
    CHECK(iap_embedded::verify_app_store_jws(sandbox, options));
    CHECK(iap_embedded::verify_app_store_jws(production, options).error_code() == errc::environment_mismatch);
    // A payload naming no environment matches none.
    CHECK(iap_embedded::verify_app_store_jws(f.sign(without(transaction_payload, "environment")), forged_options())
              .error_code() == errc::environment_mismatch);
    // Xcode: allow_xcode alone decides, whatever the expected environment.
    auto xcode = xcode_options();
    for (const auto expected : {app_store_environment::production, app_store_environment::sandbox}) {
        xcode.expected_environment = expected;
        CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-transaction"), xcode));
    }
}

TEST_CASE("renewal info: tied to the transaction the caller names") {
    const forger f;
    const std::string renewal = f.sign(renewal_payload);
    auto options = forged_options(app_store_jws_kind::renewal_info);
    const auto v = iap_embedded::verify_app_store_jws(renewal, options);
    INFO(v.message());
    REQUIRE(v);
    CHECK(v->kind == app_store_jws_kind::renewal_info);
    REQUIRE(v->renewal_info);
    CHECK(v->renewal_info->original_transaction_id == "2000000100");
    CHECK(v->renewal_info->auto_renew_status == 1);
    // Renewal info carries no bundle id: it used to pass for any app. Now another subscription's
    // (another app's) renewal info is refused.
    options.expected_original_transaction_id = "2000000999";
    const auto other = iap_embedded::verify_app_store_jws(renewal, options);
    CHECK(other.error_code() == errc::original_transaction_id_mismatch);
    CHECK(iap_embedded::to_string(errc::original_transaction_id_mismatch) == "original_transaction_id_mismatch");
    // The Xcode renewal info belongs to the Xcode transaction "0".
    auto xcode = xcode_options(app_store_jws_kind::renewal_info);
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"), xcode));
    xcode.expected_original_transaction_id = "1";
    CHECK(iap_embedded::verify_app_store_jws(testdata_jws("xcode/xcode-signed-renewal-info"), xcode).error_code() ==
          errc::original_transaction_id_mismatch);
}

TEST_CASE("kind: each kind's required fields") {
    const forger f;
    const auto missing_each = [&](const std::string& payload, app_store_jws_kind kind,
                                  std::initializer_list<const char*> required) {
        const auto options = forged_options(kind);
        const auto whole = iap_embedded::verify_app_store_jws(f.sign(payload), options);
        INFO(whole.message());
        REQUIRE(whole);
        for (const char* key : required) {
            INFO(iap_embedded::to_string(kind) << " without " << key);
            const auto v = iap_embedded::verify_app_store_jws(f.sign(without(payload, key)), options);
            CHECK(v.error_code() == errc::malformed_input);
            CHECK(v.message().find(key) != std::string::npos);
        }
    };
    missing_each(transaction_payload, app_store_jws_kind::transaction,
                 {"transactionId", "originalTransactionId", "productId", "purchaseDate", "bundleId", "signedDate"});
    missing_each(renewal_payload, app_store_jws_kind::renewal_info,
                 {"originalTransactionId", "productId", "autoRenewStatus", "signedDate"});
    missing_each(app_transaction_payload, app_store_jws_kind::app_transaction,
                 {"bundleId", "applicationVersion", "originalApplicationVersion", "receiptCreationDate"});
    const std::string notification =
        R"({"notificationType":"TEST","notificationUUID":"u-3","signedDate":1767225602000,)"
        R"("data":{"bundleId":"com.example.game","environment":"Production"}})";
    missing_each(notification, app_store_jws_kind::notification, {"notificationType", "notificationUUID", "data"});
    SECTION("an empty transactionId is no transactionId") {
        std::string empty = transaction_payload;
        empty.replace(empty.find("\"2000000123\""), 12, "\"\"");
        CHECK(iap_embedded::verify_app_store_jws(f.sign(empty), forged_options()).error_code() == errc::malformed_input);
    }
    SECTION("a notification's identity from summary or externalPurchaseToken, as Apple's library reads it") {
        const auto options = forged_options(app_store_jws_kind::notification);
        const auto summary = iap_embedded::verify_app_store_jws(
            f.sign(R"({"notificationType":"RENEWAL_EXTENSION","subtype":"SUMMARY","notificationUUID":"u-4",)"
                   R"("signedDate":1767225602000,"summary":{"bundleId":"com.example.game","environment":"Production"}})"),
            options);
        INFO(summary.message());
        CHECK(summary);
        const std::string external =
            R"({"notificationType":"EXTERNAL_PURCHASE_TOKEN","notificationUUID":"u-5","signedDate":1767225602000,)"
            R"("externalPurchaseToken":{"bundleId":"com.example.game","externalPurchaseId":"SANDBOX_1"}})";
        CHECK(iap_embedded::verify_app_store_jws(f.sign(external), options).error_code() == errc::environment_mismatch);
        auto sandbox = options;
        sandbox.allow_sandbox = true;
        const auto v = iap_embedded::verify_app_store_jws(f.sign(external), sandbox);
        REQUIRE(v);
        CHECK(v->environment == app_store_environment::sandbox);
    }
}

TEST_CASE("JWS header: crit is refused") {
    // It used to be ignored; RFC 7515 says to reject critical extensions one does not understand.
    const forger f;
    const auto v = iap_embedded::verify_app_store_jws(
        f.sign(transaction_payload, "ES256", {}, R"(,"crit":["exp"],"exp":1)"), forged_options());
    CHECK(v.error_code() == errc::malformed_input);
    CHECK(v.message().find("crit") != std::string::npos);
    CHECK(iap_embedded::verify_app_store_jws(f.sign(transaction_payload, "ES256", {}, R"(,"crit":[])"), forged_options())
              .error_code() == errc::malformed_input);
    CHECK(iap_embedded::verify_app_store_jws(f.sign(transaction_payload, "ES256", {}, R"(,"kid":"k")"), forged_options()));
}

TEST_CASE("JWS size caps: the whole JWS, and x5c before any entry is decoded") {
    const forger f;
    const auto options = forged_options();
    SECTION("a JWS over IAP_EMBEDDED_MAX_JWS_BYTES") {
        std::string padded = transaction_payload;
        padded.insert(1, "\"pad\":\"" + std::string(IAP_EMBEDDED_MAX_JWS_BYTES, 'x') + "\",");
        const auto v = iap_embedded::verify_app_store_jws(f.sign(padded), options);
        CHECK(v.error_code() == errc::malformed_input);
        CHECK(v.message().find("IAP_EMBEDDED_MAX_JWS_BYTES") != std::string::npos);
        // Refused on its length alone: three parts of anything.
        const std::string junk = std::string(IAP_EMBEDDED_MAX_JWS_BYTES, '!') + ".a.b";
        CHECK(iap_embedded::verify_app_store_jws(junk, options).message().find("IAP_EMBEDDED_MAX_JWS_BYTES") !=
              std::string::npos);
    }
    SECTION("more x5c entries than StoreKit sends: counted before decoding (these are not base64)") {
        const auto v = iap_embedded::verify_app_store_jws(
            f.sign(transaction_payload, "ES256", R"(["!","!","!","!"])"), options);
        CHECK(v.error_code() == errc::untrusted_certificate);
        CHECK(v.message().find("4 certificates") != std::string::npos);
        std::string many = "[";
        for (int i = 0; i < 10; ++i) many += std::string(i ? "," : "") + "\"" + b64(forged("leaf_ecc.der")) + "\"";
        CHECK(iap_embedded::verify_app_store_jws(f.sign(transaction_payload, "ES256", many + "]"), options).message().find(
                  "10 certificates") != std::string::npos);
    }
    SECTION("an x5c entry longer than the cap, refused before decoding") {
        const std::string long_entry = "[\"" + std::string(iap_embedded::detail::max_x5c_entry_chars + 4, '!') + "\"]";
        const auto v = iap_embedded::verify_app_store_jws(f.sign(transaction_payload, "ES256", long_entry), options);
        CHECK(v.error_code() == errc::untrusted_certificate);
        CHECK(v.message().find("at most") != std::string::npos);
    }
}
