// SPDX-License-Identifier: MIT
//
// `iapctl demo`: the whole flow with nothing to prepare. A generated key stands in for the store's
// key; a sample purchase is signed the way Google Play and ONE store sign, verified, then tampered
// with and rejected.
#ifndef IAPCTL_DEMO_COMMAND_HPP
#define IAPCTL_DEMO_COMMAND_HPP

#include "cli.hpp"
#include "purchase_json.hpp"

#include <iap_embedded/ledger.hpp>
#include <iap_embedded/testing.hpp>
#include <iap_embedded/verifier.hpp>

#include <cstdio>
#include <string>

#include <unistd.h>

namespace iapctl {

namespace demo_detail {

struct store_sample {
    iap_embedded::store_kind store;
    const char* store_name;
    iap_embedded::testing::digest digest;
    const char* algorithm;
    std::string purchase_json;
    const char* tampered_from;
    const char* tampered_to;
};

// Signs, verifies, tampers, verifies again; appends a sentence per step. Returns whether every
// step behaved as it must.
inline bool run_store(const store_sample& s, const iap_embedded::testing::rsa_test_key& key,
                      const iap_embedded::verifier& verifier, json& steps, json& purchases) {
    using iap_embedded::to_string;
    const auto signature = key.sign_base64(s.purchase_json, s.digest);
    if (!signature) return steps.push("Signing failed: " + signature.message()), false;
    steps.push(std::string("Signed a sample ") + s.store_name + " purchase with " + s.algorithm + ", as the store does.");

    const auto verified = verifier.verify({s.store, s.purchase_json, *signature});
    if (!verified) return steps.push("Verification of the genuine purchase failed: " + verified.message()), false;
    const auto& p = verified->purchases.front();
    steps.push("Verified it: valid. Product " + p.product_id + ", quantity " + std::to_string(p.quantity) + ", state " +
               std::string(to_string(p.state)) + ", package " + p.package_name + ".");
    purchases.push(purchase_to_json(p));

    std::string forged = s.purchase_json;
    const auto at = forged.find(s.tampered_from);
    if (at == std::string::npos) return steps.push("The sample purchase has nothing to tamper with."), false;
    forged.replace(at, std::string(s.tampered_from).size(), s.tampered_to);
    const auto forged_result = verifier.verify({s.store, forged, *signature});
    if (forged_result) return steps.push("A tampered purchase was accepted. This must never happen."), false;
    steps.push(std::string("Changed ") + s.tampered_from + " to " + s.tampered_to +
               " in the signed purchase and verified again: rejected with " +
               std::string(to_string(static_cast<iap_embedded::errc>(forged_result.error_code().value()))) + " (" +
               forged_result.message() + ").");
    return forged_result.error_code() == iap_embedded::errc::signature_invalid;
}

// The consume ledger on a temporary file: consume, a rejected replay, and an undelivered
// purchase recovered after a simulated crash. Returns whether every step behaved as it must.
inline bool run_ledger(const iap_embedded::verifier& verifier, const store_sample& s,
                       const iap_embedded::testing::rsa_test_key& key, json& steps) {
    using iap_embedded::errc;
    const auto signature = key.sign_base64(s.purchase_json, s.digest);
    if (!signature) return steps.push("Signing failed: " + signature.message()), false;
    const auto verified = verifier.verify({s.store, s.purchase_json, *signature});
    if (!verified) return steps.push("Verification failed: " + verified.message()), false;
    const iap_embedded::purchase& p = verified->purchases.front();

    char path[] = "/tmp/iapctl-demo-ledger-XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return steps.push("Cannot create a temporary ledger file."), false;
    close(fd);
    std::remove(path);
    const auto cleanup = [&path] { std::remove(path); };

    bool ok = false;
    {
        auto opened = iap_embedded::ledger::open(path);
        if (!opened) return cleanup(), steps.push("Opening the ledger failed: " + opened.message()), false;
        const auto consumed = opened->consume(p);
        if (!consumed) return cleanup(), steps.push("Consume failed: " + consumed.message()), false;
        steps.push("Consumed the verified Google Play purchase in a new ledger (" + consumed->key.to_string() +
                   "), flushed to disk before success was returned.");
        const auto replay = opened->consume(p);
        ok = !replay && replay.error_code() == errc::already_consumed;
        steps.push(ok ? "Replayed the same signed purchase: rejected with already_consumed (" + replay.message() + ")."
                      : std::string("A replayed purchase was accepted. This must never happen."));
        steps.push("Simulated a crash after consuming and before granting the item: closed without marking it delivered.");
    }
    auto reopened = iap_embedded::ledger::open(path);
    if (!reopened) return cleanup(), steps.push("Reopening the ledger failed: " + reopened.message()), false;
    const auto pending = reopened->undelivered();
    const bool recovered = pending.size() == 1 && pending.front().product_id == p.product_id;
    steps.push(recovered ? "Reopened it: undelivered() lists " + pending.front().product_id +
                               ", so the paid item is granted now instead of being lost."
                         : std::string("The undelivered purchase was not listed after reopening."));
    const bool delivered = recovered && reopened->mark_delivered(pending.front().key) && reopened->undelivered().empty();
    if (delivered) steps.push("Granted it and marked it delivered; nothing is pending any more. Removed the temporary ledger.");
    cleanup();
    return ok && recovered && delivered;
}

} // namespace demo_detail

inline outcome run_demo(const std::vector<std::string>& args) {
    if (!args.empty()) return outcome::usage("demo takes no arguments");
    namespace testing = iap_embedded::testing;
    auto steps = json::array();
    auto purchases = json::array();

    auto key = testing::rsa_test_key::generate(2048);
    if (!key) return outcome::reject(json::object().set("demo", "failed").set("message", key.message()));
    steps.push("Generated a 2048-bit RSA key pair. Its public half stands in for the licence key that the Google Play "
               "Console and the ONE store developer center give an app.");

    iap_embedded::verifier verifier;
    const auto public_key = key->public_key_base64();
    const auto google = verifier.add_google_play(public_key, "com.example.game");
    const auto onestore = verifier.add_one_store(public_key, "com.example.game");
    if (!google || !onestore)
        return outcome::reject(
            json::object().set("demo", "failed").set("message", google.message() + onestore.message()));
    steps.push("Configured one verifier for both stores with that key and the package name com.example.game.");

    const demo_detail::store_sample samples[] = {
        {iap_embedded::store_kind::google_play, "Google Play", testing::digest::sha1, "SHA1withRSA",
         R"({"orderId":"GPA.3301-2849-1234-56789","packageName":"com.example.game","productId":"gems_100",)"
         R"("purchaseTime":1767225600000,"purchaseState":0,"purchaseToken":"demo-token-opaque-to-the-app",)"
         R"("quantity":1,"acknowledged":false})",
         "\"quantity\":1", "\"quantity\":9"},
        {iap_embedded::store_kind::one_store, "ONE store", testing::digest::sha512, "SHA512withRSA",
         R"({"orderId":"ONE-20260101-0001","packageName":"com.example.game","productId":"starter_pack",)"
         R"("purchaseTime":1767225600000,"purchaseId":"SANDBOX3000000001","purchaseToken":"demo-one-store-token",)"
         R"("purchaseState":0,"acknowledgeState":0,"quantity":1})",
         "\"productId\":\"starter_pack\"", "\"productId\":\"mega_pack\""},
    };
    bool ok = true;
    for (const auto& sample : samples) ok = demo_detail::run_store(sample, *key, verifier, steps, purchases) && ok;
    ok = demo_detail::run_ledger(verifier, samples[0], *key, steps) && ok;

    auto out = json::object();
    out.set("demo", ok ? "passed" : "failed");
    out.set("message", ok ? "Genuine purchases verified and tampered copies rejected, for both stores, entirely "
                            "inside this process; the ledger consumed a purchase once, rejected its replay and "
                            "recovered it after a simulated crash."
                          : "A demo step did not behave as it must; see steps.");
    out.set("steps", std::move(steps));
    out.set("purchases", std::move(purchases));
    return ok ? outcome::success(std::move(out)) : outcome::reject(std::move(out));
}

} // namespace iapctl

#endif // IAPCTL_DEMO_COMMAND_HPP
