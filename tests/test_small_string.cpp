// SPDX-License-Identifier: MIT
//
// small_string, the purchase model's text type: inline up to inline_capacity bytes, heap beyond,
// and usable wherever a std::string or std::string_view is expected.
#include <iap_embedded/small_string.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

using iap_embedded::small_string;

namespace {

constexpr std::size_t capacity = small_string::inline_capacity;

// True when `s` keeps its bytes inside the object itself.
bool is_inline(const small_string& s) {
    const auto* object = reinterpret_cast<const char*>(&s);
    return s.data() >= object && s.data() < object + sizeof(small_string);
}

std::string text_of_size(std::size_t n, char first = 'a') {
    std::string s(n, ' ');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(first + static_cast<char>(i % 26));
    return s;
}

template <class A, class B, class = void>
struct addable : std::false_type {};
template <class A, class B>
struct addable<A, B, std::void_t<decltype(std::declval<A>() + std::declval<B>())>> : std::true_type {};
// A char appends; an int is not silently taken for one (as with std::string).
static_assert(addable<small_string, char>::value && addable<char, small_string>::value);
static_assert(!addable<small_string, int>::value && !addable<int, small_string>::value);

std::size_t length_of(const std::string& s) { return s.size(); }
std::size_t length_of_view(std::string_view s) { return s.size(); }

} // namespace

TEST_CASE("small_string keeps short text inline and longer text on the heap") {
    CHECK(small_string().empty());
    CHECK(small_string().c_str()[0] == '\0');
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, capacity - 1, capacity, capacity + 1, std::size_t{300}}) {
        INFO("size " << n);
        const std::string text = text_of_size(n);
        const small_string s(text);
        CHECK(s.size() == n);
        CHECK(s.length() == n);
        CHECK(s.view() == text);
        CHECK(s.str() == text);
        CHECK(s.c_str()[n] == '\0');
        CHECK(is_inline(s) == (n <= capacity));
        CHECK(std::string(s.begin(), s.end()) == text);
    }
    // A real 16-digit App Store transaction id and a typical product id stay inline.
    CHECK(is_inline(small_string("1000000637840752")));
    CHECK(is_inline(small_string("com.nutcallalert.inapp.pro")));
}

TEST_CASE("small_string holds any bytes, NUL included") {
    const std::string bytes("a\0b\xff", 4);
    const small_string s(bytes);
    CHECK(s.size() == 4);
    CHECK(s == bytes);
    CHECK(s != std::string("a"));
    CHECK(s[1] == '\0');
    CHECK(s[4] == '\0');
    CHECK(small_string(static_cast<const char*>(nullptr)).empty());
}

TEST_CASE("small_string copies, moves and assigns across the inline limit") {
    const std::vector<std::string> texts = {"", "short", text_of_size(capacity), text_of_size(capacity + 1),
                                            text_of_size(200, 'A')};
    for (const auto& from : texts) {
        for (const auto& to : texts) {
            INFO("from " << from.size() << " to " << to.size());
            small_string a(from);
            small_string b(to);
            b = a;
            CHECK(b == from);
            CHECK(a == from);

            small_string c(to);
            c = std::move(a);
            CHECK(c == from);
            CHECK(a.empty()); // a moved-from small_string is empty

            small_string d(std::move(c));
            CHECK(d == from);

            small_string e(to);
            e = std::string_view(from);
            CHECK(e == from);
            e = to.c_str();
            CHECK(e == to);
            e = std::string(from);
            CHECK(e == from);
            e.clear();
            CHECK(e.empty());
            CHECK(e.c_str()[0] == '\0');
        }
    }
}

TEST_CASE("small_string survives self-assignment and assignment from its own bytes") {
    for (const std::size_t n : {std::size_t{10}, capacity, capacity + 5, std::size_t{120}}) {
        INFO("size " << n);
        const std::string text = text_of_size(n);
        small_string s(text);
        const small_string& same = s;
        s = same;
        CHECK(s == text);
        small_string m(text);
        small_string& alias = m;
        m = std::move(alias);
        CHECK(m == text);

        // A tail of itself: short enough to move inline, or still on the heap.
        small_string t(text);
        t.assign(t.view().substr(3));
        CHECK(t == text.substr(3));
        small_string u(text);
        u.assign(u.view().substr(0, 2));
        CHECK(u == text.substr(0, 2));
    }
}

TEST_CASE("small_string compares and converts like a std::string") {
    const small_string a("apple"), b("banana");
    const std::string apple = "apple";
    CHECK(a == "apple");
    CHECK("apple" == a);
    CHECK(a == apple);
    CHECK(apple == a);
    CHECK(a == std::string_view("apple"));
    CHECK(std::string_view("apple") == a);
    CHECK(a != b);
    CHECK(a != "apples");
    CHECK("apples" != a);
    CHECK(a < b);
    CHECK(b > a);
    CHECK(a <= a);
    CHECK(b >= a);
    CHECK(a < "b");
    CHECK("a" < a);
    CHECK_FALSE(a == b);

    // Wherever a std::string or a std::string_view is taken.
    const std::string copy = a;
    CHECK(copy == "apple");
    CHECK(length_of(a) == 5);
    CHECK(length_of_view(b) == 6);
    std::string assigned;
    assigned = b;
    CHECK(assigned == "banana");
    CHECK(std::string(a) + "!" == "apple!");

    // Concatenation with every kind of text gives a std::string.
    const std::string_view pie = " pie";
    CHECK(a + b == "applebanana");
    CHECK(a + " pie" == "apple pie");
    CHECK("green " + a == "green apple");
    CHECK(a + std::string(" tart") == "apple tart");
    CHECK(std::string("big ") + a == "big apple");
    CHECK(a + pie == "apple pie");
    CHECK(pie + a == " pieapple");
    CHECK(a + '!' == "apple!");
    CHECK('(' + a + ')' == "(apple)");
    CHECK(small_string(text_of_size(capacity + 3)) + "x" == text_of_size(capacity + 3) + "x");

    std::map<std::string, int> by_std_string;
    by_std_string[a] = 1;
    CHECK(by_std_string.count("apple") == 1);
    std::map<small_string, int> by_small_string{{b, 2}, {a, 1}};
    CHECK(by_small_string.begin()->first == "apple");
    std::unordered_set<small_string> set{a, b, small_string("apple")};
    CHECK(set.size() == 2);
    CHECK(std::hash<small_string>()(a) == std::hash<std::string_view>()("apple"));

    std::ostringstream out;
    out << a << ' ' << b;
    CHECK(out.str() == "apple banana");
}

TEST_CASE("small_string is no bigger than its inline buffer needs") {
    CHECK(sizeof(small_string) <= capacity + 1 + sizeof(std::size_t));
    CHECK(sizeof(small_string) >= capacity + 1);
}
