// SPDX-License-Identifier: MIT
//
// Fuzzes StoreKit 2 JWS verification and the payload decoders:
// - the input as a compact JWS, verified as each kind with the built-in Apple Root CA - G3:
//   nothing a fuzzer makes can carry a valid Apple chain, so it must never verify;
// - the same with Xcode data allowed: it may verify only as environment Xcode (a real Xcode
//   seed left intact), never as Production or Sandbox, and only as the kind asked for;
// - the input as a JSON payload, through the required-field check of each kind and every decoder.
#include "fuzz_assert.hpp"

#include "iap_embedded/app_store_jws.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace iap_embedded;
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    for (const auto kind : {app_store_jws_kind::transaction, app_store_jws_kind::renewal_info,
                            app_store_jws_kind::app_transaction, app_store_jws_kind::notification}) {
        app_store_jws_options options;
        options.expected_bundle_id = "com.example.naturelab.backyardbirds.example"; // the Xcode seeds'
        options.kind = kind;
        options.allow_sandbox = true;
        if (kind == app_store_jws_kind::renewal_info) options.expected_original_transaction_id = "0";
        const auto apple = verify_app_store_jws(text, options);
        IAP_EMBEDDED_FUZZ_ASSERT(!apple);

        options.allow_xcode = true;
        const auto local = verify_app_store_jws(text, options);
        IAP_EMBEDDED_FUZZ_ASSERT(!local || (local->environment == app_store_environment::xcode && local->kind == kind));
    }

    const auto json = detail::parse_json(text);
    if (json && json->is<picojson::object>()) {
        const auto& object = json->get<picojson::object>();
        for (const auto kind : {app_store_jws_kind::transaction, app_store_jws_kind::renewal_info,
                                app_store_jws_kind::app_transaction, app_store_jws_kind::notification})
            (void)detail::check_required_fields(object, detail::jws_identity(object, kind), kind);
        app_store_jws out;
        detail::json_fields transaction(object);
        detail::map_transaction(object, out, transaction);
        IAP_EMBEDDED_FUZZ_ASSERT(out.purchases.size() == out.transaction_details.size());
        detail::json_fields renewal(object);
        (void)detail::map_renewal_info(renewal);
    }
    return 0;
}
