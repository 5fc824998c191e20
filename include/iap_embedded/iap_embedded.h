/* SPDX-License-Identifier: MIT */
/*
 * iap_embedded's C interface: a C99 API over the C++ library, for game engines and languages that
 * reach native code through a C ABI (Unity P/Invoke, Dart FFI, JNI, Swift, Rust, Python ctypes).
 * Link with -liap_embedded (pkg-config iap_embedded_c; CMake iap_embedded::c).
 *
 *     iap_verifier* v = NULL;
 *     iap_verification* r = NULL;
 *     iap_verifier_new(&v);
 *     iap_verifier_add_google_play(v, key_base64, "com.example.game");
 *     if (iap_verify_google_play(v, json, strlen(json), sig, strlen(sig), &r) == IAP_OK) {
 *         const iap_purchase* p = iap_verification_purchase(r, 0);
 *         grant(p->product_id);
 *     } else fprintf(stderr, "%s\n", iap_last_error_message());
 *     iap_verification_free(r);
 *     iap_verifier_free(v);
 *
 * Rules.
 * - Status. Every function that can fail returns an iap_status; IAP_OK (0) is success. Its values
 *   1..26 are iap_embedded::errc one to one (same names, same numbers); values from 1000 on exist
 *   only in C (IAP_OUT_OF_MEMORY, IAP_INVALID_ARGUMENT, IAP_UNKNOWN_ERROR).
 * - Messages. Every call that returns an iap_status also sets the calling thread's last message:
 *   the precise explanation of a failure (what was wrong with this input), "" after success.
 *   iap_last_error_message() returns it; the pointer stays valid until this thread's next iap_ call.
 *   iap_status_message() gives the fixed generic sentence of a status.
 * - Exceptions. No C++ exception ever leaves a function of this header: each entry point catches
 *   everything (std::bad_alloc gives IAP_OUT_OF_MEMORY, anything else IAP_UNKNOWN_ERROR).
 * - Pointers. Every pointer argument is checked: a NULL where an object is required gives
 *   IAP_INVALID_ARGUMENT, never a crash. Out-pointers are set to NULL (or 0) on failure. Optional
 *   arguments say "may be NULL". Text arguments are NUL-terminated UTF-8 unless a length is passed
 *   with them (then they may hold any bytes).
 * - Memory. The library allocates every object it returns, and each owned type has exactly one free
 *   function: iap_verifier_free, iap_verification_free, iap_ledger_close, iap_entries_free,
 *   iap_balances_free, iap_history_free, iap_sync_client_free, iap_sync_summary_free,
 *   iap_subscriptions_free, iap_string_free. Free functions accept NULL. Every
 *   `const char*` and struct pointer read from an object (iap_purchase fields, receipt info, JWS
 *   fields, entries) is owned by that object and valid until the object is freed; absent text is
 *   "" (never NULL) unless said otherwise. Option structs are the caller's: fill them after the
 *   matching *_init function; the library copies what it needs before returning.
 * - Threads. A configured iap_verifier may verify from any number of threads at once; configuring it
 *   (iap_verifier_add_*) must not overlap with any other use of it. An iap_ledger may be used from
 *   several threads at once (the C++ ledger locks internally); one process opens a ledger file
 *   once (a second open is IAP_LEDGER_LOCKED). An iap_sync_client is used by one thread at a time
 *   (its ledger stays usable from others). Result objects (iap_verification, lists) are
 *   immutable: read them from any threads, free them once.
 * - ABI. Structs the library returns may grow at their end in a minor version; option structs
 *   carry their size (set by *_init), so a program built against an older header keeps working.
 */
#ifndef IAP_EMBEDDED_H
#define IAP_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(IAP_EMBEDDED_C_BUILD_SHARED)
#define IAP_API __declspec(dllexport)
#elif defined(IAP_EMBEDDED_C_USE_SHARED)
#define IAP_API __declspec(dllimport)
#else
#define IAP_API
#endif
#elif defined(__GNUC__)
#define IAP_API __attribute__((visibility("default")))
#else
#define IAP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Status and messages                                                                             */

