// SPDX-License-Identifier: MIT
//
// The library, compiled once with exceptions, for test_no_exceptions.cpp.
#include <iap_embedded/src.hpp>
