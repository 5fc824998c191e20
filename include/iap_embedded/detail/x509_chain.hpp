// SPDX-License-Identifier: MIT
//
// Certificate chain verification at a given time: leaf -> intermediate(s) -> a trusted root.
// mbedtls_x509_crt_verify only knows "now", and Apple's rule is to evaluate a chain at the time the
// store signed the data, so names, signatures, CA flags, marker extensions and validity are
// checked here, one link at a time.
#ifndef IAP_EMBEDDED_DETAIL_X509_CHAIN_HPP
#define IAP_EMBEDDED_DETAIL_X509_CHAIN_HPP

#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/detail/x509_certificate.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/trusted_roots.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// What a chain must look like beyond "issued by a trusted root".
struct chain_rules {
    /// OID of an extension the leaf must carry ("1.2.840.113635.100.6.11.1": Mac App Store and
    /// iTunes Store receipt signing); nullptr: none.
    const char* leaf_marker_oid = nullptr;
    /// OID of an extension every intermediate must carry ("1.2.840.113635.100.6.2.1": Apple
    /// Worldwide Developer Relations CA). When set, the chain needs at least one intermediate.
    const char* intermediate_marker_oid = nullptr;
    /// How many certificates, leaf included, must be given: 0 = any number up to
    /// `max_supplied_certificates`, found in any order. Otherwise they are taken in order as
    /// JWS x5c sends them: the leaf, the intermediates, then the sender's copy of the root, which
    /// is never trusted by itself (the chain must end in one of the caller's roots instead).
    std::size_t exact_length = 0;
    /// Xcode StoreKit testing: the leaf may itself be one of the trusted roots, byte for byte (and
    /// valid at the time); marker extensions do not apply to it then.
    bool leaf_may_be_root = false;
};

/// Most certificates given besides the leaf.
inline constexpr std::size_t max_supplied_certificates = 8;
/// Longest chain, leaf and root included.
inline constexpr std::size_t max_chain_certificates = 4;

/// A bounded, thread-safe memory of verified chains (leaf, intermediates, root), keyed by the
/// exact bytes of the certificates given and of the rules (least recently used entry evicted). It only saves parsing and signature
/// checks: on a hit the root must still be one of the roots passed in and every certificate must
/// be valid at the evaluation time, otherwise the chain is verified in full, so an answer never
/// depends on the cache.
class chain_cache {
public:
    explicit chain_cache(std::size_t capacity = 64) : capacity_(capacity == 0 ? 1 : capacity) {}
    chain_cache(const chain_cache&) = delete;
    chain_cache& operator=(const chain_cache&) = delete;

    std::size_t size() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return entries_.size();
    }
    std::size_t capacity() const noexcept { return capacity_; }

    /// A verified path: leaf first, trusted root last.
    using path = std::vector<std::shared_ptr<const certificate>>;

    std::shared_ptr<const path> find(const std::string& key) const {
        const std::size_t hash = std::hash<std::string>{}(key);
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->hash == hash && it->key == key) {
                entries_.splice(entries_.begin(), entries_, it);
                return entries_.front().chain;
            }
        }
        return nullptr;
    }

    void insert(std::string key, std::shared_ptr<const path> chain) {
        const std::size_t hash = std::hash<std::string>{}(key);
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->hash == hash && it->key == key) {
                entries_.erase(it);
                break;
            }
        }
        entries_.push_front(entry{hash, std::move(key), std::move(chain)});
        while (entries_.size() > capacity_) entries_.pop_back();
    }

private:
    struct entry {
        std::size_t hash;
        std::string key; // compared in full: the hash only skips most entries quickly
        std::shared_ptr<const path> chain;
    };
    std::size_t capacity_;
    mutable std::mutex mutex_;
    mutable std::list<entry> entries_; // most recently used first
};

