// SPDX-License-Identifier: MIT
//
// iap_embedded: verify in-app purchases inside the app, with no backend of its own.
// This umbrella header brings in the whole public API.
#ifndef IAP_EMBEDDED_IAP_EMBEDDED_HPP
#define IAP_EMBEDDED_IAP_EMBEDDED_HPP

#include "iap_embedded/version.hpp"
#include "iap_embedded/config.hpp"
#include "iap_embedded/error.hpp"
#include "iap_embedded/small_string.hpp"
#include "iap_embedded/purchase.hpp"
#include "iap_embedded/base64.hpp"
#include "iap_embedded/google_play.hpp"
#include "iap_embedded/one_store.hpp"
#include "iap_embedded/trusted_roots.hpp"
#include "iap_embedded/app_store.hpp"
#include "iap_embedded/app_store_jws.hpp"
#include "iap_embedded/verifier.hpp"
#include "iap_embedded/ledger.hpp"
#include "iap_embedded/http_transport.hpp"
#include "iap_embedded/sync.hpp"
#include "iap_embedded/embedded_key.hpp"

#endif // IAP_EMBEDDED_IAP_EMBEDDED_HPP
