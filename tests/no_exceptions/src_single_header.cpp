// SPDX-License-Identifier: MIT
//
// The library compiled once from the single header, with exceptions, for the single-header build of
// test_no_exceptions.cpp.
#define IAP_EMBEDDED_SOURCE
#include <iap_embedded/iap_embedded.hpp>

#ifndef IAP_EMBEDDED_SINGLE_HEADER
#error "expected the single header (single_include/) on the include path"
#endif