namespace chain_impl {

inline void append_bytes(std::string& key, const unsigned char* data, std::size_t size) {
    for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>((size >> shift) & 0xFF));
    key.append(reinterpret_cast<const char*>(data), size);
}

/// The cache key: every byte that decides the structure of the answer (not the time, not the
/// roots, which are checked again on a hit).
inline std::string cache_key(der_view leaf, const std::vector<der_view>& others, const chain_rules& rules) {
    std::string key;
    const auto text = [&](const char* s) {
        append_bytes(key, reinterpret_cast<const unsigned char*>(s ? s : ""), s ? std::strlen(s) : 0);
    };
    text(rules.leaf_marker_oid);
    text(rules.intermediate_marker_oid);
    key += std::to_string(rules.exact_length) + (rules.leaf_may_be_root ? "x" : "-");
    append_bytes(key, leaf.data, leaf.size);
    for (const der_view& other : others) append_bytes(key, other.data, other.size);
    return key;
}

inline const char* role(std::size_t index, std::size_t path_size) {
    return index == 0 ? "leaf" : index + 1 == path_size ? "root" : "intermediate";
}

/// `certificate_expired` for the first certificate of `path` not valid at `at`, or success.
inline result<void> check_times(const chain_cache::path& path, std::int64_t at) {
    for (std::size_t i = 0; i < path.size(); ++i) {
        const certificate& c = *path[i];
        if (!c.valid_at(at))
            return make_error(errc::certificate_expired,
                              std::string("the ") + role(i, path.size()) + " certificate '" + c.subject() +
                                  "' is valid from " + format_unix_seconds(c.not_before()) + " to " +
                                  format_unix_seconds(c.not_after()) + ", not at " + format_unix_seconds(at));
    }
    return {};
}

inline bool root_is_trusted(const certificate& root, const std::vector<std::shared_ptr<const certificate>>& roots) {
    for (const auto& r : roots)
        if (same_bytes(r->der(), root.der())) return true;
    return false;
}

/// Checks that `issuer` may have issued `child`, `below` being how many intermediates lie between
/// them and the leaf, then verifies the signature.
inline result<void> check_link(const certificate& child, const certificate& issuer, std::size_t below,
                               const char* issuer_role) {
    if (!same_bytes(child.issuer_der(), issuer.subject_der()))
        return make_error(errc::untrusted_certificate, "the issuer of '" + child.subject() + "' is '" +
                                                           child.issuer() + "', not '" + issuer.subject() + "'");
    if (!issuer.is_ca())
        return make_error(errc::untrusted_certificate, std::string("the ") + issuer_role + " certificate '" +
                                                           issuer.subject() + "' is not a CA (basicConstraints)");
    if (!issuer.may_sign_certificates())
        return make_error(errc::untrusted_certificate, std::string("the ") + issuer_role + " certificate '" +
                                                           issuer.subject() + "' may not sign certificates (keyUsage)");
    const int path_len = issuer.path_length_constraint();
    if (path_len >= 0 && below > static_cast<std::size_t>(path_len))
        return make_error(errc::untrusted_certificate, std::string("the ") + issuer_role + " certificate '" +
                                                           issuer.subject() + "' allows " + std::to_string(path_len) +
                                                           " intermediate(s) below it, the chain has " +
                                                           std::to_string(below));
    return issuer.verify_issued(child);
}

/// Finds chains from path.back() to a trusted root. Structurally valid chains go to `found`; the
/// error of the failed attempt that got furthest is kept in `failure`.
struct path_search {
    const std::vector<std::shared_ptr<const certificate>>& roots;
    const std::vector<std::shared_ptr<const certificate>>& candidates;
    const chain_rules& rules;
    bool ordered;
    std::vector<chain_cache::path> found;
    result<void> failure = make_error(errc::untrusted_certificate, "no certificate chain was tried");
    std::size_t failure_depth = 0;

    void fail(result<void> error, std::size_t depth) {
        if (failure_depth == 0 || depth > failure_depth) {
            failure = std::move(error);
            failure_depth = depth;
        }
    }