/** Why a call failed. 1..26 mirror iap_embedded::errc (see error.hpp for each meaning). */
typedef enum iap_status {
    IAP_OK = 0,
    IAP_MALFORMED_INPUT = 1,
    IAP_MALFORMED_KEY = 2,
    IAP_SIGNATURE_INVALID = 3,
    IAP_UNSUPPORTED_ALGORITHM = 4,
    IAP_BUNDLE_ID_MISMATCH = 5,
    IAP_STORE_NOT_CONFIGURED = 6,
    IAP_INTERNAL_ERROR = 7,
    IAP_UNTRUSTED_CERTIFICATE = 8,
    IAP_CERTIFICATE_EXPIRED = 9,
    IAP_APP_VERSION_MISMATCH = 10,
    IAP_DEVICE_HASH_MISMATCH = 11,
    IAP_ENVIRONMENT_MISMATCH = 12,
    IAP_NOT_A_RECEIPT = 13,
    IAP_XCODE_NOT_ALLOWED = 14,
    IAP_ALREADY_CONSUMED = 15,
    IAP_INSUFFICIENT_BALANCE = 16,
    IAP_LEDGER_LOCKED = 17,
    IAP_LEDGER_CORRUPTED = 18,
    IAP_IO_ERROR = 19,
    IAP_APP_APPLE_ID_MISMATCH = 20,
    IAP_NETWORK_ERROR = 21,
    IAP_TLS_ERROR = 22,
    IAP_SERVER_ERROR = 23,
    IAP_MALFORMED_RESPONSE = 24,
    IAP_ORIGINAL_TRANSACTION_ID_MISMATCH = 25,
    IAP_CONFLICT = 26,
    /* C only, outside the mirrored range. */
    IAP_OUT_OF_MEMORY = 1000,    /**< an allocation failed */
    IAP_INVALID_ARGUMENT = 1001, /**< a required pointer is NULL, an index or enum is out of range */
    IAP_UNKNOWN_ERROR = 1002     /**< an unexpected exception was caught at the boundary */
} iap_status;

/** The stable snake_case name of a status ("signature_invalid"; "ok" for IAP_OK). Static storage. */
IAP_API const char* iap_status_name(iap_status status);
/** A generic sentence for a status. Static storage; unknown values give a generic sentence. */
IAP_API const char* iap_status_message(iap_status status);
/** The calling thread's message of its last iap_ call: the failure's precise explanation, or ""
 * after a success. Valid until this thread's next iap_ call. Never NULL. */
IAP_API const char* iap_last_error_message(void);
/** The library version ("0.1.0"), static storage. */
IAP_API const char* iap_version(void);
/** Frees a string the library returned (iap_verification_json, iap_ledger_history_json). NULL is fine. */
IAP_API void iap_string_free(char* text);

/* ---------------------------------------------------------------------------------------------- */
/* The purchase model                                                                              */

typedef enum iap_store { IAP_STORE_GOOGLE_PLAY = 1, IAP_STORE_ONE_STORE = 2, IAP_STORE_APP_STORE = 3 } iap_store;

typedef enum iap_purchase_state {
    IAP_PURCHASED = 0, /**< paid: grant it */
    IAP_PENDING = 1,   /**< payment not completed: do not grant yet */
    IAP_CANCELLED = 2, /**< never grant */
    IAP_REFUNDED = 3   /**< take back if granted */
} iap_purchase_state;

typedef enum iap_environment {
    IAP_ENVIRONMENT_PRODUCTION = 0,
    IAP_ENVIRONMENT_SANDBOX = 1,
    IAP_ENVIRONMENT_XCODE = 2,
    IAP_ENVIRONMENT_NONE = -1 /**< only in results: the data names no environment */
} iap_environment;

/** "google_play", "one_store", "app_store"; "purchased", ...; "Production", "Sandbox", "Xcode". */
IAP_API const char* iap_store_name(iap_store store);
IAP_API const char* iap_purchase_state_name(iap_purchase_state state);
IAP_API const char* iap_environment_name(iap_environment environment);

/** An optional boolean of the store data: absent, false or true. */
typedef enum iap_tristate { IAP_ABSENT = -1, IAP_FALSE = 0, IAP_TRUE = 1 } iap_tristate;

/** A verified purchase (iap_embedded::purchase). Times are ms since the Unix epoch, UTC. An
 * optional number is valid only when its has_ flag is 1. Owned by its iap_verification. */
