// SPDX-License-Identifier: MIT
//
// The library compiled once, for the unit tests built with IAP_EMBEDDED_SEPARATE_COMPILATION
// (variant unit_separate in meson.build).
#include <iap_embedded/src.hpp>