    void extend(chain_cache::path& path) {
        const certificate& tip = *path.back();
        const std::size_t intermediates = path.size() - 1;
        bool any_issuer = false;

        // The chain ends in a trusted root, when the rules allow it to end here.
        if (!(rules.intermediate_marker_oid != nullptr && intermediates == 0) &&
            (!ordered || intermediates == candidates.size())) {
            for (const auto& root : roots) {
                if (!same_bytes(tip.issuer_der(), root->subject_der())) continue;
                any_issuer = true;
                if (auto link = check_link(tip, *root, intermediates, "root"); !link) {
                    fail(std::move(link), path.size() + 1);
                    continue;
                }
                path.push_back(root);
                found.push_back(path);
                path.pop_back();
            }
        }

        // Or it continues with an intermediate.
        if (path.size() + 1 >= max_chain_certificates) {
            if (!any_issuer)
                fail(make_error(errc::untrusted_certificate, "the chain from '" + path.front()->subject() +
                                                                 "' reaches no trusted root within " +
                                                                 std::to_string(max_chain_certificates) +
                                                                 " certificates"),
                     path.size());
            return;
        }
        const std::size_t first = ordered ? intermediates : 0;
        const std::size_t last = ordered ? std::min(intermediates + 1, candidates.size()) : candidates.size();
        for (std::size_t i = first; i < last; ++i) {
            const auto& next = candidates[i];
            if (!ordered) {
                if (!same_bytes(tip.issuer_der(), next->subject_der())) continue;
                // Self-issued certificates (roots sent along) and certificates already in the
                // chain are never intermediates here.
                if (next->is_self_issued()) continue;
                bool used = false;
                for (const auto& c : path) used = used || same_bytes(c->der(), next->der());
                if (used) continue;
            }
            any_issuer = true;
            if (auto link = check_link(tip, *next, intermediates, "intermediate"); !link) {
                fail(std::move(link), path.size() + 1);
                continue;
            }
            if (rules.intermediate_marker_oid != nullptr && !next->has_extension(rules.intermediate_marker_oid)) {
                fail(make_error(errc::untrusted_certificate, "the intermediate certificate '" + next->subject() +
                                                                 "' lacks the marker extension " +
                                                                 rules.intermediate_marker_oid),
                     path.size() + 1);
                continue;
            }
            path.push_back(next);
            extend(path);
            path.pop_back();
        }
        if (!any_issuer)
            fail(make_error(errc::untrusted_certificate, "no trusted root or given certificate issued '" +
                                                             tip.subject() + "' (issuer '" + tip.issuer() + "')"),
                 path.size());
    }
};

inline result<std::shared_ptr<const certificate>> parse_for_chain(der_view der, const char* what) {
    auto cert = certificate::parse_der(der.data, der.size);
    if (cert) return cert;
    error_info e = std::move(cert).error();
    e.detail = std::string(what) + ": " + e.message();
    return e;
}

} // namespace chain_impl

