/* SPDX-License-Identifier: MIT */
/*
 * The C interface, from C99 (built with -std=c99 -Wall -Wextra -pedantic -Werror), on real store
 * data: Google Play (go-iap), ONE store (a purchase signed at build time by
 * make_one_store_fixture.sh), App Store receipts (TPInAppReceipt), StoreKit 2 JWS (Apple's
 * app-store-server-library), and the ledger flow: consume, replay refused, deliver, credit, spend,
 * reopen.
 *
 * Usage: test_c_api TESTDATA_DIR ONE_STORE_FIXTURE_DIR LEDGER_PATH_PREFIX
 */
#include <iap_embedded/iap_embedded.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition)                                                                           \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last message: %s)\n", __FILE__, __LINE__,   \
                    #condition, iap_last_error_message());                                        \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

#define REQUIRE(condition)                                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s (last message: %s)\n", __FILE__, __LINE__, \
                    #condition, iap_last_error_message());                                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static const char* testdata;
static const char* fixture;
static const char* work;

/* Reads dir/name whole; with trim, drops trailing whitespace (base64 and JWS text files). */
static char* read_file(const char* dir, const char* name, size_t* size, int trim) {
    char path[4096];
    FILE* f;
    char* data;
    long length;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    length = ftell(f);
    REQUIRE(length >= 0);
    REQUIRE(fseek(f, 0, SEEK_SET) == 0);
    data = (char*)malloc((size_t)length + 1);
    REQUIRE(data != NULL);
    REQUIRE(fread(data, 1, (size_t)length, f) == (size_t)length);
    fclose(f);
    while (trim && length > 0 && (data[length - 1] == '\n' || data[length - 1] == '\r' || data[length - 1] == ' '))
        --length;
    data[length] = '\0';
    *size = (size_t)length;
    return data;
}

static void test_status_names(void) {
    CHECK(IAP_OK == 0);
    CHECK(strcmp(iap_status_name(IAP_SIGNATURE_INVALID), "signature_invalid") == 0);
    CHECK(strcmp(iap_status_name(IAP_MALFORMED_RESPONSE), "malformed_response") == 0);
    CHECK(strcmp(iap_status_name(IAP_INVALID_ARGUMENT), "invalid_argument") == 0);
    CHECK(strcmp(iap_status_message(IAP_ALREADY_CONSUMED), "the purchase was already consumed") == 0);
    CHECK(strlen(iap_status_message((iap_status)777)) > 0);
    CHECK(strcmp(iap_version(), "0.1.0") >= 0);
    CHECK(strcmp(iap_store_name(IAP_STORE_ONE_STORE), "one_store") == 0);
    CHECK(strcmp(iap_environment_name(IAP_ENVIRONMENT_SANDBOX), "Sandbox") == 0);
    CHECK(strcmp(iap_jws_kind_name(IAP_JWS_RENEWAL_INFO), "renewal_info") == 0);
    CHECK(strcmp(iap_purchase_state_name(IAP_REFUNDED), "refunded") == 0);
}

