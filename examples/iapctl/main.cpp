// SPDX-License-Identifier: MIT
//
// iapctl: the command-line face of iap_embedded. Prints exactly one JSON object on stdout.
// Exit 0: success / valid; 1: the input was read but rejected; 2: usage error or unreadable file.
#include "app_store_command.hpp"
#include "app_store_jws_command.hpp"
#include "cli.hpp"
#include "demo_command.hpp"
#include "ledger_command.hpp"
#include "verify_command.hpp"
#if IAPCTL_WITH_SYNC
#include "sync_command.hpp"
#endif

#include <iap_embedded/version.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* usage_text =
    "iapctl " IAP_EMBEDDED_VERSION_STRING " - verify in-app purchases inside this process\n"
    "\n"
    "usage:\n"
    "  iapctl demo\n"
    "  iapctl verify google-play --public-key KEY --data FILE --signature SIG [--package-name NAME] [--repeat N]\n"
    "  iapctl verify one-store   --public-key KEY --data FILE --signature SIG [--package-name NAME] [--repeat N]\n"
    "  iapctl verify app-store-receipt --receipt FILE [--bundle-id ID] [--app-version V] [--device-id ID]\n"
    "                                  [--environment Production|Sandbox|Xcode] [--allow-sandbox]\n"
    "                                  [--root CERT]... [--at TIME] [--allow-xcode] [--repeat N]\n"
    "  iapctl verify app-store-jws --jws FILE [--kind transaction|renewal_info|app_transaction|notification]\n"
    "                              [--bundle-id ID] [--original-transaction-id ID]\n"
    "                              [--environment Production|Sandbox|Xcode] [--allow-sandbox]\n"
    "                              [--app-apple-id N] [--root CERT]... [--at TIME] [--allow-xcode] [--repeat N]\n"
    "  iapctl ledger consume --ledger FILE [--hmac-key KEY] [--deliver] [--credit NAME=AMOUNT]\n"
    "                        [--payment-seq S --access-token T] STORE VERIFY-ARGS...\n"
    "  iapctl ledger deliver --ledger FILE [--hmac-key KEY] --key STORE:ID\n"
    "  iapctl ledger spend   --ledger FILE [--hmac-key KEY] --balance NAME --amount N\n"
    "  iapctl ledger history|undelivered|entitlements|balances --ledger FILE [--hmac-key KEY] [--at TIME]\n"
    "  iapctl ledger check   --ledger FILE [--hmac-key KEY]\n"
    "  iapctl ledger payments --ledger FILE [--hmac-key KEY] [--state pending|synced|conflict|available]\n"
    "  iapctl sync --ledger FILE [--hmac-key KEY] --server URL --app-key KEY --user-key ID --market GG|AS|ONESTORE\n"
    "              [--ca CERT] [--insecure-http] [--claim PAYMENT_SEQ]... [--timeout-ms N]\n"
    "\n"
    "KEY and SIG are base64 text or @path to a file holding it; FILE holds the exact signed bytes (- is stdin).\n"
    "Output: one JSON object on stdout. Exit 0 valid, 1 rejected, 2 usage error or unreadable file.\n";

iapctl::outcome dispatch(const std::vector<std::string>& args) {
    using iap_embedded::store_kind;
    if (args.empty()) return iapctl::outcome::usage("missing command");
    const std::string& command = args[0];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(usage_text, stdout);
        return iapctl::outcome::success(iapctl::json());
    }
    if (command == "--version") {
        return iapctl::outcome::success(iapctl::json::object().set("version", IAP_EMBEDDED_VERSION_STRING));
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "demo") return iapctl::run_demo(rest);
    if (command == "ledger") return iapctl::run_ledger(rest);
    if (command == "sync") {
#if IAPCTL_WITH_SYNC
        return iapctl::run_sync(rest);
#else
        return iapctl::outcome::usage("this iapctl was built without sync (configure with meson -Dsync=enabled)");
#endif
    }
    if (command == "verify") {
        if (rest.empty()) return iapctl::outcome::usage("verify needs a store: google-play, one-store, app-store-receipt or app-store-jws");
        const std::vector<std::string> flags(rest.begin() + 1, rest.end());
        if (rest[0] == "google-play") return iapctl::verify_signed_json_store(store_kind::google_play, flags);
        if (rest[0] == "one-store") return iapctl::verify_signed_json_store(store_kind::one_store, flags);
        if (rest[0] == "app-store-receipt") return iapctl::verify_app_store_receipt_command(flags);
        if (rest[0] == "app-store-jws") return iapctl::verify_app_store_jws_command(flags);
        return iapctl::outcome::usage("unknown store '" + rest[0] + "' (expected google-play, one-store, app-store-receipt or app-store-jws)");
    }
    return iapctl::outcome::usage("unknown command '" + command + "'");
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const iapctl::outcome result = dispatch(args);
    if (!result.problem.empty()) {
        std::fprintf(stderr, "iapctl: %s\n", result.problem.c_str());
        if (result.usage_hint) std::fputs("run 'iapctl --help' for usage\n", stderr);
    }
    if (result.output.dump() != "null") std::printf("%s\n", result.output.dump().c_str());
    return result.code;
}