typedef struct iap_purchase {
    iap_store store;
    const char* product_id;
    /** Google Play purchases of several products: the products after the first. */
    const char* const* other_product_ids;
    size_t other_product_id_count;
    iap_purchase_state state;
    int64_t quantity;
    int64_t purchase_time_ms;
    const char* order_id;              /**< Google Play, ONE store */
    const char* package_name;          /**< Google Play, ONE store */
    const char* purchase_token;        /**< Google Play, ONE store */
    const char* purchase_id;           /**< ONE store */
    const char* developer_payload;     /**< Google Play (legacy), ONE store */
    const char* obfuscated_account_id; /**< Google Play */
    const char* obfuscated_profile_id; /**< Google Play */
    iap_tristate acknowledged;         /**< Google Play; ONE store acknowledgeState == 1 */
    iap_tristate auto_renewing;        /**< Google Play subscriptions */
    int has_recurring_state;
    int64_t recurring_state;           /**< ONE store monthly products (0 active, 1 cancelled) */
    const char* transaction_id;          /**< App Store */
    const char* original_transaction_id; /**< App Store */
    int has_original_purchase_time_ms;
    int64_t original_purchase_time_ms;
    int has_expires_time_ms;
    int64_t expires_time_ms;
    int has_cancellation_time_ms;
    int64_t cancellation_time_ms;
    int has_web_order_line_item_id;
    int64_t web_order_line_item_id;
    iap_tristate in_intro_offer;
} iap_purchase;

/** App Store receipt-level fields (iap_embedded::app_store_receipt_info). */
typedef struct iap_receipt_info {
    const char* bundle_id;
    const char* app_version;
    const char* original_app_version;
    iap_environment environment;
    int64_t creation_time_ms;
    int has_expiration_time_ms;
    int64_t expiration_time_ms;
    int device_checked; /**< 1 when the device hash was checked and matched */
} iap_receipt_info;

typedef enum iap_jws_kind {
    IAP_JWS_TRANSACTION = 0,
    IAP_JWS_RENEWAL_INFO = 1,
    IAP_JWS_APP_TRANSACTION = 2,
    IAP_JWS_NOTIFICATION = 3
} iap_jws_kind;

/** "transaction", "renewal_info", "app_transaction", "notification". */
IAP_API const char* iap_jws_kind_name(iap_jws_kind kind);

/** A verified StoreKit 2 JWS, its fields besides the purchases (iap_embedded::app_store_jws). */
typedef struct iap_jws_info {
    iap_jws_kind kind;
    iap_environment environment; /**< IAP_ENVIRONMENT_NONE when the payload names none */
    const char* bundle_id;
    int has_app_apple_id;
    int64_t app_apple_id;
    int64_t signed_time_ms;
    const char* notification_type; /**< notifications */
    const char* subtype;
    const char* notification_uuid;
    const char* app_version; /**< AppTransaction */
    const char* original_app_version;
    const char* device_verification;
    const char* device_verification_nonce;
} iap_jws_info;

/** JWSTransaction fields beyond the purchase model (iap_embedded::app_store_transaction_details). */
typedef struct iap_transaction_details {
    const char* type;
    const char* subscription_group_identifier;
    const char* app_account_token;
    const char* in_app_ownership_type;
    const char* storefront;
    const char* storefront_id;
    const char* transaction_reason;
    const char* currency;
    const char* offer_identifier;
    const char* app_transaction_id;
    int has_price;
    int64_t price; /**< milliunits of currency */
    int has_offer_type;
    int64_t offer_type;
    int has_revocation_reason;
    int64_t revocation_reason;
    iap_tristate is_upgraded;
} iap_transaction_details;

/** JWSRenewalInfo fields (iap_embedded::app_store_renewal_info). */
typedef struct iap_renewal_info {
    const char* original_transaction_id;
    const char* product_id;
    const char* auto_renew_product_id;
    int has_auto_renew_status;
    int64_t auto_renew_status;
    int has_expiration_intent;
    int64_t expiration_intent;
    int has_renewal_time_ms;
    int64_t renewal_time_ms;
    int has_grace_period_expires_time_ms;
    int64_t grace_period_expires_time_ms;
    iap_tristate is_in_billing_retry_period;
} iap_renewal_info;

/* ---------------------------------------------------------------------------------------------- */
/* Verifier                                                                                        */

typedef struct iap_verifier iap_verifier;
/** A verification result: the store, its purchases and store-specific fields. Immutable. */
typedef struct iap_verification iap_verification;

/** App Store receipt checks (iap_embedded::app_store_receipt_options). Call the init function
 * first: it sets struct_size and the defaults (production, nothing else allowed or expected). */