/// Verifies that `leaf` chains, through certificates from `others`, to one of `roots`, and that
/// every certificate of that chain is valid at `at_unix_s`; returns the parsed leaf, whose key
/// then verifies the store's signature.
///
/// Errors: `malformed_input` when a given certificate is empty, truncated or not DER X.509 (a
/// certificate that does not parse is never skipped); `unsupported_algorithm` for a signature
/// digest other than SHA-1/256/384/512, a scheme other than PKCS#1 v1.5 or ECDSA, or a key other
/// than RSA 2048..4096 or EC P-256/P-384; `certificate_expired` when the chain is otherwise sound
/// but a certificate is not valid at `at_unix_s` (a chain valid at that time is preferred when
/// there are several); `untrusted_certificate` for everything else: no trusted root, a name or
/// signature that does not chain, an issuer that is not a CA, a missing marker extension, a chain
/// of the wrong length. Messages name the certificate and the reason.
///
/// `cache` may be null; any number of threads may share one.
inline result<std::shared_ptr<const certificate>> verify_chain(der_view leaf, const std::vector<der_view>& others,
                                                               const trusted_roots& roots, std::int64_t at_unix_s,
                                                               const chain_rules& rules, chain_cache* cache) {
    const auto& root_list = trusted_roots_access::certificates(roots);
    if (root_list.empty()) return make_error(errc::untrusted_certificate, "no trusted root certificate is configured");
    if (leaf.data == nullptr || leaf.size == 0)
        return make_error(errc::malformed_input, "the signing certificate is missing or empty");
    if (rules.exact_length != 0 && others.size() + 1 != rules.exact_length)
        return make_error(errc::untrusted_certificate, "the chain has " + std::to_string(others.size() + 1) +
                                                           " certificates; exactly " +
                                                           std::to_string(rules.exact_length) + " are required");
    if (others.size() > max_supplied_certificates)
        return make_error(errc::untrusted_certificate, "the chain has " + std::to_string(others.size() + 1) +
                                                           " certificates; at most " +
                                                           std::to_string(max_supplied_certificates + 1) +
                                                           " are accepted");

    std::string key;
    if (cache != nullptr) {
        key = chain_impl::cache_key(leaf, others, rules);
        if (const auto hit = cache->find(key);
            hit && chain_impl::root_is_trusted(*hit->back(), root_list) && chain_impl::check_times(*hit, at_unix_s))
            return hit->front();
    }

    auto leaf_cert = chain_impl::parse_for_chain(leaf, "the leaf certificate");
    if (!leaf_cert) return leaf_cert;
    const std::size_t given = rules.exact_length >= 2 ? rules.exact_length - 2 : others.size();
    std::vector<std::shared_ptr<const certificate>> candidates;
    for (std::size_t i = 0; i < others.size(); ++i) {
        const std::string what = "certificate " + std::to_string(i + 2) + " of the chain";
        auto cert = chain_impl::parse_for_chain(others[i], what.c_str());
        if (!cert) return std::move(cert).error();
        if (i < given) candidates.push_back(std::move(*cert));
    }

    for (const auto& root : root_list) {
        if (!same_bytes(root->der(), (*leaf_cert)->der())) continue;
        if (!rules.leaf_may_be_root)
            return make_error(errc::untrusted_certificate, "the signing certificate '" + root->subject() +
                                                               "' is a trusted root itself, which only Xcode "
                                                               "StoreKit testing may use");
        auto path = std::make_shared<const chain_cache::path>(chain_cache::path{root});
        if (auto times = chain_impl::check_times(*path, at_unix_s); !times) return std::move(times).error();
        if (cache != nullptr) cache->insert(std::move(key), path);
        return *leaf_cert;
    }
    if (rules.leaf_marker_oid != nullptr && !(*leaf_cert)->has_extension(rules.leaf_marker_oid))
        return make_error(errc::untrusted_certificate, "the leaf certificate '" + (*leaf_cert)->subject() +
                                                           "' lacks the marker extension " + rules.leaf_marker_oid);

    chain_impl::path_search search{root_list, candidates, rules, rules.exact_length != 0, {}};
    chain_cache::path start{*leaf_cert};
    search.extend(start);
    if (search.found.empty()) return std::move(search.failure).error();

    result<void> first_time_failure;
    bool time_failed = false;
    for (auto& path : search.found) {
        auto times = chain_impl::check_times(path, at_unix_s);
        if (!times) {
            if (!time_failed) first_time_failure = std::move(times);
            time_failed = true;
            continue;
        }
        if (cache != nullptr) cache->insert(std::move(key), std::make_shared<const chain_cache::path>(path));
        return path.front();
    }
    return std::move(first_time_failure).error();
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_X509_CHAIN_HPP
