// SPDX-License-Identifier: MIT
//
// Compile-only check of the whole library for Windows (tools/check_mingw.sh, second step): the
// umbrella header, so the verifiers and the ledger over the Windows file layer, built with
// x86_64-w64-mingw32-g++ -c against include/ and against single_include/. Never run.
#include <iap_embedded/iap_embedded.hpp>

#include <string>

#if !defined(_WIN32)
#error "this file checks the Windows build; compile it with a Windows compiler"
#endif

iap_embedded::result<std::size_t> consume_verified(const std::string& ledger_path, const std::string& key_base64,
                                                   const std::string& purchase_json, const std::string& signature) {
    iap_embedded::verifier verifier;
    if (auto added = verifier.add_google_play(key_base64, "com.example.game"); !added) return std::move(added).error();
    auto verified = verifier.verify(iap_embedded::receipt::google_play(purchase_json, signature));
    if (!verified) return std::move(verified).error();
    auto ledger = iap_embedded::ledger::open(ledger_path);
    if (!ledger) return std::move(ledger).error();
    for (const auto& p : verified->purchases) {
        auto consumed = ledger->consume(p);
        if (!consumed) return std::move(consumed).error();
        if (auto delivered = ledger->mark_delivered(consumed->key); !delivered) return std::move(delivered).error();
    }
    if (auto compacted = ledger->compact(); !compacted) return std::move(compacted).error();
    return ledger->undelivered().size();
}