typedef struct iap_receipt_options {
    size_t struct_size;
    /** Required: the receipt's bundle id must equal it. */
    const char* expected_bundle_id;
    /** Optional (NULL or ""): the receipt's app version must equal it. */
    const char* expected_app_version;
    /** Optional: the device identifier for the device hash, 16 bytes (iOS identifierForVendor) or
     * 6 (macOS MAC address). NULL / 0 to skip the device check. */
    const unsigned char* device_identifier;
    size_t device_identifier_size;
    /** The environment the receipt must come from; default production. */
    iap_environment expected_environment;
    /** Also accept sandbox receipts when production is expected. */
    int allow_sandbox;
    /** Accept Xcode StoreKit-testing receipts, against extra_roots only. */
    int allow_xcode;
    /** When has_evaluation_time_ms: evaluate certificate validity then (default: creation date). */
    int has_evaluation_time_ms;
    int64_t evaluation_time_ms;
    /** Optional trusted roots replacing the built-in Apple Root CA: extra_root_count certificates,
     * each DER or PEM, extra_roots[i] of extra_root_sizes[i] bytes. */
    const unsigned char* const* extra_roots;
    const size_t* extra_root_sizes;
    size_t extra_root_count;
} iap_receipt_options;

/** StoreKit 2 JWS checks (iap_embedded::app_store_jws_options). Init first. */
typedef struct iap_jws_options {
    size_t struct_size;
    /** What the JWS must hold; default IAP_JWS_TRANSACTION. */
    iap_jws_kind kind;
    /** Required: bundleId must equal it wherever the payload has one. */
    const char* expected_bundle_id;
    /** Required for IAP_JWS_RENEWAL_INFO: the subscription's original transaction id. */
    const char* expected_original_transaction_id;
    /** The environment the data must come from; default production. */
    iap_environment expected_environment;
    /** Also accept sandbox data when production is expected. */
    int allow_sandbox;
    /** Accept Xcode / LocalTesting data (checked only against the certificate it carries). */
    int allow_xcode;
    /** When has_expected_app_apple_id: appAppleId must equal it wherever the payload has one. */
    int has_expected_app_apple_id;
    int64_t expected_app_apple_id;
    int has_evaluation_time_ms;
    int64_t evaluation_time_ms;
    /** Optional roots replacing the built-in Apple Root CA - G3 (DER or PEM each). */
    const unsigned char* const* extra_roots;
    const size_t* extra_root_sizes;
    size_t extra_root_count;
} iap_jws_options;

IAP_API iap_status iap_receipt_options_init(iap_receipt_options* options);
IAP_API iap_status iap_jws_options_init(iap_jws_options* options);

IAP_API iap_status iap_verifier_new(iap_verifier** out);
IAP_API void iap_verifier_free(iap_verifier* verifier);
/** Accepts Google Play purchases signed for the base64 licence key. expected_package_name may be
 * NULL or "" (any app). IAP_MALFORMED_KEY for a key that is not an RSA 1024..4096 key. */
IAP_API iap_status iap_verifier_add_google_play(iap_verifier* verifier, const char* public_key_base64,
                                                const char* expected_package_name);
/** Accepts ONE store purchases signed for the base64 licence key. */
IAP_API iap_status iap_verifier_add_one_store(iap_verifier* verifier, const char* public_key_base64,
                                              const char* expected_package_name);
IAP_API iap_status iap_verifier_add_app_store(iap_verifier* verifier, const iap_receipt_options* options);
IAP_API iap_status iap_verifier_add_app_store_jws(iap_verifier* verifier, const iap_jws_options* options);

/** Verifies Google Play's original JSON (exact bytes) against its base64 signature. */
IAP_API iap_status iap_verify_google_play(const iap_verifier* verifier, const char* signed_data, size_t signed_data_size,
                                          const char* signature_base64, size_t signature_size,
                                          iap_verification** out);
/** Verifies ONE store purchase JSON (exact bytes) against its base64 signature. */
IAP_API iap_status iap_verify_one_store(const iap_verifier* verifier, const char* signed_data, size_t signed_data_size,
                                        const char* signature_base64, size_t signature_size, iap_verification** out);
/** Verifies an App Store app receipt: the receipt file's bytes or their base64 text. */
IAP_API iap_status iap_verify_app_store_receipt(const iap_verifier* verifier, const void* receipt, size_t receipt_size,
                                                iap_verification** out);
/** Verifies a StoreKit 2 compact JWS. */
IAP_API iap_status iap_verify_app_store_jws(const iap_verifier* verifier, const char* jws, size_t jws_size,
                                            iap_verification** out);

