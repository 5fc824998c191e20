// SPDX-License-Identifier: MIT
//
// Runs the built iapctl binary for tests and checks the contract's shape: exit codes 0/1/2,
// exactly one JSON object on stdout, messages on stderr.
//
// IAP_EMBEDDED_TEST_EXE_WRAPPER (environment, optional): a command put before iapctl, as shell
// words, for a cross build whose binaries this machine cannot exec directly. tools/check_cross.sh
// sets it to "qemu-aarch64 -L /" (or qemu-arm, qemu-s390x): the tests themselves already run under
// qemu-user, but a program they start is exec'd by the host kernel, which without binfmt_misc
// refuses a foreign executable.
#ifndef IAP_EMBEDDED_TESTS_IAPCTL_RUNNER_HPP
#define IAP_EMBEDDED_TESTS_IAPCTL_RUNNER_HPP

#include "support.hpp"

#include <catch2/catch.hpp>
#include <picojson.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace iapctl_runner {

struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

using test_support::scratch_dir;
using test_support::shell_quote;

// The wrapper words from IAP_EMBEDDED_TEST_EXE_WRAPPER followed by a space, or "" when unset.
inline std::string exe_wrapper_prefix() {
    const char* wrapper = std::getenv("IAP_EMBEDDED_TEST_EXE_WRAPPER");
    return wrapper != nullptr && *wrapper != '\0' ? std::string(wrapper) + " " : std::string();
}

// Runs iapctl with `args`; `stdin_file` (optional) is redirected to its standard input.
inline run_result iapctl(const std::vector<std::string>& args, const std::string& stdin_file = "") {
    static const scratch_dir capture;
    std::string cmd = exe_wrapper_prefix() + shell_quote(IAP_EMBEDDED_IAPCTL_PATH);
    for (const auto& a : args) cmd += " " + shell_quote(a);
    const std::string out_path = capture.path() + "/stdout";
    const std::string err_path = capture.path() + "/stderr";
    cmd += " >" + shell_quote(out_path) + " 2>" + shell_quote(err_path);
    cmd += " <" + shell_quote(stdin_file.empty() ? "/dev/null" : stdin_file);
    const int status = std::system(cmd.c_str());
    run_result r;
    REQUIRE(WIFEXITED(status));
    r.exit_code = WEXITSTATUS(status);
    r.out = test_support::read_file(out_path);
    r.err = test_support::read_file(err_path);
    return r;
}

// stdout must be exactly one JSON object (and a trailing newline).
inline picojson::object json_of(const run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    picojson::value v;
    const std::string error = picojson::parse(v, r.out);
    REQUIRE(error.empty());
    REQUIRE(v.is<picojson::object>());
    REQUIRE(r.out.back() == '\n');
    return v.get<picojson::object>();
}

inline void require_rejected(const run_result& r, const std::string& code) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 1);
    const auto j = json_of(r);
    CHECK(j.at("valid").get<bool>() == false);
    CHECK(j.at("error").get<std::string>() == code);
    CHECK_FALSE(j.at("message").get<std::string>().empty());
}

inline void require_usage_error(const run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("iapctl: ") == 0);
}

} // namespace iapctl_runner

#endif // IAP_EMBEDDED_TESTS_IAPCTL_RUNNER_HPP
