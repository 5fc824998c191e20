// SPDX-License-Identifier: MIT
//
// Generated purchases for both RSA-signed stores: ONE store (SHA512withRSA), for which no public
// signed sample exists, and Google Play (SHA1withRSA), whose real samples cannot be re-signed with
// other contents. Keys come from fixed seeds, so every run signs the same bytes.
#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace {

using iap_embedded::errc;
using iap_embedded::purchase_state;
using iap_embedded::result;
using iap_embedded::store_kind;
using iap_embedded::testing::digest;
using iap_embedded::testing::rsa_test_key;

rsa_test_key make_key(unsigned bits, const char* seed) {
    auto key = rsa_test_key::generate(bits, seed);
    INFO(key.message());
    REQUIRE(key);
    return std::move(key).value();
}

// One key per seed per process.
const rsa_test_key& google_key() {
    static const rsa_test_key key = make_key(2048, "iap_embedded test_one_store google-play");
    return key;
}
const rsa_test_key& one_store_key() {
    static const rsa_test_key key = make_key(2048, "iap_embedded test_one_store one-store");
    return key;
}
const rsa_test_key& stranger_key() {
    static const rsa_test_key key = make_key(1024, "iap_embedded test_one_store stranger");
    return key;
}

const rsa_test_key& key_of(store_kind store) { return store == store_kind::google_play ? google_key() : one_store_key(); }
digest digest_of(store_kind store) { return store == store_kind::google_play ? digest::sha1 : digest::sha512; }

// A purchase as an ordered list of members (name, raw JSON value), so tests can drop, replace or
// add one member and sign the result.
using members = std::vector<std::pair<std::string, std::string>>;

members google_purchase() {
    return {{"orderId", R"("GPA.3312-0091-4821-77120")"},
            {"packageName", R"("com.example.game")"},
            {"productId", R"("gem_pack_100")"},
            {"purchaseTime", "1700000000123"},
            {"purchaseState", "0"},
            {"purchaseToken", R"("opaque-token.AO-J1Ox")"},
            {"quantity", "1"},
            {"acknowledged", "false"}};
}

members one_store_purchase() {
    return {{"orderId", R"("ONESTORE7_000000000000000000000000123")"},
            {"packageName", R"("com.example.game")"},
            {"productId", R"("gem_pack_100")"},
            {"purchaseTime", "1700000000456"},
            {"purchaseId", R"("SANDBOX3000000123456")"},
            {"purchaseToken", R"("TOKEN3000000123456")"},
            {"purchaseState", "0"},
            {"acknowledgeState", "0"},
            {"developerPayload", R"("payload-7")"},
            {"quantity", "1"}};
}

members purchase_for(store_kind store) {
    return store == store_kind::google_play ? google_purchase() : one_store_purchase();
}

std::string to_json(const members& m) {
    std::string out = "{";
    for (const auto& [name, value] : m) out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":" + value);
    return out + "}";
}

members without(members m, const std::string& name) {
    members out;
    for (auto& member : m)
        if (member.first != name) out.push_back(std::move(member));
    return out;
}

members with(members m, const std::string& name, const std::string& value) {
    for (auto& member : m)
        if (member.first == name) {
            member.second = value;
            return m;
        }
    m.emplace_back(name, value);
    return m;
}

std::string sign(const rsa_test_key& key, const std::string& data, digest d) {
    auto signature = key.sign_base64(data, d);
    INFO(signature.message());
    REQUIRE(signature);
    return *signature;
}

std::string sign_as(store_kind store, const std::string& data) { return sign(key_of(store), data, digest_of(store)); }

result<iap_embedded::purchase> verify_as(store_kind store, const std::string& data, const std::string& signature,
                                         std::string expected_package = {}) {
    const std::string key = key_of(store).public_key_base64();
    return store == store_kind::google_play
               ? iap_embedded::verify_google_play(key, data, signature, std::move(expected_package))
               : iap_embedded::verify_one_store(key, data, signature, std::move(expected_package));
}

// Signs `m` correctly for `store` and verifies it.
result<iap_embedded::purchase> sign_and_verify(store_kind store, const members& m) {
    const std::string data = to_json(m);
    return verify_as(store, data, sign_as(store, data));
}

// A correctly signed purchase that the mapping must refuse, with a message naming `mention`.
void check_refused(store_kind store, const members& m, const std::string& mention) {
    const auto verified = sign_and_verify(store, m);
    INFO(to_string(store) << ": " << to_json(m));
    CHECK_FALSE(verified);
    CHECK(verified.error_code() == errc::malformed_input);
    CHECK_THAT(verified.message(), Catch::Contains(mention));
}

