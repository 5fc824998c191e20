// SPDX-License-Identifier: MIT
//
// src.hpp plus the Boost.Beast transport (<iap_embedded/beast_transport.hpp>), for separate
// compilation of a program that uses that transport. Included, like src.hpp, by exactly one source
// file of the program, before any other iap_embedded header, compiled with exceptions enabled;
// that file includes this header instead of src.hpp (or after it).
#ifndef IAP_EMBEDDED_BEAST_TRANSPORT_SRC_HPP
#define IAP_EMBEDDED_BEAST_TRANSPORT_SRC_HPP

#if !defined(IAP_EMBEDDED_SRC_HPP) && (defined(IAP_EMBEDDED_CONFIG_HPP) || defined(IAP_EMBEDDED_VERSION_HPP))
#error "iap_embedded/beast_transport_src.hpp must be included before any other iap_embedded header in its translation unit"
#endif

#include "iap_embedded/src.hpp"

#include "iap_embedded/beast_transport.hpp"

#endif // IAP_EMBEDDED_BEAST_TRANSPORT_SRC_HPP
