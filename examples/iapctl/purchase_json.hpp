// SPDX-License-Identifier: MIT
//
// The purchase model and verification results as iapctl prints them. The writers live in the
// library (detail/verification_json.hpp) so that the C interface's iap_verification_json returns
// exactly the same JSON.
#ifndef IAPCTL_PURCHASE_JSON_HPP
#define IAPCTL_PURCHASE_JSON_HPP

#include "json_writer.hpp"

#include <iap_embedded/detail/verification_json.hpp>

namespace iapctl {
using iap_embedded::detail::jws_to_json;
using iap_embedded::detail::purchase_to_json;
using iap_embedded::detail::verification_to_json;
} // namespace iapctl

#endif // IAPCTL_PURCHASE_JSON_HPP
