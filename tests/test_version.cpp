// SPDX-License-Identifier: MIT
#include <iap_embedded/iap_embedded.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

TEST_CASE("the header version agrees with the build's project version") {
    CHECK(std::string(IAP_EMBEDDED_VERSION_STRING) == IAP_EMBEDDED_MESON_VERSION);
    CHECK(IAP_EMBEDDED_VERSION == IAP_EMBEDDED_VERSION_MAJOR * 10000 + IAP_EMBEDDED_VERSION_MINOR * 100 +
                                      IAP_EMBEDDED_VERSION_PATCH);
    CHECK(std::to_string(IAP_EMBEDDED_VERSION_MAJOR) + "." + std::to_string(IAP_EMBEDDED_VERSION_MINOR) + "." +
              std::to_string(IAP_EMBEDDED_VERSION_PATCH) ==
          IAP_EMBEDDED_VERSION_STRING);
}

TEST_CASE("error codes have stable names and a category named iap_embedded") {
    using iap_embedded::errc;
    const std::error_code ec = errc::signature_invalid;
    CHECK(std::string(ec.category().name()) == "iap_embedded");
    CHECK(ec.value() == static_cast<int>(errc::signature_invalid));
    CHECK(static_cast<int>(errc::malformed_input) == 1);
    CHECK(iap_embedded::to_string(errc::bundle_id_mismatch) == "bundle_id_mismatch");
    CHECK_FALSE(ec.message().empty());
}

TEST_CASE("the shared test data directory is present (CI must not run without it)") {
    std::ifstream sources(std::string(IAP_EMBEDDED_TESTDATA_DIR) + "/SOURCES.md");
    INFO("testdata_dir = " << IAP_EMBEDDED_TESTDATA_DIR);
    REQUIRE(sources.good());
}

TEST_CASE("the suite is built against the header it claims") {
#if defined(IAP_EMBEDDED_TEST_EXPECTS_SINGLE_HEADER)
    CHECK(IAP_EMBEDDED_SINGLE_HEADER == 1);
#else
#if defined(IAP_EMBEDDED_SINGLE_HEADER)
    FAIL("the include/ build picked up the single header");
#endif
    SUCCEED("built against include/");
#endif
}
