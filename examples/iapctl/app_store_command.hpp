// SPDX-License-Identifier: MIT
//
// `iapctl verify app-store-receipt --receipt FILE [--bundle-id ID] [--app-version V]
//  [--device-id ID] [--root CERT]... [--at TIME] [--allow-xcode] [--repeat N]`
//
// FILE holds the receipt as DER or base64 text. --device-id: a UUID (dashes optional) or a MAC
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

/// With `verified_out`, nothing is printed (see `verify_and_report`).
inline outcome verify_app_store_receipt_command(const std::vector<std::string>& args,
                                                iap_embedded::verification* verified_out = nullptr) {
    flags f;
    std::string problem;
    if (!f.parse(args, {"--receipt", "--bundle-id", "--app-version", "--device-id", "--root", "--at", "--repeat"},
                 {"--allow-xcode"}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--receipt"}); !missing.empty()) return outcome::usage("missing " + missing);
    long long repeat = 0;
    if (!read_repeat(f, repeat, problem)) return outcome::usage(problem);

    iap_embedded::app_store_receipt_options options;
    options.expected_bundle_id = f.value("--bundle-id").value_or("");
    options.expected_app_version = f.value("--app-version").value_or("");
    options.allow_xcode = f.has("--allow-xcode");
    if (const auto device = f.value("--device-id")) {
        auto id = iap_embedded::parse_device_identifier(*device);
        if (!id) return outcome::usage("--device-id: " + id.message());
        options.device_identifier = std::move(*id);
    }
    std::optional<outcome> failed;
    options.evaluation_time_ms = read_at(f, failed);
    if (failed) return std::move(*failed);
    options.roots = read_roots(f, failed);
    if (failed) return std::move(*failed);
    const auto receipt_file = *f.value("--receipt");
    const auto data = read_input(receipt_file);
    if (!data) return outcome::unreadable("cannot read the receipt file " + receipt_file);

    iap_embedded::verifier verifier;
    if (auto added = verifier.add_app_store(std::move(options)); !added) return rejected(added.error());
    return verify_and_report(verifier, iap_embedded::receipt::app_store(*data), repeat, verified_out,
                             verification_to_json);
}

} // namespace iapctl

#endif // IAPCTL_APP_STORE_COMMAND_HPP
