# SPDX-License-Identifier: MIT
"""Calls the C interface from Python with ctypes, as any language with a C FFI would: verify a
real Google Play purchase and a ONE store purchase, consume, refuse the replay (also after
reopening the ledger). README "C interface" shows this program's core. With IAPCTL, also checks
that iap_verification_json is exactly what `iapctl verify` prints for a Google Play purchase, an
App Store receipt and a StoreKit 2 transaction.

Usage: test_ctypes.py LIBIAP_EMBEDDED_SO TESTDATA_DIR ONE_STORE_FIXTURE_DIR [IAPCTL]
"""
import ctypes
import os
import subprocess
import sys
import tempfile

IAP_OK = 0
IAP_SIGNATURE_INVALID = 3
IAP_ALREADY_CONSUMED = 15
IAP_INVALID_ARGUMENT = 1001


class Purchase(ctypes.Structure):
    """The leading members of iap_purchase (the library owns the struct; reading a prefix is safe)."""
    _fields_ = [
        ("store", ctypes.c_int),
        ("product_id", ctypes.c_char_p),
        ("other_product_ids", ctypes.POINTER(ctypes.c_char_p)),
        ("other_product_id_count", ctypes.c_size_t),
        ("state", ctypes.c_int),
        ("quantity", ctypes.c_int64),
        ("purchase_time_ms", ctypes.c_int64),
        ("order_id", ctypes.c_char_p),
        ("package_name", ctypes.c_char_p),
        ("purchase_token", ctypes.c_char_p),
        ("purchase_id", ctypes.c_char_p),
    ]


class ReceiptOptions(ctypes.Structure):
    """iap_receipt_options."""
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("expected_bundle_id", ctypes.c_char_p),
        ("expected_app_version", ctypes.c_char_p),
        ("device_identifier", ctypes.c_void_p),
        ("device_identifier_size", ctypes.c_size_t),
        ("expected_environment", ctypes.c_int),
        ("allow_sandbox", ctypes.c_int),
        ("allow_xcode", ctypes.c_int),
        ("has_evaluation_time_ms", ctypes.c_int),
        ("evaluation_time_ms", ctypes.c_int64),
        ("extra_roots", ctypes.c_void_p),
        ("extra_root_sizes", ctypes.c_void_p),
        ("extra_root_count", ctypes.c_size_t),
    ]


class JwsOptions(ctypes.Structure):
    """iap_jws_options."""
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("kind", ctypes.c_int),
        ("expected_bundle_id", ctypes.c_char_p),
        ("expected_original_transaction_id", ctypes.c_char_p),
        ("expected_environment", ctypes.c_int),
        ("allow_sandbox", ctypes.c_int),
        ("allow_xcode", ctypes.c_int),
        ("has_expected_app_apple_id", ctypes.c_int),
        ("expected_app_apple_id", ctypes.c_int64),
        ("has_evaluation_time_ms", ctypes.c_int),
        ("evaluation_time_ms", ctypes.c_int64),
        ("extra_roots", ctypes.c_void_p),
        ("extra_root_sizes", ctypes.c_void_p),
        ("extra_root_count", ctypes.c_size_t),
    ]


class Entry(ctypes.Structure):
    """The leading members of iap_entry."""
    _fields_ = [("key", ctypes.c_char_p), ("store", ctypes.c_int), ("product_id", ctypes.c_char_p)]