const store_kind both_stores[] = {store_kind::google_play, store_kind::one_store};

} // namespace

TEST_CASE("generated: a valid ONE store purchase verifies and maps every field") {
    const std::string data = to_json(one_store_purchase());
    const auto verified = verify_as(store_kind::one_store, data, sign_as(store_kind::one_store, data));
    INFO(verified.message());
    REQUIRE(verified);
    CHECK(verified->store == store_kind::one_store);
    CHECK(verified->order_id == "ONESTORE7_000000000000000000000000123");
    CHECK(verified->package_name == "com.example.game");
    CHECK(verified->product_id == "gem_pack_100");
    CHECK(verified->other_product_ids.empty());
    CHECK(verified->purchase_time_ms == 1700000000456);
    CHECK(verified->purchase_id == "SANDBOX3000000123456");
    CHECK(verified->purchase_token == "TOKEN3000000123456");
    CHECK(verified->state == purchase_state::purchased);
    CHECK(verified->acknowledged == false);
    CHECK(verified->developer_payload == "payload-7");
    CHECK(verified->quantity == 1);
    CHECK_FALSE(verified->recurring_state.has_value());
    CHECK_FALSE(verified->auto_renewing.has_value());
}

TEST_CASE("generated: a valid Google Play purchase verifies and maps every field") {
    const auto m = with(with(with(google_purchase(), "autoRenewing", "true"), "obfuscatedAccountId", R"("acct-9")"),
                        "obfuscatedProfileId", R"("prof-3")");
    const auto verified = sign_and_verify(store_kind::google_play, with(m, "acknowledged", "true"));
    INFO(verified.message());
    REQUIRE(verified);
    CHECK(verified->store == store_kind::google_play);
    CHECK(verified->order_id == "GPA.3312-0091-4821-77120");
    CHECK(verified->package_name == "com.example.game");
    CHECK(verified->product_id == "gem_pack_100");
    CHECK(verified->purchase_time_ms == 1700000000123);
    CHECK(verified->purchase_token == "opaque-token.AO-J1Ox");
    CHECK(verified->state == purchase_state::purchased);
    CHECK(verified->acknowledged == true);
    CHECK(verified->auto_renewing == true);
    CHECK(verified->obfuscated_account_id == "acct-9");
    CHECK(verified->obfuscated_profile_id == "prof-3");
    CHECK(verified->purchase_id.empty());
    CHECK(verified->developer_payload.empty());
}

TEST_CASE("generated: members the mapping does not know are ignored") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        CHECK(sign_and_verify(store, with(purchase_for(store), "futureField", R"({"nested":[1,2,{"x":null}]})")));
    }
}

TEST_CASE("generated: changing any single byte of a signed purchase breaks the signature") {
    for (const store_kind store : both_stores) {
        const std::string data = to_json(purchase_for(store));
        const std::string signature = sign_as(store, data);
        REQUIRE(verify_as(store, data, signature));
        std::size_t refused = 0;
        for (std::size_t i = 0; i < data.size(); ++i) {
            for (const int flip : {0x01, 0x20, 0x80}) {
                std::string changed = data;
                changed[i] = static_cast<char>(changed[i] ^ flip);
                const auto verified = verify_as(store, changed, signature);
                if (verified.error_code() == errc::signature_invalid) ++refused;
                else FAIL_CHECK(to_string(store) << ": byte " << i << " ^ " << flip << " gave "
                                                 << verified.error_code().message());
            }
        }
        CHECK(refused == 3 * data.size());
        // Bytes added or removed.
        CHECK(verify_as(store, data + "\n", signature).error_code() == errc::signature_invalid);
        CHECK(verify_as(store, " " + data, signature).error_code() == errc::signature_invalid);
        CHECK(verify_as(store, data.substr(0, data.size() - 1), signature).error_code() == errc::signature_invalid);
    }
}

TEST_CASE("generated: a signature made with another digest is refused") {
    for (const store_kind store : both_stores) {
        const std::string data = to_json(purchase_for(store));
        for (const digest d : {digest::sha1, digest::sha256, digest::sha384, digest::sha512}) {
            const auto verified = verify_as(store, data, sign(key_of(store), data, d));
            INFO(to_string(store) << " with digest " << static_cast<int>(d));
            if (d == digest_of(store)) {
                CHECK(verified);
            } else {
                CHECK_FALSE(verified);
                CHECK(verified.error_code() == errc::signature_invalid);
            }
        }
    }
}

