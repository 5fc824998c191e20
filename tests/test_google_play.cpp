// SPDX-License-Identifier: MIT
//
// Google Play with real, publicly signed purchases: awa/go-iap and mokelab-go/iab (see
// testdata/SOURCES.md). Expected field values are read from the same files, never retyped.
#include <iap_embedded/iap_embedded.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>
#include <picojson.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using iap_embedded::errc;
using iap_embedded::google_play_verifier;
using iap_embedded::purchase_state;

using test_support::parse_json_object;

std::string text_of(const picojson::object& o, const char* key) { return o.at(key).get<std::string>(); }

struct go_iap_files {
    std::string key = test_support::read_testdata("google_play/go-iap/public_key.b64");
    std::string signed_data = test_support::read_testdata("google_play/go-iap/signed_data.json");
    std::string signature = test_support::read_testdata("google_play/go-iap/signature.b64");
};

// Every mapped field agrees with the signed JSON itself.
void check_mapped_fields(const iap_embedded::purchase& p, const std::string& signed_data) {
    const auto json = parse_json_object(signed_data);
    CHECK(p.store == iap_embedded::store_kind::google_play);
    CHECK(p.product_id == text_of(json, "productId"));
    CHECK(p.other_product_ids.empty());
    CHECK(p.order_id == text_of(json, "orderId"));
    CHECK(p.package_name == text_of(json, "packageName"));
    CHECK(p.purchase_token == text_of(json, "purchaseToken"));
    CHECK(p.purchase_time_ms == static_cast<std::int64_t>(json.at("purchaseTime").get<double>()));
    REQUIRE(json.at("purchaseState").get<double>() == 0);
    CHECK(p.state == purchase_state::purchased);
    CHECK(p.quantity == 1);
    if (json.count("developerPayload") != 0) CHECK(p.developer_payload == text_of(json, "developerPayload"));
    else CHECK(p.developer_payload.empty());
    CHECK_FALSE(p.acknowledged.has_value());
    CHECK_FALSE(p.auto_renewing.has_value());
}

} // namespace

TEST_CASE("google play: the go-iap purchase verifies and maps every field") {
    const go_iap_files files;
    auto verifier = google_play_verifier::create(files.key);
    REQUIRE(verifier);
    const auto verified = verifier->verify(files.signed_data, files.signature);
    INFO(verified.message());
    REQUIRE(verified);
    check_mapped_fields(*verified, files.signed_data);
    CHECK_FALSE(verified->developer_payload.empty()); // go-iap's purchase carries one

    // The one-shot form gives the same answer.
    const auto one_shot = iap_embedded::verify_google_play(files.key, files.signed_data, files.signature);
    REQUIRE(one_shot);
    CHECK(one_shot->purchase_token == verified->purchase_token);
}

TEST_CASE("google play: every case of go-iap's verify_signature_cases.json has its stated outcome") {
    const auto root = parse_json_object(test_support::read_testdata("google_play/go-iap/verify_signature_cases.json"));
    const std::string signed_data = text_of(root, "signed_data");
    CHECK(signed_data == test_support::read_testdata("google_play/go-iap/signed_data.json"));

    std::size_t cases = 0, valid = 0;
    for (const auto& item : root.at("cases").get<picojson::array>()) {
        const auto& c = item.get<picojson::object>();
        const std::string expected_error = text_of(c, "expected_error");
        const bool expected_valid = c.at("expected_valid").get<bool>();
        INFO(text_of(c, "name") << ": upstream error " << expected_error);
        ++cases;

        // go-iap's error, translated to this library's codes.
        errc expected{};
        if (expected_error.find("decode public key") != std::string::npos ||
            expected_error.find("parse public key") != std::string::npos)
            expected = errc::malformed_key;
        else if (expected_error.find("decode signature") != std::string::npos)
            expected = errc::malformed_input;
        else if (expected_error == "nil" && !expected_valid)
            expected = errc::signature_invalid;
        else
            REQUIRE((expected_error == "nil" && expected_valid)); // an unknown upstream outcome must not slip by

        const auto verified = iap_embedded::verify_google_play(text_of(c, "public_key_base64"), signed_data,
                                                               text_of(c, "signature_base64"));
        INFO(verified.message());
        CHECK(static_cast<bool>(verified) == expected_valid);
        if (expected_valid) {
            ++valid;
            if (verified) check_mapped_fields(*verified, signed_data);
        } else {
            CHECK(verified.error_code() == expected);
        }
    }
    CHECK(cases == 5);
    CHECK(valid == 1);
}

