// SPDX-License-Identifier: MIT
//
// The dev server's purchases: what was seeded, which were consumed, when and by whom. With a data
// file, the whole book is written to it after every change (temp file, fsync, rename, fsync of the
// directory), so a crash leaves either the old or the new book, never a torn one; a change whose
// write fails is undone in memory too, so memory never gets ahead of the file.
#ifndef IAP_DEV_SERVER_PURCHASE_BOOK_HPP
#define IAP_DEV_SERVER_PURCHASE_BOOK_HPP

#include "json_text.hpp"

#include <iap_embedded/detail/calendar.hpp>
#include <iap_embedded/detail/file.hpp>
#include <iap_embedded/detail/json.hpp>
#include <iap_embedded/error.hpp>

#include <picojson.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace iap_dev_server {

using iap_embedded::errc;
using iap_embedded::error_info;
using iap_embedded::make_error;
using iap_embedded::result;

/// One purchase as the IAP server knows it.
struct purchase {
    std::string payment_seq;
    std::string access_token;
    std::string user_key;
    std::string market_id;          ///< GG, AS or ONESTORE
    std::string user_channel = "GF";
    std::string package_name;       ///< empty: matches any packageName
    std::string product_id;
    std::int64_t product_seq = 0;
    double price = 0;
    std::string currency;
    std::string store_purchase_id;
    bool subscription = false;
    std::int64_t expiry_time_ms = 0; ///< subscriptions only
    std::int64_t purchase_time_ms = 0;
    bool consumed = false;
    std::int64_t consumed_time_ms = 0;
    std::string consumed_by;         ///< "api" (POST /v1/service/consume) or "elsewhere"
};

/// The markets the dev server accepts.
inline bool is_known_market(const std::string& market_id) {
    return market_id == "GG" || market_id == "AS" || market_id == "ONESTORE";
}

/// "2026-03-01 10:00:00.000 UTC"
inline std::string utc_text(std::int64_t ms) {
    std::string iso = iap_embedded::detail::format_time_ms(ms);
    if (iso.size() > 11 && iso[10] == 'T') iso[10] = ' ';
    if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
    return iso + " UTC";
}

/// The purchase as the dev endpoints show it and the data file stores it. `with_utc_text` adds
/// purchaseTimeUtc / consumedTimeUtc / expiryTimeUtc for people reading it.
inline picojson::value purchase_json(const purchase& p, bool with_utc_text) {
    picojson::object o;
    o["paymentSeq"] = picojson::value(p.payment_seq);
    o["accessToken"] = picojson::value(p.access_token);
    o["userKey"] = picojson::value(p.user_key);
    o["marketId"] = picojson::value(p.market_id);
    o["userChannel"] = picojson::value(p.user_channel);
    o["packageName"] = picojson::value(p.package_name);
    o["productId"] = picojson::value(p.product_id);
    o["productSeq"] = json_number(p.product_seq);
    o["price"] = picojson::value(p.price);
    o["currency"] = picojson::value(p.currency);
    o["storePurchaseId"] = picojson::value(p.store_purchase_id);
    o["subscription"] = picojson::value(p.subscription);
    o["expiryTime"] = p.subscription ? json_number(p.expiry_time_ms) : picojson::value();
    o["purchaseTime"] = json_number(p.purchase_time_ms);
    o["consumed"] = picojson::value(p.consumed);
    o["consumedTime"] = p.consumed ? json_number(p.consumed_time_ms) : picojson::value();
    o["consumedBy"] = p.consumed ? picojson::value(p.consumed_by) : picojson::value();
    if (with_utc_text) {
        o["purchaseTimeUtc"] = picojson::value(utc_text(p.purchase_time_ms));
        o["expiryTimeUtc"] = p.subscription ? picojson::value(utc_text(p.expiry_time_ms)) : picojson::value();
        o["consumedTimeUtc"] = p.consumed ? picojson::value(utc_text(p.consumed_time_ms)) : picojson::value();
    }
    return picojson::value(std::move(o));
}

