// SPDX-License-Identifier: MIT
//
// The whole library, compiled once, for separate compilation (see config.hpp). With
// IAP_EMBEDDED_SEPARATE_COMPILATION defined for the whole program, exactly one source file
// includes this header, first, and is compiled with exceptions enabled:
//
//   // iap_embedded.cpp
//   #include <iap_embedded/src.hpp>
//
// Everything declared by the umbrella header <iap_embedded/iap_embedded.hpp> is defined here. The
// Boost.Beast transport is not (it needs Boost): a program that uses it includes
// <iap_embedded/beast_transport_src.hpp> in this file instead.
#ifndef IAP_EMBEDDED_SRC_HPP
#define IAP_EMBEDDED_SRC_HPP

#if defined(IAP_EMBEDDED_CONFIG_HPP) || defined(IAP_EMBEDDED_VERSION_HPP)
#error "iap_embedded/src.hpp must be included before any other iap_embedded header in its translation unit"
#endif
#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION)
#error "iap_embedded/src.hpp is for separate compilation: define IAP_EMBEDDED_SEPARATE_COMPILATION for the whole program"
#endif

#ifndef IAP_EMBEDDED_SOURCE
#define IAP_EMBEDDED_SOURCE
#endif

// config.hpp stops here, with an #error, when this file is compiled without exceptions.
#include "iap_embedded/iap_embedded.hpp"

#endif // IAP_EMBEDDED_SRC_HPP