static void test_null_arguments(void) {
    iap_verifier* v = NULL;
    iap_verification* r = (iap_verification*)&r; /* must be reset to NULL */
    iap_ledger* l = NULL;
    int64_t value = 7;
    CHECK(iap_verifier_new(NULL) == IAP_INVALID_ARGUMENT);
    CHECK(strstr(iap_last_error_message(), "out is NULL") != NULL);
    CHECK(iap_verifier_add_google_play(NULL, "x", NULL) == IAP_INVALID_ARGUMENT);
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    CHECK(strcmp(iap_last_error_message(), "") == 0);
    CHECK(iap_verifier_add_google_play(v, NULL, NULL) == IAP_INVALID_ARGUMENT);
    CHECK(iap_verifier_add_app_store(v, NULL) == IAP_INVALID_ARGUMENT);
    CHECK(iap_verify_google_play(v, NULL, 5, "", 0, &r) == IAP_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK(iap_verify_google_play(NULL, "{}", 2, "", 0, &r) == IAP_INVALID_ARGUMENT);
    CHECK(iap_verify_app_store_jws(v, "a.b.c", 5, NULL) == IAP_INVALID_ARGUMENT);
    /* A store that was not added. */
    CHECK(iap_verify_one_store(v, "{}", 2, "c2ln", 4, &r) == IAP_STORE_NOT_CONFIGURED);
    CHECK(strlen(iap_last_error_message()) > 0);
    CHECK(iap_verification_purchase_count(NULL) == 0);
    CHECK(iap_verification_purchase(NULL, 0) == NULL);
    CHECK(iap_verification_receipt_info(NULL) == NULL);
    CHECK(iap_ledger_open(NULL, NULL, &l) == IAP_INVALID_ARGUMENT);
    CHECK(iap_ledger_spend(NULL, "gems", 1, &value) == IAP_INVALID_ARGUMENT);
    CHECK(value == 0);
    CHECK(iap_ledger_consume(NULL, NULL, 0, NULL, NULL) == IAP_INVALID_ARGUMENT);
    CHECK(iap_ledger_mark_delivered(NULL, "google_play:x") == IAP_INVALID_ARGUMENT);
    {
        /* An option struct that was not initialised. */
        iap_receipt_options options;
        memset(&options, 0, sizeof options);
        options.expected_bundle_id = "com.example";
        CHECK(iap_verifier_add_app_store(v, &options) == IAP_INVALID_ARGUMENT);
        CHECK(strstr(iap_last_error_message(), "struct_size") != NULL);
    }
    iap_verification_free(NULL);
    iap_verifier_free(NULL);
    iap_ledger_close(NULL);
    iap_entries_free(NULL);
    iap_string_free(NULL);
    iap_verifier_free(v);
}

/* go-iap's real Google Play purchase. Returns the verification (caller frees). */
static iap_verification* verify_google_play(iap_verifier* v) {
    size_t data_size, signature_size, key_size;
    char* data = read_file(testdata, "google_play/go-iap/signed_data.json", &data_size, 0);
    char* signature = read_file(testdata, "google_play/go-iap/signature.b64", &signature_size, 1);
    char* key = read_file(testdata, "google_play/go-iap/public_key.b64", &key_size, 1);
    iap_verification* r = NULL;
    const iap_purchase* p;

    CHECK(iap_verifier_add_google_play(v, "not a key", NULL) == IAP_MALFORMED_KEY);
    REQUIRE(iap_verifier_add_google_play(v, key, "my.package") == IAP_OK);

    /* One changed byte: the signature no longer verifies. */
    data[2] ^= 1;
    CHECK(iap_verify_google_play(v, data, data_size, signature, signature_size, &r) == IAP_SIGNATURE_INVALID);
    CHECK(r == NULL);
    CHECK(strlen(iap_last_error_message()) > 0);
    data[2] ^= 1;

    REQUIRE(iap_verify_google_play(v, data, data_size, signature, signature_size, &r) == IAP_OK);
    CHECK(iap_verification_store(r) == IAP_STORE_GOOGLE_PLAY);
    REQUIRE(iap_verification_purchase_count(r) == 1);
    CHECK(iap_verification_purchase(r, 1) == NULL);
    CHECK(iap_verification_receipt_info(r) == NULL);
    CHECK(iap_verification_jws_info(r) == NULL);
    p = iap_verification_purchase(r, 0);
    REQUIRE(p != NULL);
    CHECK(p->store == IAP_STORE_GOOGLE_PLAY);
    CHECK(strcmp(p->product_id, "myproduct") == 0);
    CHECK(p->other_product_id_count == 0);
    CHECK(strcmp(p->order_id, "GPA.xxxx-xxxx-xxxx-xxxxx") == 0);
    CHECK(strcmp(p->package_name, "my.package") == 0);
    CHECK(strcmp(p->purchase_token, "some-token") == 0);
    CHECK(strcmp(p->developer_payload, "user001") == 0);
    CHECK(strcmp(p->purchase_id, "") == 0);
    CHECK(strcmp(p->transaction_id, "") == 0);
    CHECK(p->purchase_time_ms == 1437564796303LL);
    CHECK(p->state == IAP_PURCHASED);
    CHECK(p->quantity == 1);
    CHECK(p->acknowledged == IAP_ABSENT);
    CHECK(p->has_expires_time_ms == 0);
    {
        char* json = NULL;
        REQUIRE(iap_verification_json(r, &json) == IAP_OK);
        CHECK(strncmp(json, "{\n  \"valid\": true,\n  \"store\": \"google_play\"", 42) == 0);
        CHECK(strstr(json, "\"product_id\": \"myproduct\"") != NULL);
        CHECK(strstr(json, "\"purchase_time_ms\": 1437564796303") != NULL);
        iap_string_free(json);
    }
    free(data);
    free(signature);
    free(key);
    return r;
}

/* The ONE store purchase signed at build time. */
static iap_verification* verify_one_store(iap_verifier* v) {
    size_t data_size, signature_size, key_size;
    char* data = read_file(fixture, "purchase.json", &data_size, 0);
    char* signature = read_file(fixture, "signature.b64", &signature_size, 1);
    char* key = read_file(fixture, "public_key.b64", &key_size, 1);
    iap_verifier* other = NULL;
    iap_verification* r = NULL;
    const iap_purchase* p;

    REQUIRE(iap_verifier_add_one_store(v, key, "com.example.game") == IAP_OK);
    REQUIRE(iap_verify_one_store(v, data, data_size, signature, signature_size, &r) == IAP_OK);
    CHECK(iap_verification_store(r) == IAP_STORE_ONE_STORE);
    REQUIRE(iap_verification_purchase_count(r) == 1);
    p = iap_verification_purchase(r, 0);
    CHECK(strcmp(p->product_id, "gems_100") == 0);
    CHECK(strcmp(p->purchase_id, "SANDBOX3000000004564") == 0);
    CHECK(strcmp(p->purchase_token, "TOKEN-C-API-0001") == 0);
    CHECK(strcmp(p->order_id, "ONESTORE-C-0001") == 0);
    CHECK(strcmp(p->developer_payload, "player-42") == 0);
    CHECK(p->quantity == 2);
    CHECK(p->acknowledged == IAP_FALSE);
    CHECK(p->purchase_time_ms == 1700000000456LL);

    /* Another app's verifier refuses it. */
    REQUIRE(iap_verifier_new(&other) == IAP_OK);
    REQUIRE(iap_verifier_add_one_store(other, key, "com.example.other") == IAP_OK);
    {
        iap_verification* refused = NULL;
        CHECK(iap_verify_one_store(other, data, data_size, signature, signature_size, &refused) ==
              IAP_BUNDLE_ID_MISMATCH);
        CHECK(refused == NULL);
    }
    iap_verifier_free(other);
    free(data);
    free(signature);
    free(key);
    return r;
}

/* TPInAppReceipt's real sandbox receipt, with its device hash. */
static iap_verification* verify_receipt(void) {
    static const unsigned char device[16] = {0x95, 0x63, 0x28, 0xD9, 0xCC, 0x6A, 0x47, 0xF4,
                                             0xBE, 0x40, 0x69, 0x53, 0xFB, 0x0A, 0xB6, 0xC7};
    static const unsigned char zero_device[16] = {0};
    size_t size;
    char* receipt = read_file(testdata, "apple_receipts/tpinappreceipt/receipt-sandbox-g5", &size, 1);
    iap_receipt_options options;
    iap_verifier* v = NULL;
    iap_verification* r = NULL;
    const iap_receipt_info* info;
    const iap_purchase* p;
    size_t i;

    {
        unsigned char parsed[16];
        size_t parsed_size = 0;
        REQUIRE(iap_parse_device_identifier("956328D9-CC6A-47F4-BE40-6953FB0AB6C7", parsed, &parsed_size) == IAP_OK);
        CHECK(parsed_size == 16 && memcmp(parsed, device, 16) == 0);
        REQUIRE(iap_parse_device_identifier("00:1b:63:84:45:e6", parsed, &parsed_size) == IAP_OK);
        CHECK(parsed_size == 6 && parsed[0] == 0x00 && parsed[5] == 0xe6);
        CHECK(iap_parse_device_identifier("not-a-uuid", parsed, &parsed_size) == IAP_MALFORMED_INPUT);
        CHECK(parsed_size == 0);
    }
    REQUIRE(iap_receipt_options_init(&options) == IAP_OK);
    CHECK(options.expected_environment == IAP_ENVIRONMENT_PRODUCTION);
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    /* The bundle id is required. */
    CHECK(iap_verifier_add_app_store(v, &options) == IAP_MALFORMED_INPUT);
    options.expected_bundle_id = "dev.bonzer.weeka.app";
    options.expected_environment = IAP_ENVIRONMENT_SANDBOX;
    options.device_identifier = zero_device;
    options.device_identifier_size = sizeof zero_device;
    REQUIRE(iap_verifier_add_app_store(v, &options) == IAP_OK);
    CHECK(iap_verify_app_store_receipt(v, receipt, size, &r) == IAP_DEVICE_HASH_MISMATCH);
    iap_verifier_free(v);

    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    options.device_identifier = device;
    REQUIRE(iap_verifier_add_app_store(v, &options) == IAP_OK);
    CHECK(iap_verify_app_store_receipt(v, "garbage", 7, &r) == IAP_NOT_A_RECEIPT);
    REQUIRE(iap_verify_app_store_receipt(v, receipt, size, &r) == IAP_OK);
    CHECK(iap_verification_store(r) == IAP_STORE_APP_STORE);
    info = iap_verification_receipt_info(r);
    REQUIRE(info != NULL);
    CHECK(strcmp(info->bundle_id, "dev.bonzer.weeka.app") == 0);
    CHECK(strcmp(info->app_version, "2") == 0);
    CHECK(strcmp(info->original_app_version, "1.0") == 0);
    CHECK(info->environment == IAP_ENVIRONMENT_SANDBOX);
    CHECK(info->device_checked == 1);
    CHECK(info->creation_time_ms == 1766774387000LL);
    REQUIRE(iap_verification_purchase_count(r) == 2);
    for (i = 0; i < 2; ++i) {
        p = iap_verification_purchase(r, i);
        CHECK(p->store == IAP_STORE_APP_STORE);
        CHECK(strcmp(p->product_id, "dev.bonzer.weeka.app.subscription.pro.annual") == 0);
        CHECK(p->has_expires_time_ms == 1);
        CHECK(strlen(p->original_transaction_id) > 0);
    }
    CHECK(strcmp(iap_verification_purchase(r, 0)->transaction_id, "2000001092134138") == 0 ||
          strcmp(iap_verification_purchase(r, 1)->transaction_id, "2000001092134138") == 0);
    {
        char* json = NULL;
        REQUIRE(iap_verification_json(r, &json) == IAP_OK);
        CHECK(strstr(json, "\"environment\": \"Sandbox\"") != NULL);
        CHECK(strstr(json, "\"device_checked\": true") != NULL);
        CHECK(strstr(json, "\"transaction_id\": \"2000001092134138\"") != NULL);
        iap_string_free(json);
    }
    iap_verifier_free(v);

    /* Production expected: refused. */
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    options.expected_environment = IAP_ENVIRONMENT_PRODUCTION;
    options.device_identifier = NULL;
    options.device_identifier_size = 0;
    REQUIRE(iap_verifier_add_app_store(v, &options) == IAP_OK);
    {
        iap_verification* refused = NULL;
        CHECK(iap_verify_app_store_receipt(v, receipt, size, &refused) == IAP_ENVIRONMENT_MISMATCH);
    }
    iap_verifier_free(v);
    free(receipt);
    return r;
}

/* StoreKit 2: Apple's mock transaction (test CA as the root) and Xcode's signed transaction. */
static iap_verification* verify_jws(void) {
    size_t size, root_size;
    char* jws = read_file(testdata, "apple_jws/app-store-server-library/mock_signed_data/transactionInfo", &size, 1);
    char* root = read_file(testdata, "apple_jws/app-store-server-library/certs/testCA.der", &root_size, 0);
    const unsigned char* roots[1];
    size_t root_sizes[1];
    iap_jws_options options;
    iap_verifier* v = NULL;
    iap_verification* r = NULL;
    const iap_jws_info* info;
    const iap_purchase* p;
    const iap_transaction_details* details;

    roots[0] = (const unsigned char*)root;
    root_sizes[0] = root_size;
    REQUIRE(iap_jws_options_init(&options) == IAP_OK);
    CHECK(options.kind == IAP_JWS_TRANSACTION);
    CHECK(options.expected_environment == IAP_ENVIRONMENT_PRODUCTION);
    options.expected_bundle_id = "com.example";
    options.expected_environment = IAP_ENVIRONMENT_SANDBOX;
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    /* Without the test CA among the roots, Apple's built-in root does not trust it. */
    CHECK(iap_verify_app_store_jws(v, jws, size, &r) == IAP_UNTRUSTED_CERTIFICATE);
    iap_verifier_free(v);

    options.extra_roots = roots;
    options.extra_root_sizes = root_sizes;
    options.extra_root_count = 1;
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    /* Trusted now, but Apple's mock payload holds only environment, bundleId and signedDate: it is
     * no transaction, and the caller asked for one. */
    CHECK(iap_verify_app_store_jws(v, jws, size, &r) == IAP_MALFORMED_INPUT);
    CHECK(r == NULL);
    CHECK(strstr(iap_last_error_message(), "transactionId") != NULL);
    iap_verifier_free(v);
    free(jws);
    r = NULL;

    /* Renewal info needs the original transaction id. */
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    options.kind = IAP_JWS_RENEWAL_INFO;
    CHECK(iap_verifier_add_app_store_jws(v, &options) == IAP_MALFORMED_INPUT);
    iap_verifier_free(v);

    /* Xcode's transaction: refused unless allowed. */
    jws = read_file(testdata, "apple_jws/app-store-server-library/xcode/xcode-signed-transaction", &size, 1);
    REQUIRE(iap_jws_options_init(&options) == IAP_OK);
    options.expected_bundle_id = "com.example.naturelab.backyardbirds.example";
    options.expected_environment = IAP_ENVIRONMENT_XCODE;
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    CHECK(iap_verify_app_store_jws(v, jws, size, &r) == IAP_XCODE_NOT_ALLOWED);
    iap_verifier_free(v);
    options.allow_xcode = 1;
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    REQUIRE(iap_verify_app_store_jws(v, jws, size, &r) == IAP_OK);
    info = iap_verification_jws_info(r);
    REQUIRE(info != NULL);
    CHECK(info->environment == IAP_ENVIRONMENT_XCODE);
    REQUIRE(iap_verification_purchase_count(r) == 1);
    p = iap_verification_purchase(r, 0);
    CHECK(strcmp(p->product_id, "pass.premium") == 0);
    CHECK(strcmp(p->transaction_id, "0") == 0);
    CHECK(p->purchase_time_ms == 1697679936049LL);
    CHECK(p->has_expires_time_ms == 1 && p->expires_time_ms == 1700358336049LL);
    details = iap_verification_transaction_details(r, 0);
    REQUIRE(details != NULL);
    CHECK(strcmp(details->type, "Auto-Renewable Subscription") == 0);
    CHECK(iap_verification_transaction_details(r, 1) == NULL);
    CHECK(iap_verification_renewal_info(r) == NULL);
    {
        char* json = NULL;
        REQUIRE(iap_verification_json(r, &json) == IAP_OK);
        CHECK(strstr(json, "\"kind\": \"transaction\"") != NULL);
        CHECK(strstr(json, "\"type\": \"Auto-Renewable Subscription\"") != NULL);
        iap_string_free(json);
    }
    iap_verifier_free(v);
    free(jws);

    /* Xcode's renewal info, for the subscription whose original transaction is "0". */
    jws = read_file(testdata, "apple_jws/app-store-server-library/xcode/xcode-signed-renewal-info", &size, 1);
    options.kind = IAP_JWS_RENEWAL_INFO;
    options.expected_original_transaction_id = "0";
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    {
        iap_verification* renewal = NULL;
        const iap_renewal_info* info_r;
        REQUIRE(iap_verify_app_store_jws(v, jws, size, &renewal) == IAP_OK);
        CHECK(iap_verification_jws_info(renewal)->kind == IAP_JWS_RENEWAL_INFO);
        CHECK(iap_verification_purchase_count(renewal) == 0);
        info_r = iap_verification_renewal_info(renewal);
        REQUIRE(info_r != NULL);
        CHECK(strcmp(info_r->original_transaction_id, "0") == 0);
        CHECK(strcmp(info_r->product_id, "pass.premium") == 0);
        CHECK(strcmp(info_r->auto_renew_product_id, "pass.premium") == 0);
        CHECK(info_r->has_auto_renew_status == 1 && info_r->auto_renew_status == 1);
        CHECK(info_r->has_renewal_time_ms == 1);
        iap_verification_free(renewal);
    }
    iap_verifier_free(v);
    free(jws);

    /* Xcode's AppTransaction, and its device check. */
    jws = read_file(testdata, "apple_jws/app-store-server-library/xcode/xcode-signed-app-transaction", &size, 1);
    options.kind = IAP_JWS_APP_TRANSACTION;
    options.expected_original_transaction_id = NULL;
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    REQUIRE(iap_verifier_add_app_store_jws(v, &options) == IAP_OK);
    {
        iap_verification* app = NULL;
        REQUIRE(iap_verify_app_store_jws(v, jws, size, &app) == IAP_OK);
        info = iap_verification_jws_info(app);
        REQUIRE(info != NULL);
        CHECK(info->kind == IAP_JWS_APP_TRANSACTION);
        CHECK(strcmp(info->app_version, "1") == 0);
        CHECK(strcmp(info->original_app_version, "1") == 0);
        CHECK(strcmp(info->device_verification_nonce, "48c8b92d-ce0d-4229-bedf-e61b4f9cfc92") == 0);
        CHECK(strlen(info->device_verification) > 0);
        CHECK(iap_check_app_transaction_device(app, "00000000-0000-0000-0000-000000000000") ==
              IAP_DEVICE_HASH_MISMATCH);
        CHECK(iap_check_app_transaction_device(r, "00000000-0000-0000-0000-000000000000") ==
              IAP_MALFORMED_INPUT); /* a transaction is not an AppTransaction */
        CHECK(iap_check_app_transaction_device(app, NULL) == IAP_INVALID_ARGUMENT);
        iap_verification_free(app);
    }
    iap_verifier_free(v);
    free(jws);
    free(root);
    return r;
}

static void test_ledger(const iap_verification* google, const iap_verification* one_store,
                        const iap_verification* receipt) {
    char path[4096];
    iap_ledger_options options;
    iap_ledger* ledger = NULL;
    iap_ledger* second = NULL;
    iap_entries* entries = NULL;
    iap_balances* balances = NULL;
    iap_history* history = NULL;
    const iap_entry* entry;
    int64_t value = 0;
    char key[256];
    char* json = NULL;
    static const unsigned char hmac_key[] = "c-api test key";

    snprintf(path, sizeof path, "%s.ledger", work);
    remove(path);
    REQUIRE(iap_ledger_options_init(&options) == IAP_OK);
    CHECK(options.create == 1);
    options.hmac_key = hmac_key;
    options.hmac_key_size = sizeof hmac_key - 1;
    REQUIRE(iap_ledger_open(path, &options, &ledger) == IAP_OK);
    /* One process opens a ledger once. */
    CHECK(iap_ledger_open(path, &options, &second) == IAP_LEDGER_LOCKED);
    CHECK(second == NULL);

    /* Two-phase: consume, grant, mark delivered. */
    REQUIRE(iap_ledger_consume(ledger, google, 0, NULL, &entries) == IAP_OK);
    REQUIRE(iap_entries_count(entries) == 1);
    entry = iap_entries_at(entries, 0);
    CHECK(strcmp(entry->key, "google_play:some-token") == 0);
    CHECK(strcmp(entry->product_id, "myproduct") == 0);
    CHECK(entry->has_delivered_time_ms == 0);
    strcpy(key, entry->key);
    iap_entries_free(entries);
    entries = NULL;

    /* The replay is refused. */
    CHECK(iap_ledger_consume(ledger, google, 0, NULL, &entries) == IAP_ALREADY_CONSUMED);
    CHECK(entries == NULL);
    CHECK(strlen(iap_last_error_message()) > 0);
    CHECK(iap_ledger_consume(ledger, google, 1, NULL, NULL) == IAP_INVALID_ARGUMENT);

    REQUIRE(iap_ledger_undelivered(ledger, &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 1);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_mark_delivered(ledger, key) == IAP_OK);
    REQUIRE(iap_ledger_undelivered(ledger, &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 0);
    iap_entries_free(entries);
    CHECK(iap_ledger_mark_delivered(ledger, "google_play:never-consumed") == IAP_MALFORMED_INPUT);
    CHECK(iap_ledger_mark_delivered(ledger, "no colon") == IAP_MALFORMED_INPUT);

    /* Atomic credit, then spend. */
    REQUIRE(iap_ledger_consume_credit(ledger, one_store, 0, "gems", 200, NULL) == IAP_OK);
    CHECK(iap_ledger_consume_credit(ledger, one_store, 0, "gems", 200, NULL) == IAP_ALREADY_CONSUMED);
    REQUIRE(iap_ledger_spend(ledger, "gems", 50, &value) == IAP_OK);
    CHECK(value == 150);
    CHECK(iap_ledger_spend(ledger, "gems", 151, &value) == IAP_INSUFFICIENT_BALANCE);
    REQUIRE(iap_ledger_balance(ledger, "gems", &value) == IAP_OK);
    CHECK(value == 150);

    /* A receipt purchase with explicit options: a subscription, delivered. */
    {
        iap_consume_options consume;
        REQUIRE(iap_consume_options_init(&consume) == IAP_OK);
        consume.kind = IAP_PRODUCT_SUBSCRIPTION;
        consume.delivered = 1;
        consume.store_time_ms = iap_verification_receipt_info(receipt)->creation_time_ms;
        REQUIRE(iap_ledger_consume(ledger, receipt, 0, &consume, &entries) == IAP_OK);
        entry = iap_entries_at(entries, 0);
        CHECK(entry->kind == IAP_PRODUCT_SUBSCRIPTION);
        CHECK(entry->store == IAP_STORE_APP_STORE);
        CHECK(entry->has_delivered_time_ms == 1);
        iap_entries_free(entries);
    }
    REQUIRE(iap_ledger_trusted_time_ms(ledger, &value) == IAP_OK);
    CHECK(value == iap_verification_receipt_info(receipt)->creation_time_ms);
    iap_ledger_close(ledger);
    ledger = NULL;

    /* Reopened: everything is still there, and the replay is still refused. */
    CHECK(iap_ledger_open(path, NULL, &ledger) == IAP_LEDGER_CORRUPTED); /* wrong (no) key */
    REQUIRE(iap_ledger_open(path, &options, &ledger) == IAP_OK);
    CHECK(iap_ledger_consume(ledger, google, 0, NULL, NULL) == IAP_ALREADY_CONSUMED);
    REQUIRE(iap_ledger_find(ledger, key, &entries) == IAP_OK);
    REQUIRE(iap_entries_count(entries) == 1);
    CHECK(iap_entries_at(entries, 0)->has_delivered_time_ms == 1);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_find(ledger, "one_store:unknown", &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 0);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_balances(ledger, &balances) == IAP_OK);
    REQUIRE(iap_balances_count(balances) == 1);
    CHECK(strcmp(iap_balances_at(balances, 0)->name, "gems") == 0);
    CHECK(iap_balances_at(balances, 0)->value == 150);
    iap_balances_free(balances);
    /* Google Play and the receipt's subscription (no expiry check before its expiry). */
    REQUIRE(iap_ledger_entitlements(ledger, 0, &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) >= 1);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_history(ledger, NULL, &history) == IAP_OK);
    /* consumed, delivered; consumed with credit, delivered; spent; consumed, delivered */
    CHECK(iap_history_count(history) == 7);
    CHECK(iap_history_at(history, 0)->kind == IAP_HISTORY_CONSUMED);
    CHECK(strcmp(iap_history_at(history, 0)->key, "google_play:some-token") == 0);
    CHECK(iap_history_at(history, 4)->kind == IAP_HISTORY_SPENT);
    CHECK(strcmp(iap_history_at(history, 4)->balance, "gems") == 0);
    CHECK(iap_history_at(history, 4)->amount == 50);
    iap_history_free(history);
    {
        iap_history_filter filter;
        REQUIRE(iap_history_filter_init(&filter) == IAP_OK);
        filter.has_store = 1;
        filter.store = IAP_STORE_ONE_STORE;
        REQUIRE(iap_ledger_history(ledger, &filter, &history) == IAP_OK);
        CHECK(iap_history_count(history) == 2);
        CHECK(iap_history_at(history, 0)->kind == IAP_HISTORY_CONSUMED);
        CHECK(strcmp(iap_history_at(history, 0)->balance, "gems") == 0);
        CHECK(iap_history_at(history, 0)->amount == 200);
        iap_history_free(history);
        REQUIRE(iap_ledger_history_json(ledger, &filter, &json) == IAP_OK);
        CHECK(strstr(json, "\"one_store:SANDBOX3000000004564\"") != NULL);
        iap_string_free(json);
    }
    /* A later verification says the ONE store purchase was refunded. */
    {
        size_t data_size, signature_size, key_size;
        char* data = read_file(fixture, "refunded.json", &data_size, 0);
        char* signature = read_file(fixture, "refunded_signature.b64", &signature_size, 1);
        char* public_key = read_file(fixture, "public_key.b64", &key_size, 1);
        iap_verifier* v = NULL;
        iap_verification* refunded = NULL;
        REQUIRE(iap_verifier_new(&v) == IAP_OK);
        REQUIRE(iap_verifier_add_one_store(v, public_key, "com.example.game") == IAP_OK);
        REQUIRE(iap_verify_one_store(v, data, data_size, signature, signature_size, &refunded) == IAP_OK);
        CHECK(iap_verification_purchase(refunded, 0)->state == IAP_REFUNDED);
        /* A refunded purchase is never consumed. */
        CHECK(iap_ledger_consume(ledger, refunded, 0, NULL, NULL) == IAP_MALFORMED_INPUT);
        REQUIRE(iap_ledger_record_update(ledger, refunded, 0, 0, &entries) == IAP_OK);
        REQUIRE(iap_entries_count(entries) == 1);
        CHECK(iap_entries_at(entries, 0)->state == IAP_REFUNDED);
        CHECK(strcmp(iap_entries_at(entries, 0)->key, "one_store:SANDBOX3000000004564") == 0);
        iap_entries_free(entries);
        CHECK(iap_ledger_record_update(ledger, google, 0, 0, NULL) == IAP_OK); /* nothing changed */
        iap_verification_free(refunded);
        iap_verifier_free(v);
        free(data);
        free(signature);
        free(public_key);
        REQUIRE(iap_ledger_history(ledger, NULL, &history) == IAP_OK);
        CHECK(iap_history_count(history) == 8);
        CHECK(iap_history_at(history, 7)->kind == IAP_HISTORY_STATE_CHANGED);
        CHECK(iap_history_at(history, 7)->state == IAP_REFUNDED);
        iap_history_free(history);
    }
    REQUIRE(iap_ledger_observe_store_time(ledger, 4102444800000LL) == IAP_OK);
    REQUIRE(iap_ledger_trusted_time_ms(ledger, &value) == IAP_OK);
    CHECK(value == 4102444800000LL);
    REQUIRE(iap_ledger_compact(ledger) == IAP_OK);
    CHECK(iap_ledger_consume_credit(ledger, one_store, 0, "gems", 200, NULL) == IAP_ALREADY_CONSUMED);
    iap_ledger_close(ledger);
    remove(path);
}