/// Reads a purchase back from the data file.
inline result<purchase> purchase_from_json(const picojson::value& v) {
    if (!v.is<picojson::object>()) return make_error(errc::malformed_input, "a purchase is not a JSON object");
    iap_embedded::detail::json_fields f(v.get<picojson::object>());
    purchase p;
    p.payment_seq = f.string("paymentSeq", true);
    p.access_token = f.string("accessToken", true);
    p.user_key = f.string("userKey", true);
    p.market_id = f.string("marketId", true);
    p.user_channel = f.string("userChannel", true);
    p.package_name = f.string("packageName");
    p.product_id = f.string("productId");
    p.product_seq = f.integer("productSeq", true).value_or(0);
    const auto* price = f.find("price");
    if (price == nullptr || !price->is<double>()) f.fail_with("the field \"price\" must be a number");
    else p.price = price->get<double>();
    p.currency = f.string("currency");
    p.store_purchase_id = f.string("storePurchaseId");
    p.subscription = f.boolean("subscription").value_or(false);
    p.expiry_time_ms = f.milliseconds("expiryTime").value_or(0);
    p.purchase_time_ms = f.milliseconds("purchaseTime", true).value_or(0);
    p.consumed = f.boolean("consumed").value_or(false);
    p.consumed_time_ms = f.milliseconds("consumedTime").value_or(0);
    p.consumed_by = f.string("consumedBy");
    if (f.failure) return *f.failure;
    if (p.payment_seq.empty()) return make_error(errc::malformed_input, "a purchase has an empty paymentSeq");
    return p;
}

/// Writes `text` to `path` through a temp file, a flush and a rename (and a flush of the
/// directory), so a reader never sees half of it and a crash leaves the old or the new file.
inline iap_embedded::result<void> write_file_atomically(const std::string& path, const std::string& text) {
    auto& fs = iap_embedded::detail::default_file_system();
    const std::string temp = path + ".tmp";
    auto file = fs.open(temp, true);
    if (!file) return file.error();
    auto written = fs.truncate(*file, 0);
    if (written) written = fs.write_at(*file, 0, text.data(), text.size());
    if (written) written = fs.sync(*file);
    fs.close(*file);
    if (!written) return written;
    if (auto renamed = fs.rename(temp, path); !renamed) return renamed;
    return fs.sync_directory_of(path);
}

class purchase_book {
public:
    /// `data_path` empty: the book lives in memory only.
    explicit purchase_book(std::string data_path) : data_path_(std::move(data_path)) {}

    const std::string& data_path() const noexcept { return data_path_; }

    /// Reads the data file when there is one. A missing file is an empty book (and is created
    /// now, so that an unwritable location fails at start, not at the first consume).
    result<void> load() {
        if (data_path_.empty()) return {};
        std::error_code exists_error;
        if (!std::filesystem::exists(data_path_, exists_error) && !exists_error) return save();
        std::ifstream in(data_path_, std::ios::binary);
        if (!in) return make_error(errc::io_error, "could not open " + data_path_);
        std::ostringstream text;
        text << in.rdbuf();
        if (in.bad()) return make_error(errc::io_error, "could not read " + data_path_);
        auto root = iap_embedded::detail::parse_json(text.str());
        if (!root) return make_error(errc::malformed_input, data_path_ + ": " + root.message());
        if (!root->is<picojson::object>()) return make_error(errc::malformed_input, data_path_ + ": not a JSON object");
        const auto& object = root->get<picojson::object>();
        iap_embedded::detail::json_fields f(object);
        if (f.string("format", true) != file_format)
            return make_error(errc::malformed_input, data_path_ + ": not an iap_dev_server data file (format is not \"" +
                                                         std::string(file_format) + "\")");
        const auto next = f.integer("nextPaymentNumber", true);
        if (f.failure) return make_error(errc::malformed_input, data_path_ + ": " + f.failure->message());
        const auto it = object.find("purchases");
        if (it == object.end() || !it->second.is<picojson::array>())
            return make_error(errc::malformed_input, data_path_ + ": \"purchases\" must be an array");
        std::vector<purchase> loaded;
        std::unordered_map<std::string, std::size_t> index;
        for (const auto& item : it->second.get<picojson::array>()) {
            auto p = purchase_from_json(item);
            if (!p) return make_error(errc::malformed_input, data_path_ + ": " + p.message());
            if (!index.emplace(p->payment_seq, loaded.size()).second)
                return make_error(errc::malformed_input, data_path_ + ": paymentSeq " + p->payment_seq + " appears twice");
            loaded.push_back(std::move(*p));
        }
        purchases_ = std::move(loaded);
        index_ = std::move(index);
        next_payment_number_ = next && *next > 0 ? static_cast<std::uint64_t>(*next) : 1;
        return {};
    }

