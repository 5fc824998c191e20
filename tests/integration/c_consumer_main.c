/* SPDX-License-Identifier: MIT */
/*
 * The C interface as an installed library's user takes it (tools/check_consumers.sh builds it
 * through pkg-config iap_embedded_c and through CMake's iap_embedded::c): verify go-iap's public
 * Google Play purchase (awa/go-iap, MIT), consume it in a fresh ledger, see the replay refused.
 * Usage: c_consumer LEDGER_PATH. Prints "consumer ok (KIND): iap_embedded VERSION, C interface".
 */
#include <iap_embedded/iap_embedded.h>

#include <stdio.h>
#include <string.h>

#ifndef CONSUMER_KIND
#error "define CONSUMER_KIND"
#endif

static const char key[] =
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDGvModvVUrqJ9C5fy8J77ZQ7JDC6+tf5iK8C74/3mjmcvwo4nmprCgzR/BQIEuZWJi8KX+"
    "jiJUXKXF90JPsXHkKAPq6A1SCga7kWvs/M8srMpjNS9zJdwZF+eDOR0+lJEihO04zlpAV9ybPJ3Q621y1HUeVpwdxDNLQpJTuIflnwIDAQAB";
static const char data[] =
    "{\"orderId\":\"GPA.xxxx-xxxx-xxxx-xxxxx\",\"packageName\":\"my.package\",\"productId\":\"myproduct\","
    "\"purchaseTime\":1437564796303,\"purchaseState\":0,\"developerPayload\":\"user001\",\"purchaseToken\":\"some-token\"}";
static const char signature[] =
    "gj0N8LANKXOw4OhWkS1UZmDVUxM1UIP28F6bDzEp7BCqcVAe0DuDxmAY5wXdEgMRx/VM1Nl2crjogeV60OqCsbIaWqS/ZJwdP127aKR0jk8sbX36"
    "ssyYZ0DdZdBdCr1tBZ/eSW1GlGuD/CgVaxns0JaWecXakgoV7j+RF2AFbS4=";

int main(int argc, char** argv) {
    iap_verifier* v = NULL;
    iap_verification* r = NULL;
    iap_ledger* l = NULL;
    int ok;
    if (argc != 2) return 2;
    remove(argv[1]);
    ok = iap_verifier_new(&v) == IAP_OK && iap_verifier_add_google_play(v, key, "my.package") == IAP_OK &&
         iap_verify_google_play(v, data, strlen(data), signature, strlen(signature), &r) == IAP_OK &&
         strcmp(iap_verification_purchase(r, 0)->product_id, "myproduct") == 0 &&
         iap_ledger_open(argv[1], NULL, &l) == IAP_OK && iap_ledger_consume(l, r, 0, NULL, NULL) == IAP_OK &&
         iap_ledger_consume(l, r, 0, NULL, NULL) == IAP_ALREADY_CONSUMED;
    if (!ok) fprintf(stderr, "failed: %s\n", iap_last_error_message());
    iap_ledger_close(l);
    iap_verification_free(r);
    iap_verifier_free(v);
    if (!ok) return 1;
    printf("consumer ok (%s): iap_embedded %s, C interface\n", CONSUMER_KIND, iap_version());
    return 0;
}