TEST_CASE("google play: mokelab-go/iab purchases, whose signed data ends with a newline") {
    const auto root = parse_json_object(test_support::read_testdata("google_play/mokelab-go-iab/cases.json"));
    std::size_t verified_ok = 0, tampered = 0;
    for (const auto& item : root.at("cases").get<picojson::array>()) {
        const auto& c = item.get<picojson::object>();
        const std::string data = text_of(c, "signed_data");
        const std::string signature = text_of(c, "signature_base64");
        const bool upstream_ok = text_of(c, "openssl_sha1_verify") == "Verified OK";
        INFO(text_of(c, "test"));
        auto verifier = google_play_verifier::create(text_of(c, "public_key_base64"));
        REQUIRE(verifier);
        const auto verified = verifier->verify(data, signature);
        INFO(verified.message());

        if (upstream_ok) {
            ++verified_ok;
            REQUIRE(verified);
            REQUIRE_FALSE(data.empty());
            CHECK(data.back() == '\n');
            check_mapped_fields(*verified, data);

            // The newline is part of what Google signed: without it the signature fails.
            const auto stripped = verifier->verify(data.substr(0, data.size() - 1), signature);
            CHECK(stripped.error_code() == errc::signature_invalid);
            // And so does a second newline, or a carriage return before it.
            CHECK(verifier->verify(data + "\n", signature).error_code() == errc::signature_invalid);
            CHECK(verifier->verify(data.substr(0, data.size() - 1) + "\r\n", signature).error_code() ==
                  errc::signature_invalid);
        } else {
            ++tampered;
            CHECK_FALSE(verified);
            CHECK(verified.error_code() == errc::signature_invalid);
        }
    }
    CHECK(verified_ok == 2);
    CHECK(tampered == 1);
}

TEST_CASE("google play: the payload of mokelab's TestVerifier_Payload is mapped") {
    const auto root = parse_json_object(test_support::read_testdata("google_play/mokelab-go-iab/cases.json"));
    bool found = false;
    for (const auto& item : root.at("cases").get<picojson::array>()) {
        const auto& c = item.get<picojson::object>();
        if (text_of(c, "test") != "TestVerifier_Payload") continue;
        found = true;
        const auto verified = iap_embedded::verify_google_play(text_of(c, "public_key_base64"), text_of(c, "signed_data"),
                                                               text_of(c, "signature_base64"));
        REQUIRE(verified);
        const auto json = parse_json_object(text_of(c, "signed_data"));
        CHECK(verified->developer_payload == text_of(json, "developerPayload"));
        CHECK_FALSE(verified->developer_payload.empty());
    }
    CHECK(found);
}

TEST_CASE("google play: an empty signature is malformed input and says test products are unsigned") {
    const go_iap_files files;
    auto verifier = google_play_verifier::create(files.key);
    REQUIRE(verifier);
    for (const char* empty : {"", " ", "\n", "\r\n\t "}) {
        INFO("signature: \"" << empty << "\"");
        const auto verified = verifier->verify(files.signed_data, empty);
        CHECK_FALSE(verified);
        CHECK(verified.error_code() == errc::malformed_input);
        CHECK_THAT(verified.message(), Catch::Contains("unsigned"));
    }
}