/** Parses a device identifier as people write it: a UUID (36 characters with dashes, or 32 hex
 * digits) gives 16 bytes, a MAC address (12 hex digits, colons optional) gives 6 bytes. `out` has
 * room for 16 bytes; *size gets 16 or 6. For iap_receipt_options.device_identifier. */
IAP_API iap_status iap_parse_device_identifier(const char* text, unsigned char out[16], size_t* size);
/** StoreKit 2 AppTransaction device check: base64(SHA-384(lowercase nonce || lowercase device
 * verification id)) must equal the verified AppTransaction's deviceVerification.
 * device_verification_id is AppStore.deviceVerificationID as a UUID string.
 * IAP_DEVICE_HASH_MISMATCH when it does not; IAP_MALFORMED_INPUT for another kind of JWS;
 * IAP_INVALID_ARGUMENT when the verification is not a StoreKit 2 JWS at all. */
IAP_API iap_status iap_check_app_transaction_device(const iap_verification* app_transaction,
                                                    const char* device_verification_id);

IAP_API void iap_verification_free(iap_verification* verification);
/** The store the result is from (0, no store, for NULL). */
IAP_API iap_store iap_verification_store(const iap_verification* verification);
/** The purchases: Google Play's and ONE store's one purchase, a receipt's in-app purchases, a
 * StoreKit 2 transaction's one purchase (none for renewal info or an AppTransaction). 0 for NULL. */
IAP_API size_t iap_verification_purchase_count(const iap_verification* verification);
/** Purchase `index`, or NULL when out of range. */
IAP_API const iap_purchase* iap_verification_purchase(const iap_verification* verification, size_t index);
/** App Store receipts only, else NULL. */
IAP_API const iap_receipt_info* iap_verification_receipt_info(const iap_verification* verification);
/** StoreKit 2 only, else NULL. */
IAP_API const iap_jws_info* iap_verification_jws_info(const iap_verification* verification);
/** StoreKit 2 transactions: the details of purchase `index`, else NULL. */
IAP_API const iap_transaction_details* iap_verification_transaction_details(const iap_verification* verification,
                                                                            size_t index);
/** StoreKit 2 renewal info (a renewal info JWS, or a notification's nested one), else NULL. */
IAP_API const iap_renewal_info* iap_verification_renewal_info(const iap_verification* verification);
/** The result as the JSON text `iapctl` prints for it (same members, same order), NUL-terminated;
 * free it with iap_string_free. */
IAP_API iap_status iap_verification_json(const iap_verification* verification, char** out);

/* ---------------------------------------------------------------------------------------------- */
/* Ledger: exactly-once consumption (iap_embedded::ledger; see ledger.hpp for its guarantees)      */

typedef struct iap_ledger iap_ledger;

typedef enum iap_durability { IAP_DURABILITY_FULL = 0, IAP_DURABILITY_PROCESS = 1 } iap_durability;
typedef enum iap_product_kind {
    IAP_PRODUCT_AUTOMATIC = 0,
    IAP_PRODUCT_CONSUMABLE = 1,
    IAP_PRODUCT_NON_CONSUMABLE = 2,
    IAP_PRODUCT_SUBSCRIPTION = 3
} iap_product_kind;

typedef struct iap_ledger_options {
    size_t struct_size;
    /** Raw HMAC-SHA256 key bytes for the record chain; NULL / 0 for none. */
    const unsigned char* hmac_key;
    size_t hmac_key_size;
    iap_durability durability; /**< default full (fdatasync) */
    int create;                /**< create the file if missing; default 1 */
    uint64_t compact_slack_records; /**< default 4096; 0 never compacts automatically */
} iap_ledger_options;

typedef struct iap_consume_options {
    size_t struct_size;
    iap_product_kind kind;      /**< default automatic */
    const char* credit_balance; /**< atomic path: credit credit_amount (> 0) to this balance */
    int64_t credit_amount;
    int delivered;              /**< record as delivered at once */
    int64_t store_time_ms;      /**< verified store time that came with the purchase; 0 if none */
    int has_expires_time_ms;
    int64_t expires_time_ms;    /**< expiry to record when the purchase has none */
    /** The IAP server's payment (paymentSeq and its accessToken) when the purchase came through
     * the IAP SDK: the consume also records a server consume for iap_sync_run to push. Once the
     * ledger knows a payment of the purchase's store, a consume needs one, or
     * without_server_payment, unless it is a subscription (ledger.hpp, "Keys"). */
    const char* payment_seq;
    const char* access_token;
    /** The purchase has no IAP server payment (bought outside the IAP SDK). A struct_size that
     * ends before it (a program built against an older header) reads it as 0. */
    int without_server_payment;
} iap_consume_options;