    const std::vector<purchase>& all() const noexcept { return purchases_; }

    const purchase* find(const std::string& payment_seq) const {
        const auto it = index_.find(payment_seq);
        return it == index_.end() ? nullptr : &purchases_[it->second];
    }

    /// Adds `p` (its paymentSeq must be new) and persists the book.
    result<const purchase*> add(purchase p) {
        if (index_.count(p.payment_seq) != 0) return make_error(errc::malformed_input, "paymentSeq " + p.payment_seq + " already exists");
        index_.emplace(p.payment_seq, purchases_.size());
        purchases_.push_back(std::move(p));
        if (auto saved = save(); !saved) {
            index_.erase(purchases_.back().payment_seq);
            purchases_.pop_back();
            return saved.error();
        }
        return &purchases_.back();
    }

    /// Marks the purchase consumed at `at_ms` by `by` and persists the book.
    result<const purchase*> mark_consumed(const std::string& payment_seq, std::int64_t at_ms, const std::string& by) {
        const auto it = index_.find(payment_seq);
        if (it == index_.end()) return make_error(errc::malformed_input, "paymentSeq " + payment_seq + " not found");
        purchase& p = purchases_[it->second];
        const purchase before = p;
        p.consumed = true;
        p.consumed_time_ms = at_ms;
        p.consumed_by = by;
        if (auto saved = save(); !saved) {
            p = before;
            return saved.error();
        }
        return &p;
    }

    /// Forgets every purchase and persists the empty book.
    result<void> clear() {
        std::vector<purchase> before_purchases = std::move(purchases_);
        std::unordered_map<std::string, std::size_t> before_index = std::move(index_);
        purchases_.clear();
        index_.clear();
        if (auto saved = save(); !saved) {
            purchases_ = std::move(before_purchases);
            index_ = std::move(before_index);
            return saved;
        }
        return {};
    }

    /// A new paymentSeq in the real server's shape: 16 digits, the UTC date then a counter.
    std::string next_payment_seq(std::int64_t now_ms) {
        const std::string date = iap_embedded::detail::format_time_ms(now_ms);
        const std::string yyyymmdd = date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2);
        for (;;) {
            char counter[24];
            std::snprintf(counter, sizeof counter, "%08llu",
                          static_cast<unsigned long long>(next_payment_number_++ % 100000000ULL));
            std::string seq = yyyymmdd + counter;
            if (index_.count(seq) == 0) return seq;
        }
    }

    /// A fresh random access token (32 hex digits).
    static std::string new_access_token() {
        static std::random_device device;
        static const char hex[] = "0123456789abcdef";
        std::string token;
        for (int i = 0; i < 4; ++i) {
            std::uint32_t word = device();
            for (int j = 0; j < 8; ++j, word >>= 4) token += hex[word & 0xF];
        }
        return token;
    }

private:
    static constexpr const char* file_format = "iap_dev_server/1";

    result<void> save() {
        if (data_path_.empty()) return {};
        picojson::array items;
        items.reserve(purchases_.size());
        for (const auto& p : purchases_) items.push_back(purchase_json(p, false));
        picojson::object root;
        root["format"] = picojson::value(file_format);
        root["nextPaymentNumber"] = json_number(static_cast<std::int64_t>(next_payment_number_));
        root["purchases"] = picojson::value(std::move(items));
        const std::string text = json_text(picojson::value(std::move(root))) + "\n";

        return write_file_atomically(data_path_, text);
    }

    std::string data_path_;
    std::vector<purchase> purchases_;
    std::unordered_map<std::string, std::size_t> index_;
    std::uint64_t next_payment_number_ = 1;
};

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_PURCHASE_BOOK_HPP