TEST_CASE("generated: a signature from another key is refused") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const std::string data = to_json(purchase_for(store));
        CHECK(verify_as(store, data, sign(stranger_key(), data, digest_of(store))).error_code() ==
              errc::signature_invalid);
        // The other store's key, even with this store's digest.
        const auto& other = store == store_kind::google_play ? one_store_key() : google_key();
        CHECK(verify_as(store, data, sign(other, data, digest_of(store))).error_code() == errc::signature_invalid);
    }
}

TEST_CASE("generated: truncated, extended and oversized signatures are refused") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const std::string data = to_json(purchase_for(store));
        const std::string signature = sign_as(store, data);
        auto raw = iap_embedded::decode_base64(signature);
        REQUIRE(raw);
        REQUIRE(raw->size() == 256);
        const auto encoded = [](const std::vector<unsigned char>& b) {
            return iap_embedded::encode_base64(b.data(), b.size());
        };

        // Whole bytes missing or added: a signature of the wrong length.
        for (const std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{128}, std::size_t{255}}) {
            const std::vector<unsigned char> shorter(raw->begin(), raw->begin() + static_cast<std::ptrdiff_t>(keep));
            if (keep == 0) CHECK(verify_as(store, data, encoded(shorter)).error_code() == errc::malformed_input);
            else CHECK(verify_as(store, data, encoded(shorter)).error_code() == errc::signature_invalid);
        }
        const std::vector<unsigned char> tail(raw->begin() + 1, raw->end());
        CHECK(verify_as(store, data, encoded(tail)).error_code() == errc::signature_invalid);
        auto longer = *raw;
        longer.push_back(0x00);
        CHECK(verify_as(store, data, encoded(longer)).error_code() == errc::signature_invalid);
        longer = *raw;
        longer.insert(longer.begin(), 0x00);
        CHECK(verify_as(store, data, encoded(longer)).error_code() == errc::signature_invalid);
        // Longer than the largest accepted key: refused before any RSA operation.
        CHECK(verify_as(store, data, encoded(std::vector<unsigned char>(600, 0x42))).error_code() ==
              errc::malformed_input);

        // Base64 text cut short: no longer base64, or a shorter signature.
        CHECK(verify_as(store, data, signature.substr(0, signature.size() - 1)).error_code() == errc::malformed_input);
        CHECK(verify_as(store, data, signature.substr(0, signature.size() - 4)).error_code() == errc::signature_invalid);
        // Line breaks inside the base64 change nothing.
        CHECK(verify_as(store, data, signature.substr(0, 100) + "\r\n" + signature.substr(100) + "\n"));
    }
}

TEST_CASE("generated: the expected package name is enforced for both stores") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const std::string data = to_json(purchase_for(store));
        const std::string signature = sign_as(store, data);
        CHECK(verify_as(store, data, signature, "com.example.game"));
        for (const char* other : {"com.example.gam", "com.example.game2", "COM.EXAMPLE.GAME", "com.example.other"}) {
            const auto verified = verify_as(store, data, signature, other);
            CHECK_FALSE(verified);
            CHECK(verified.error_code() == errc::bundle_id_mismatch);
        }
    }
}

TEST_CASE("generated: Google Play purchase states") {
    const std::pair<const char*, purchase_state> known[] = {{"0", purchase_state::purchased},
                                                            {"1", purchase_state::cancelled},
                                                            {"2", purchase_state::refunded},
                                                            {"4", purchase_state::pending}};
    for (const auto& [value, state] : known) {
        const auto verified = sign_and_verify(store_kind::google_play, with(google_purchase(), "purchaseState", value));
        INFO("purchaseState " << value);
        REQUIRE(verified);
        CHECK(verified->state == state);
    }
    for (const char* unknown : {"3", "5", "-1", "99"})
        check_refused(store_kind::google_play, with(google_purchase(), "purchaseState", unknown), "purchaseState");
}

TEST_CASE("generated: ONE store purchase states (no pending state)") {
    const std::pair<const char*, purchase_state> known[] = {{"0", purchase_state::purchased},
                                                            {"1", purchase_state::cancelled},
                                                            {"2", purchase_state::refunded}};
    for (const auto& [value, state] : known) {
        const auto verified = sign_and_verify(store_kind::one_store, with(one_store_purchase(), "purchaseState", value));
        INFO("purchaseState " << value);
        REQUIRE(verified);
        CHECK(verified->state == state);
    }
    for (const char* unknown : {"3", "4", "-1", "99"})
        check_refused(store_kind::one_store, with(one_store_purchase(), "purchaseState", unknown), "purchaseState");
}

