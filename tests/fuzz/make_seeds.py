#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz seed corpora derived from the shared real-world test data.

usage: make_seeds.py TESTDATA_DIR OUTPUT_DIR

The test data is read in place and never copied into the source tree: the build runs this script
into its own directory, and the seeds land in OUTPUT_DIR/seeds_<target>/ (one directory per fuzz
target, recreated on every run). Hand-written seeds live in tests/fuzz/corpus/<target>/.
"""
import base64
import json
import os
import shutil
import sys

TARGETS = ("fuzz_base64", "fuzz_public_key", "fuzz_purchase_json")


def main(testdata, out):
    def read(relative):
        with open(os.path.join(testdata, relative), "rb") as f:
            return f.read()

    def load(relative):
        return json.loads(read(relative).decode("utf-8"))

    seeds = {t: {} for t in TARGETS}

    # Google Play, awa/go-iap: the real RSA-1024 purchase and its failure cases.
    go_key = read("google_play/go-iap/public_key.b64").strip()
    go_data = read("google_play/go-iap/signed_data.json")
    go_sig = read("google_play/go-iap/signature.b64").strip()
    seeds["fuzz_base64"]["go_iap_public_key.b64"] = go_key
    seeds["fuzz_base64"]["go_iap_signature.b64"] = go_sig
    seeds["fuzz_public_key"]["go_iap_public_key.b64"] = go_key
    seeds["fuzz_public_key"]["go_iap_public_key.der"] = base64.b64decode(go_key)
    seeds["fuzz_purchase_json"]["go_iap_signed_data.json"] = go_data
    seeds["fuzz_purchase_json"]["go_iap_signed_data_with_signature"] = go_data + b"\0" + go_sig
    for i, case in enumerate(load("google_play/go-iap/verify_signature_cases.json")["cases"]):
        key = case["public_key_base64"].encode()
        sig = case["signature_base64"].encode()
        seeds["fuzz_public_key"]["go_iap_case%d_key.b64" % i] = key
        seeds["fuzz_base64"]["go_iap_case%d_signature.b64" % i] = sig
        seeds["fuzz_purchase_json"]["go_iap_case%d_with_signature" % i] = go_data + b"\0" + sig

    # Google Play, mokelab-go/iab: signed data ending in a newline, and a tampered purchase.
    for i, case in enumerate(load("google_play/mokelab-go-iab/cases.json")["cases"]):
        data = case["signed_data"].encode()
        sig = case["signature_base64"].encode()
        seeds["fuzz_purchase_json"]["mokelab_case%d.json" % i] = data
        seeds["fuzz_purchase_json"]["mokelab_case%d_with_signature" % i] = data + b"\0" + sig
        seeds["fuzz_base64"]["mokelab_case%d_signature.b64" % i] = sig
        if i == 0:
            key = case["public_key_base64"].encode()
            seeds["fuzz_public_key"]["mokelab_public_key.b64"] = key
            seeds["fuzz_public_key"]["mokelab_public_key.der"] = base64.b64decode(key)

    # Wycheproof: RSA-2048 and RSA-4096 SubjectPublicKeyInfo, and a P-256 one (not RSA).
    for name in ("rsa_signature_2048_sha256", "rsa_signature_4096_sha512", "ecdsa_secp256r1_sha256"):
        group = load("wycheproof/%s_test.json" % name)["testGroups"][0]
        der = bytes.fromhex(group["publicKeyDer"])
        seeds["fuzz_public_key"]["wycheproof_%s.der" % name] = der
        seeds["fuzz_public_key"]["wycheproof_%s.b64" % name] = base64.b64encode(der)
        seeds["fuzz_base64"]["wycheproof_%s.b64" % name] = base64.b64encode(der)

    # Apple: a certificate (DER that is not a SubjectPublicKeyInfo), base64 receipts with line
    # structure, and the JSON payload of a StoreKit 2 transaction (a realistic non-Google object).
    seeds["fuzz_public_key"]["apple_jws_leaf_cert.der"] = read(
        "apple_jws/app-store-server-library/x509_chain_tests/leaf_cert.der")
    seeds["fuzz_base64"]["apple_receipt_xcode.b64"] = read("apple_receipts/tpinappreceipt/receipt-xcode")
    jws = read("apple_jws/app-store-server-library/xcode/xcode-signed-transaction").strip().split(b".")
    payload = jws[1] + b"=" * (-len(jws[1]) % 4)
    seeds["fuzz_purchase_json"]["apple_xcode_transaction.json"] = base64.urlsafe_b64decode(payload)

    for target in TARGETS:
        directory = os.path.join(out, "seeds_" + target)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for name, content in sorted(seeds[target].items()):
            with open(os.path.join(directory, name), "wb") as f:
                f.write(content)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