static long file_size(const char* path) {
    FILE* f = fopen(path, "rb");
    long size;
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    size = ftell(f);
    fclose(f);
    return size;
}

/* Damage in the middle is reported with its offset, and repaired only on request. */
static void test_ledger_repair(const iap_verification* google, const iap_verification* one_store) {
    char path[4096];
    char offset[64];
    iap_ledger* ledger = NULL;
    iap_entries* entries = NULL;
    long second_record_at, size;
    uint64_t removed = 0;
    FILE* f;
    int c;

    snprintf(path, sizeof path, "%s_repair.ledger", work);
    remove(path);
    REQUIRE(iap_ledger_open(path, NULL, &ledger) == IAP_OK);
    REQUIRE(iap_ledger_consume(ledger, google, 0, NULL, NULL) == IAP_OK);
    second_record_at = file_size(path);
    REQUIRE(iap_ledger_consume_credit(ledger, one_store, 0, "gems", 10, NULL) == IAP_OK);
    iap_ledger_close(ledger);
    ledger = NULL;
    size = file_size(path);
    REQUIRE(size > second_record_at + 20);

    f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, second_record_at + 20, SEEK_SET) == 0);
    c = fgetc(f);
    REQUIRE(c != EOF);
    REQUIRE(fseek(f, second_record_at + 20, SEEK_SET) == 0);
    REQUIRE(fputc(c ^ 1, f) != EOF);
    fclose(f);

    CHECK(iap_ledger_open(path, NULL, &ledger) == IAP_LEDGER_CORRUPTED);
    CHECK(ledger == NULL);
    snprintf(offset, sizeof offset, "offset %ld", second_record_at);
    CHECK(strstr(iap_last_error_message(), offset) != NULL);
    CHECK(iap_ledger_repair(NULL, NULL, &removed) == IAP_INVALID_ARGUMENT);
    REQUIRE(iap_ledger_repair(path, NULL, &removed) == IAP_OK);
    CHECK(removed == (uint64_t)(size - second_record_at));
    REQUIRE(iap_ledger_open(path, NULL, &ledger) == IAP_OK);
    REQUIRE(iap_ledger_find(ledger, "google_play:some-token", &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 1);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_find(ledger, "one_store:SANDBOX3000000004564", &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 0);
    iap_entries_free(entries);
    iap_ledger_close(ledger);
    remove(path);
}