TEST_CASE("generated: ONE store acknowledgeState and recurringState") {
    const auto acknowledged = sign_and_verify(store_kind::one_store,
                                              with(with(one_store_purchase(), "acknowledgeState", "1"), "recurringState", "0"));
    REQUIRE(acknowledged);
    CHECK(acknowledged->acknowledged == true);
    CHECK(acknowledged->recurring_state == 0);
    const auto unacknowledged = sign_and_verify(store_kind::one_store, without(one_store_purchase(), "acknowledgeState"));
    REQUIRE(unacknowledged);
    CHECK_FALSE(unacknowledged->acknowledged.has_value());
    check_refused(store_kind::one_store, with(one_store_purchase(), "recurringState", R"("1")"), "recurringState");
}

TEST_CASE("generated: non-ASCII payloads round trip byte for byte") {
    const std::string korean = "\xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xEA\xB2\xB0\xEC\xA0\x9C"; // "한국어 결제"
    const std::string product = "\xEB\xB3\xB4\xEC\x84\x9D_100";                                      // "보석_100"
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const auto m = with(with(purchase_for(store), "developerPayload", "\"" + korean + "\""), "productId",
                            "\"" + product + "\"");
        const auto verified = sign_and_verify(store, m);
        INFO(verified.message());
        REQUIRE(verified);
        CHECK(verified->developer_payload == korean);
        CHECK(verified->product_id == product);

        // The same text as JSON escapes (one of them a surrogate pair) decodes to the same UTF-8.
        const auto escaped = sign_and_verify(
            store, with(purchase_for(store), "developerPayload", R"("\ud55c\uad6d\uc5b4 \uacb0\uc81c \ud83d\udc8e")"));
        REQUIRE(escaped);
        CHECK(escaped->developer_payload == korean + " \xF0\x9F\x92\x8E");

        // A change inside a multi-byte character is a change like any other.
        std::string data = to_json(m);
        const std::string signature = sign_as(store, data);
        const auto at = data.find(korean);
        REQUIRE(at != std::string::npos);
        data[at + 1] = static_cast<char>(data[at + 1] ^ 0x01);
        CHECK(verify_as(store, data, signature).error_code() == errc::signature_invalid);
    }
}

TEST_CASE("generated: ONE store needs a purchaseId or a purchaseToken") {
    const auto id_only = sign_and_verify(store_kind::one_store, without(one_store_purchase(), "purchaseToken"));
    REQUIRE(id_only);
    CHECK(id_only->purchase_id == "SANDBOX3000000123456");
    CHECK(id_only->purchase_token.empty());

    const auto token_only = sign_and_verify(store_kind::one_store, without(one_store_purchase(), "purchaseId"));
    REQUIRE(token_only);
    CHECK(token_only->purchase_id.empty());
    CHECK(token_only->purchase_token == "TOKEN3000000123456");

    CHECK(sign_and_verify(store_kind::one_store, with(one_store_purchase(), "purchaseId", "null")));

    const auto neither = without(without(one_store_purchase(), "purchaseId"), "purchaseToken");
    check_refused(store_kind::one_store, neither, "purchaseId");
    check_refused(store_kind::one_store, with(with(one_store_purchase(), "purchaseId", R"("")"), "purchaseToken", R"("")"),
                  "purchaseToken");
    check_refused(store_kind::one_store, with(with(one_store_purchase(), "purchaseId", "null"), "purchaseToken", "null"),
                  "purchaseId");
}

TEST_CASE("generated: each required member missing (or null) is refused") {
    const std::pair<store_kind, std::vector<std::string>> required[] = {
        {store_kind::google_play, {"packageName", "productId", "purchaseTime", "purchaseState", "purchaseToken"}},
        {store_kind::one_store, {"packageName", "productId", "purchaseTime", "purchaseState"}},
    };
    for (const auto& [store, names] : required) {
        for (const auto& name : names) {
            check_refused(store, without(purchase_for(store), name), name);
            check_refused(store, with(purchase_for(store), name, "null"), name);
        }
        // The optional ones may go.
        for (const char* optional : {"orderId", "quantity", "developerPayload", "acknowledged", "acknowledgeState"}) {
            INFO(optional);
            CHECK(sign_and_verify(store, without(purchase_for(store), optional)));
        }
    }
}