def load(path):
    lib = ctypes.CDLL(path)
    p = ctypes.c_void_p
    pp = ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "iap_last_error_message": ([], ctypes.c_char_p),
        "iap_status_name": ([ctypes.c_int], ctypes.c_char_p),
        "iap_verifier_new": ([pp], ctypes.c_int),
        "iap_verifier_free": ([p], None),
        "iap_verifier_add_google_play": ([p, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        "iap_verifier_add_one_store": ([p, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        "iap_verify_google_play": ([p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, pp],
                                   ctypes.c_int),
        "iap_verify_one_store": ([p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, pp],
                                 ctypes.c_int),
        "iap_verification_free": ([p], None),
        "iap_receipt_options_init": ([ctypes.POINTER(ReceiptOptions)], ctypes.c_int),
        "iap_jws_options_init": ([ctypes.POINTER(JwsOptions)], ctypes.c_int),
        "iap_verifier_add_app_store": ([p, ctypes.POINTER(ReceiptOptions)], ctypes.c_int),
        "iap_verifier_add_app_store_jws": ([p, ctypes.POINTER(JwsOptions)], ctypes.c_int),
        "iap_verify_app_store_receipt": ([p, ctypes.c_char_p, ctypes.c_size_t, pp], ctypes.c_int),
        "iap_verify_app_store_jws": ([p, ctypes.c_char_p, ctypes.c_size_t, pp], ctypes.c_int),
        "iap_verification_purchase_count": ([p], ctypes.c_size_t),
        "iap_verification_purchase": ([p, ctypes.c_size_t], ctypes.POINTER(Purchase)),
        "iap_verification_json": ([p, ctypes.POINTER(ctypes.c_void_p)], ctypes.c_int),
        "iap_string_free": ([p], None),
        "iap_ledger_open": ([ctypes.c_char_p, p, pp], ctypes.c_int),
        "iap_ledger_close": ([p], None),
        "iap_ledger_consume": ([p, p, ctypes.c_size_t, p, pp], ctypes.c_int),
        "iap_ledger_consume_credit": ([p, p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_int64, pp], ctypes.c_int),
        "iap_ledger_mark_delivered": ([p, ctypes.c_char_p], ctypes.c_int),
        "iap_ledger_balance": ([p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)], ctypes.c_int),
        "iap_entries_count": ([p], ctypes.c_size_t),
        "iap_entries_at": ([p, ctypes.c_size_t], ctypes.POINTER(Entry)),
        "iap_entries_free": ([p], None),
    }
    for name, (args, result) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result
    return lib


def read(path, strip=False):
    with open(path, "rb") as f:
        data = f.read()
    return data.strip() if strip else data


failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAILED:", what, file=sys.stderr)


def json_of(lib, verified):
    text = ctypes.c_void_p()
    check(lib.iap_verification_json(verified, ctypes.byref(text)) == IAP_OK, "iap_verification_json")
    out = ctypes.string_at(text.value).decode()
    lib.iap_string_free(text)
    return out


def compare_with_iapctl(lib, iapctl, testdata, verifier, verified):
    """iap_verification_json must print what iapctl prints for the same verified data."""
    def iapctl_json(*args):
        run = subprocess.run([iapctl, "verify"] + list(args), capture_output=True, text=True, check=False)
        check(run.returncode == 0, "iapctl verify %s: %s" % (args[0], run.stderr))
        return run.stdout.strip()

    go_iap = os.path.join(testdata, "google_play", "go-iap")
    check(json_of(lib, verified) == iapctl_json(
        "google-play", "--public-key", "@" + os.path.join(go_iap, "public_key.b64"),
        "--data", os.path.join(go_iap, "signed_data.json"),
        "--signature", "@" + os.path.join(go_iap, "signature.b64")), "Google Play JSON equals iapctl's")

    receipt_path = os.path.join(testdata, "apple_receipts", "tpinappreceipt", "receipt-sandbox-g5")
    options = ReceiptOptions()
    check(lib.iap_receipt_options_init(ctypes.byref(options)) == IAP_OK, "receipt options")
    options.expected_bundle_id = b"dev.bonzer.weeka.app"
    options.expected_environment = 1  # IAP_ENVIRONMENT_SANDBOX
    check(lib.iap_verifier_add_app_store(verifier, ctypes.byref(options)) == IAP_OK, "add_app_store")
    receipt = read(receipt_path)
    result = ctypes.c_void_p()
    check(lib.iap_verify_app_store_receipt(verifier, receipt, len(receipt), ctypes.byref(result)) == IAP_OK,
          "verify receipt: %s" % lib.iap_last_error_message())
    check(json_of(lib, result) == iapctl_json("app-store-receipt", "--receipt", receipt_path,
                                            "--bundle-id", "dev.bonzer.weeka.app"),
          "App Store receipt JSON equals iapctl's")
    lib.iap_verification_free(result)

    jws_path = os.path.join(testdata, "apple_jws", "app-store-server-library", "xcode", "xcode-signed-transaction")
    jws_options = JwsOptions()
    check(lib.iap_jws_options_init(ctypes.byref(jws_options)) == IAP_OK, "jws options")
    jws_options.expected_bundle_id = b"com.example.naturelab.backyardbirds.example"
    jws_options.expected_environment = 2  # IAP_ENVIRONMENT_XCODE
    jws_options.allow_xcode = 1
    check(lib.iap_verifier_add_app_store_jws(verifier, ctypes.byref(jws_options)) == IAP_OK, "add_app_store_jws")
    jws = read(jws_path, strip=True)
    check(lib.iap_verify_app_store_jws(verifier, jws, len(jws), ctypes.byref(result)) == IAP_OK,
          "verify jws: %s" % lib.iap_last_error_message())
    check(json_of(lib, result) == iapctl_json("app-store-jws", "--jws", jws_path, "--allow-xcode",
                                            "--bundle-id", "com.example.naturelab.backyardbirds.example"),
          "StoreKit 2 JSON equals iapctl's")
    lib.iap_verification_free(result)


def main():
    lib = load(sys.argv[1])
    testdata, fixture = sys.argv[2], sys.argv[3]
    go_iap = os.path.join(testdata, "google_play", "go-iap")
    data = read(os.path.join(go_iap, "signed_data.json"))
    signature = read(os.path.join(go_iap, "signature.b64"), strip=True)
    key = read(os.path.join(go_iap, "public_key.b64"), strip=True)

    verifier = ctypes.c_void_p()
    check(lib.iap_verifier_new(ctypes.byref(verifier)) == IAP_OK, "iap_verifier_new")
    check(lib.iap_verifier_add_google_play(verifier, key, b"my.package") == IAP_OK, "add_google_play")
    check(lib.iap_verifier_add_one_store(verifier, read(os.path.join(fixture, "public_key.b64"), strip=True),
                                         b"com.example.game") == IAP_OK, "add_one_store")

    # A changed byte does not verify, and the message says why.
    verified = ctypes.c_void_p()
    tampered = data.replace(b"myproduct", b"myproducu")
    status = lib.iap_verify_google_play(verifier, tampered, len(tampered), signature, len(signature),
                                        ctypes.byref(verified))
    check(status == IAP_SIGNATURE_INVALID, "tampered purchase: %s" % lib.iap_status_name(status))
    check(verified.value is None, "no result on failure")
    check(len(lib.iap_last_error_message()) > 0, "a failure has a message")
    check(lib.iap_verify_google_play(None, data, len(data), signature, len(signature),
                                     ctypes.byref(verified)) == IAP_INVALID_ARGUMENT, "NULL verifier")

    status = lib.iap_verify_google_play(verifier, data, len(data), signature, len(signature), ctypes.byref(verified))
    check(status == IAP_OK, "verify google play: %s" % lib.iap_last_error_message())
    check(lib.iap_verification_purchase_count(verified) == 1, "one purchase")
    purchase = lib.iap_verification_purchase(verified, 0).contents
    check(purchase.product_id == b"myproduct", "product_id")
    check(purchase.purchase_token == b"some-token", "purchase_token")
    check(purchase.purchase_time_ms == 1437564796303, "purchase_time_ms")
    text = ctypes.c_void_p()
    check(lib.iap_verification_json(verified, ctypes.byref(text)) == IAP_OK, "json")
    check(b'"product_id": "myproduct"' in ctypes.string_at(text.value), "json product_id")
    lib.iap_string_free(text)

    one = read(os.path.join(fixture, "purchase.json"))
    one_signature = read(os.path.join(fixture, "signature.b64"), strip=True)
    one_verified = ctypes.c_void_p()
    check(lib.iap_verify_one_store(verifier, one, len(one), one_signature, len(one_signature),
                                   ctypes.byref(one_verified)) == IAP_OK, "verify one store")

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "purchases.ledger").encode()
        ledger = ctypes.c_void_p()
        check(lib.iap_ledger_open(path, None, ctypes.byref(ledger)) == IAP_OK, "open")
        entries = ctypes.c_void_p()
        check(lib.iap_ledger_consume(ledger, verified, 0, None, ctypes.byref(entries)) == IAP_OK, "consume")
        check(lib.iap_entries_count(entries) == 1, "one entry")
        consumed_key = lib.iap_entries_at(entries, 0).contents.key
        check(consumed_key == b"google_play:some-token", "key")
        check(lib.iap_ledger_mark_delivered(ledger, consumed_key) == IAP_OK, "mark_delivered")
        lib.iap_entries_free(entries)
        check(lib.iap_ledger_consume(ledger, verified, 0, None, None) == IAP_ALREADY_CONSUMED, "replay refused")
        check(lib.iap_ledger_consume_credit(ledger, one_verified, 0, b"gems", 100, None) == IAP_OK, "credit")
        lib.iap_ledger_close(ledger)

        ledger = ctypes.c_void_p()
        check(lib.iap_ledger_open(path, None, ctypes.byref(ledger)) == IAP_OK, "reopen")
        check(lib.iap_ledger_consume(ledger, verified, 0, None, None) == IAP_ALREADY_CONSUMED,
              "replay refused after reopening")
        balance = ctypes.c_int64()
        check(lib.iap_ledger_balance(ledger, b"gems", ctypes.byref(balance)) == IAP_OK and balance.value == 100,
              "balance kept")
        lib.iap_ledger_close(ledger)

    if len(sys.argv) > 4:
        compare_with_iapctl(lib, sys.argv[4], testdata, verifier, verified)
    lib.iap_verification_free(one_verified)
    lib.iap_verification_free(verified)
    lib.iap_verifier_free(verifier)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("ctypes: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
