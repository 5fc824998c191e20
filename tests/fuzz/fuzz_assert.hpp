// SPDX-License-Identifier: MIT
//
// Invariant checks for the fuzz targets. A violated invariant says what failed, then traps, so
// libFuzzer (and the standalone driver, by dying on SIGILL) reports the input as a crash.
#ifndef IAP_EMBEDDED_TESTS_FUZZ_ASSERT_HPP
#define IAP_EMBEDDED_TESTS_FUZZ_ASSERT_HPP

#include <cstdio>

#define IAP_EMBEDDED_FUZZ_ASSERT(condition)                                                       \
    do {                                                                                          \
        if (!(condition)) {                                                                       \
            std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__,      \
                         #condition);                                                             \
            __builtin_trap();                                                                     \
        }                                                                                         \
    } while (false)

#endif // IAP_EMBEDDED_TESTS_FUZZ_ASSERT_HPP
