// SPDX-License-Identifier: MIT
//
// The contained JSON parser (detail::parse_json) and what a store verifier does with signed bytes
// that verify but are not an acceptable purchase document.
#include <iap_embedded/iap_embedded.hpp>
#include <iap_embedded/testing.hpp>
#include <iap_embedded/detail/json.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

namespace {

using iap_embedded::errc;
using iap_embedded::detail::parse_json;

void check_rejected(const std::string& text, const char* mention = nullptr) {
    INFO("JSON: " << text.substr(0, 120));
    iap_embedded::result<picojson::value> parsed = picojson::value();
    CHECK_NOTHROW(parsed = parse_json(text));
    CHECK_FALSE(parsed);
    CHECK(parsed.error_code() == errc::malformed_input);
    if (mention != nullptr) CHECK_THAT(parsed.message(), Catch::Contains(mention));
}

picojson::value check_accepted(const std::string& text) {
    INFO("JSON: " << text.substr(0, 120));
    auto parsed = parse_json(text);
    INFO(parsed.message());
    REQUIRE(parsed);
    return std::move(parsed).value();
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(std::size_t depth) {
    std::string out;
    for (std::size_t i = 0; i < depth; ++i) out += "{\"a\":";
    out += "0";
    out += std::string(depth, '}');
    return out;
}

const iap_embedded::testing::rsa_test_key& signing_key() {
    static const auto key = [] {
        auto k = iap_embedded::testing::rsa_test_key::generate(1024, "iap_embedded test_json");
        REQUIRE(k);
        return std::move(k).value();
    }();
    return key;
}

// Signs `data` correctly for each store and verifies it: the signature is fine, so whatever
// comes back is the verdict on the document itself.
void check_signed_document_refused(const std::string& data, const char* mention = nullptr) {
    const std::string key = signing_key().public_key_base64();
    using iap_embedded::testing::digest;
    INFO("signed data: " << data.substr(0, 120));

    auto google_sig = signing_key().sign_base64(data, digest::sha1);
    REQUIRE(google_sig);
    iap_embedded::result<iap_embedded::purchase> google = errc::internal_error;
    CHECK_NOTHROW(google = iap_embedded::verify_google_play(key, data, *google_sig));
    CHECK(google.error_code() == errc::malformed_input);
    if (mention != nullptr) CHECK_THAT(google.message(), Catch::Contains(mention));

    auto one_store_sig = signing_key().sign_base64(data, digest::sha512);
    REQUIRE(one_store_sig);
    iap_embedded::result<iap_embedded::purchase> one_store = errc::internal_error;
    CHECK_NOTHROW(one_store = iap_embedded::verify_one_store(key, data, *one_store_sig));
    CHECK(one_store.error_code() == errc::malformed_input);
    if (mention != nullptr) CHECK_THAT(one_store.message(), Catch::Contains(mention));
}

const std::string purchase_head =
    R"({"orderId":"GPA.1","packageName":"com.example.game","productId":"gem","purchaseTime":1700000000000,)"
    R"("purchaseState":0,"purchaseToken":"tok","purchaseId":"pid")";

} // namespace

TEST_CASE("json: well-formed documents parse to the expected values") {
    const auto v = check_accepted(R"({"s":"x","n":-12.5,"t":true,"f":false,"z":null,"a":[1,"2",[]],"o":{}})");
    REQUIRE(v.is<picojson::object>());
    const auto& o = v.get<picojson::object>();
    CHECK(o.at("s").get<std::string>() == "x");
    CHECK(o.at("n").get<double>() == -12.5);
    CHECK(o.at("t").get<bool>());
    CHECK_FALSE(o.at("f").get<bool>());
    CHECK(o.at("z").is<picojson::null>());
    CHECK(o.at("a").get<picojson::array>().size() == 3);
    CHECK(o.at("o").get<picojson::object>().empty());
    CHECK(check_accepted("1e308").get<double>() == 1e308);
    CHECK(check_accepted(R"("\u00e9")").get<std::string>() == "\xC3\xA9");
}

TEST_CASE("json: numbers beyond the double range are rejected without an exception") {
    check_rejected("1e999");
    check_rejected("-1e999");
    check_rejected("1E400");
    check_rejected("[1e999]");
    check_rejected(R"({"a":1e999})");
    check_rejected(R"({"a":[0,-1e999]})");
    check_rejected(R"({"purchaseTime":123e99999})");
}

TEST_CASE("json: duplicate keys are rejected") {
    check_rejected(R"({"a":1,"a":1})", "duplicate");
    check_rejected(R"({"a":1,"a":2})", "duplicate");
    check_rejected(R"({"o":{"k":"x","k":"y"}})", "duplicate");
    check_rejected(R"([{"k":1,"k":1}])", "duplicate");
    check_rejected(R"({"a":1,"\u0061":2})", "duplicate"); // the same key, spelled differently
    // The same key in different objects is fine.
    check_accepted(R"({"a":{"k":1},"b":{"k":1}})");
}

TEST_CASE("json: nesting is bounded") {
    constexpr std::size_t limit = IAP_EMBEDDED_MAX_JSON_DEPTH;
    check_accepted(nested_arrays(limit));
    check_accepted(nested_objects(limit));
    check_rejected(nested_arrays(limit + 1));
    check_rejected(nested_objects(limit + 1));
    // Far deeper than any stack would survive unbounded: refused, not crashed.
    check_rejected(nested_arrays(200000));
    check_rejected(std::string(200000, '['));
    // Depth is depth, not the number of containers.
    std::string wide = "[";
    for (std::size_t i = 0; i < 1000; ++i) wide += (i ? "," : "") + nested_arrays(limit - 1);
    check_accepted(wide + "]");
}

TEST_CASE("json: data after the document is rejected, whitespace is not") {
    check_rejected("{} x", "after");
    check_rejected("{}{}", "after");
    check_rejected("{},");
    check_rejected("{}]");
    check_rejected("1 2");
    check_rejected(std::string("{}\0", 3));
    check_accepted("{} \n\t\r");
    check_accepted(" \r\n\t{}");
}

TEST_CASE("json: syntax errors are rejected") {
    for (const char* bad : {"", "   ", "{", "}", R"({"a":})", "{'a':1}", "[1,]", R"({"a":1,})", "nul", "tru",
                            R"({"a" 1})", R"({"a":"unterminated})", R"({a:1})", "01x", "+1", "NaN", "Infinity",
                            R"("\x41")", R"("\u12")"}) {
        check_rejected(bad);
    }
}

