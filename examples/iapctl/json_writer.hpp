// SPDX-License-Identifier: MIT
//
// iapctl's JSON value is the library's output writer (shared with the C interface's *_json).
#ifndef IAPCTL_JSON_WRITER_HPP
#define IAPCTL_JSON_WRITER_HPP

#include <iap_embedded/detail/json_writer.hpp>

namespace iapctl {
using json = iap_embedded::detail::json;
} // namespace iapctl

#endif // IAPCTL_JSON_WRITER_HPP
