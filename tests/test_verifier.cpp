// SPDX-License-Identifier: MIT
//
// The unified verifier: configuration, dispatch by store, failure isolation, and concurrent use.
#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace {

using iap_embedded::errc;
using iap_embedded::receipt;
using iap_embedded::store_kind;
using iap_embedded::verifier;
using iap_embedded::testing::digest;
using iap_embedded::testing::rsa_test_key;

rsa_test_key make_key(const char* seed) {
    auto key = rsa_test_key::generate(1024, seed);
    INFO(key.message());
    REQUIRE(key);
    return std::move(key).value();
}

// One key per seed per process.
const rsa_test_key& google_key() {
    static const rsa_test_key key = make_key("iap_embedded test_verifier google-play");
    return key;
}
const rsa_test_key& one_store_key() {
    static const rsa_test_key key = make_key("iap_embedded test_verifier one-store");
    return key;
}
const rsa_test_key& replacement_key() {
    static const rsa_test_key key = make_key("iap_embedded test_verifier replacement");
    return key;
}

std::string sign(const rsa_test_key& key, const std::string& data, digest d) {
    auto signature = key.sign_base64(data, d);
    REQUIRE(signature);
    return *signature;
}

std::string google_purchase(const std::string& token, int state = 0) {
    return R"({"orderId":"GPA.1","packageName":"com.example.game","productId":"gem","purchaseTime":1700000000000,)"
           R"("purchaseState":)" +
           std::to_string(state) + R"(,"purchaseToken":")" + token + R"("})";
}

std::string one_store_purchase(const std::string& id) {
    return R"({"orderId":"ONE.1","packageName":"com.example.game","productId":"gem","purchaseTime":1700000000000,)"
           R"("purchaseState":0,"purchaseId":")" +
           id + R"("})";
}

// A signed purchase of each store, kept alive for the receipts that view it.
struct signed_purchases {
    std::string google_data = google_purchase("token-1");
    std::string google_signature = sign(google_key(), google_data, digest::sha1);
    std::string one_store_data = one_store_purchase("id-1");
    std::string one_store_signature = sign(one_store_key(), one_store_data, digest::sha512);

    receipt google() const { return receipt::google_play(google_data, google_signature); }
    receipt one_store() const { return receipt::one_store(one_store_data, one_store_signature); }
};

verifier configured_for_both() {
    verifier v;
    REQUIRE(v.add_google_play(google_key().public_key_base64(), "com.example.game"));
    REQUIRE(v.add_one_store(one_store_key().public_key_base64(), "com.example.game"));
    return v;
}

} // namespace

TEST_CASE("verifier: receipts of both stores verify through one verifier") {
    const signed_purchases signed_;
    const verifier v = configured_for_both();
    CHECK(v.accepts(store_kind::google_play));
    CHECK(v.accepts(store_kind::one_store));
    CHECK_FALSE(v.accepts(store_kind::app_store));

    const auto google = v.verify(signed_.google());
    INFO(google.message());
    REQUIRE(google);
    CHECK(google->store == store_kind::google_play);
    REQUIRE(google->purchases.size() == 1);
    CHECK(google->purchases[0].store == store_kind::google_play);
    CHECK(google->purchases[0].purchase_token == "token-1");

    const auto one_store = v.verify(signed_.one_store());
    INFO(one_store.message());
    REQUIRE(one_store);
    CHECK(one_store->store == store_kind::one_store);
    REQUIRE(one_store->purchases.size() == 1);
    CHECK(one_store->purchases[0].store == store_kind::one_store);
    CHECK(one_store->purchases[0].purchase_id == "id-1");
}

TEST_CASE("verifier: the receipt's store tag decides the check") {
    const signed_purchases signed_;
    const verifier v = configured_for_both();
    // Each receipt presented as the other store's: other key, other digest.
    CHECK(v.verify(receipt::one_store(signed_.google_data, signed_.google_signature)).error_code() ==
          errc::signature_invalid);
    CHECK(v.verify(receipt::google_play(signed_.one_store_data, signed_.one_store_signature)).error_code() ==
          errc::signature_invalid);
    // An App Store receipt tag is not something this verifier was configured for.
    const receipt apple{store_kind::app_store, signed_.google_data, signed_.google_signature};
    CHECK(v.verify(apple).error_code() == errc::store_not_configured);
}

TEST_CASE("verifier: a store that was not added is store_not_configured") {
    const signed_purchases signed_;
    verifier v;
    CHECK_FALSE(v.accepts(store_kind::google_play));
    CHECK_FALSE(v.accepts(store_kind::one_store));
    const auto google = v.verify(signed_.google());
    CHECK(google.error_code() == errc::store_not_configured);
    CHECK_THAT(google.message(), Catch::Contains("google_play"));
    CHECK(v.verify(signed_.one_store()).error_code() == errc::store_not_configured);

    REQUIRE(v.add_google_play(google_key().public_key_base64()));
    CHECK(v.verify(signed_.google()));
    const auto one_store = v.verify(signed_.one_store());
    CHECK(one_store.error_code() == errc::store_not_configured);
    CHECK_THAT(one_store.message(), Catch::Contains("one_store"));
}

