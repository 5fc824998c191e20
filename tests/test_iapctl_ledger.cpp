// SPDX-License-Identifier: MIT
//
// `iapctl ledger ...` against the built binary: exit codes, one JSON object, the consume ledger's
// semantics as seen from a shell.
#include "iapctl_runner.hpp"
#include "support.hpp"

#include <iap_embedded/base64.hpp>
#include <iap_embedded/ledger.hpp>
#include <iap_embedded/testing.hpp>

#include <catch2/catch.hpp>
#include <picojson.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

using iapctl_runner::iapctl;
using iapctl_runner::json_of;
using iapctl_runner::require_usage_error;

namespace {

const std::string go_iap = "google_play/go-iap/";

std::vector<std::string> google_args() {
    return {"google-play", "--public-key", "@" + test_support::testdata_path(go_iap + "public_key.b64"), "--data",
            test_support::testdata_path(go_iap + "signed_data.json"), "--signature",
            "@" + test_support::testdata_path(go_iap + "signature.b64")};
}

std::vector<std::string> consume_args(const std::string& ledger, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ledger", "consume", "--ledger", ledger};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto store = google_args();
    args.insert(args.end(), store.begin(), store.end());
    return args;
}

void require_error(const iapctl_runner::run_result& r, const std::string& code) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 1);
    const auto j = json_of(r);
    CHECK(j.at("error").get<std::string>() == code);
    CHECK_FALSE(j.at("message").get<std::string>().empty());
}

picojson::object ok_json(const iapctl_runner::run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return json_of(r);
}

} // namespace

TEST_CASE("iapctl ledger consume: verified, consumed once, replay rejected") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    const auto first = ok_json(iapctl(consume_args(ledger)));
    const auto& consumed = first.at("consumed").get<picojson::array>();
    REQUIRE(consumed.size() == 1);
    const auto& entry = consumed[0].get<picojson::object>();
    CHECK(entry.at("key").get<std::string>() == "google_play:some-token");
    CHECK(entry.at("kind").get<std::string>() == "non_consumable");
    CHECK(entry.count("delivered_time_ms") == 0);

    const auto replay = iapctl(consume_args(ledger));
    require_error(replay, "already_consumed");
    CHECK(json_of(replay).at("message").get<std::string>().find("consumed at") != std::string::npos);

    const auto pending = ok_json(iapctl({"ledger", "undelivered", "--ledger", ledger}));
    REQUIRE(pending.at("undelivered").get<picojson::array>().size() == 1);
    const auto delivered = ok_json(iapctl({"ledger", "deliver", "--ledger", ledger, "--key", "google_play:some-token"}));
    CHECK(delivered.at("delivered").get<std::string>() == "google_play:some-token");
    CHECK(ok_json(iapctl({"ledger", "undelivered", "--ledger", ledger})).at("undelivered").get<picojson::array>().empty());
    require_error(iapctl({"ledger", "deliver", "--ledger", ledger, "--key", "google-play:unknown"}), "malformed_input");

    const auto owned = ok_json(iapctl({"ledger", "entitlements", "--ledger", ledger, "--at", "2030-01-01T00:00:00Z"}));
    CHECK(owned.at("entitlements").get<picojson::array>().size() == 1);
    CHECK(owned.at("at_time_ms").get<double>() == 1893456000000.0);
    const auto history = ok_json(iapctl({"ledger", "history", "--ledger", ledger, "--product", "myproduct"}));
    CHECK(history.at("history").get<picojson::array>().size() == 2);
    const auto other = ok_json(iapctl({"ledger", "history", "--ledger", ledger, "--store", "app-store"}));
    CHECK(other.at("history").get<picojson::array>().empty());
}

TEST_CASE("iapctl ledger: credit, spend, balances, insufficient_balance") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    const auto consumed = ok_json(iapctl(consume_args(ledger, {"--credit", "gems=100"})));
    CHECK(consumed.at("balances").get<picojson::object>().at("gems").get<double>() == 100);
    const auto spent = ok_json(iapctl({"ledger", "spend", "--ledger", ledger, "--balance", "gems", "--amount", "30"}));
    CHECK(spent.at("value").get<double>() == 70);
    require_error(iapctl({"ledger", "spend", "--ledger", ledger, "--balance", "gems", "--amount", "71"}),
                  "insufficient_balance");
    const auto balances = ok_json(iapctl({"ledger", "balances", "--ledger", ledger}));
    CHECK(balances.at("balances").get<picojson::object>().at("gems").get<double>() == 70);
    require_error(iapctl(consume_args(ledger, {"--credit", "gems=100"})), "already_consumed");
    CHECK(ok_json(iapctl({"ledger", "balances", "--ledger", ledger})).at("balances").get<picojson::object>().at("gems").get<double>() == 70);
    CHECK(ok_json(iapctl({"ledger", "undelivered", "--ledger", ledger})).at("undelivered").get<picojson::array>().empty());
}