/** A consumed purchase as the ledger knows it (iap_embedded::ledger_entry). */
typedef struct iap_entry {
    const char* key; /**< "STORE:ID", as iap_ledger_mark_delivered takes it */
    iap_store store;
    const char* product_id;
    const char* order_id;
    iap_product_kind kind;
    iap_purchase_state state;
    int64_t quantity;
    int64_t purchase_time_ms;
    int has_expires_time_ms;
    int64_t expires_time_ms;
    int64_t consumed_time_ms;
    int has_delivered_time_ms;
    int64_t delivered_time_ms;
    const char* credit_balance;
    int64_t credit_amount;
    const char* payment_seq;
    int without_server_payment; /**< declared to have no IAP server payment */
} iap_entry;

typedef struct iap_balance {
    const char* name;
    int64_t value;
} iap_balance;

typedef enum iap_history_kind {
    IAP_HISTORY_CONSUMED = 0,
    IAP_HISTORY_DELIVERED = 1,
    IAP_HISTORY_STATE_CHANGED = 2,
    IAP_HISTORY_SPENT = 3,
    IAP_HISTORY_BALANCE_SET = 4
} iap_history_kind;

typedef struct iap_history_event {
    iap_history_kind kind;
    int64_t time_ms;
    const char* key; /**< "" for balance entries */
    const char* product_id;
    iap_purchase_state state;
    int has_expires_time_ms;
    int64_t expires_time_ms;
    const char* balance;
    int64_t amount;
} iap_history_event;

/** Selects history entries; init selects everything. */
typedef struct iap_history_filter {
    size_t struct_size;
    int has_store;
    iap_store store;
    const char* product_id; /**< NULL or "": every product */
    int64_t from_ms;
    int64_t to_ms;
} iap_history_filter;

typedef struct iap_entries iap_entries;
typedef struct iap_balances iap_balances;
typedef struct iap_history iap_history;

IAP_API iap_status iap_ledger_options_init(iap_ledger_options* options);
IAP_API iap_status iap_consume_options_init(iap_consume_options* options);
IAP_API iap_status iap_history_filter_init(iap_history_filter* filter);

/** Opens (or creates) the ledger file. options may be NULL (defaults). IAP_LEDGER_LOCKED,
 * IAP_LEDGER_CORRUPTED, IAP_IO_ERROR. */
IAP_API iap_status iap_ledger_open(const char* path, const iap_ledger_options* options, iap_ledger** out);
/** Closes the file and releases its lock. NULL is fine. */
IAP_API void iap_ledger_close(iap_ledger* ledger);
/** Truncates a damaged ledger at its first damaged record; *removed_bytes (may be NULL) gets the
 * number of bytes cut off. */
IAP_API iap_status iap_ledger_repair(const char* path, const iap_ledger_options* options, uint64_t* removed_bytes);

/** Consumes purchase `index` of `verification`, durably. IAP_ALREADY_CONSUMED for a replay.
 * options may be NULL (two-phase: then mark it delivered after granting). out (may be NULL) gets
 * a one-entry list. */
IAP_API iap_status iap_ledger_consume(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                      const iap_consume_options* options, iap_entries** out);
/** The atomic path: consume and credit `amount` to `balance` in one durable record, delivered. */
IAP_API iap_status iap_ledger_consume_credit(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                             const char* balance, int64_t amount, iap_entries** out);
/** Records that the consumed purchase `key` ("STORE:ID") is the IAP server payment payment_seq
 * (iap_embedded::ledger::link_payment): a claim of that payment is then IAP_ALREADY_CONSUMED, and
 * iap_sync_run pushes its server consume. access_token may be NULL when the ledger lists the
 * payment. IAP_ALREADY_CONSUMED for a payment consumed here as another purchase. out (may be
 * NULL) gets a one-entry list. */
IAP_API iap_status iap_ledger_link_payment(iap_ledger* ledger, const char* key, const char* payment_seq,
                                           const char* access_token, iap_entries** out);
/** Records that the consumed purchase `key` has no IAP server payment (bought outside the IAP
 * SDK), so that it no longer holds up claims. Idempotent. out (may be NULL) gets a one-entry list. */
