// SPDX-License-Identifier: MIT
//
// Fuzzes the C interface's verify entry points (include/iap_embedded/iap_embedded.h), with the
// result accessors and the JSON form behind them. The first byte picks the entry point, the rest
// is the input:
//   0: iap_verify_one_store, the input signed on the spot by a fixed key, so mapping succeeds or
//      fails on the JSON alone; the outcome must equal the C++ verifier's, and a success must carry
//      the same fields through the C structs and the JSON;
//   1: iap_verify_app_store_jws with Xcode data allowed: a success is Xcode data only;
//   2: iap_verify_app_store_receipt (Apple Root CA, any bundle id of the real seeds).
// Every call: a status the header names, an out-pointer NULL on failure and set on success, and a
// failure message.
#include "fuzz_assert.hpp"

#include "iap_embedded/iap_embedded.h"
#include "iap_embedded/testing.hpp"
#include "iap_embedded/verifier.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

namespace iap = iap_embedded;

constexpr const char* package_name = "com.example.fuzz";

bool named_status(iap_status s) {
    return (s >= IAP_MALFORMED_INPUT && s <= IAP_MALFORMED_RESPONSE) || s == IAP_OUT_OF_MEMORY ||
           s == IAP_INVALID_ARGUMENT || s == IAP_UNKNOWN_ERROR;
}

struct fixture {
    iap::testing::rsa_test_key key;
    iap::verifier cpp;
    iap_verifier* one_store = nullptr;
    iap_verifier* jws = nullptr;
    iap_verifier* receipt = nullptr;

    static fixture& get() {
        static fixture f = make();
        return f;
    }

    static fixture make() {
        auto key = iap::testing::rsa_test_key::generate(1024, "iap_embedded fuzz_c_api");
        IAP_EMBEDDED_FUZZ_ASSERT(key.has_value());
        fixture f{std::move(*key), {}};
        IAP_EMBEDDED_FUZZ_ASSERT(f.cpp.add_one_store(f.key.public_key_base64(), package_name));
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_new(&f.one_store) == IAP_OK);
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_add_one_store(f.one_store, f.key.public_key_base64().c_str(),
                                                            package_name) == IAP_OK);
        iap_jws_options jws;
        IAP_EMBEDDED_FUZZ_ASSERT(iap_jws_options_init(&jws) == IAP_OK);
        jws.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
        jws.expected_environment = IAP_ENVIRONMENT_XCODE;
        jws.allow_xcode = 1;
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_new(&f.jws) == IAP_OK);
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_add_app_store_jws(f.jws, &jws) == IAP_OK);
        iap_receipt_options receipt;
        IAP_EMBEDDED_FUZZ_ASSERT(iap_receipt_options_init(&receipt) == IAP_OK);
        receipt.expected_bundle_id = "dev.bonzer.weeka.app";
        receipt.expected_environment = IAP_ENVIRONMENT_SANDBOX;
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_new(&f.receipt) == IAP_OK);
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verifier_add_app_store(f.receipt, &receipt) == IAP_OK);
        return f;
    }
};

// What every call promises, then the accessors and the JSON of a success.
void check_outcome(iap_status status, iap_verification* result) {
    if (status != IAP_OK) {
        IAP_EMBEDDED_FUZZ_ASSERT(named_status(status));
        IAP_EMBEDDED_FUZZ_ASSERT(result == nullptr);
        IAP_EMBEDDED_FUZZ_ASSERT(std::strlen(iap_last_error_message()) > 0);
        return;
    }
    IAP_EMBEDDED_FUZZ_ASSERT(result != nullptr);
    IAP_EMBEDDED_FUZZ_ASSERT(std::strlen(iap_last_error_message()) == 0);
    const std::size_t count = iap_verification_purchase_count(result);
    for (std::size_t i = 0; i < count; ++i) {
        const iap_purchase* p = iap_verification_purchase(result, i);
        IAP_EMBEDDED_FUZZ_ASSERT(p != nullptr && p->product_id != nullptr && p->transaction_id != nullptr);
        IAP_EMBEDDED_FUZZ_ASSERT(p->store == iap_verification_store(result));
        for (std::size_t k = 0; k < p->other_product_id_count; ++k)
            IAP_EMBEDDED_FUZZ_ASSERT(p->other_product_ids[k] != nullptr);
    }
    IAP_EMBEDDED_FUZZ_ASSERT(iap_verification_purchase(result, count) == nullptr);
    char* json = nullptr;
    IAP_EMBEDDED_FUZZ_ASSERT(iap_verification_json(result, &json) == IAP_OK);
    IAP_EMBEDDED_FUZZ_ASSERT(std::strncmp(json, "{\n  \"valid\": true,", 18) == 0);
    iap_string_free(json);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto& f = fixture::get();
    const char* input = reinterpret_cast<const char*>(data + 1);
    const std::size_t input_size = size - 1;
    iap_verification* result = nullptr;

    switch (data[0] % 3) {
    case 0: {
        const auto signature = f.key.sign_base64(std::string_view(input, input_size), iap::testing::digest::sha512);
        IAP_EMBEDDED_FUZZ_ASSERT(signature.has_value());
        const iap_status status =
            iap_verify_one_store(f.one_store, input, input_size, signature->data(), signature->size(), &result);
        check_outcome(status, result);
        const auto expected =
            f.cpp.verify(iap::receipt::one_store(std::string_view(input, input_size), *signature));
        IAP_EMBEDDED_FUZZ_ASSERT(expected.has_value() == (status == IAP_OK));
        if (!expected) {
            IAP_EMBEDDED_FUZZ_ASSERT(static_cast<int>(status) == expected.error_code().value());
            IAP_EMBEDDED_FUZZ_ASSERT(expected.message() == iap_last_error_message() ||
                                     status == IAP_OUT_OF_MEMORY);
            break;
        }
        const iap::purchase& want = expected->purchases.at(0);
        const iap_purchase* got = iap_verification_purchase(result, 0);
        IAP_EMBEDDED_FUZZ_ASSERT(iap_verification_purchase_count(result) == 1);
        IAP_EMBEDDED_FUZZ_ASSERT(want.product_id.view() == got->product_id);
        IAP_EMBEDDED_FUZZ_ASSERT(want.purchase_id.view() == got->purchase_id);
        IAP_EMBEDDED_FUZZ_ASSERT(want.purchase_token.view() == got->purchase_token);
        IAP_EMBEDDED_FUZZ_ASSERT(want.quantity == got->quantity && want.purchase_time_ms == got->purchase_time_ms);
        IAP_EMBEDDED_FUZZ_ASSERT(static_cast<int>(want.state) == static_cast<int>(got->state));
        break;
    }
    case 1: {
        const iap_status status = iap_verify_app_store_jws(f.jws, input, input_size, &result);
        check_outcome(status, result);
        if (status == IAP_OK) {
            const iap_jws_info* info = iap_verification_jws_info(result);
            IAP_EMBEDDED_FUZZ_ASSERT(info != nullptr && info->environment == IAP_ENVIRONMENT_XCODE);
        }
        break;
    }
    default: {
        const iap_status status = iap_verify_app_store_receipt(f.receipt, input, input_size, &result);
        check_outcome(status, result);
        if (status == IAP_OK) {
            const iap_receipt_info* info = iap_verification_receipt_info(result);
            IAP_EMBEDDED_FUZZ_ASSERT(info != nullptr && std::strcmp(info->bundle_id, "dev.bonzer.weeka.app") == 0);
        }
        break;
    }
    }
    iap_verification_free(result);
    return 0;
}
