// SPDX-License-Identifier: MIT
//
// picojson, contained. The parse context below never lets picojson throw (non-finite numbers are
// refused before picojson's throwing constructor can see them; picojson ignores the context's
// answer for numbers, so the refusal is flagged and checked after parsing), refuses duplicate keys (two
// readers of one signed document must never see two different values), and bounds nesting.
// Typed field readers turn a wrong type into `malformed_input` instead of picojson's assert.
#ifndef IAP_EMBEDDED_DETAIL_JSON_HPP
#define IAP_EMBEDDED_DETAIL_JSON_HPP

#include "iap_embedded/error.hpp"

#include <picojson.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

class strict_json_context {
public:
    strict_json_context(picojson::value* out, std::size_t depth_left, bool* duplicate_key, bool* non_finite) noexcept
        : out_(out), depth_left_(depth_left), duplicate_key_(duplicate_key), non_finite_(non_finite) {}
    strict_json_context(const strict_json_context&) = delete;
    strict_json_context& operator=(const strict_json_context&) = delete;

    bool set_null() { *out_ = picojson::value(); return true; }
    bool set_bool(bool b) { *out_ = picojson::value(b); return true; }
    bool set_number(double f) {
        if (!std::isfinite(f)) {
            *non_finite_ = true;
            return false;
        }
        *out_ = picojson::value(f);
        return true;
    }
#ifdef PICOJSON_USE_INT64
    bool set_int64(std::int64_t i) { *out_ = picojson::value(i); return true; }
#endif
    template <class Iter>
    bool parse_string(picojson::input<Iter>& in) {
        *out_ = picojson::value(picojson::string_type, false);
        return picojson::_parse_string(out_->get<std::string>(), in);
    }
    bool parse_array_start() { return enter(picojson::array_type); }
    template <class Iter>
    bool parse_array_item(picojson::input<Iter>& in, std::size_t) {
        auto& items = out_->get<picojson::array>();
        items.emplace_back();
        strict_json_context child(&items.back(), depth_left_, duplicate_key_, non_finite_);
        return picojson::_parse(child, in);
    }
    bool parse_array_stop(std::size_t) { ++depth_left_; return true; }
    bool parse_object_start() { return enter(picojson::object_type); }
    template <class Iter>
    bool parse_object_item(picojson::input<Iter>& in, const std::string& key) {
        auto& members = out_->get<picojson::object>();
        if (members.count(key) != 0) {
            *duplicate_key_ = true;
            return false;
        }
        strict_json_context child(&members[key], depth_left_, duplicate_key_, non_finite_);
        return picojson::_parse(child, in);
    }
    bool parse_object_stop() { ++depth_left_; return true; }

private:
    bool enter(int type) {
        if (depth_left_ == 0) return false;
        --depth_left_;
        *out_ = picojson::value(type, false);
        return true;
    }

    picojson::value* out_;
    std::size_t depth_left_;
    bool* duplicate_key_;
    bool* non_finite_;
};

/// Parses one JSON document; only whitespace may follow it.
inline result<picojson::value> parse_json(std::string_view text) {
    picojson::value root;
    bool duplicate_key = false;
    bool non_finite = false;
    bool parsed = false;
    picojson::input<const char*> in(text.data(), text.data() + text.size());
#if IAP_EMBEDDED_HAS_EXCEPTIONS
    try {
#endif
        strict_json_context ctx(&root, IAP_EMBEDDED_MAX_JSON_DEPTH, &duplicate_key, &non_finite);
        parsed = picojson::_parse(ctx, in);
#if IAP_EMBEDDED_HAS_EXCEPTIONS
    } catch (...) { // only std::bad_alloc can get here; keep it inside the library
        return make_error(errc::internal_error, "out of memory while parsing JSON");
    }
#endif
    if (duplicate_key) return make_error(errc::malformed_input, "the JSON has a duplicate key");
    if (non_finite) return make_error(errc::malformed_input, "the JSON has a number out of the finite range (such as 1e999)");
    if (!parsed)
        return make_error(errc::malformed_input, "not valid JSON (syntax error, non-finite number or nesting deeper than " +
                                                     std::to_string(IAP_EMBEDDED_MAX_JSON_DEPTH) + ") near line " +
                                                     std::to_string(in.line()));
    in.skip_ws();
    if (in.getc() != -1) return make_error(errc::malformed_input, "data after the end of the JSON document");
    return root;
}

