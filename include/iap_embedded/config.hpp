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

/// Largest StoreKit 2 JWS accepted (the compact text), in bytes, applied to the JWS and to each
/// nested one. A transaction is about 4 KiB, a notification with its nested transaction and
/// renewal info about 20 KiB; larger input is `malformed_input` before anything is decoded.
#ifndef IAP_EMBEDDED_MAX_JWS_BYTES
#define IAP_EMBEDDED_MAX_JWS_BYTES (64 * 1024)
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

/// Separate compilation. Header-only use (the default) compiles the library into every translation
/// unit that includes it. Define `IAP_EMBEDDED_SEPARATE_COMPILATION` for the whole program (every
/// translation unit, e.g. on the compiler command line) to compile it once instead: the headers
/// then only declare, and exactly one source file of the program includes
/// `<iap_embedded/src.hpp>` (and `<iap_embedded/beast_transport_src.hpp>` instead when it uses the
/// Boost.Beast transport) before any other iap_embedded header. That one file must be compiled
/// with exceptions enabled; every other file may use `-fno-exceptions`.
///
/// `IAP_EMBEDDED_SOURCE` is defined by src.hpp in that one file. With the single header
/// (`single_include/`), that file instead defines `IAP_EMBEDDED_SOURCE` itself before including it.
/// The single header also defines `IAP_EMBEDDED_SINGLE_HEADER`.
#if defined(IAP_EMBEDDED_SOURCE)
#if !defined(IAP_EMBEDDED_SEPARATE_COMPILATION)
#error "IAP_EMBEDDED_SOURCE (iap_embedded/src.hpp) needs IAP_EMBEDDED_SEPARATE_COMPILATION defined for the whole program"
#endif
#if !IAP_EMBEDDED_HAS_EXCEPTIONS
#error "the translation unit that compiles iap_embedded (iap_embedded/src.hpp or IAP_EMBEDDED_SOURCE) must be compiled with exceptions enabled; the rest of the program may use -fno-exceptions"
#endif
#endif

/// Linkage of the library's non-template functions: `inline` header-only, nothing (external
/// linkage, defined once by src.hpp) with `IAP_EMBEDDED_SEPARATE_COMPILATION`.
#ifndef IAP_EMBEDDED_DECL
#if defined(IAP_EMBEDDED_SEPARATE_COMPILATION)
#define IAP_EMBEDDED_DECL
#else
#define IAP_EMBEDDED_DECL inline
#endif
#endif

#endif // IAP_EMBEDDED_CONFIG_HPP