/* The IAP server's documented API, in memory: one payment P-1 for user-1 until it is consumed. */
struct fake_server {
    int requests;
    int fail_next;
    int consumed;
    char app_key[64];
};

static iap_status fake_send(void* user_data, const iap_http_request* request, iap_http_response* response) {
    struct fake_server* server = (struct fake_server*)user_data;
    const char* body;
    size_t i;
    ++server->requests;
    if (server->fail_next > 0) {
        --server->fail_next;
        return IAP_NETWORK_ERROR;
    }
    for (i = 0; i < request->header_count; ++i)
        if (strcmp(request->header_names[i], "X-NHN-TCIAP-AppKey") == 0)
            snprintf(server->app_key, sizeof server->app_key, "%s", request->header_values[i]);
    if (strcmp(request->target, "/v1/service/consumable") == 0) {
        body = server->consumed
                   ? "{\"header\":{\"isSuccessful\":true,\"resultCode\":0,\"resultMessage\":\"m\"},\"result\":[]}"
                   : "{\"header\":{\"isSuccessful\":true,\"resultCode\":0,\"resultMessage\":\"m\"},\"result\":"
                     "[{\"paymentSeq\":\"P-1\",\"productSeq\":1001,\"currency\":\"KRW\",\"price\":1200,"
                     "\"accessToken\":\"tok-1\"}]}";
    } else if (strcmp(request->target, "/v1/service/activeSubscriptionList") == 0 &&
               strstr(request->body, "\"com.example.game\"") != NULL) {
        body = "{\"header\":{\"isSuccessful\":true,\"resultCode\":0,\"resultMessage\":\"m\"},\"result\":"
               "[{\"paymentSeq\":\"S-1\",\"productSeq\":2001,\"productId\":\"vip_monthly\","
               "\"purchaseTime\":1767225600000,\"expiryTime\":1769904000000}]}";
    } else if (strcmp(request->target, "/v1/service/consume") == 0 && !server->consumed &&
               strstr(request->body, "\"P-1\"") != NULL && strstr(request->body, "\"tok-1\"") != NULL) {
        server->consumed = 1;
        body = "{\"header\":{\"isSuccessful\":true,\"resultCode\":0,\"resultMessage\":\"m\"},\"result\":"
               "{\"price\":1200,\"currency\":\"KRW\",\"productSeq\":1001}}";
    } else {
        body = "{\"header\":{\"isSuccessful\":false,\"resultCode\":5018,\"resultMessage\":\"consumed\"},\"result\":null}";
    }
    if (iap_http_response_set_status(response, 200) != IAP_OK ||
        iap_http_response_add_header(response, "Content-Type", "application/json") != IAP_OK ||
        iap_http_response_set_body(response, body, strlen(body)) != IAP_OK)
        return IAP_MALFORMED_RESPONSE;
    return IAP_OK;
}

