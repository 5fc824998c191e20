// SPDX-License-Identifier: MIT
//
// Fuzzes everything that reads purchase JSON. Signatures cannot be forged, so the input is used
// three ways:
// 1. parse_json and both store mappings directly, checking what a mapped purchase promises;
// 2. the full verify path with a fixed generated key and a signature the input did not get (a
//    real signature of another purchase, or the bytes after the first NUL of the input as the
//    signature text): it must always fail, never with success;
// 3. the full verify path with the input signed on the spot by that key: signature checking
//    must then pass and the outcome must be exactly what parsing and mapping say by themselves.
#include "fuzz_assert.hpp"

#include "iap_embedded/detail/json.hpp"
#include "iap_embedded/google_play.hpp"
#include "iap_embedded/one_store.hpp"
#include "iap_embedded/testing.hpp"
#include "iap_embedded/verifier.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

namespace iap = iap_embedded;
using iap_embedded::errc;

constexpr std::string_view package_name = "com.example.fuzz";

// A Google Play purchase of the shape Google sends; also valid ONE store JSON.
constexpr std::string_view sample_purchase =
    R"({"orderId":"GPA.3301-2227-9914-61150","packageName":"com.example.fuzz","productId":"gems_100",)"
    R"("purchaseId":"SANDBOX3000000004569","purchaseTime":1700000000000,"purchaseState":0,)"
    R"("purchaseToken":"kmhnfbbpgnadmobiepjjkdcn.AO-J1Oxn","quantity":1,"acknowledged":false})";

// The fixed key and what it signed, made once per process. RSA-1024 (the smallest accepted size)
// keeps signing each input cheap; the key size does not change any code path under test.
struct fixture {
    iap::testing::rsa_test_key key;
    iap::verifier verifier;
    std::string google_sample_signature;
    std::string one_store_sample_signature;

    static fixture make() {
        auto key = iap::testing::rsa_test_key::generate(1024, "iap_embedded fuzz_purchase_json");
        IAP_EMBEDDED_FUZZ_ASSERT(key.has_value());
        fixture f{std::move(*key), {}, {}, {}};
        IAP_EMBEDDED_FUZZ_ASSERT(f.verifier.add_google_play(f.key.public_key_base64(), std::string(package_name)));
        IAP_EMBEDDED_FUZZ_ASSERT(f.verifier.add_one_store(f.key.public_key_base64(), std::string(package_name)));
        auto google = f.key.sign_base64(sample_purchase, iap::testing::digest::sha1);
        auto one = f.key.sign_base64(sample_purchase, iap::testing::digest::sha512);
        IAP_EMBEDDED_FUZZ_ASSERT(google && one);
        f.google_sample_signature = *google;
        f.one_store_sample_signature = *one;
        // The fixture itself must work, or every "must fail" below would pass vacuously.
        IAP_EMBEDDED_FUZZ_ASSERT(f.verifier.verify(iap::receipt::google_play(sample_purchase, *google)));
        IAP_EMBEDDED_FUZZ_ASSERT(f.verifier.verify(iap::receipt::one_store(sample_purchase, *one)));
        return f;
    }
};

const fixture& the_fixture() {
    static const fixture f = fixture::make();
    return f;
}

bool contains_null(const picojson::value& v) {
    if (v.is<picojson::null>()) return true;
    if (v.is<picojson::array>()) {
        for (const auto& item : v.get<picojson::array>())
            if (contains_null(item)) return true;
    } else if (v.is<picojson::object>()) {
        for (const auto& member : v.get<picojson::object>())
            if (contains_null(member.second)) return true;
    }
    return false;
}

bool same_purchase(const iap::purchase& a, const iap::purchase& b) {
    return a.store == b.store && a.product_id == b.product_id && a.other_product_ids == b.other_product_ids &&
           a.state == b.state && a.quantity == b.quantity && a.purchase_time_ms == b.purchase_time_ms &&
           a.order_id == b.order_id && a.package_name == b.package_name && a.purchase_token == b.purchase_token &&
           a.purchase_id == b.purchase_id && a.developer_payload == b.developer_payload &&
           a.obfuscated_account_id == b.obfuscated_account_id &&
           a.obfuscated_profile_id == b.obfuscated_profile_id && a.acknowledged == b.acknowledged &&
           a.auto_renewing == b.auto_renewing && a.recurring_state == b.recurring_state;
}

void check_common(const iap::purchase& p) {
    IAP_EMBEDDED_FUZZ_ASSERT(!p.product_id.empty());
    for (const auto& product : p.other_product_ids) IAP_EMBEDDED_FUZZ_ASSERT(!product.empty());
    IAP_EMBEDDED_FUZZ_ASSERT(p.quantity >= 1);
    IAP_EMBEDDED_FUZZ_ASSERT(p.purchase_time_ms >= 0);
}

iap::result<iap::purchase> map_purchase(iap::store_kind store, const picojson::object& object) {
    if (store == iap::store_kind::google_play) {
        auto p = iap::detail::map_google_play_purchase(object);
        if (p) {
            IAP_EMBEDDED_FUZZ_ASSERT(p->store == iap::store_kind::google_play);
            IAP_EMBEDDED_FUZZ_ASSERT(!p->purchase_token.empty());
            check_common(*p);
        }
        return p;
    }
    auto p = iap::detail::map_one_store_purchase(object);
    if (p) {
        IAP_EMBEDDED_FUZZ_ASSERT(p->store == iap::store_kind::one_store);
        IAP_EMBEDDED_FUZZ_ASSERT(p->other_product_ids.empty());
        IAP_EMBEDDED_FUZZ_ASSERT(!p->purchase_id.empty() || !p->purchase_token.empty());
        IAP_EMBEDDED_FUZZ_ASSERT(p->state != iap::purchase_state::pending);
        check_common(*p);
    }
    return p;
}

