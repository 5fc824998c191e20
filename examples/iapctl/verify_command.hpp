// SPDX-License-Identifier: MIT
//
// `iapctl verify google-play|one-store --public-key KEY --data FILE --signature SIG
//  [--package-name NAME] [--repeat N]`
#ifndef IAPCTL_VERIFY_COMMAND_HPP
#define IAPCTL_VERIFY_COMMAND_HPP

#include "cli.hpp"
#include "purchase_json.hpp"

#include <iap_embedded/verifier.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace iapctl {

/// Runs `verify` once as a warm-up and `repeat` more times, and adds "repeat" and "ns_per_op".
template <class Verify>
void measure_repeat(long long repeat, json& output, Verify&& verify) {
    (void)verify();
    const auto start = std::chrono::steady_clock::now();
    for (long long i = 0; i < repeat; ++i) (void)verify();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    output.set("repeat", static_cast<std::int64_t>(repeat));
    output.set("ns_per_op",
               static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count() / repeat));
}

/// Parses `--repeat`, if given. Returns false (with `problem` set) on a bad value.
inline bool read_repeat(const flags& f, long long& repeat, std::string& problem) {
    repeat = 0;
    if (const auto text = f.value("--repeat")) {
        const auto n = parse_count(*text);
        if (!n) return problem = "--repeat needs a positive integer, not '" + *text + "'", false;
        repeat = *n;
    }
    return true;
}

/// Verifies `receipt` and prints `to_json` of the result (with `--repeat` timings). With
/// `verified_out`, nothing is printed: the verification is stored there and the outcome is an
/// empty success, so that other commands (`ledger consume`) can verify first.
template <class ToJson>
outcome verify_and_report(const iap_embedded::verifier& verifier, const iap_embedded::receipt& receipt, long long repeat,
                          iap_embedded::verification* verified_out, ToJson&& to_json) {
    const auto verified = verifier.verify(receipt);
    if (!verified) return rejected(verified.error());
    if (verified_out != nullptr) return *verified_out = *verified, outcome::success(json());
    json out = to_json(*verified);
    if (repeat > 0) measure_repeat(repeat, out, [&] { return verifier.verify(receipt).has_value(); });
    return outcome::success(std::move(out));
}

/// The signed-JSON stores: Google Play and ONE store. With `verified_out`, a success is not
/// printed: the verification is stored there and the outcome is an empty success (`--repeat` is
/// ignored), so that other commands (`ledger consume`) can verify first.
inline outcome verify_signed_json_store(iap_embedded::store_kind store, const std::vector<std::string>& args,
                                        iap_embedded::verification* verified_out = nullptr) {
    flags f;
    std::string problem;
    if (!f.parse(args, {"--public-key", "--data", "--signature", "--package-name", "--repeat"}, {}, problem))
        return outcome::usage(problem);
    if (const auto missing = f.missing({"--public-key", "--data", "--signature"}); !missing.empty())
        return outcome::usage("missing " + missing);
    long long repeat = 0;
    if (!read_repeat(f, repeat, problem)) return outcome::usage(problem);

    const auto key = read_text_argument(*f.value("--public-key"));
    if (!key) return outcome::unreadable("cannot read the public key file " + f.value("--public-key")->substr(1));
    const auto data = read_input(*f.value("--data"));
    if (!data) return outcome::unreadable("cannot read the data file " + *f.value("--data"));
    const auto signature = read_text_argument(*f.value("--signature"));
    if (!signature) return outcome::unreadable("cannot read the signature file " + f.value("--signature")->substr(1));
    const std::string package = f.value("--package-name").value_or("");

    iap_embedded::verifier verifier;
    const auto added = store == iap_embedded::store_kind::google_play ? verifier.add_google_play(*key, package)
                                                                      : verifier.add_one_store(*key, package);
    if (!added) return rejected(added.error());

    const auto receipt = store == iap_embedded::store_kind::google_play ? iap_embedded::receipt::google_play(*data, *signature)
                                                                        : iap_embedded::receipt::one_store(*data, *signature);
    return verify_and_report(verifier, receipt, repeat, verified_out, verification_to_json);
}

} // namespace iapctl

#endif // IAPCTL_VERIFY_COMMAND_HPP
