// SPDX-License-Identifier: MIT
//
// Starts examples/iap_dev_server as a child process on loopback for one test (or benchmark), reads
// its startup line, and stops it at scope exit. `api` talks to its dev endpoints over plain
// beast_transport to seed purchases, set faults and read the server's view.
#ifndef IAP_EMBEDDED_TESTS_SYNC_DEV_SERVER_PROCESS_HPP
#define IAP_EMBEDDED_TESTS_SYNC_DEV_SERVER_PROCESS_HPP

#include <iap_embedded/beast_transport.hpp>
#include <iap_embedded/detail/json.hpp>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dev_server {

constexpr const char* app_key = "dev-app-key";

/// A running iap_dev_server. Throws std::runtime_error when it cannot be started (the tests
/// report that as a failure).
class process {
public:
    /// `args` after the executable, e.g. {"--http"}; `--app-key` and `--listen` are added unless
    /// given.
    explicit process(std::vector<std::string> args) {
        bool has_listen = false;
        for (const auto& a : args) has_listen = has_listen || a == "--listen";
        args.insert(args.begin(), {IAP_EMBEDDED_DEV_SERVER_PATH, "--app-key", app_key});
        if (!has_listen) args.insert(args.end(), {"--listen", "127.0.0.1:0"});
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            dup2(out[1], 1);
            close(out[0]);
            close(out[1]);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(&a[0]);
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(out[1]);
        std::string line;
        char c = 0;
        while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
        close(out[0]);
        auto parsed = iap_embedded::detail::parse_json(line);
        if (!parsed || !parsed->is<picojson::object>() || !parsed->get<picojson::object>().count("listening")) {
            stop();
            throw std::runtime_error("iap_dev_server did not start: '" + line + "'");
        }
        url_ = parsed->get<picojson::object>().at("listening").get<std::string>();
    }
    ~process() { stop(); }
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    /// "https://127.0.0.1:PORT" or "http://...".
    const std::string& url() const { return url_; }
    /// "127.0.0.1:PORT", for a restart on the same port.
    std::string listen_address() const { return url_.substr(url_.find("://") + 3); }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    std::string url_;
};

/// The dev endpoints of a server, over a transport that trusts it.
class api {
public:
    api(const process& server, const std::string& ca_pem) {
        iap_embedded::beast_transport_options o;
        o.ca_certificates = ca_pem;
        o.allow_plain_http = true;
        auto t = iap_embedded::beast_transport::create(server.url(), o);
        if (!t) throw std::runtime_error("dev api transport: " + t.message());
        transport_ = std::move(*t);
    }

    /// Sends a request and returns the raw response (throws when it cannot be sent).
    iap_embedded::http_response raw(const std::string& method, const std::string& target) {
        iap_embedded::http_request r;
        r.method = method;
        r.target = target;
        auto got = transport_->send(r);
        if (!got) throw std::runtime_error("dev api " + target + ": " + got.message());
        return std::move(*got);
    }

    /// Sends a dev request; the `result` member on success, else throws.
    picojson::value call(const std::string& method, const std::string& target, const std::string& body = "{}") {
        iap_embedded::http_request r;
        r.method = method;
        r.target = target;
        r.headers = {{"Content-Type", "application/json"}, {"X-NHN-TCIAP-AppKey", app_key}};
        r.body = body;
        auto got = transport_->send(r);
        if (!got) throw std::runtime_error("dev api " + target + ": " + got.message());
        auto parsed = iap_embedded::detail::parse_json(got->body);
        if (!parsed || !parsed->is<picojson::object>()) throw std::runtime_error("dev api " + target + ": " + got->body);
        const auto& o = parsed->get<picojson::object>();
        const auto& header = o.at("header").get<picojson::object>();
        if (!header.at("isSuccessful").get<bool>()) throw std::runtime_error("dev api " + target + ": " + got->body);
        const auto it = o.find("result");
        return it == o.end() ? picojson::value() : it->second;
    }

    /// Seeds a consumable purchase for `user` in market GG; returns {paymentSeq, accessToken}.
    std::pair<std::string, std::string> seed(const std::string& user, const std::string& market = "GG",
                                             int product_seq = 1000013) {
        const auto p = call("POST", "/v1/dev/purchases",
                            R"({"userKey":")" + user + R"(","marketId":")" + market + R"(","productSeq":)" +
                                std::to_string(product_seq) +
                                R"(,"productId":"gems_100","price":1200,"currency":"KRW"})");
        const auto& o = p.get<picojson::object>();
        return {o.at("paymentSeq").get<std::string>(), o.at("accessToken").get<std::string>()};
    }

    /// The server's view of one payment.
    picojson::object purchase(const std::string& payment_seq) {
        const auto list = call("GET", "/v1/dev/purchases?paymentSeq=" + payment_seq, "");
        return list.get<picojson::array>().at(0).get<picojson::object>();
    }
    bool consumed(const std::string& payment_seq) { return purchase(payment_seq).at("consumed").get<bool>(); }

    void faults(const std::string& json) { call("POST", "/v1/dev/faults", json); }
    void consume_elsewhere(const std::string& payment_seq) {
        call("POST", "/v1/dev/consume-elsewhere", R"({"paymentSeq":")" + payment_seq + R"("})");
    }

private:
    std::unique_ptr<iap_embedded::beast_transport> transport_;
};

} // namespace dev_server

#endif // IAP_EMBEDDED_TESTS_SYNC_DEV_SERVER_PROCESS_HPP
