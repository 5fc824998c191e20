// SPDX-License-Identifier: MIT
//
// The CMS SignedData reader on Apple's real receipts (DER and Xcode's BER) and on every way a
// receipt can fail to be one.
#include "support.hpp"

#include <iap_embedded/base64.hpp>
#include <iap_embedded/detail/cms.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace {

namespace cms = iap_embedded::detail::cms;
namespace asn1 = iap_embedded::detail::asn1;
using iap_embedded::errc;
using iap_embedded::detail::digest_kind;
using bytes = std::vector<unsigned char>;

bytes receipt_der_bytes(const std::string& name) {
    auto der = iap_embedded::decode_base64(test_support::read_testdata("apple_receipts/" + name));
    REQUIRE(der);
    return *der;
}

iap_embedded::result<cms::signed_data> parse(const bytes& der) { return cms::parse_signed_data(der.data(), der.size()); }

// Replaces every occurrence of `from` by `to` (same length); returns how many were replaced.
std::size_t replace_all(bytes& data, const bytes& from, const bytes& to) {
    REQUIRE(from.size() == to.size());
    std::size_t count = 0;
    for (auto it = std::search(data.begin(), data.end(), from.begin(), from.end()); it != data.end();
         it = std::search(it + 1, data.end(), from.begin(), from.end())) {
        std::copy(to.begin(), to.end(), it);
        ++count;
    }
    return count;
}

const bytes sha256_oid{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};

} // namespace

TEST_CASE("cms: real DER receipts have 3 certificates, one RSA signer and the payload") {
    struct expectation {
        const char* name;
        digest_kind digest;
    };
    for (const auto& e : {expectation{"tpinappreceipt/receipt-production", digest_kind::sha256},
                          expectation{"tpinappreceipt/receipt-sandbox-g5", digest_kind::sha256},
                          expectation{"tpinappreceipt/receipt-sandbox-legacy", digest_kind::sha1}}) {
        INFO(e.name);
        const bytes der = receipt_der_bytes(e.name);
        auto sd = parse(der);
        INFO(sd.message());
        REQUIRE(sd);
        CHECK(sd->certificates.size() == 3);
        CHECK(sd->signer.digest == e.digest);
        CHECK(sd->signer.signature.size == 256);
        CHECK(sd->signer.signed_attrs.empty());
        CHECK_FALSE(sd->signer.message_digest);
        REQUIRE_FALSE(sd->content.empty());
        CHECK(sd->content[0] == asn1::tag_set);
        // The signer's issuer and serial appear verbatim in one of the certificates.
        std::size_t holders = 0;
        for (const auto& cert : sd->certificates) {
            const bytes c(cert.data, cert.data + cert.size);
            const bytes issuer(sd->signer.issuer.data, sd->signer.issuer.data + sd->signer.issuer.size);
            const bytes serial(sd->signer.serial.data, sd->signer.serial.data + sd->signer.serial.size);
            if (std::search(c.begin(), c.end(), issuer.begin(), issuer.end()) != c.end() &&
                std::search(c.begin(), c.end(), serial.begin(), serial.end()) != c.end())
                ++holders;
            CHECK(cert.data[0] == asn1::tag_sequence);
        }
        CHECK(holders >= 1);
    }
}

TEST_CASE("cms: Xcode's BER receipt (indefinite lengths) parses, with one self-signed certificate") {
    for (const char* name : {"tpinappreceipt/receipt-xcode", "tpinappreceipt/receipt-xcode-with-purchases",
                             "app-store-server-library/xcode-app-receipt-empty"}) {
        INFO(name);
        const bytes der = receipt_der_bytes(name);
        auto sd = parse(der);
        INFO(sd.message());
        REQUIRE(sd);
        CHECK(sd->certificates.size() == 1);
        CHECK(sd->signer.digest == digest_kind::sha256);
        CHECK(sd->content.size() > 100);
    }
    const bytes xcode = receipt_der_bytes("tpinappreceipt/receipt-xcode");
    CHECK(xcode[1] == 0x80); // really indefinite-length BER
}

TEST_CASE("cms: empty input, garbage, JSON and the iOS 6 transaction receipt are not receipts") {
    const bytes legacy_plist = [] {
        const std::string t = test_support::read_testdata("apple_jws/app-store-server-library/mock_signed_data/legacyTransaction");
        return bytes(t.begin(), t.end());
    }();
    for (const bytes& input : {bytes{}, bytes{0x00}, bytes{'{', '}'}, bytes{0x30, 0x00}, bytes{0x30, 0x03, 0x02, 0x01, 0x01},
                               bytes(1000, 0xAB), legacy_plist}) {
        auto sd = parse(input);
        REQUIRE_FALSE(sd);
        CHECK(sd.error_code() == errc::not_a_receipt);
        CHECK_FALSE(sd.message().empty());
    }
}