// 1. Parsing and mapping on their own.
void fuzz_parse_and_map(std::string_view text) {
    const auto json = iap::detail::parse_json(text);
    if (!json) {
        IAP_EMBEDDED_FUZZ_ASSERT(json.error_code() == errc::malformed_input);
        return;
    }
    // Only the literal `null` makes a null value (1e999 once became one silently).
    if (text.find("null") == std::string_view::npos) IAP_EMBEDDED_FUZZ_ASSERT(!contains_null(*json));
    const auto reparsed = iap::detail::parse_json(json->serialize());
    IAP_EMBEDDED_FUZZ_ASSERT(reparsed.has_value() && *reparsed == *json);
    if (!json->is<picojson::object>()) return;
    for (const auto store : {iap::store_kind::google_play, iap::store_kind::one_store}) {
        const auto p = map_purchase(store, json->get<picojson::object>());
        if (!p) IAP_EMBEDDED_FUZZ_ASSERT(p.error_code() == errc::malformed_input);
    }
}

iap::receipt make_receipt(iap::store_kind store, std::string_view data, std::string_view signature) {
    return store == iap::store_kind::google_play ? iap::receipt::google_play(data, signature)
                                                 : iap::receipt::one_store(data, signature);
}

// 2. Signatures the data did not get.
void fuzz_unsigned(std::string_view input) {
    const fixture& f = the_fixture();
    const auto nul = input.find('\0');
    for (const auto store : {iap::store_kind::google_play, iap::store_kind::one_store}) {
        const std::string_view sample_signature = store == iap::store_kind::google_play
                                                      ? std::string_view(f.google_sample_signature)
                                                      : std::string_view(f.one_store_sample_signature);
        const std::string_view data = nul == std::string_view::npos ? input : input.substr(0, nul);
        const std::string_view signature = nul == std::string_view::npos ? sample_signature : input.substr(nul + 1);
        const auto verified = f.verifier.verify(make_receipt(store, data, signature));
        // Success needs the exact bytes that were signed (a SHA-1 collision aside).
        if (verified) {
            IAP_EMBEDDED_FUZZ_ASSERT(data == sample_purchase);
            continue;
        }
        const auto code = verified.error_code();
        IAP_EMBEDDED_FUZZ_ASSERT(code == errc::signature_invalid || code == errc::malformed_input);
        // An unparsable signature text is reported as malformed, not as a failed verification.
        if (data != sample_purchase && !data.empty() && data.size() <= IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES &&
            signature == sample_signature)
            IAP_EMBEDDED_FUZZ_ASSERT(code == errc::signature_invalid);
    }
    IAP_EMBEDDED_FUZZ_ASSERT(!f.verifier.verify(iap::receipt{iap::store_kind::app_store, input, input}));
}

// FNV-1a, to pick a fixed share of inputs deterministically.
std::uint32_t fnv1a(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (const char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
    return h;
}

// 3. The input signed by the key: verify must agree with parse + map + package check. Signing
// costs two RSA private operations, so inputs that are not JSON objects (which verify must reject
// as malformed after the signature passed) are only signed one time in eight.
void fuzz_signed(std::string_view data) {
    const fixture& f = the_fixture();
    const bool size_ok = !data.empty() && data.size() <= IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES;
    const auto json = size_ok ? iap::detail::parse_json(data) : iap::result<picojson::value>(errc::malformed_input);
    if ((!json || !json->is<picojson::object>()) && fnv1a(data) % 8 != 0) return;
    for (const auto store : {iap::store_kind::google_play, iap::store_kind::one_store}) {
        const auto signature = f.key.sign_base64(data, store == iap::store_kind::google_play
                                                           ? iap::testing::digest::sha1
                                                           : iap::testing::digest::sha512);
        IAP_EMBEDDED_FUZZ_ASSERT(signature.has_value());
        const auto verified = f.verifier.verify(make_receipt(store, data, *signature));
        IAP_EMBEDDED_FUZZ_ASSERT(verified.error_code() != errc::signature_invalid);

        if (!json || !json->is<picojson::object>()) {
            IAP_EMBEDDED_FUZZ_ASSERT(verified.error_code() == errc::malformed_input);
            continue;
        }
        const auto mapped = map_purchase(store, json->get<picojson::object>());
        if (!mapped) {
            IAP_EMBEDDED_FUZZ_ASSERT(verified.error_code() == mapped.error_code());
        } else if (mapped->package_name != package_name) {
            IAP_EMBEDDED_FUZZ_ASSERT(verified.error_code() == errc::bundle_id_mismatch);
        } else {
            IAP_EMBEDDED_FUZZ_ASSERT(verified.has_value());
            IAP_EMBEDDED_FUZZ_ASSERT(verified->store == store && verified->purchases.size() == 1);
            IAP_EMBEDDED_FUZZ_ASSERT(same_purchase(verified->purchases.front(), *mapped));
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    fuzz_parse_and_map(input);
    fuzz_unsigned(input);
    fuzz_signed(input);
    return 0;
}
