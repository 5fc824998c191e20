// SPDX-License-Identifier: MIT
//
// iapctl's command-line plumbing: flag parsing, KEY/@file arguments, exact-byte input files, and
// the outcome of a command (exit code, one JSON object for stdout, a message for stderr).
#ifndef IAPCTL_CLI_HPP
#define IAPCTL_CLI_HPP

#include "json_writer.hpp"

#include <iap_embedded/error.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace iapctl {

/// Exit codes of the iapctl contract.
enum exit_code : int {
    exit_ok = 0,       ///< success / valid
    exit_rejected = 1, ///< the input was read but is rejected
    exit_usage = 2,    ///< usage error or unreadable file
};

/// What a command produced.
struct outcome {
    int code = exit_ok;
    json output;         ///< printed on stdout unless null
    std::string problem; ///< printed on stderr when set
    bool usage_hint = false; ///< whether to point at --help after `problem`

    static outcome success(json out) { return {exit_ok, std::move(out), {}, false}; }
    static outcome reject(json out) { return {exit_rejected, std::move(out), {}, false}; }
    static outcome usage(std::string message) { return {exit_usage, json(), std::move(message), true}; }
    static outcome unreadable(std::string message) { return {exit_usage, json(), std::move(message), false}; }
};

/// The JSON for an iap_embedded error: `{"valid": false, "error": CODE, "message": ...}`.
inline outcome rejected(const iap_embedded::error_info& e) {
    auto out = json::object();
    out.set("valid", false);
    out.set("error", iap_embedded::to_string(static_cast<iap_embedded::errc>(e.code.value())));
    out.set("message", e.message());
    if (e.mbedtls_code != 0) out.set("mbedtls_code", e.mbedtls_code);
    return outcome::reject(std::move(out));
}

/// Parsed command-line flags: `--name value` pairs (repeatable) and boolean `--name` switches.
class flags {
public:
    /// Parses `args` against the allowed flags; fills `error` and returns false on a usage error.
    bool parse(const std::vector<std::string>& args, const std::set<std::string>& with_value,
               const std::set<std::string>& switches, std::string& error) {
        for (std::size_t i = 0; i < args.size(); ++i) {
            const std::string& a = args[i];
            if (with_value.count(a) != 0) {
                if (i + 1 >= args.size()) return error = a + " needs a value", false;
                values_[a].push_back(args[++i]);
            } else if (switches.count(a) != 0) {
                switches_.insert(a);
            } else {
                return error = "unknown argument '" + a + "'", false;
            }
        }
        return true;
    }

    bool has(const std::string& name) const { return values_.count(name) != 0 || switches_.count(name) != 0; }

    /// The last value given for `name`, or nothing.
    std::optional<std::string> value(const std::string& name) const {
        const auto it = values_.find(name);
        if (it == values_.end()) return std::nullopt;
        return it->second.back();
    }

    /// Every value given for a repeatable flag, in order.
    std::vector<std::string> values(const std::string& name) const {
        const auto it = values_.find(name);
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }

    /// Names of required flags that are missing, as "--a, --b"; empty when all are present.
    std::string missing(const std::vector<std::string>& required) const {
        std::string out;
        for (const auto& name : required)
            if (!has(name)) out += (out.empty() ? "" : ", ") + name;
        return out;
    }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::set<std::string> switches_;
};

/// Reads a file's exact bytes; `-` is standard input.
inline std::optional<std::string> read_input(const std::string& path) {
    if (path == "-") {
        std::string data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        if (std::cin.bad()) return std::nullopt;
        return data;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return data;
}

/// A KEY or SIG argument: the base64 text itself, or `@path` to a file holding it.
inline std::optional<std::string> read_text_argument(const std::string& argument) {
    if (!argument.empty() && argument[0] == '@') return read_input(argument.substr(1));
    return argument;
}

/// Parses a positive integer argument such as `--repeat`.
inline std::optional<long long> parse_count(const std::string& text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    long long n = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n < 1) return std::nullopt;
    return n;
}

} // namespace iapctl

#endif // IAPCTL_CLI_HPP