static void test_sync(void) {
    char path[4096];
    struct fake_server server;
    iap_ledger* ledger = NULL;
    iap_sync_options options;
    iap_sync_client* client = NULL;
    iap_sync_summary* summary = NULL;
    iap_entries* entries = NULL;
    int64_t delay = 0;

    memset(&server, 0, sizeof server);
    snprintf(path, sizeof path, "%s_sync.ledger", work);
    remove(path);
    REQUIRE(iap_ledger_open(path, NULL, &ledger) == IAP_OK);
    REQUIRE(iap_sync_options_init(&options) == IAP_OK);
    CHECK(strcmp(options.user_channel, "GF") == 0);
    CHECK(iap_sync_client_new(ledger, fake_send, &server, &options, &client) == IAP_MALFORMED_INPUT);
    options.app_key = "app-key-1";
    options.user_key = "user-1";
    CHECK(iap_sync_client_new(ledger, NULL, &server, &options, &client) == IAP_INVALID_ARGUMENT);
    REQUIRE(iap_sync_client_new(ledger, fake_send, &server, &options, &client) == IAP_OK);

    /* The network fails: a typed error and a back-off. */
    server.fail_next = 1;
    CHECK(iap_sync_run(client, &summary) == IAP_NETWORK_ERROR);
    CHECK(summary == NULL);
    REQUIRE(iap_sync_retry_delay_ms(client, &delay) == IAP_OK);
    CHECK(delay > 0);

    REQUIRE(iap_sync_run(client, &summary) == IAP_OK);
    CHECK(strcmp(server.app_key, "app-key-1") == 0);
    CHECK(iap_sync_summary_counts(summary)->fetched == 1);
    CHECK(iap_sync_summary_counts(summary)->available == 1);
    CHECK(iap_sync_summary_conflict_count(summary) == 0);
    CHECK(iap_sync_summary_refused_count(summary) == 0);
    iap_sync_summary_free(summary);
    REQUIRE(iap_sync_retry_delay_ms(client, &delay) == IAP_OK);
    CHECK(delay == 0);

    REQUIRE(iap_sync_claim(client, "P-1", NULL, &entries) == IAP_OK);
    REQUIRE(iap_entries_count(entries) == 1);
    CHECK(strcmp(iap_entries_at(entries, 0)->key, "google_play:iap-payment-P-1") == 0);
    CHECK(strcmp(iap_entries_at(entries, 0)->payment_seq, "P-1") == 0);
    iap_entries_free(entries);
    CHECK(server.consumed == 1);
    CHECK(iap_sync_claim(client, "P-1", NULL, NULL) == IAP_ALREADY_CONSUMED);

    REQUIRE(iap_sync_run(client, &summary) == IAP_OK);
    CHECK(iap_sync_summary_counts(summary)->available == 0);
    iap_sync_summary_free(summary);

    {
        iap_subscriptions* subscriptions = NULL;
        const iap_subscription* vip;
        REQUIRE(iap_sync_active_subscriptions(client, "com.example.game", &subscriptions) == IAP_OK);
        REQUIRE(iap_subscriptions_count(subscriptions) == 1);
        vip = iap_subscriptions_at(subscriptions, 0);
        CHECK(strcmp(vip->payment_seq, "S-1") == 0);
        CHECK(strcmp(vip->product_seq, "2001") == 0);
        CHECK(strcmp(vip->product_id, "vip_monthly") == 0);
        CHECK(vip->has_purchase_time_ms == 1 && vip->purchase_time_ms == 1767225600000LL);
        CHECK(vip->has_expiry_time_ms == 1 && vip->expiry_time_ms == 1769904000000LL);
        CHECK(iap_subscriptions_at(subscriptions, 1) == NULL);
        iap_subscriptions_free(subscriptions);
        /* Another package: the server refuses, a typed error with its result code. */
        CHECK(iap_sync_active_subscriptions(client, "com.example.other", &subscriptions) == IAP_SERVER_ERROR);
        CHECK(strstr(iap_last_error_message(), "5018") != NULL);
        CHECK(subscriptions == NULL);
    }
    iap_sync_client_free(client);
    iap_ledger_close(ledger);
    remove(path);
}