TEST_CASE("google play: malformed or mismatched signatures over the real purchase") {
    const go_iap_files files;
    auto verifier = google_play_verifier::create(files.key);
    REQUIRE(verifier);
    auto sig = iap_embedded::decode_base64(files.signature);
    REQUIRE(sig);
    REQUIRE(sig->size() == 128);

    SECTION("not base64") {
        CHECK(verifier->verify(files.signed_data, "invalid_signature").error_code() == errc::malformed_input);
        CHECK(verifier->verify(files.signed_data, files.signature + "!").error_code() == errc::malformed_input);
        std::string url = files.signature;
        for (auto& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
        REQUIRE(url != files.signature);
        CHECK(verifier->verify(files.signed_data, url).error_code() == errc::malformed_input);
    }
    SECTION("one bit flipped in the signature") {
        for (std::size_t i = 0; i < sig->size(); i += 9) {
            auto changed = *sig;
            changed[i] ^= 0x01;
            INFO("byte " << i);
            CHECK(verifier->verify(files.signed_data, iap_embedded::encode_base64(changed.data(), changed.size()))
                      .error_code() == errc::signature_invalid);
        }
    }
    SECTION("a signature one byte short or long") {
        const auto shorter = iap_embedded::encode_base64(sig->data(), sig->size() - 1);
        CHECK(verifier->verify(files.signed_data, shorter).error_code() == errc::signature_invalid);
        auto longer = *sig;
        longer.push_back(0);
        CHECK(verifier->verify(files.signed_data, iap_embedded::encode_base64(longer.data(), longer.size()))
                  .error_code() == errc::signature_invalid);
        longer = *sig;
        longer.insert(longer.begin(), 0);
        CHECK(verifier->verify(files.signed_data, iap_embedded::encode_base64(longer.data(), longer.size()))
                  .error_code() == errc::signature_invalid);
    }
    SECTION("the signature checked as SHA-512 (a ONE store verifier with the same key)") {
        auto one_store = iap_embedded::one_store_verifier::create(files.key);
        REQUIRE(one_store);
        CHECK(one_store->verify(files.signed_data, files.signature).error_code() == errc::signature_invalid);
    }
    SECTION("the data changed after signing") {
        std::string data = files.signed_data;
        const auto at = data.find("my.package");
        REQUIRE(at != std::string::npos);
        data[at] = 'M';
        CHECK(verifier->verify(data, files.signature).error_code() == errc::signature_invalid);
        CHECK(verifier->verify(files.signed_data + " ", files.signature).error_code() == errc::signature_invalid);
        CHECK(verifier->verify(files.signed_data.substr(1), files.signature).error_code() == errc::signature_invalid);
        CHECK(verifier->verify("", files.signature).error_code() == errc::malformed_input);
    }
}

TEST_CASE("google play: the expected package name must match exactly") {
    const go_iap_files files;
    const std::string package = text_of(parse_json_object(files.signed_data), "packageName");

    auto matching = google_play_verifier::create(files.key, package);
    REQUIRE(matching);
    CHECK(matching->expected_package_name() == package);
    const auto verified = matching->verify(files.signed_data, files.signature);
    REQUIRE(verified);
    CHECK(verified->package_name == package);

    for (const std::string& other : {std::string("com.example.other"), package + ".debug", package.substr(1),
                                    std::string("My.Package"), package + " "}) {
        INFO("expected package \"" << other << "\"");
        auto mismatching = google_play_verifier::create(files.key, other);
        REQUIRE(mismatching);
        const auto refused = mismatching->verify(files.signed_data, files.signature);
        CHECK_FALSE(refused);
        CHECK(refused.error_code() == errc::bundle_id_mismatch);
        CHECK_THAT(refused.message(), Catch::Contains(package));
        CHECK(iap_embedded::verify_google_play(files.key, files.signed_data, files.signature, other).error_code() ==
              errc::bundle_id_mismatch);
    }
}