TEST_CASE("iapctl ledger consume: a purchase that does not verify is rejected and not recorded") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    const std::string forged = dir.write("forged.json", R"({"orderId":"x","packageName":"p","productId":"gems",)"
                                                        R"("purchaseTime":1,"purchaseState":0,"purchaseToken":"forged"})");
    std::vector<std::string> args = {"ledger", "consume", "--ledger", ledger, "google-play", "--public-key",
                                     "@" + test_support::testdata_path(go_iap + "public_key.b64"), "--data", forged,
                                     "--signature", "@" + test_support::testdata_path(go_iap + "signature.b64")};
    require_error(iapctl(args), "signature_invalid");
    CHECK(ok_json(iapctl({"ledger", "history", "--ledger", ledger})).at("history").get<picojson::array>().empty());
}

TEST_CASE("iapctl ledger: HMAC key, check, and corruption with its offset") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    const std::string key = iap_embedded::encode_base64(reinterpret_cast<const unsigned char*>("ledger secret 32 bytes long....."), 32);
    const std::string key_file = dir.write("key.b64", key + "\n");
    ok_json(iapctl(consume_args(ledger, {"--hmac-key", key})));
    const auto intact = ok_json(iapctl({"ledger", "check", "--ledger", ledger, "--hmac-key", "@" + key_file}));
    CHECK(intact.at("intact").get<bool>());
    CHECK(intact.at("records").get<double>() == 1);

    const auto no_key = iapctl({"ledger", "check", "--ledger", ledger});
    require_error(no_key, "ledger_corrupted");
    CHECK_FALSE(json_of(no_key).at("intact").get<bool>());
    require_usage_error(iapctl({"ledger", "check", "--ledger", ledger, "--hmac-key", "not base64!"}));

    auto bytes = test_support::read_file(ledger);
    bytes[bytes.size() - 40] ^= 0x10;
    dir.write("l", bytes);
    const auto damaged = iapctl({"ledger", "check", "--ledger", ledger, "--hmac-key", key});
    require_error(damaged, "ledger_corrupted");
    CHECK(json_of(damaged).at("offset").get<double>() == 68); // the first (only) record
    require_error(iapctl(consume_args(ledger, {"--hmac-key", key})), "ledger_corrupted");

    // check never creates a ledger; a missing file is an I/O error (exit 2).
    const auto missing = iapctl({"ledger", "check", "--ledger", dir.path() + "/missing"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.out.empty());
}

TEST_CASE("iapctl ledger: a ledger held by another process is ledger_locked") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    int ready[2];
    REQUIRE(pipe(ready) == 0);
    const pid_t holder = fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        auto held = iap_embedded::ledger::open(ledger);
        const char c = held ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        for (;;) pause();
    }
    char c = 0;
    REQUIRE(read(ready[0], &c, 1) == 1);
    REQUIRE(c == 'y');
    require_error(iapctl(consume_args(ledger)), "ledger_locked");
    require_error(iapctl({"ledger", "balances", "--ledger", ledger}), "ledger_locked");
    kill(holder, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(holder, &status, 0) == holder);
    close(ready[0]);
    close(ready[1]);
    ok_json(iapctl(consume_args(ledger)));
}

TEST_CASE("iapctl ledger: usage errors exit 2") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    require_usage_error(iapctl({"ledger"}));
    require_usage_error(iapctl({"ledger", "frobnicate", "--ledger", ledger}));
    require_usage_error(iapctl({"ledger", "consume", "--ledger", ledger}));
    require_usage_error(iapctl({"ledger", "consume", "google-play"}));
    require_usage_error(iapctl(consume_args(ledger, {"--credit", "gems"})));
    require_usage_error(iapctl(consume_args(ledger, {"--credit", "gems=-4"})));
    require_usage_error(iapctl({"ledger", "consume", "--ledger", ledger, "steam", "--x"}));
    require_usage_error(iapctl({"ledger", "spend", "--ledger", ledger, "--balance", "gems"}));
    require_usage_error(iapctl({"ledger", "spend", "--ledger", ledger, "--balance", "gems", "--amount", "0"}));
    require_usage_error(iapctl({"ledger", "deliver", "--ledger", ledger, "--key", "nocolon"}));
    require_usage_error(iapctl({"ledger", "entitlements", "--ledger", ledger, "--at", "yesterday"}));
    require_usage_error(iapctl({"ledger", "history", "--ledger", ledger, "--key", "google_play:x"}));
    require_usage_error(iapctl({"ledger", "check"}));
}

