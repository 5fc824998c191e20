// SPDX-License-Identifier: MIT
//
// The program every integration consumer builds (tests/integration/*, run by
// tools/check_consumers.sh): what an app does with the library, through whatever way the consumer
// got it (meson subproject, CMake add_subdirectory, CMake find_package, the single header copied
// alone). It generates a store key, signs a Google Play purchase with it, verifies it, sees a
// tampered copy rejected, consumes the purchase in a ledger and sees the replay rejected.
//
// Usage: consumer_main [LEDGER_PATH]   (default: a file in the system's temporary directory)
// Prints one line starting with "consumer ok" and exits 0, or says what failed on stderr and exits 1.
#include <iap_embedded/iap_embedded.hpp>

#if __has_include(<iap_embedded/testing.hpp>)
#include <iap_embedded/testing.hpp>
#define CONSUMER_HAS_TESTING_HPP 1
#else
// The single header is the umbrella only; testing.hpp is not in it. An app that copied just that
// one file signs its test purchases with mbedTLS directly, as below.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/version.h>
#define CONSUMER_HAS_TESTING_HPP 0
#endif

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#ifndef CONSUMER_KIND
#define CONSUMER_KIND "unnamed consumer"
#endif

namespace {

#if CONSUMER_HAS_TESTING_HPP

class store_key {
public:
    bool generate() {
        auto generated = iap_embedded::testing::rsa_test_key::generate(2048);
        if (!generated) return false;
        key_ = std::make_unique<iap_embedded::testing::rsa_test_key>(std::move(*generated));
        return true;
    }
    std::string public_key_base64() const { return key_->public_key_base64(); }
    std::string sign_sha1_base64(const std::string& data) const {
        auto signature = key_->sign_base64(data, iap_embedded::testing::digest::sha1);
        return signature ? *signature : std::string();
    }

private:
    std::unique_ptr<iap_embedded::testing::rsa_test_key> key_;
};

#else

class store_key {
public:
    store_key() {
        mbedtls_pk_init(&pk_);
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
    }
    ~store_key() {
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
        mbedtls_pk_free(&pk_);
    }
    store_key(const store_key&) = delete;
    store_key& operator=(const store_key&) = delete;

    bool generate() {
        return mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, nullptr, 0) == 0 &&
               mbedtls_pk_setup(&pk_, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) == 0 &&
               mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk_), mbedtls_ctr_drbg_random, &drbg_, 2048, 65537) == 0;
    }
    std::string public_key_base64() {
        unsigned char der[1024];
        const int n = mbedtls_pk_write_pubkey_der(&pk_, der, sizeof der);
        return n > 0 ? iap_embedded::encode_base64(der + sizeof der - n, static_cast<std::size_t>(n)) : std::string();
    }
    // SHA1withRSA (RSASSA-PKCS1-v1_5), as Google Play signs.
    std::string sign_sha1_base64(const std::string& data) {
        unsigned char hash[20];
        const mbedtls_md_info_t* sha1 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
        if (mbedtls_md(sha1, reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash) != 0) return {};
        unsigned char signature[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
        std::size_t length = 0;
#if MBEDTLS_VERSION_MAJOR >= 3
        const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA1, hash, sizeof hash, signature, sizeof signature, &length,
                                       mbedtls_ctr_drbg_random, &drbg_);
#else
        const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA1, hash, sizeof hash, signature, &length,
                                       mbedtls_ctr_drbg_random, &drbg_);
#endif
        return rc == 0 ? iap_embedded::encode_base64(signature, length) : std::string();
    }

private:
    mbedtls_pk_context pk_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
};

#endif

int fail(const std::string& what) {
    std::fprintf(stderr, "consumer FAILED (%s): %s\n", CONSUMER_KIND, what.c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    namespace iap = iap_embedded;
    const std::string package = "com.example.game";
    const std::string purchase_json =
        R"({"orderId":"GPA.3301-2849-1234-56789","packageName":"com.example.game","productId":"gems_100",)"
        R"("purchaseTime":1767225600000,"purchaseState":0,"purchaseToken":"consumer-token-1","quantity":1})";

    store_key key;
    if (!key.generate()) return fail("generating an RSA key failed");
    const std::string signature = key.sign_sha1_base64(purchase_json);
    if (signature.empty()) return fail("signing the purchase failed");

    iap::verifier verifier;
    if (auto added = verifier.add_google_play(key.public_key_base64(), package); !added)
        return fail("add_google_play: " + added.message());

    auto verified = verifier.verify(iap::receipt::google_play(purchase_json, signature));
    if (!verified) return fail("verify: " + verified.message());
    if (verified->purchases.size() != 1) return fail("verify: expected one purchase");
    const iap::purchase& p = verified->purchases.front();
    if (p.state != iap::purchase_state::purchased || p.product_id != "gems_100" || p.quantity != 1)
        return fail("verify: unexpected purchase " + p.product_id);

    std::string tampered = purchase_json;
    tampered.replace(tampered.find("\"quantity\":1"), 12, "\"quantity\":9");
    auto forged = verifier.verify(iap::receipt::google_play(tampered, signature));
    if (forged || forged.error_code() != iap::errc::signature_invalid)
        return fail("a tampered purchase was not rejected as signature_invalid");

    const std::filesystem::path ledger_path =
        argc > 1 ? std::filesystem::path(argv[1])
                 : std::filesystem::temp_directory_path() / "iap_embedded_consumer.ledger";
    std::error_code ignored;
    std::filesystem::remove(ledger_path, ignored);
    std::string consumed_key;
    {
        auto ledger = iap::ledger::open(ledger_path.string());
        if (!ledger) return fail("ledger::open: " + ledger.message());
        auto consumed = ledger->consume(p);
        if (!consumed) return fail("consume: " + consumed.message());
        consumed_key = consumed->key.to_string();
        auto replay = ledger->consume(p);
        if (replay || replay.error_code() != iap::errc::already_consumed)
            return fail("a replayed purchase was not rejected as already_consumed");
        if (auto delivered = ledger->mark_delivered(consumed->key); !delivered)
            return fail("mark_delivered: " + delivered.message());
    }
    {
        auto reopened = iap::ledger::open(ledger_path.string());
        if (!reopened) return fail("reopening the ledger: " + reopened.message());
        if (!reopened->find(iap::purchase_key{iap::store_kind::google_play, "consumer-token-1"}))
            return fail("the consumed purchase is missing after reopening");
        if (!reopened->undelivered().empty()) return fail("a delivered purchase is listed as undelivered");
    }
    std::filesystem::remove(ledger_path, ignored);

    std::printf("consumer ok (%s): iap_embedded %s, %s: verified %s x%d, tampered copy rejected, consumed %s, "
                "replay rejected\n",
                CONSUMER_KIND, IAP_EMBEDDED_VERSION_STRING, CONSUMER_HAS_TESTING_HPP ? "testing.hpp key" : "mbedTLS key",
                p.product_id.c_str(), static_cast<int>(p.quantity), consumed_key.c_str());
    return 0;
}