/// Reads typed members of one JSON object. The first type error is kept in `failure`; reads after
/// it return empty values, so a mapping can read every field and check once at the end.
class json_fields {
public:
    explicit json_fields(const picojson::object& object) noexcept : object_(object) {}

    const picojson::value* find(const char* key) const {
        const auto it = object_.find(key);
        return it == object_.end() ? nullptr : &it->second;
    }

    std::string string(const char* key, bool required = false) {
        const auto* v = present(key, required);
        if (v == nullptr) return {};
        if (!v->is<std::string>()) return fail(key, "a string"), std::string{};
        return v->get<std::string>();
    }

    std::optional<bool> boolean(const char* key, bool required = false) {
        const auto* v = present(key, required);
        if (v == nullptr) return std::nullopt;
        if (!v->is<bool>()) return fail(key, "true or false"), std::nullopt;
        return v->get<bool>();
    }

    /// An integral JSON number, exactly representable (|n| <= 2^53).
    std::optional<std::int64_t> integer(const char* key, bool required = false) {
        const auto* v = present(key, required);
        if (v == nullptr) return std::nullopt;
        if (!v->is<double>()) return fail(key, "a number"), std::nullopt;
        const double d = v->get<double>();
        constexpr double exact_limit = 9007199254740992.0; // 2^53
        if (!(std::fabs(d) <= exact_limit) || std::floor(d) != d) return fail(key, "an integer"), std::nullopt;
        return static_cast<std::int64_t>(d);
    }

    /// A time in milliseconds since the epoch. Xcode writes fractional milliseconds: they are
    /// rounded down.
    std::optional<std::int64_t> milliseconds(const char* key, bool required = false) {
        const auto* v = present(key, required);
        if (v == nullptr) return std::nullopt;
        if (!v->is<double>()) return fail(key, "a number of milliseconds"), std::nullopt;
        const double d = std::floor(v->get<double>());
        constexpr double exact_limit = 9007199254740992.0; // 2^53
        if (!(std::fabs(d) <= exact_limit)) return fail(key, "a time within +-2^53 ms"), std::nullopt;
        return static_cast<std::int64_t>(d);
    }

    /// The object member `key`, or nullptr (absent or null; a non-object is a failure).
    const picojson::object* object(const char* key, bool required = false) {
        const auto* v = present(key, required);
        if (v == nullptr) return nullptr;
        if (!v->is<picojson::object>()) return fail(key, "an object"), nullptr;
        return &v->get<picojson::object>();
    }

    std::vector<std::string> string_array(const char* key, bool required = false) {
        std::vector<std::string> out;
        const auto* v = present(key, required);
        if (v == nullptr) return out;
        if (!v->is<picojson::array>()) return fail(key, "an array of strings"), out;
        for (const auto& item : v->get<picojson::array>()) {
            if (!item.is<std::string>()) return fail(key, "an array of strings"), std::vector<std::string>{};
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    /// Records a failure found by the caller's own checks (the first one wins).
    void fail_with(std::string message) {
        if (!failure) failure = make_error(errc::malformed_input, std::move(message));
    }

    std::optional<error_info> failure;

private:
    const picojson::value* present(const char* key, bool required) {
        if (failure) return nullptr;
        const auto* v = find(key);
        if (v != nullptr && v->is<picojson::null>()) v = nullptr; // null means absent
        if (v == nullptr && required) fail_with(std::string("the field \"") + key + "\" is missing");
        return v;
    }
    void fail(const char* key, const char* expected) {
        fail_with(std::string("the field \"") + key + "\" must be " + expected);
    }

    const picojson::object& object_;
};

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_JSON_HPP