TEST_CASE("verifier: a failed add leaves the previous configuration intact") {
    const signed_purchases signed_;
    verifier v = configured_for_both();
    for (const char* bad_key : {"", "not base64!", "AAAA", "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ=="}) {
        INFO("key \"" << bad_key << "\"");
        const auto google = v.add_google_play(bad_key, "com.other");
        CHECK(google.error_code() == errc::malformed_key);
        const auto one_store = v.add_one_store(bad_key, "com.other");
        CHECK(one_store.error_code() == errc::malformed_key);
    }
    CHECK(v.accepts(store_kind::google_play));
    CHECK(v.accepts(store_kind::one_store));
    // The old keys and the old expected package name still apply.
    CHECK(v.verify(signed_.google()));
    CHECK(v.verify(signed_.one_store()));

    // On a fresh verifier, a failed add configures nothing.
    verifier fresh;
    CHECK_FALSE(fresh.add_google_play("not base64!"));
    CHECK_FALSE(fresh.accepts(store_kind::google_play));
    CHECK(fresh.verify(signed_.google()).error_code() == errc::store_not_configured);
}

TEST_CASE("verifier: a successful add replaces the store's configuration") {
    const signed_purchases signed_;
    verifier v = configured_for_both();
    REQUIRE(v.add_google_play(replacement_key().public_key_base64()));
    CHECK(v.verify(signed_.google()).error_code() == errc::signature_invalid);
    const std::string data = google_purchase("token-2");
    const std::string signature = sign(replacement_key(), data, digest::sha1);
    CHECK(v.verify(receipt::google_play(data, signature)));
    // The other store is untouched.
    CHECK(v.verify(signed_.one_store()));

    REQUIRE(v.add_one_store(one_store_key().public_key_base64(), "com.example.other"));
    CHECK(v.verify(signed_.one_store()).error_code() == errc::bundle_id_mismatch);
}

TEST_CASE("verifier: errors of the store verifiers pass through unchanged") {
    const signed_purchases signed_;
    const verifier v = configured_for_both();
    CHECK(v.verify(receipt::google_play(signed_.google_data, "")).error_code() == errc::malformed_input);
    CHECK(v.verify(receipt::google_play(signed_.google_data, "@@@@")).error_code() == errc::malformed_input);
    CHECK(v.verify(receipt::google_play(signed_.google_data + " ", signed_.google_signature)).error_code() ==
          errc::signature_invalid);
    CHECK(v.verify(receipt::one_store("", signed_.one_store_signature)).error_code() == errc::malformed_input);
    const std::string other_app = R"({"packageName":"com.other","productId":"gem","purchaseTime":1,"purchaseState":0,"purchaseToken":"t"})";
    CHECK(v.verify(receipt::google_play(other_app, sign(google_key(), other_app, digest::sha1))).error_code() ==
          errc::bundle_id_mismatch);
}

TEST_CASE("verifier: eight threads verifying at once all get the right answers") {
    const verifier v = configured_for_both();

    // A mix of receipts and what each must give: valid ones of both stores and several failures.
    struct expectation {
        std::string data;
        std::string signature;
        store_kind store;
        std::error_code expected; // empty: must verify
        std::string token;        // of a valid Google Play receipt
    };
    std::vector<expectation> cases;
    for (int i = 0; i < 6; ++i) {
        const std::string token = "token-" + std::to_string(i);
        const std::string data = google_purchase(token, i % 2 == 0 ? 0 : 4);
        const std::string signature = sign(google_key(), data, digest::sha1);
        cases.push_back({data, signature, store_kind::google_play, {}, token});
        std::string tampered = data;
        tampered[tampered.find(token) + 6] = 'X';
        cases.push_back({tampered, signature, store_kind::google_play, errc::signature_invalid, {}});
        cases.push_back({data, sign(google_key(), data, digest::sha512), store_kind::google_play,
                         errc::signature_invalid, {}});
        const std::string one = one_store_purchase("id-" + std::to_string(i));
        cases.push_back({one, sign(one_store_key(), one, digest::sha512), store_kind::one_store, {}, {}});
        cases.push_back({one, sign(replacement_key(), one, digest::sha512), store_kind::one_store,
                         errc::signature_invalid, {}});
    }
    cases.push_back({google_purchase("t"), "", store_kind::google_play, errc::malformed_input, {}});
    cases.push_back({google_purchase("t"), "x", store_kind::app_store, errc::store_not_configured, {}});

    constexpr int thread_count = 8;
    constexpr int rounds = 40;
    std::atomic<int> ready{0};
    std::atomic<std::size_t> wrong{0};
    std::atomic<std::size_t> checked{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t) {
        threads.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < thread_count) std::this_thread::yield(); // start together
            for (int round = 0; round < rounds; ++round) {
                for (std::size_t k = 0; k < cases.size(); ++k) {
                    const auto& c = cases[(k + static_cast<std::size_t>(t) * 7) % cases.size()]; // different orders
                    const auto verified = v.verify(receipt{c.store, c.data, c.signature});
                    bool right = verified.error_code() == c.expected;
                    if (right && verified && c.store == store_kind::google_play)
                        right = verified->purchases.size() == 1 && verified->purchases[0].purchase_token == c.token;
                    if (!right) wrong.fetch_add(1);
                    checked.fetch_add(1);
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wrong.load() == 0);
    CHECK(checked.load() == static_cast<std::size_t>(thread_count) * rounds * cases.size());
}
