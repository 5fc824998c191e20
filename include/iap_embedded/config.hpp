// SPDX-License-Identifier: MIT
//
// Compile-time configuration. Every knob can be set before including any iap_embedded header
// (or on the compiler command line); the value shown is the default.
#ifndef IAP_EMBEDDED_CONFIG_HPP
#define IAP_EMBEDDED_CONFIG_HPP

#include "iap_embedded/version.hpp"

/// Largest purchase JSON (Google Play, ONE store) accepted, in bytes. A real purchase is well under
/// 4 KiB; anything larger is rejected as `malformed_input` before any cryptography runs.
#ifndef IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES
#define IAP_EMBEDDED_MAX_PURCHASE_JSON_BYTES (64 * 1024)
#endif

/// Deepest JSON nesting accepted in any parsed document. Purchase JSON is two levels deep.
#ifndef IAP_EMBEDDED_MAX_JSON_DEPTH
#define IAP_EMBEDDED_MAX_JSON_DEPTH 32
#endif

/// Smallest and largest RSA public key accepted for store signatures, in bits. Google Play
/// issues 2048-bit keys today and issued 1024-bit keys to old apps.
#ifndef IAP_EMBEDDED_MIN_RSA_BITS
#define IAP_EMBEDDED_MIN_RSA_BITS 1024
#endif
#ifndef IAP_EMBEDDED_MAX_RSA_BITS
#define IAP_EMBEDDED_MAX_RSA_BITS 4096
#endif

/// Largest App Store receipt accepted (DER bytes, or base64 text), in bytes. A receipt with a
/// few hundred purchases is under 200 KiB; larger input is `not_a_receipt` before any parsing.
#ifndef IAP_EMBEDDED_MAX_RECEIPT_BYTES
#define IAP_EMBEDDED_MAX_RECEIPT_BYTES (4 * 1024 * 1024)
#endif

/// Deepest ASN.1 nesting accepted in a receipt. A BER receipt from Xcode nests about 8 levels.
#ifndef IAP_EMBEDDED_MAX_ASN1_DEPTH
#define IAP_EMBEDDED_MAX_ASN1_DEPTH 16
#endif

/// Whether exceptions are enabled in this translation unit (detected; may be forced to 0 or 1).
#ifndef IAP_EMBEDDED_HAS_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define IAP_EMBEDDED_HAS_EXCEPTIONS 1
#else
#define IAP_EMBEDDED_HAS_EXCEPTIONS 0
#endif
#endif

/// Linkage of the library's non-template functions. Header-only use needs `inline`.
#ifndef IAP_EMBEDDED_DECL
#define IAP_EMBEDDED_DECL inline
#endif

#endif // IAP_EMBEDDED_CONFIG_HPP
