// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-jws --jws FILE [--bundle-id ID] [--environment Production|Sandbox|Xcode]
//  [--app-apple-id N] [--root CERT]... [--at TIME] [--allow-xcode] [--repeat N]`
//
// FILE holds one compact JWS (surrounding whitespace ignored). --root: a DER or PEM certificate
// file, repeatable; given roots replace the built-in Apple Root CA - G3. --at: RFC 3339; by
// default certificates are evaluated at the payload's signing time.
#ifndef IAPCTL_APP_STORE_JWS_COMMAND_HPP
#define IAPCTL_APP_STORE_JWS_COMMAND_HPP

#include "app_store_command.hpp"
#include "cli.hpp"
#include "purchase_json.hpp"
#include "verify_command.hpp"

#include <iap_embedded/app_store_jws.hpp>
#include <iap_embedded/detail/app_receipt_payload.hpp>
#include <iap_embedded/trusted_roots.hpp>
#include <iap_embedded/verifier.hpp>

#include <optional>
#include <string>
#include <vector>

namespace iapctl {

/// With `verified_out`, nothing is printed (see `verify_and_report`).
inline outcome verify_app_store_jws_command(const std::vector<std::string>& args,
                                            iap_embedded::verification* verified_out = nullptr) {
    flags f;
    std::string problem;
    if (!f.parse(args, {"--jws", "--bundle-id", "--environment", "--app-apple-id", "--root", "--at", "--repeat"},
                 {"--allow-xcode"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--jws"}); !missing.empty()) return outcome::usage("missing " + missing);
    long long repeat = 0;
    if (!read_repeat(f, repeat, problem)) return outcome::usage(problem);

    iap_embedded::app_store_jws_options options;
    options.expected_bundle_id = f.value("--bundle-id").value_or("");
    options.allow_xcode = f.has("--allow-xcode");
    if (const auto env = f.value("--environment")) {
        if (*env == "Production") options.expected_environment = iap_embedded::app_store_environment::production;
        else if (*env == "Sandbox") options.expected_environment = iap_embedded::app_store_environment::sandbox;
        else if (*env == "Xcode") options.expected_environment = iap_embedded::app_store_environment::xcode;
        else return outcome::usage("--environment is Production, Sandbox or Xcode, not '" + *env + "'");
    }
    if (const auto id = f.value("--app-apple-id")) {
        const auto n = parse_count(*id);
        if (!n) return outcome::usage("--app-apple-id needs a positive integer, not '" + *id + "'");
        options.expected_app_apple_id = *n;
    }
    std::optional<outcome> failed;
    options.roots = read_roots(f, failed);
    if (failed) return std::move(*failed);
    options.evaluation_time_ms = read_at(f, failed);
    if (failed) return std::move(*failed);

    const auto path = *f.value("--jws");
    auto text = read_input(path);
    if (!text) return outcome::unreadable("cannot read the JWS file " + path);
    const auto first = text->find_first_not_of(" \t\r\n");
    const auto last = text->find_last_not_of(" \t\r\n");
    const std::string jws = first == std::string::npos ? std::string() : text->substr(first, last - first + 1);

    iap_embedded::verifier verifier;
    if (auto added = verifier.add_app_store_jws(std::move(options)); !added) return rejected(added.error());
    return verify_and_report(verifier, iap_embedded::receipt::app_store_jws(jws), repeat, verified_out, jws_to_json);
}

} // namespace iapctl

#endif // IAPCTL_APP_STORE_JWS_COMMAND_HPP