IAP_API iap_status iap_ledger_mark_without_server_payment(iap_ledger* ledger, const char* key, iap_entries** out);
/** Consumed purchases of `store` that make iap_sync_claim IAP_CONFLICT until each is linked or
 * marked: no payment, not declared without one, not subscriptions. */
IAP_API iap_status iap_ledger_unlinked_consumes(const iap_ledger* ledger, iap_store store, iap_entries** out);
/** Confirms the grant of the consumed purchase `key` ("STORE:ID"). Idempotent. */
IAP_API iap_status iap_ledger_mark_delivered(iap_ledger* ledger, const char* key);
/** Records what a later verification says about a consumed purchase (refund, new expiry). */
IAP_API iap_status iap_ledger_record_update(iap_ledger* ledger, const iap_verification* verification, size_t index,
                                            int64_t store_time_ms, iap_entries** out);
/** Debits amount (> 0); *new_value (may be NULL) gets the new balance. IAP_INSUFFICIENT_BALANCE. */
IAP_API iap_status iap_ledger_spend(iap_ledger* ledger, const char* balance, int64_t amount, int64_t* new_value);
IAP_API iap_status iap_ledger_balance(const iap_ledger* ledger, const char* balance, int64_t* value);
IAP_API iap_status iap_ledger_balances(const iap_ledger* ledger, iap_balances** out);
IAP_API iap_status iap_ledger_undelivered(const iap_ledger* ledger, iap_entries** out);
/** What the user owns at at_ms (see iap_embedded::ledger::entitlements). */
IAP_API iap_status iap_ledger_entitlements(const iap_ledger* ledger, int64_t at_ms, iap_entries** out);
/** The entry of key: a list of one entry, or of none when it was never consumed. */
IAP_API iap_status iap_ledger_find(const iap_ledger* ledger, const char* key, iap_entries** out);
/** History entries, oldest first; filter may be NULL (everything). */
IAP_API iap_status iap_ledger_history(const iap_ledger* ledger, const iap_history_filter* filter, iap_history** out);
/** The same as JSON text (iap_embedded::ledger::history_json); free with iap_string_free. */
IAP_API iap_status iap_ledger_history_json(const iap_ledger* ledger, const iap_history_filter* filter, char** out);
IAP_API iap_status iap_ledger_observe_store_time(iap_ledger* ledger, int64_t time_ms);
IAP_API iap_status iap_ledger_trusted_time_ms(const iap_ledger* ledger, int64_t* out);
IAP_API iap_status iap_ledger_compact(iap_ledger* ledger);

IAP_API size_t iap_entries_count(const iap_entries* entries);
IAP_API const iap_entry* iap_entries_at(const iap_entries* entries, size_t index);
IAP_API void iap_entries_free(iap_entries* entries);
IAP_API size_t iap_balances_count(const iap_balances* balances);
IAP_API const iap_balance* iap_balances_at(const iap_balances* balances, size_t index);
IAP_API void iap_balances_free(iap_balances* balances);
IAP_API size_t iap_history_count(const iap_history* history);
IAP_API const iap_history_event* iap_history_at(const iap_history* history, size_t index);
IAP_API void iap_history_free(iap_history* history);

/* ---------------------------------------------------------------------------------------------- */
/* Sync with the IAP server (iap_embedded::sync_client; see sync.hpp for its rules)                */
/* The app brings the HTTP stack: a callback that sends one request and fills in the response.    */

typedef enum iap_market { IAP_MARKET_GOOGLE_PLAY = 0, IAP_MARKET_APP_STORE = 1, IAP_MARKET_ONE_STORE = 2 } iap_market;

/** One HTTP request to the IAP server. target is the API path ("/v1/service/consume"): prefix your
 * server URL's base path, add Host, Content-Length and connection headers yourself. */
typedef struct iap_http_request {
    const char* method;
    const char* target;
    const char* const* header_names;
    const char* const* header_values;
    size_t header_count;
    const char* body;
    size_t body_size;
} iap_http_request;

/** The response being filled in by a callback (owned by the library). */
typedef struct iap_http_response iap_http_response;
IAP_API iap_status iap_http_response_set_status(iap_http_response* response, int status);
IAP_API iap_status iap_http_response_add_header(iap_http_response* response, const char* name, const char* value);
IAP_API iap_status iap_http_response_set_body(iap_http_response* response, const char* body, size_t body_size);