TEST_CASE("json: signed data that is not a JSON object is refused by both store verifiers") {
    check_signed_document_refused(R"(["gem_pack_100"])", "JSON object");
    check_signed_document_refused(R"("a purchase")", "JSON object");
    check_signed_document_refused("42", "JSON object");
    check_signed_document_refused("null", "JSON object");
    check_signed_document_refused("true", "JSON object");
}

TEST_CASE("json: correctly signed documents the parser refuses are refused by both store verifiers") {
    check_signed_document_refused(purchase_head + "}x");
    check_signed_document_refused(purchase_head + "}{}");
    check_signed_document_refused(purchase_head + R"(,"quantity":1e999})");
    check_signed_document_refused(purchase_head + R"(,"productId":"other"})", "duplicate");
    check_signed_document_refused(purchase_head + R"(,"purchaseState":1})", "duplicate");
    check_signed_document_refused(purchase_head + R"(,"extra":)" + nested_arrays(IAP_EMBEDDED_MAX_JSON_DEPTH) + "}");
    check_signed_document_refused("not json at all");
    check_signed_document_refused(purchase_head);
}

TEST_CASE("json: the purchase size limit is enforced before anything else") {
    const std::string key = signing_key().public_key_base64();
    using iap_embedded::testing::digest;
    const std::size_t limit = IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES;
    const std::string frame = purchase_head + R"(,"padding":"")" + "}";
    REQUIRE(frame.size() < limit);

    std::string at_limit = purchase_head + R"(,"padding":")" + std::string(limit - frame.size(), 'x') + "\"}";
    REQUIRE(at_limit.size() == limit);
    auto sig = signing_key().sign_base64(at_limit, digest::sha1);
    REQUIRE(sig);
    const auto accepted = iap_embedded::verify_google_play(key, at_limit, *sig);
    INFO(accepted.message());
    CHECK(accepted);

    const std::string over_limit = purchase_head + R"(,"padding":")" + std::string(limit - frame.size() + 1, 'x') + "\"}";
    REQUIRE(over_limit.size() == limit + 1);
    check_signed_document_refused(over_limit, "larger");
}

TEST_CASE("json: trailing whitespace after a signed purchase is part of the signed bytes and accepted") {
    const std::string key = signing_key().public_key_base64();
    const std::string data = purchase_head + "}\n \t\r\n";
    auto sig = signing_key().sign_base64(data, iap_embedded::testing::digest::sha512);
    REQUIRE(sig);
    const auto verified = iap_embedded::verify_one_store(key, data, *sig);
    INFO(verified.message());
    REQUIRE(verified);
    CHECK(verified->product_id == "gem");
}
