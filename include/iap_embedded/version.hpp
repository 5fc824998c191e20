// SPDX-License-Identifier: MIT
#ifndef IAP_EMBEDDED_VERSION_HPP
#define IAP_EMBEDDED_VERSION_HPP

/// Major version: incremented on incompatible API changes.
#define IAP_EMBEDDED_VERSION_MAJOR 0
/// Minor version: incremented when features are added compatibly.
#define IAP_EMBEDDED_VERSION_MINOR 1
/// Patch version: incremented for compatible fixes.
#define IAP_EMBEDDED_VERSION_PATCH 0

/// The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH, for `#if` checks.
#define IAP_EMBEDDED_VERSION                                                                      \
    (IAP_EMBEDDED_VERSION_MAJOR * 10000 + IAP_EMBEDDED_VERSION_MINOR * 100 +                      \
     IAP_EMBEDDED_VERSION_PATCH)

/// The version as a string, "MAJOR.MINOR.PATCH".
#define IAP_EMBEDDED_VERSION_STRING "0.1.0"

#endif // IAP_EMBEDDED_VERSION_HPP