TEST_CASE("cms: trailing bytes after the ContentInfo are refused") {
    bytes der = receipt_der_bytes("tpinappreceipt/receipt-production");
    der.push_back(0x00);
    auto sd = parse(der);
    REQUIRE_FALSE(sd);
    CHECK(sd.error_code() == errc::not_a_receipt);
    CHECK(sd.message().find("follow") != std::string::npos);
}

TEST_CASE("cms: every truncation of a real receipt fails cleanly") {
    for (const char* name : {"tpinappreceipt/receipt-production", "tpinappreceipt/receipt-xcode"}) {
        const bytes der = receipt_der_bytes(name);
        for (std::size_t n = 0; n < der.size(); n += (n < 64 ? 1 : 7)) {
            const bytes cut(der.begin(), der.begin() + static_cast<std::ptrdiff_t>(n));
            auto sd = parse(cut);
            INFO(name << " cut at " << n);
            REQUIRE_FALSE(sd);
            CHECK(sd.error_code() == errc::not_a_receipt);
        }
    }
}

TEST_CASE("cms: digests other than SHA-1 and SHA-256 are unsupported_algorithm") {
    const bytes sha512_oid{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
    bytes sha512 = receipt_der_bytes("tpinappreceipt/receipt-production");
    REQUIRE(replace_all(sha512, sha256_oid, sha512_oid) >= 2);
    auto a = parse(sha512);
    REQUIRE_FALSE(a);
    CHECK(a.error_code() == errc::unsupported_algorithm);
    CHECK(a.message().find("2.16.840.1.101.3.4.2.3") != std::string::npos);

    // An unknown digest of the same length as SHA-1's OID: 1.3.14.3.2.25.
    bytes sha1_receipt = receipt_der_bytes("tpinappreceipt/receipt-sandbox-legacy");
    REQUIRE(replace_all(sha1_receipt, bytes{0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A},
                        bytes{0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x19}) >= 2);
    auto b = parse(sha1_receipt);
    REQUIRE_FALSE(b);
    CHECK(b.error_code() == errc::unsupported_algorithm);
}

TEST_CASE("cms: a ContentInfo of another type, or other content, is not a receipt") {
    bytes enveloped = receipt_der_bytes("tpinappreceipt/receipt-production");
    // 1.2.840.113549.1.7.2 (signedData) -> 1.2.840.113549.1.7.3 (envelopedData), first occurrence.
    const bytes signed_data_oid{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
    auto it = std::search(enveloped.begin(), enveloped.end(), signed_data_oid.begin(), signed_data_oid.end());
    REQUIRE(it != enveloped.end());
    *(it + 10) = 0x03;
    auto a = parse(enveloped);
    REQUIRE_FALSE(a);
    CHECK(a.error_code() == errc::not_a_receipt);
    CHECK(a.message().find("not a CMS SignedData") != std::string::npos);

    bytes other_content = receipt_der_bytes("tpinappreceipt/receipt-production");
    const bytes data_oid{0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
    auto d = std::search(other_content.begin(), other_content.end(), data_oid.begin(), data_oid.end());
    REQUIRE(d != other_content.end());
    *(d + 10) = 0x05;
    auto b = parse(other_content);
    REQUIRE_FALSE(b);
    CHECK(b.error_code() == errc::not_a_receipt);
    CHECK(b.message().find("id-data") != std::string::npos);
}

TEST_CASE("cms: signed attributes are re-tagged as a SET for verification") {
    cms::signer_info s;
    const bytes attrs{0xA0, 0x03, 0x02, 0x01, 0x01};
    s.signed_attrs = {attrs.data(), attrs.size()};
    const auto set = s.signed_attrs_as_set();
    CHECK(set == bytes{0x31, 0x03, 0x02, 0x01, 0x01});
    CHECK(attrs[0] == 0xA0);
}

TEST_CASE("cms: DER content is viewed in the input, BER segments are joined into a buffer of their own") {
    const bytes der = receipt_der_bytes("tpinappreceipt/receipt-production");
    auto sd = parse(der);
    REQUIRE(sd);
    CHECK(sd->content.data() >= der.data());
    CHECK(sd->content.data() + sd->content.size() <= der.data() + der.size());
    const cms::signed_data copy = *sd;
    CHECK(copy.content == sd->content);
    CHECK(copy.content.data() == sd->content.data());

    const bytes xcode = receipt_der_bytes("tpinappreceipt/receipt-xcode");
    auto ber = parse(xcode);
    REQUIRE(ber);
    const bool inside = ber->content.data() >= xcode.data() && ber->content.data() < xcode.data() + xcode.size();
    CHECK_FALSE(inside);
    const cms::signed_data ber_copy = *ber;
    CHECK(ber_copy.content == ber->content);
    CHECK(ber_copy.content.data() != ber->content.data());
    cms::signed_data moved = std::move(*ber);
    CHECK(moved.content == ber_copy.content);
    CHECK(moved.content[0] == asn1::tag_set);
}