TEST_CASE("generated: members of the wrong type are refused") {
    const std::pair<std::string, std::string> google_wrong[] = {
        {"packageName", "42"},           {"productId", "7"},           {"purchaseTime", R"("1700000000123")"},
        {"purchaseState", R"("0")"},     {"purchaseState", "0.5"},     {"purchaseToken", "true"},
        {"quantity", R"("2")"},          {"acknowledged", R"("true")"}, {"acknowledged", "1"},
        {"autoRenewing", "0"},           {"orderId", "[]"},            {"developerPayload", "{}"},
        {"obfuscatedAccountId", "1"},    {"productIds", R"("gem")"},   {"productIds", "[1]"},
        {"purchaseTime", "1.5"},         {"purchaseTime", "9007199254740994"},
    };
    for (const auto& [name, value] : google_wrong) check_refused(store_kind::google_play, with(google_purchase(), name, value), name);

    const std::pair<std::string, std::string> one_store_wrong[] = {
        {"packageName", "[]"},         {"productId", "100"},          {"purchaseTime", R"("1700000000456")"},
        {"purchaseState", "false"},    {"purchaseId", "3000000123456"}, {"purchaseToken", "{}"},
        {"quantity", "1.5"},           {"acknowledgeState", R"("1")"}, {"developerPayload", "7"},
        {"orderId", "true"},           {"purchaseTime", "-1"},
    };
    for (const auto& [name, value] : one_store_wrong) check_refused(store_kind::one_store, with(one_store_purchase(), name, value), name);
}

TEST_CASE("generated: quantity defaults to 1 and must be at least 1") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const auto absent = sign_and_verify(store, without(purchase_for(store), "quantity"));
        REQUIRE(absent);
        CHECK(absent->quantity == 1);
        const auto three = sign_and_verify(store, with(purchase_for(store), "quantity", "3"));
        REQUIRE(three);
        CHECK(three->quantity == 3);
        check_refused(store, with(purchase_for(store), "quantity", "0"), "quantity");
        check_refused(store, with(purchase_for(store), "quantity", "-2"), "quantity");
    }
}

TEST_CASE("generated: purchaseTime is a non-negative integer below 2^53") {
    for (const store_kind store : both_stores) {
        INFO(to_string(store));
        const auto largest = sign_and_verify(store, with(purchase_for(store), "purchaseTime", "9007199254740991"));
        REQUIRE(largest);
        CHECK(largest->purchase_time_ms == 9007199254740991);
        check_refused(store, with(purchase_for(store), "purchaseTime", "9007199254740994"), "purchaseTime");
        check_refused(store, with(purchase_for(store), "purchaseTime", "-1"), "purchaseTime");
        check_refused(store, with(purchase_for(store), "purchaseTime", "1e300"), "purchaseTime");
    }
}

TEST_CASE("generated: Google Play productIds (several products in one purchase)") {
    const auto base = without(google_purchase(), "productId");
    const auto several = sign_and_verify(store_kind::google_play, with(base, "productIds", R"(["gem_pack_100","skin_red"])"));
    INFO(several.message());
    REQUIRE(several);
    CHECK(several->product_id == "gem_pack_100");
    CHECK(several->other_product_ids == std::vector<iap_embedded::small_string>{"skin_red"});
    std::vector<std::string> visited;
    several->for_each_product([&visited](std::string_view id) { visited.emplace_back(id); });
    CHECK(visited == std::vector<std::string>{"gem_pack_100", "skin_red"});

    const auto one = sign_and_verify(store_kind::google_play, with(base, "productIds", R"(["skin_red"])"));
    REQUIRE(one);
    CHECK(one->product_id == "skin_red");
    CHECK(one->other_product_ids.empty());
    visited.clear();
    one->for_each_product([&visited](std::string_view id) { visited.emplace_back(id); });
    CHECK(visited == std::vector<std::string>{"skin_red"});

    check_refused(store_kind::google_play, with(base, "productIds", "[]"), "product");
    check_refused(store_kind::google_play, with(base, "productIds", R"(["gem",""])"), "productIds");
    check_refused(store_kind::google_play, with(base, "productIds", R"(["gem",null])"), "productIds");
    check_refused(store_kind::google_play, with(google_purchase(), "productId", R"("")"), "product");
    check_refused(store_kind::google_play, with(google_purchase(), "purchaseToken", R"("")"), "purchaseToken");
}

TEST_CASE("generated: ONE store needs a non-empty productId") {
    check_refused(store_kind::one_store, with(one_store_purchase(), "productId", R"("")"), "productId");
}