/* A purchase consumed without its payment holds up claims of its store until it is linked; a
 * purchase declared without one does not. */
static void test_payment_link(const iap_verification* google, const iap_verification* one_store) {
    char path[4096];
    struct fake_server server;
    iap_ledger* ledger = NULL;
    iap_sync_options options;
    iap_sync_client* client = NULL;
    iap_sync_summary* summary = NULL;
    iap_entries* entries = NULL;
    iap_consume_options consume;
    int requests;

    memset(&server, 0, sizeof server);
    snprintf(path, sizeof path, "%s_link.ledger", work);
    remove(path);
    REQUIRE(iap_ledger_open(path, NULL, &ledger) == IAP_OK);
    REQUIRE(iap_ledger_consume(ledger, google, 0, NULL, NULL) == IAP_OK);
    REQUIRE(iap_consume_options_init(&consume) == IAP_OK);
    consume.without_server_payment = 1;
    REQUIRE(iap_ledger_consume(ledger, one_store, 0, &consume, &entries) == IAP_OK);
    CHECK(iap_entries_at(entries, 0)->without_server_payment == 1);
    iap_entries_free(entries);
    REQUIRE(iap_sync_options_init(&options) == IAP_OK);
    options.app_key = "app-key-1";
    options.user_key = "user-1";
    REQUIRE(iap_sync_client_new(ledger, fake_send, &server, &options, &client) == IAP_OK);
    REQUIRE(iap_sync_run(client, &summary) == IAP_OK);
    iap_sync_summary_free(summary);

    requests = server.requests;
    CHECK(iap_sync_claim(client, "P-1", NULL, NULL) == IAP_CONFLICT);
    CHECK(strstr(iap_last_error_message(), "google_play:some-token") != NULL);
    CHECK(server.requests == requests); /* refused before asking the server */
    CHECK(strcmp(iap_status_name(IAP_CONFLICT), "conflict") == 0);
    REQUIRE(iap_ledger_unlinked_consumes(ledger, IAP_STORE_GOOGLE_PLAY, &entries) == IAP_OK);
    REQUIRE(iap_entries_count(entries) == 1);
    CHECK(strcmp(iap_entries_at(entries, 0)->key, "google_play:some-token") == 0);
    iap_entries_free(entries);
    REQUIRE(iap_ledger_unlinked_consumes(ledger, IAP_STORE_ONE_STORE, &entries) == IAP_OK);
    CHECK(iap_entries_count(entries) == 0);
    iap_entries_free(entries);
    CHECK(iap_ledger_unlinked_consumes(ledger, (iap_store)9, &entries) == IAP_INVALID_ARGUMENT);
    CHECK(entries == NULL);

    /* Now that the ledger knows Google Play payments, a consume says which, or that it has none. */
    CHECK(iap_ledger_mark_without_server_payment(ledger, "google_play:never", NULL) == IAP_MALFORMED_INPUT);
    CHECK(iap_ledger_link_payment(ledger, "google_play:never", "P-1", NULL, NULL) == IAP_MALFORMED_INPUT);
    CHECK(iap_ledger_link_payment(ledger, "google_play:some-token", NULL, NULL, NULL) == IAP_INVALID_ARGUMENT);
    CHECK(iap_ledger_link_payment(NULL, "google_play:some-token", "P-1", NULL, NULL) == IAP_INVALID_ARGUMENT);
    REQUIRE(iap_ledger_link_payment(ledger, "google_play:some-token", "P-1", NULL, &entries) == IAP_OK);
    CHECK(strcmp(iap_entries_at(entries, 0)->payment_seq, "P-1") == 0);
    iap_entries_free(entries);
    CHECK(iap_ledger_mark_without_server_payment(ledger, "google_play:some-token", NULL) == IAP_MALFORMED_INPUT);
    CHECK(iap_sync_claim(client, "P-1", NULL, NULL) == IAP_ALREADY_CONSUMED);
    CHECK(server.requests == requests);
    REQUIRE(iap_sync_run(client, &summary) == IAP_OK); /* pushes the linked payment's consume */
    CHECK(iap_sync_summary_counts(summary)->pushed == 1);
    iap_sync_summary_free(summary);
    CHECK(server.consumed == 1);

    /* A struct_size from before without_server_payment is still accepted. */
    REQUIRE(iap_consume_options_init(&consume) == IAP_OK);
    consume.struct_size = offsetof(iap_consume_options, without_server_payment);
    CHECK(iap_ledger_consume(ledger, one_store, 0, &consume, NULL) == IAP_ALREADY_CONSUMED);
    REQUIRE(iap_ledger_mark_without_server_payment(ledger, "one_store:SANDBOX3000000004564", &entries) == IAP_OK);
    CHECK(iap_entries_at(entries, 0)->without_server_payment == 1);
    iap_entries_free(entries);
    iap_sync_client_free(client);
    iap_ledger_close(ledger);
    remove(path);
}

int main(int argc, char** argv) {
    iap_verifier* v = NULL;
    iap_verification* google;
    iap_verification* one_store;
    iap_verification* receipt;
    iap_verification* jws;
    if (argc != 4) {
        fprintf(stderr, "usage: %s TESTDATA_DIR ONE_STORE_FIXTURE_DIR LEDGER_PATH_PREFIX\n", argv[0]);
        return 2;
    }
    testdata = argv[1];
    fixture = argv[2];
    work = argv[3];

    test_status_names();
    test_null_arguments();
    REQUIRE(iap_verifier_new(&v) == IAP_OK);
    google = verify_google_play(v);
    one_store = verify_one_store(v);
    receipt = verify_receipt();
    jws = verify_jws();
    test_ledger(google, one_store, receipt);
    test_ledger_repair(google, one_store);
    test_sync();
    test_payment_link(google, one_store);
    iap_verification_free(google);
    iap_verification_free(one_store);
    iap_verification_free(receipt);
    iap_verification_free(jws);
    iap_verifier_free(v);
    if (failures != 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("C interface: all checks passed\n");
    return 0;
}