/** Sends `request` and fills `response` (status, headers, body; the library copies them). Returns
 * IAP_OK when an HTTP response arrived (whatever its status), else IAP_NETWORK_ERROR (no
 * connection, dropped, timed out, or unknown whether it was delivered), IAP_TLS_ERROR or
 * IAP_MALFORMED_RESPONSE. Called on the thread that called iap_sync_*, one request at a time. */
typedef iap_status (*iap_http_send_fn)(void* user_data, const iap_http_request* request, iap_http_response* response);

typedef struct iap_sync_options {
    size_t struct_size;
    const char* app_key;      /**< required, sent as X-NHN-TCIAP-AppKey */
    const char* user_key;     /**< required, the app's user id as the IAP SDK was given it */
    iap_market market;        /**< default Google Play */
    const char* user_channel; /**< default "GF" */
    int64_t backoff_base_ms;  /**< default 1000 */
    int64_t backoff_max_ms;   /**< default 900000 */
} iap_sync_options;

typedef struct iap_sync_refusal {
    const char* payment_seq;
    int64_t result_code;
    const char* message;
} iap_sync_refusal;

/** What one iap_sync_run did. Owned by its iap_sync_summary. */
typedef struct iap_sync_counts {
    size_t pushed;    /**< server consumes confirmed in this run */
    size_t fetched;   /**< payments newly recorded as available */
    size_t pending;   /**< consumes still waiting for the server afterwards */
    size_t available; /**< payments available to iap_sync_claim afterwards */
} iap_sync_counts;

typedef struct iap_sync_client iap_sync_client;
typedef struct iap_sync_summary iap_sync_summary;

IAP_API iap_status iap_sync_options_init(iap_sync_options* options);
/** A sync client over `ledger` (which must outlive it) sending through `send`. */
IAP_API iap_status iap_sync_client_new(iap_ledger* ledger, iap_http_send_fn send, void* user_data,
                                       const iap_sync_options* options, iap_sync_client** out);
IAP_API void iap_sync_client_free(iap_sync_client* client);
/** Pushes pending consumes, then fetches the consumable list. */
IAP_API iap_status iap_sync_run(iap_sync_client* client, iap_sync_summary** out);
/** Consumes an available payment: server first, then the ledger. options may be NULL.
 * IAP_ALREADY_CONSUMED when it was consumed here or elsewhere. out (may be NULL): one entry. */
IAP_API iap_status iap_sync_claim(iap_sync_client* client, const char* payment_seq, const iap_consume_options* options,
                                  iap_entries** out);
/** How long to wait before the next iap_sync_run after failures (0 after a success). */
IAP_API iap_status iap_sync_retry_delay_ms(const iap_sync_client* client, int64_t* out);

/** An active subscription the IAP server lists (iap_embedded::server_subscription). */
typedef struct iap_subscription {
    const char* payment_seq;
    const char* product_seq;
    const char* product_id;
    int has_purchase_time_ms;
    int64_t purchase_time_ms;
    int has_expiry_time_ms;
    int64_t expiry_time_ms;
} iap_subscription;

typedef struct iap_subscriptions iap_subscriptions;

/** The user's active subscriptions in package_name, as the IAP server lists them (nothing is
 * recorded in the ledger). */
IAP_API iap_status iap_sync_active_subscriptions(iap_sync_client* client, const char* package_name,
                                                 iap_subscriptions** out);
IAP_API size_t iap_subscriptions_count(const iap_subscriptions* subscriptions);
IAP_API const iap_subscription* iap_subscriptions_at(const iap_subscriptions* subscriptions, size_t index);
IAP_API void iap_subscriptions_free(iap_subscriptions* subscriptions);

IAP_API const iap_sync_counts* iap_sync_summary_counts(const iap_sync_summary* summary);
/** Payments found consumed elsewhere in this run. */
IAP_API size_t iap_sync_summary_conflict_count(const iap_sync_summary* summary);
IAP_API const char* iap_sync_summary_conflict(const iap_sync_summary* summary, size_t index);
/** Pending payments the server refused in this run. */
IAP_API size_t iap_sync_summary_refused_count(const iap_sync_summary* summary);
IAP_API const iap_sync_refusal* iap_sync_summary_refused(const iap_sync_summary* summary, size_t index);
IAP_API void iap_sync_summary_free(iap_sync_summary* summary);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* IAP_EMBEDDED_H */
