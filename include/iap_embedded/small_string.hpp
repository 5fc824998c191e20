// SPDX-License-Identifier: MIT
//
// The text type of the purchase model: a string that keeps up to 39 bytes inside the object and
// only longer text on the heap. Its text is replaced whole, never edited in place (no append, no
// resize). Store ids are short (an App Store transaction id has 16 to 19 digits, product ids and
// order ids rarely pass 30 characters), so a verified purchase usually owns no heap memory at
// all, and an App Store receipt listing hundreds of purchases costs no allocation per purchase.
//
// It reads like a std::string: it converts implicitly to std::string_view and std::string, so it
// can be passed to a function taking either, compared with and appended to string literals,
// std::string and std::string_view (`+` gives a std::string), printed with <<, hashed, and used
// as a map key.
//
//     if (p.product_id == "gems_100") grant(p.product_id);   // grant(const std::string&) works
//     std::string copy = p.transaction_id;                    // or p.transaction_id.str()
#ifndef IAP_EMBEDDED_SMALL_STRING_HPP
#define IAP_EMBEDDED_SMALL_STRING_HPP

#include "iap_embedded/config.hpp"

#include <cstddef>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace iap_embedded {
inline namespace v1 {

class small_string;

namespace detail {
// What small_string's mixed comparisons take: anything else that converts to std::string_view.
template <class T>
constexpr bool is_text_v =
    std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<std::decay_t<T>, small_string>;
} // namespace detail

/// A string with inline storage for `inline_capacity` bytes; longer text goes to the heap. Always
/// NUL-terminated (`c_str()`); it may hold any bytes, NUL included.
class small_string {
public:
    /// The longest text kept inside the object (sizeof(small_string) is 48 on 64-bit targets).
    static constexpr std::size_t inline_capacity = 39;

    small_string() noexcept { inline_[0] = '\0'; }
    small_string(std::string_view text) : small_string() { assign(text); }
    small_string(const char* text) : small_string() { assign(view_of(text)); }
    small_string(const std::string& text) : small_string() { assign(text); }
    small_string(const small_string& other) : small_string() { assign(other.view()); }
    /// Leaves `other` empty.
    small_string(small_string&& other) noexcept { take(other); }
    ~small_string() { release(); }

    small_string& operator=(const small_string& other) {
        if (this != &other) assign(other.view());
        return *this;
    }
    /// Leaves `other` empty.
    small_string& operator=(small_string&& other) noexcept {
        if (this != &other) {
            release();
            take(other);
        }
        return *this;
    }
    small_string& operator=(std::string_view text) { return assign(text); }
    small_string& operator=(const char* text) { return assign(view_of(text)); }
    small_string& operator=(const std::string& text) { return assign(text); }

    /// Replaces the text; `text` may point into this string.
    small_string& assign(std::string_view text) {
        const std::size_t n = text.size();
        if (n <= inline_capacity) {
            char* const old_heap = on_heap() ? heap_ : nullptr;
            if (n != 0) std::memmove(inline_, text.data(), n); // text may be inline_ itself
            inline_[n] = '\0';
            size_ = n;
            delete[] old_heap; // after the copy: text may have pointed into it
        } else {
            char* const fresh = new char[n + 1];
            std::memcpy(fresh, text.data(), n);
            fresh[n] = '\0';
            release();
            heap_ = fresh;
            size_ = n;
        }
        return *this;
    }

    void clear() noexcept {
        release();
        size_ = 0;
        inline_[0] = '\0';
    }

    const char* data() const noexcept { return on_heap() ? heap_ : inline_; }
    const char* c_str() const noexcept { return data(); }
    std::size_t size() const noexcept { return size_; }
    std::size_t length() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const char* begin() const noexcept { return data(); }
    const char* end() const noexcept { return data() + size_; }
    /// The byte at `i`; `i == size()` gives the terminating NUL.
    char operator[](std::size_t i) const noexcept { return data()[i]; }

    std::string_view view() const noexcept { return {data(), size_}; }
    std::string str() const { return std::string(data(), size_); }
    operator std::string_view() const noexcept { return view(); }
    operator std::string() const { return str(); }

    friend bool operator==(const small_string& a, const small_string& b) noexcept { return a.view() == b.view(); }
    friend bool operator!=(const small_string& a, const small_string& b) noexcept { return a.view() != b.view(); }
    friend bool operator<(const small_string& a, const small_string& b) noexcept { return a.view() < b.view(); }
    friend bool operator>(const small_string& a, const small_string& b) noexcept { return a.view() > b.view(); }
    friend bool operator<=(const small_string& a, const small_string& b) noexcept { return a.view() <= b.view(); }
    friend bool operator>=(const small_string& a, const small_string& b) noexcept { return a.view() >= b.view(); }

    // Comparisons with literals, std::string and std::string_view, on either side.
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator==(const small_string& a, const T& b) noexcept { return a.view() == std::string_view(b); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator==(const T& a, const small_string& b) noexcept { return std::string_view(a) == b.view(); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator!=(const small_string& a, const T& b) noexcept { return a.view() != std::string_view(b); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator!=(const T& a, const small_string& b) noexcept { return std::string_view(a) != b.view(); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator<(const small_string& a, const T& b) noexcept { return a.view() < std::string_view(b); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend bool operator<(const T& a, const small_string& b) noexcept { return std::string_view(a) < b.view(); }

    // Concatenation gives a std::string, as with std::string operands.
    friend std::string operator+(const small_string& a, const small_string& b) { return concat(a.view(), b.view()); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend std::string operator+(const small_string& a, const T& b) { return concat(a.view(), std::string_view(b)); }
    template <class T, class = std::enable_if_t<detail::is_text_v<T>>>
    friend std::string operator+(const T& a, const small_string& b) { return concat(std::string_view(a), b.view()); }
    // One char, exactly (an int is not silently taken as one).
    template <class C, class = std::enable_if_t<std::is_same_v<C, char>>>
    friend std::string operator+(const small_string& a, C b) { return concat(a.view(), std::string_view(&b, 1)); }
    template <class C, class = std::enable_if_t<std::is_same_v<C, char>>>
    friend std::string operator+(C a, const small_string& b) { return concat(std::string_view(&a, 1), b.view()); }

    template <class Traits>
    friend std::basic_ostream<char, Traits>& operator<<(std::basic_ostream<char, Traits>& os, const small_string& s) {
        return os << s.view();
    }

private:
    // Heap storage exactly when the text does not fit inline.
    bool on_heap() const noexcept { return size_ > inline_capacity; }

    // A null pointer reads as the empty string.
    static std::string_view view_of(const char* text) noexcept {
        return text == nullptr ? std::string_view() : std::string_view(text);
    }

    // Takes other's text (its heap block, or a copy of its inline bytes) and empties it; this
    // string owns nothing yet.
    void take(small_string& other) noexcept {
        size_ = other.size_;
        if (other.on_heap()) heap_ = other.heap_;
        else std::memcpy(inline_, other.inline_, size_ + 1);
        other.size_ = 0;
        other.inline_[0] = '\0';
    }

    static std::string concat(std::string_view a, std::string_view b) {
        std::string out;
        out.reserve(a.size() + b.size());
        out.append(a).append(b);
        return out;
    }

    void release() noexcept {
        if (on_heap()) delete[] heap_;
    }

    std::size_t size_ = 0;
    union {
        char inline_[inline_capacity + 1];
        char* heap_;
    };
};

} // namespace v1
} // namespace iap_embedded

namespace std {
template <>
struct hash<iap_embedded::small_string> {
    std::size_t operator()(const iap_embedded::small_string& s) const noexcept {
        return std::hash<std::string_view>()(s.view());
    }
};
} // namespace std

#endif // IAP_EMBEDDED_SMALL_STRING_HPP
