// SPDX-License-Identifier: MIT
//
// The state Google Play and ONE store verifiers share: a parsed RSA key and the expected package
// name. Holds no mbedTLS type, so public headers can include it.
#ifndef IAP_EMBEDDED_DETAIL_RSA_STORE_KEY_HPP
#define IAP_EMBEDDED_DETAIL_RSA_STORE_KEY_HPP

#include "iap_embedded/config.hpp"

#include <memory>
#include <string>
#include <utility>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

class pk_key;

class rsa_store_key {
public:
    /// The package name purchases must carry; empty when not checked.
    const std::string& expected_package_name() const noexcept { return expected_package_name_; }

protected:
    rsa_store_key(std::shared_ptr<const pk_key> key, std::string package) noexcept
        : key_(std::move(key)), expected_package_name_(std::move(package)) {}

    std::shared_ptr<const pk_key> key_;
    std::string expected_package_name_;
};

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_RSA_STORE_KEY_HPP
