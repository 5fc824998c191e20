// SPDX-License-Identifier: MIT
//
// GET /: the purchase-history page for customer support. Plain HTML, no script; every value
// shown comes from requests and is escaped, and the response forbids scripts (see the
// Content-Security-Policy the server sends with it).
#ifndef IAP_DEV_SERVER_HTML_CONSOLE_HPP
#define IAP_DEV_SERVER_HTML_CONSOLE_HPP

#include "json_text.hpp"
#include "purchase_book.hpp"
#include "request_target.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace iap_dev_server {

/// Escapes text for HTML element content and quoted attribute values.
inline std::string html_escape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

/// The search of the console: every non-empty criterion must match.
struct console_search {
    std::string user_key;    ///< exact
    std::string payment_seq; ///< exact
    std::string product;     ///< productId, or productSeq written in decimal
    std::string consumed;    ///< "yes", "no" or "any" (anything else is "any")

    static console_search from(const request_target& target) {
        console_search s;
        s.user_key = target.param("userKey");
        s.payment_seq = target.param("paymentSeq");
        s.product = target.param("product");
        s.consumed = target.param("consumed");
        if (s.consumed != "yes" && s.consumed != "no") s.consumed = "any";
        return s;
    }

    bool matches(const purchase& p) const {
        if (!user_key.empty() && p.user_key != user_key) return false;
        if (!payment_seq.empty() && p.payment_seq != payment_seq) return false;
        if (!product.empty() && p.product_id != product && std::to_string(p.product_seq) != product) return false;
        if (consumed == "yes" && !p.consumed) return false;
        if (consumed == "no" && p.consumed) return false;
        return true;
    }
};

inline std::string render_console(const purchase_book& book, const console_search& search, std::int64_t now_ms) {
    constexpr std::size_t max_rows = 1000;
    std::vector<const purchase*> rows;
    for (const auto& p : book.all())
        if (search.matches(p)) rows.push_back(&p);
    std::stable_sort(rows.begin(), rows.end(),
                     [](const purchase* a, const purchase* b) { return a->purchase_time_ms > b->purchase_time_ms; });
    const std::size_t matched = rows.size();
    if (rows.size() > max_rows) rows.resize(max_rows);

    const auto input = [](const char* label, const char* name, const std::string& value) {
        return std::string("<label>") + label + " <input name=\"" + name + "\" value=\"" + html_escape(value) + "\"></label>\n";
    };
    const auto option = [&](const char* value) {
        return std::string("<option value=\"") + value + "\"" + (search.consumed == value ? " selected" : "") + ">" + value +
               "</option>";
    };

    std::string html;
    html.reserve(4096 + rows.size() * 600);
    html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>IAP dev server: purchase history</title>\n"
            "<style>\n"
            "body{font-family:sans-serif;margin:1.5em}\n"
            "form label{margin-right:1em}\n"
            "table{border-collapse:collapse;margin-top:1em;font-size:90%}\n"
            "th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\n"
            "th{background:#eee}\n"
            "tr.consumed td{color:#666}\n"
            "</style>\n</head>\n<body>\n<h1>Purchase history</h1>\n"
            "<form method=\"get\" action=\"/\">\n";
    html += input("User key", "userKey", search.user_key);
    html += input("Payment seq", "paymentSeq", search.payment_seq);
    html += input("Product (id or seq)", "product", search.product);
    html += "<label>Consumed <select name=\"consumed\">" + option("any") + option("yes") + option("no") + "</select></label>\n";
    html += "<button type=\"submit\">Search</button>\n</form>\n";
    html += "<p>" + std::to_string(matched) + " of " + std::to_string(book.all().size()) + " purchases match";
    if (matched > rows.size()) html += "; the " + std::to_string(rows.size()) + " most recent are shown";
    html += ". Times are UTC; now is " + html_escape(utc_text(now_ms)) + ".</p>\n";
    if (!rows.empty()) {
        html += "<table>\n<thead><tr><th>Purchase time</th><th>Payment seq</th><th>User key</th><th>Market</th>"
                "<th>Channel</th><th>Package</th><th>Product id</th><th>Product seq</th><th>Price</th><th>Type</th>"
                "<th>Store purchase id</th><th>Consumed</th><th>Consumed time</th><th>Consumed by</th></tr></thead>\n<tbody>\n";
        for (const purchase* p : rows) {
            std::string price;
            append_json_number(price, p->price);
            std::string type = "consumable";
            if (p->subscription)
                type = std::string("subscription, ") + (p->expiry_time_ms > now_ms ? "active" : "expired") + " (expiry " +
                       utc_text(p->expiry_time_ms) + ")";
            html += p->consumed ? "<tr class=\"consumed\">" : "<tr>";
            const auto cell = [&html](const std::string& text) { html += "<td>" + html_escape(text) + "</td>"; };
            cell(utc_text(p->purchase_time_ms));
            cell(p->payment_seq);
            cell(p->user_key);
            cell(p->market_id);
            cell(p->user_channel);
            cell(p->package_name);
            cell(p->product_id);
            cell(std::to_string(p->product_seq));
            cell(price + " " + p->currency);
            cell(type);
            cell(p->store_purchase_id);
            cell(p->consumed ? "yes" : "no");
            cell(p->consumed ? utc_text(p->consumed_time_ms) : "");
            cell(p->consumed ? p->consumed_by : "");
            html += "</tr>\n";
        }
        html += "</tbody>\n</table>\n";
    }
    html += "</body>\n</html>\n";
    return html;
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_HTML_CONSOLE_HPP
