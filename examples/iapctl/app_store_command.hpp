// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-receipt --receipt FILE [--bundle-id ID] [--app-version V]
//  [--device-id ID] [--environment Production|Sandbox|Xcode] [--allow-sandbox] [--root CERT]...
//  [--at TIME] [--allow-xcode] [--repeat N]`
//
// FILE holds the receipt as DER or base64 text. Without --bundle-id the receipt is checked
// against the bundle id it names itself (`"bundle_id_checked": false` in the output): the
// library requires the app's bundle id, a support tool may not know it. Without --environment
// Production and Sandbox receipts are accepted (the output says which); with it, only that
// environment, and Sandbox too with --allow-sandbox. --device-id: a UUID (dashes optional) or a MAC
// address (12 hex digits, colons optional). --root: a DER or PEM certificate file, repeatable;
// given roots replace the built-in Apple Root CA. --at: RFC 3339; by default certificates are
// evaluated at the receipt's creation date.
#ifndef IAPCTL_APP_STORE_COMMAND_HPP
#define IAPCTL_APP_STORE_COMMAND_HPP

#include "cli.hpp"
#include "purchase_json.hpp"
#include "verify_command.hpp"

#include <iap_embedded/app_store.hpp>
#include <iap_embedded/detail/app_receipt_payload.hpp>
#include <iap_embedded/trusted_roots.hpp>
#include <iap_embedded/verifier.hpp>

#include <optional>
#include <string>
#include <vector>

namespace iapctl {

/// Reads every `--root` file into trusted roots; nothing when no `--root` was given. On failure,
/// `problem` holds the outcome to return.
inline std::optional<iap_embedded::trusted_roots> read_roots(const flags& f, std::optional<outcome>& problem) {
    const auto files = f.values("--root");
    if (files.empty()) return std::nullopt;
    std::vector<std::string> certificates;
    for (const auto& path : files) {
        auto bytes = read_input(path);
        if (!bytes) return problem = outcome::unreadable("cannot read the root certificate file " + path), std::nullopt;
        certificates.push_back(std::move(*bytes));
    }
    auto roots = iap_embedded::trusted_roots::from_certificates(certificates);
    if (!roots) return problem = rejected(roots.error()), std::nullopt;
    return std::move(*roots);
}

/// Parses `--at` (RFC 3339) into milliseconds. On failure, `problem` holds the outcome to return.
inline std::optional<std::int64_t> read_at(const flags& f, std::optional<outcome>& problem) {
    const auto at = f.value("--at");
    if (!at) return std::nullopt;
    const auto ms = iap_embedded::detail::parse_receipt_time_ms(*at);
    if (!ms) problem = outcome::usage("--at needs an RFC 3339 time such as 2026-03-01T10:00:00Z, not '" + *at + "'");
    return ms;
}

/// The expected bundle id when `--bundle-id` is absent and the data names none: never a bundle
/// id, so that the library reports what is wrong with the data itself.
constexpr const char* no_bundle_id_named = "(the data names no bundle id)";

/// `--environment` and `--allow-sandbox` into `options`; without `--environment`, Production
/// and Sandbox. On a bad value, `problem` holds the outcome to return.
template <class Options>
void read_environment(const flags& f, Options& options, std::optional<outcome>& problem) {
    using iap_embedded::app_store_environment;
    options.allow_sandbox = f.has("--allow-sandbox");
    const auto env = f.value("--environment");
    if (!env) {
        options.expected_environment = app_store_environment::production;
        options.allow_sandbox = true;
    } else if (*env == "Production") {
        options.expected_environment = app_store_environment::production;
    } else if (*env == "Sandbox") {
        options.expected_environment = app_store_environment::sandbox;
    } else if (*env == "Xcode") {
        options.expected_environment = app_store_environment::xcode;
    } else {
        problem = outcome::usage("--environment is Production, Sandbox or Xcode, not '" + *env + "'");
    }
}

/// `to_json` of a verification, with `"bundle_id_checked"`: whether the bundle id was the
/// caller's (`--bundle-id`) or the one the data names.
template <class ToJson>
auto with_bundle_id_checked(bool checked, ToJson to_json) {
    return [checked, to_json](const iap_embedded::verification& v) {
        json out = to_json(v);
        out.set("bundle_id_checked", checked);
        return out;
    };
}

/// With `verified_out`, nothing is printed (see `verify_and_report`).
inline outcome verify_app_store_receipt_command(const std::vector<std::string>& args,
                                                iap_embedded::verification* verified_out = nullptr) {
    flags f;
    std::string problem;
    if (!f.parse(args,
                 {"--receipt", "--bundle-id", "--app-version", "--device-id", "--environment", "--root", "--at",
                  "--repeat"},
                 {"--allow-xcode", "--allow-sandbox"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--receipt"}); !missing.empty()) return outcome::usage("missing " + missing);
    long long repeat = 0;
    if (!read_repeat(f, repeat, problem)) return outcome::usage(problem);

    iap_embedded::app_store_receipt_options options;
    options.expected_app_version = f.value("--app-version").value_or("");
    options.allow_xcode = f.has("--allow-xcode");
    if (const auto device = f.value("--device-id")) {
        auto id = iap_embedded::parse_device_identifier(*device);
        if (!id) return outcome::usage("--device-id: " + id.message());
        options.device_identifier = std::move(*id);
    }
    std::optional<outcome> failed;
    read_environment(f, options, failed);
    if (failed) return std::move(*failed);
    options.evaluation_time_ms = read_at(f, failed);
    if (failed) return std::move(*failed);
    options.roots = read_roots(f, failed);
    if (failed) return std::move(*failed);
    const auto receipt_file = *f.value("--receipt");
    const auto data = read_input(receipt_file);
    if (!data) return outcome::unreadable("cannot read the receipt file " + receipt_file);
    const bool bundle_id_checked = f.value("--bundle-id").has_value();
    if (bundle_id_checked) {
        options.expected_bundle_id = *f.value("--bundle-id");
    } else {
        const auto named = iap_embedded::parse_unverified_app_store_receipt(*data);
        options.expected_bundle_id = named && !named->bundle_id.empty() ? named->bundle_id : no_bundle_id_named;
    }

    iap_embedded::verifier verifier;
    if (auto added = verifier.add_app_store(std::move(options)); !added) return rejected(added.error());
    return verify_and_report(verifier, iap_embedded::receipt::app_store(*data), repeat, verified_out,
                             with_bundle_id_checked(bundle_id_checked, verification_to_json));
}

} // namespace iapctl

#endif // IAPCTL_APP_STORE_COMMAND_HPP
