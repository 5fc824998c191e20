# SPDX-License-Identifier: MIT
#
# Finds what iap_embedded needs from the system, for both CMake entry points: the top-level
# CMakeLists.txt (add_subdirectory, FetchContent) and the installed iap_embeddedConfig.cmake
# (find_package). meson.build does the same for meson.
#
#   iap_embedded_find_dependencies(<libraries-var> <include-dirs-var> <error-var>)
#
# sets <libraries-var> to what to link (mbedtls, mbedx509, mbedcrypto in that order, then
# Threads::Threads), <include-dirs-var> to the mbedTLS and picojson header directories, and
# <error-var> to a message naming the missing pieces (empty when everything was found); the
# caller decides whether that is fatal.
#
# mbedTLS 3.x installs a CMake package (MbedTLS::mbedtls, ...), used when present. mbedTLS 2.28
# as Debian 12 ships it has neither a CMake package nor pkg-config files, so its libraries and
# headers are found by name; the cache variables IAP_EMBEDDED_MBEDTLS_LIBRARY,
# IAP_EMBEDDED_MBEDX509_LIBRARY, IAP_EMBEDDED_MBEDCRYPTO_LIBRARY, IAP_EMBEDDED_MBEDTLS_INCLUDE_DIR
# and IAP_EMBEDDED_PICOJSON_INCLUDE_DIR point elsewhere when needed.
include_guard(GLOBAL)

function(iap_embedded_find_dependencies libraries_var include_dirs_var error_var)
  set(libraries "")
  set(include_dirs "")
  set(missing "")

  find_package(MbedTLS CONFIG QUIET)
  if(TARGET MbedTLS::mbedtls AND TARGET MbedTLS::mbedx509 AND TARGET MbedTLS::mbedcrypto)
    list(APPEND libraries MbedTLS::mbedtls MbedTLS::mbedx509 MbedTLS::mbedcrypto)
  else()
    find_path(IAP_EMBEDDED_MBEDTLS_INCLUDE_DIR mbedtls/version.h
              DOC "Directory holding mbedtls/version.h")
    foreach(lib IN ITEMS mbedtls mbedx509 mbedcrypto)
      string(TOUPPER "${lib}" upper)
      find_library(IAP_EMBEDDED_${upper}_LIBRARY NAMES ${lib} DOC "The ${lib} library of mbedTLS")
      if(IAP_EMBEDDED_${upper}_LIBRARY)
        list(APPEND libraries "${IAP_EMBEDDED_${upper}_LIBRARY}")
      else()
        list(APPEND missing "lib${lib}")
      endif()
    endforeach()
    if(IAP_EMBEDDED_MBEDTLS_INCLUDE_DIR)
      list(APPEND include_dirs "${IAP_EMBEDDED_MBEDTLS_INCLUDE_DIR}")
    else()
      list(APPEND missing "mbedtls/version.h")
    endif()
  endif()

  find_path(IAP_EMBEDDED_PICOJSON_INCLUDE_DIR picojson.h DOC "Directory holding picojson.h")
  if(IAP_EMBEDDED_PICOJSON_INCLUDE_DIR)
    list(APPEND include_dirs "${IAP_EMBEDDED_PICOJSON_INCLUDE_DIR}")
  else()
    list(APPEND missing "picojson.h")
  endif()

  set(THREADS_PREFER_PTHREAD_FLAG ON)
  find_package(Threads QUIET)
  if(TARGET Threads::Threads)
    list(APPEND libraries Threads::Threads)
  else()
    list(APPEND missing "threads")
  endif()

  set(error "")
  if(missing)
    list(JOIN missing ", " missing_text)
    set(error "iap_embedded: not found: ${missing_text} (Debian: apt-get install libmbedtls-dev picojson-dev)")
  endif()
  list(REMOVE_DUPLICATES include_dirs)
  set(${libraries_var} "${libraries}" PARENT_SCOPE)
  set(${include_dirs_var} "${include_dirs}" PARENT_SCOPE)
  set(${error_var} "${error}" PARENT_SCOPE)
endfunction()
