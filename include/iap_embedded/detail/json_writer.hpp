// SPDX-License-Identifier: MIT
//
// A small JSON value for output (iapctl, the C interface's *_json): objects keep insertion order
// (so "valid" comes first), strings are escaped per RFC 8259, output is pretty-printed with
// two-space indents. Not part of the library's API.
#ifndef IAP_EMBEDDED_DETAIL_JSON_WRITER_HPP
#define IAP_EMBEDDED_DETAIL_JSON_WRITER_HPP

#include "iap_embedded/detail/json_escape.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

class json {
public:
    enum class kind { null, boolean, integer, string, array, object };

    json() = default;
    json(bool b) : kind_(kind::boolean), bool_(b) {}
    json(int i) : kind_(kind::integer), int_(i) {}
    json(std::int64_t i) : kind_(kind::integer), int_(i) {}
    json(std::uint64_t i) : kind_(kind::integer), int_(static_cast<std::int64_t>(i)) {}
    json(std::string s) : kind_(kind::string), string_(std::move(s)) {}
    json(std::string_view s) : kind_(kind::string), string_(s) {}
    json(const char* s) : kind_(kind::string), string_(s) {}

    static json object() { json j; j.kind_ = kind::object; return j; }
    static json array() { json j; j.kind_ = kind::array; return j; }

    /// Sets `key` (objects only); a key set twice keeps its first position and the last value.
    json& set(std::string_view key, json value) {
        for (auto& member : members_)
            if (member.first == key) return member.second = std::move(value), *this;
        members_.emplace_back(std::string(key), std::move(value));
        return *this;
    }
    /// Appends to an array.
    json& push(json value) {
        items_.push_back(std::move(value));
        return *this;
    }

    std::string dump(int indent = 0) const {
        std::string out;
        write(out, indent);
        return out;
    }

private:
    static void escape(std::string& out, const std::string& s) { append_json_string(out, s); }

    void write(std::string& out, int indent) const {
        const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
        switch (kind_) {
        case kind::null: out += "null"; break;
        case kind::boolean: out += bool_ ? "true" : "false"; break;
        case kind::integer: out += std::to_string(int_); break;
        case kind::string: escape(out, string_); break;
        case kind::array:
            if (items_.empty()) { out += "[]"; break; }
            out += "[\n";
            for (std::size_t i = 0; i < items_.size(); ++i) {
                out += pad;
                items_[i].write(out, indent + 2);
                out += i + 1 < items_.size() ? ",\n" : "\n";
            }
            out.append(static_cast<std::size_t>(indent), ' ') += ']';
            break;
        case kind::object:
            if (members_.empty()) { out += "{}"; break; }
            out += "{\n";
            for (std::size_t i = 0; i < members_.size(); ++i) {
                out += pad;
                escape(out, members_[i].first);
                out += ": ";
                members_[i].second.write(out, indent + 2);
                out += i + 1 < members_.size() ? ",\n" : "\n";
            }
            out.append(static_cast<std::size_t>(indent), ' ') += '}';
            break;
        }
    }

    kind kind_ = kind::null;
    bool bool_ = false;
    std::int64_t int_ = 0;
    std::string string_;
    std::vector<json> items_;
    std::vector<std::pair<std::string, json>> members_;
};

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_JSON_WRITER_HPP
