// SPDX-License-Identifier: MIT
//
// Helpers shared by the ledger tests: scratch directories, sample purchases, raw file access and a
// file layer that fails the k-th operation of a chosen kind.
#ifndef IAP_EMBEDDED_TESTS_TEST_LEDGER_SUPPORT_HPP
#define IAP_EMBEDDED_TESTS_TEST_LEDGER_SUPPORT_HPP

#include <iap_embedded/ledger.hpp>
#include <iap_embedded/detail/file.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace ledger_test {

using test_support::scratch_dir;
using test_support::shell_quote;

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// A verified-looking Google Play purchase keyed by `token`.
inline iap_embedded::purchase google_purchase(const std::string& token, const std::string& product = "gems_100",
                                              std::int64_t purchase_time_ms = 1767225600000) {
    iap_embedded::purchase p;
    p.store = iap_embedded::store_kind::google_play;
    p.product_id = product;
    p.purchase_token = token;
    p.order_id = "GPA." + token;
    p.purchase_time_ms = purchase_time_ms;
    return p;
}

/// An App Store subscription transaction.
inline iap_embedded::purchase apple_subscription(const std::string& transaction_id, std::int64_t purchase_ms,
                                                 std::int64_t expires_ms) {
    iap_embedded::purchase p;
    p.store = iap_embedded::store_kind::app_store;
    p.product_id = "pro_monthly";
    p.transaction_id = transaction_id;
    p.original_transaction_id = transaction_id;
    p.purchase_time_ms = purchase_ms;
    p.expires_time_ms = expires_ms;
    return p;
}

/// Opens the ledger at `path`, failing the test when it does not open.
inline iap_embedded::ledger open_ok(const std::string& path, iap_embedded::ledger_options options = {}) {
    auto opened = iap_embedded::ledger::open(path, options);
    INFO(opened.message());
    REQUIRE(opened);
    return std::move(*opened);
}

inline iap_embedded::purchase_key google_key(const std::string& token) {
    return {iap_embedded::store_kind::google_play, token};
}

/// The POSIX file layer, except that the `fail_at`-th call of the operation `kind` fails with
/// `error` (a write first writes half of its bytes, as a full disk does).
class faulty_files final : public iap_embedded::detail::file_system {
public:
    enum class op { write, sync, truncate, rename, sync_directory };

    faulty_files(op kind, int fail_at, int error) : kind_(kind), fail_at_(fail_at), error_(error) {}

    bool triggered() const { return triggered_; }
    /// Makes every truncate fail too, so a failed write cannot be undone.
    void fail_every_truncate() { every_truncate_ = true; }

    iap_embedded::result<iap_embedded::detail::native_file> open(const std::string& path, bool create) override {
        return real().open(path, create);
    }
    void close(iap_embedded::detail::native_file f) noexcept override { real().close(f); }
    iap_embedded::result<std::uint64_t> size(iap_embedded::detail::native_file f) override { return real().size(f); }
    iap_embedded::result<std::size_t> read_at(iap_embedded::detail::native_file f, std::uint64_t offset, void* buffer,
                                              std::size_t n) override {
        return real().read_at(f, offset, buffer, n);
    }
    iap_embedded::result<void> write_at(iap_embedded::detail::native_file f, std::uint64_t offset, const void* data,
                                        std::size_t n) override {
        if (fails(op::write)) {
            (void)real().write_at(f, offset, data, n / 2);
            return injected("pwrite");
        }
        return real().write_at(f, offset, data, n);
    }
    iap_embedded::result<void> sync(iap_embedded::detail::native_file f) override {
        if (fails(op::sync)) return injected("fdatasync");
        return real().sync(f);
    }
    iap_embedded::result<void> truncate(iap_embedded::detail::native_file f, std::uint64_t size) override {
        if (every_truncate_ || fails(op::truncate)) return injected("ftruncate");
        return real().truncate(f, size);
    }
    iap_embedded::result<void> lock(iap_embedded::detail::native_file f) override { return real().lock(f); }
    iap_embedded::result<bool> is_current(iap_embedded::detail::native_file f, const std::string& path) override {
        return real().is_current(f, path);
    }
    iap_embedded::result<void> rename(const std::string& from, const std::string& to) override {
        if (fails(op::rename)) return injected("rename");
        return real().rename(from, to);
    }
    iap_embedded::result<void> sync_directory_of(const std::string& path) override {
        if (fails(op::sync_directory)) return injected("fsync directory");
        return real().sync_directory_of(path);
    }
    iap_embedded::result<void> remove(const std::string& path) override { return real().remove(path); }

private:
    static iap_embedded::detail::file_system& real() { return iap_embedded::detail::default_file_system(); }
    bool fails(op o) {
        if (o != kind_) return false;
        if (++count_ != fail_at_) return false;
        triggered_ = true;
        return true;
    }
    iap_embedded::error_info injected(const char* what) const {
        return iap_embedded::make_error(iap_embedded::errc::io_error,
                                        std::string(what) + " failed: " + std::strerror(error_) + " (injected)");
    }

    op kind_;
    int fail_at_;
    int error_;
    int count_ = 0;
    bool triggered_ = false;
    bool every_truncate_ = false;
};

} // namespace ledger_test

#endif // IAP_EMBEDDED_TESTS_TEST_LEDGER_SUPPORT_HPP