TEST_CASE("iapctl demo includes the ledger: consume, replay rejected, undelivered recovered") {
    const auto r = iapctl({"demo"});
    const auto j = ok_json(r);
    CHECK(j.at("demo").get<std::string>() == "passed");
    bool replay = false, recovered = false;
    for (const auto& step : j.at("steps").get<picojson::array>()) {
        const auto& text = step.get<std::string>();
        replay = replay || text.find("already_consumed") != std::string::npos;
        recovered = recovered || text.find("undelivered() lists") != std::string::npos;
    }
    CHECK(replay);
    CHECK(recovered);
}

TEST_CASE("iapctl ledger consume --payment-seq records a server consume pending") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    const auto first = ok_json(iapctl(consume_args(ledger, {"--payment-seq", "2026112710001", "--access-token", "tok-1"})));
    const auto& entry = first.at("consumed").get<picojson::array>().at(0).get<picojson::object>();
    CHECK(entry.at("payment_seq").get<std::string>() == "2026112710001");

    const auto payments = ok_json(iapctl({"ledger", "payments", "--ledger", ledger}));
    const auto& list = payments.at("payments").get<picojson::array>();
    REQUIRE(list.size() == 1);
    const auto& p = list[0].get<picojson::object>();
    CHECK(p.at("payment_seq").get<std::string>() == "2026112710001");
    CHECK(p.at("state").get<std::string>() == "pending");
    CHECK(p.at("key").get<std::string>() == "google_play:some-token");
    CHECK_FALSE(p.at("attempted").get<bool>());
    CHECK(p.count("access_token") == 0); // a credential: never printed
    CHECK(ok_json(iapctl({"ledger", "payments", "--ledger", ledger, "--state", "synced"}))
              .at("payments").get<picojson::array>().empty());

    require_usage_error(iapctl({"ledger", "payments", "--ledger", ledger, "--state", "done"}));
    require_usage_error(iapctl(consume_args(dir.path() + "/m", {"--payment-seq", "1"})));
    require_usage_error(iapctl(consume_args(dir.path() + "/m", {"--access-token", "t"})));
}

TEST_CASE("iapctl ledger link and no-payment: a purchase consumed without its payment is resolved") {
    iapctl_runner::scratch_dir dir;
    const std::string ledger = dir.path() + "/l";
    ok_json(iapctl(consume_args(ledger)));
    const auto linked = ok_json(iapctl({"ledger", "link", "--ledger", ledger, "--key", "google_play:some-token",
                                        "--payment-seq", "2026112710001", "--access-token", "tok-1"}));
    CHECK(linked.at("linked").get<picojson::object>().at("payment_seq").get<std::string>() == "2026112710001");
    const auto payments = ok_json(iapctl({"ledger", "payments", "--ledger", ledger, "--state", "pending"}));
    CHECK(payments.at("payments").get<picojson::array>().size() == 1);
    // Linked: it has a payment, so it is not declared without one.
    require_error(iapctl({"ledger", "no-payment", "--ledger", ledger, "--key", "google_play:some-token"}),
                  "malformed_input");
    require_error(iapctl({"ledger", "link", "--ledger", ledger, "--key", "google_play:other", "--payment-seq", "1",
                          "--access-token", "t"}),
                  "malformed_input");
    require_usage_error(iapctl({"ledger", "link", "--ledger", ledger, "--key", "google_play:some-token"}));

    // Declared without a payment, at the consume or later (idempotent).
    const std::string second = dir.path() + "/m";
    const auto outside = ok_json(iapctl(consume_args(second, {"--without-server-payment"})));
    CHECK(outside.at("consumed").get<picojson::array>().at(0).get<picojson::object>().at("without_server_payment").get<bool>());
    const auto declared = ok_json(iapctl({"ledger", "no-payment", "--ledger", second, "--key", "google_play:some-token"}));
    CHECK(declared.at("without_server_payment").get<picojson::object>().at("without_server_payment").get<bool>());
}
