// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-jws --jws FILE [--kind transaction|renewal_info|app_transaction|notification]
//  [--bundle-id ID] [--original-transaction-id ID] [--environment Production|Sandbox|Xcode]
//  [--allow-sandbox] [--app-apple-id N] [--root CERT]... [--at TIME] [--allow-xcode] [--repeat N]`
//
// FILE holds one compact JWS (surrounding whitespace ignored), verified as --kind (default
// transaction). --kind renewal_info needs --original-transaction-id: the originalTransactionId
// of the transaction the renewal info belongs to. Without --bundle-id the data is checked against
// the bundle id it names itself (`"bundle_id_checked": false`); without --environment,
// Production and Sandbox data are accepted (see app_store_command.hpp). --root: a DER or PEM certificate
// file, repeatable; given roots replace the built-in Apple Root CA - G3. --at: RFC 3339; by
// default certificates are evaluated at the payload's signing time.
#ifndef IAPCTL_APP_STORE_JWS_COMMAND_HPP
#define IAPCTL_APP_STORE_JWS_COMMAND_HPP

#include "app_store_command.hpp"
#include "cli.hpp"
#include "purchase_json.hpp"
#include "verify_command.hpp"

#include <iap_embedded/app_store_jws.hpp>
#include <iap_embedded/base64.hpp>
#include <iap_embedded/detail/app_receipt_payload.hpp>
#include <iap_embedded/detail/json.hpp>
#include <iap_embedded/trusted_roots.hpp>
#include <iap_embedded/verifier.hpp>

#include <optional>
#include <string>
#include <vector>

namespace iapctl {

/// The bundle id a JWS of `kind` names, read WITHOUT verifying anything; empty when it names
/// none or cannot be read (verification then says why).
inline std::string unverified_jws_bundle_id(const std::string& jws, iap_embedded::app_store_jws_kind kind) {
    const auto first = jws.find('.');
    const auto second = first == std::string::npos ? first : jws.find('.', first + 1);
    if (second == std::string::npos) return {};
    const auto bytes = iap_embedded::decode_base64url(std::string_view(jws).substr(first + 1, second - first - 1));
    if (!bytes) return {};
    const auto payload = iap_embedded::detail::parse_json({reinterpret_cast<const char*>(bytes->data()), bytes->size()});
    if (!payload || !payload->is<picojson::object>()) return {};
    const picojson::object* identity = iap_embedded::detail::jws_identity(payload->get<picojson::object>(), kind);
    if (identity == nullptr) return {};
    const auto it = identity->find("bundleId");
    return it != identity->end() && it->second.is<std::string>() ? it->second.get<std::string>() : std::string();
}

/// With `verified_out`, nothing is printed (see `verify_and_report`).
inline outcome verify_app_store_jws_command(const std::vector<std::string>& args,
                                            iap_embedded::verification* verified_out = nullptr) {
    flags f;
    std::string problem;
    if (!f.parse(args,
                 {"--jws", "--kind", "--bundle-id", "--original-transaction-id", "--environment", "--app-apple-id",
                  "--root", "--at", "--repeat"},
                 {"--allow-xcode", "--allow-sandbox"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--jws"}); !missing.empty()) return outcome::usage("missing " + missing);
    long long repeat = 0;
    if (!read_repeat(f, repeat, problem)) return outcome::usage(problem);

    using iap_embedded::app_store_jws_kind;
    iap_embedded::app_store_jws_options options;
    if (const auto kind = f.value("--kind")) {
        bool known = false;
        for (const auto k : {app_store_jws_kind::transaction, app_store_jws_kind::renewal_info,
                             app_store_jws_kind::app_transaction, app_store_jws_kind::notification})
            if (*kind == iap_embedded::to_string(k)) options.kind = k, known = true;
        if (!known)
            return outcome::usage("--kind is transaction, renewal_info, app_transaction or notification, not '" + *kind +
                                  "'");
    }
    const auto original = f.value("--original-transaction-id");
    if (options.kind == app_store_jws_kind::renewal_info && !original)
        return outcome::usage("--kind renewal_info needs --original-transaction-id: the originalTransactionId of the "
                              "verified transaction the renewal info belongs to");
    if (options.kind != app_store_jws_kind::renewal_info && original)
        return outcome::usage("--original-transaction-id is for --kind renewal_info only");
    options.expected_original_transaction_id = original.value_or("");
    options.allow_xcode = f.has("--allow-xcode");
    std::optional<outcome> environment_problem;
    read_environment(f, options, environment_problem);
    if (environment_problem) return std::move(*environment_problem);
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
    const bool bundle_id_checked = f.value("--bundle-id").has_value();
    if (bundle_id_checked) {
        options.expected_bundle_id = *f.value("--bundle-id");
    } else {
        options.expected_bundle_id = unverified_jws_bundle_id(jws, options.kind);
        if (options.expected_bundle_id.empty()) options.expected_bundle_id = no_bundle_id_named;
    }

    iap_embedded::verifier verifier;
    if (auto added = verifier.add_app_store_jws(std::move(options)); !added) return rejected(added.error());
    return verify_and_report(verifier, iap_embedded::receipt::app_store_jws(jws), repeat, verified_out,
                             with_bundle_id_checked(bundle_id_checked, jws_to_json));
}

} // namespace iapctl

#endif // IAPCTL_APP_STORE_JWS_COMMAND_HPP
