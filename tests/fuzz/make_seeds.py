#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz seed corpora derived from the real-world test data (tests/data/SOURCES.md).

usage: make_seeds.py TESTDATA_DIR OUTPUT_DIR
       make_seeds.py --replay TESTDATA_DIR TARGET_EXE CORPUS_DIR...

The first form writes OUTPUT_DIR/seeds_<target>/ (one directory per fuzz target, recreated on every
run); tools/run_fuzzers.sh uses it. The second, the seed replay test of `meson test`, writes them
into a temporary directory and runs TARGET_EXE (a standalone fuzz driver) on the CORPUS_DIRs and on
the seeds of its own target; its exit status is the driver's. Hand-written seeds live in
tests/fuzz/corpus/<target>/. A missing data file ends either form with a message that names the
file and testdata_dir.
"""
import base64
import hmac
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

TARGETS = ("fuzz_base64", "fuzz_public_key", "fuzz_purchase_json", "fuzz_asn1", "fuzz_cms",
           "fuzz_receipt_payload", "fuzz_jws", "fuzz_x509_chain", "fuzz_ledger", "fuzz_server_response",
           "fuzz_c_api", "fuzz_ledger_ops")

APPLE_RECEIPTS = (
    "tpinappreceipt/receipt-production",
    "tpinappreceipt/receipt-sandbox-g5",
    "tpinappreceipt/receipt-sandbox-legacy",
    "tpinappreceipt/receipt-xcode",
    "tpinappreceipt/receipt-xcode-with-purchases",
    "app-store-server-library/xcode-app-receipt-empty",
)


def tlv(data, pos):
    """(tag, content_start, content_end, element_end) of the BER element at pos."""
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first == 0x80:
        end, depth = pos, 1
        while depth:
            if data[end] == 0 and data[end + 1] == 0:
                depth -= 1
                end += 2
                continue
            _, start, stop, after = tlv(data, end)
            end = after
        return tag, pos, end - 2, end
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    return tag, pos, pos + length, pos + length


def children(data, start, stop):
    while start < stop:
        element = tlv(data, start)
        yield element
        start = element[3]


def receipt_payload(der):
    """The eContent octets of a receipt's SignedData (constructed segments joined)."""
    _, start, stop, _ = tlv(der, 0)                           # ContentInfo
    items = list(children(der, start, stop))
    _, start, stop, _ = items[1]                              # [0]
    _, start, stop, _ = tlv(der, start)                       # SignedData
    _, start, stop, _ = list(children(der, start, stop))[2]   # EncapsulatedContentInfo
    _, start, stop, _ = list(children(der, start, stop))[1]   # [0]
    tag, start, stop, _ = tlv(der, start)                     # OCTET STRING
    if tag == 0x04:
        return der[start:stop]
    return b"".join(der[s:e] for _, s, e, _ in children(der, start, stop))


def ledger_seed(keyed, records):
    """A consume ledger file (include/iap_embedded/detail/ledger_format.hpp) as fuzz_ledger.cpp
    reads it: a mode byte (1: keyed with "fuzz ledger key"), then the file."""
    key = b"fuzz ledger key"
    head = b"IAPLEDGR" + struct.pack("<HHI", 1, 1 if keyed else 0, 0) + bytes(range(16))
    chain = hmac.new(key, head, "sha256").digest() if keyed else bytes(32)
    head += chain
    out = head + struct.pack("<I", zlib.crc32(head))
    for record_type, payload in records:
        frame = struct.pack("<IB3x", len(payload), record_type)
        frame += struct.pack("<I", zlib.crc32(frame))
        out += frame + payload + struct.pack("<I", zlib.crc32(payload))
        if keyed:
            chain = hmac.new(key, chain + frame + payload, "sha256").digest()
            out += chain
    return bytes([1 if keyed else 0]) + out


def ledger_records(purchase):
    """Every record type, around a real Google Play purchase and an App Store subscription."""
    def text(s):
        s = s.encode()
        return struct.pack("<I", len(s)) + s

    def i64(v):
        return struct.pack("<q", v)

    token, product, order = purchase["purchaseToken"], purchase["productId"], purchase["orderId"]
    when = int(purchase["purchaseTime"])

    def plain_consume(key, at):
        return (b"\x01" + text(key) + text(product) + text(order) + b"\x02" + i64(1) + i64(when) + b"\x00" + i64(0)
                + i64(at) + text("") + i64(0) + b"\x00" + i64(0))
    return [
        (1, b"\x01" + text(token) + text(product) + text(order) + b"\x01" + i64(1) + i64(when) + b"\x00" + i64(0)
         + i64(when + 5) + text("gems") + i64(100) + b"\x01" + i64(0)),
        (4, text("gems") + i64(30) + i64(when + 6)),
        (1, b"\x03" + text("2000000123") + text("pro_monthly") + text("") + b"\x03" + i64(1) + i64(when)
         + b"\x01" + i64(when + 2592000000) + i64(when + 7) + text("") + i64(0) + b"\x00" + i64(when + 1)),
        (2, b"\x03" + text("2000000123") + i64(when + 8)),
        (3, b"\x03" + text("2000000123") + b"\x03" + b"\x01" + i64(when + 2592000000) + i64(when + 9) + i64(when + 9)),
        (5, i64(when + 10) + i64(when + 10)),
        (6, text("gems") + i64(70) + i64(when + 11)),
        # IAP server payments: listed (7), consumed here with its payment tail, attempted (8),
        # synced (9); and one consumed here and found consumed elsewhere.
        (7, text("P-1") + text("tok-1") + text("GG") + text("1000013") + text("1200") + text("KRW") + i64(when + 12)),
        (1, b"\x01" + text("iap-payment-P-1") + text("1000013") + text("") + b"\x02" + i64(1) + i64(0) + b"\x00"
         + i64(0) + i64(when + 13) + text("") + i64(0) + b"\x00" + i64(0) + text("P-1") + text("tok-1") + b"\x01"),
        (1, b"\x01" + text(token + "-2") + text(product) + text(order + "-2") + b"\x02" + i64(1) + i64(when)
         + b"\x00" + i64(0) + i64(when + 14) + text("") + i64(0) + b"\x00" + i64(0) + text("P-2") + text("tok-2")
         + b"\x00"),
        (8, text("P-2") + i64(when + 15)),
        (9, text("P-2") + b"\x02" + i64(5018) + i64(when + 16)),
        (9, text("P-1") + b"\x01" + i64(0) + i64(when + 17)),
        # Purchases consumed without a payment: one declared so in its consume (the tail's flags),
        # one linked to a payment later (10), one declared so later (11).
        (1, plain_consume(token + "-3", when + 18) + text("") + text("") + b"\x00" + text("") + b"\x01"),
        (1, plain_consume(token + "-4", when + 19)),
        (10, b"\x01" + text(token + "-4") + text("P-3") + text("tok-3") + i64(when + 20)),
        (1, plain_consume(token + "-5", when + 21)),
        (11, b"\x01" + text(token + "-5") + i64(when + 22)),
    ]


def main(testdata, out):
    def read(relative):
        path = os.path.join(testdata, relative)
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            sys.exit("test data file %s is missing: cannot read %s (%s)\n  testdata_dir = %s (Meson option "
                     "-Dtestdata_dir; the project's copy is tests/data, see tests/data/SOURCES.md)"
                     % (relative, path, e.strerror, testdata))

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

    # Apple app receipts (base64 text): DER for the ASN.1 and CMS readers, the signed content for
    # the payload parser, and a truncated copy of each.
    for name in APPLE_RECEIPTS:
        der = base64.b64decode(read("apple_receipts/" + name))
        short = name.split("/")[1]
        payload = receipt_payload(der)
        seeds["fuzz_asn1"][short + ".der"] = der
        seeds["fuzz_cms"][short + ".der"] = der
        seeds["fuzz_cms"][short + "_truncated.der"] = der[: len(der) // 2]
        seeds["fuzz_receipt_payload"][short + "_payload.der"] = payload
        seeds["fuzz_asn1"][short + "_payload.der"] = payload
    seeds["fuzz_cms"]["legacy_transaction"] = read(
        "apple_jws/app-store-server-library/mock_signed_data/legacyTransaction")

    # StoreKit 2: every JWS of Apple's server library tests, whole and as decoded payloads.
    jws_dir = "apple_jws/app-store-server-library/"
    for name in ("mock_signed_data/transactionInfo", "mock_signed_data/wrongBundleId",
                 "mock_signed_data/missingX5CHeaderClaim", "xcode/xcode-signed-transaction",
                 "xcode/xcode-signed-renewal-info", "xcode/xcode-signed-app-transaction"):
        token = read(jws_dir + name).strip()
        short = name.split("/")[1]
        seeds["fuzz_jws"][short + ".jws"] = token
        body = token.split(b".")[1]
        seeds["fuzz_jws"][short + "_payload.json"] = base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))

    # The C interface (fuzz_c_api.cpp: a selector byte, then the input): StoreKit 2 JWS (1) and
    # app receipts (2); its ONE store seeds (0) are hand-written in corpus/fuzz_c_api/.
    for name in ("xcode/xcode-signed-transaction", "xcode/xcode-signed-renewal-info",
                 "xcode/xcode-signed-app-transaction", "mock_signed_data/transactionInfo"):
        seeds["fuzz_c_api"]["jws_" + name.split("/")[1]] = b"\x01" + read(jws_dir + name).strip()
    for name in ("tpinappreceipt/receipt-sandbox-g5", "tpinappreceipt/receipt-xcode"):
        seeds["fuzz_c_api"]["receipt_" + name.split("/")[1]] = b"\x02" + read("apple_receipts/" + name)

    # Certificate chains (fuzz_x509_chain.cpp: a flags byte, then 2-byte-length-prefixed DER,
    # leaf first): Apple's real chains and the upstream chain test cases.
    def chain(flags, *certificates):
        return bytes([flags]) + b"".join(len(c).to_bytes(2, "big") + c for c in certificates)

    def apple_cert(name):
        return read("apple_roots/" + name)

    def chain_case(name):
        return read("apple_jws/app-store-server-library/x509_chain_tests/" + name)

    ecc_leaf = apple_cert("Apple-Prod-ECC-Receipt-Signing-leaf-2025.cer")
    g6, g3 = apple_cert("AppleWWDRCAG6.cer"), apple_cert("AppleRootCA-G3.cer")
    seeds["fuzz_x509_chain"]["apple_ecc_chain"] = chain(1, ecc_leaf, g6, g3)
    seeds["fuzz_x509_chain"]["apple_ecc_chain_x5c"] = chain(3, ecc_leaf, g6, g3)
    seeds["fuzz_x509_chain"]["apple_rsa_intermediates"] = chain(
        1, apple_cert("AppleWWDRCAG5.cer"), apple_cert("AppleWWDRCA.cer"), apple_cert("AppleWWDRCAG7.cer"),
        apple_cert("AppleIncRootCertificate.cer"))
    seeds["fuzz_x509_chain"]["apple_root_as_leaf"] = chain(4, apple_cert("AppleIncRootCertificate.cer"))
    seeds["fuzz_x509_chain"]["upstream_chain"] = chain(
        3, chain_case("leaf_cert.der"), chain_case("intermediate_ca.der"), chain_case("root_ca.der"))
    seeds["fuzz_x509_chain"]["upstream_invalid_oids"] = chain(
        1, chain_case("leaf_cert_invalid_oid.der"), chain_case("intermediate_ca_invalid_oid.der"),
        chain_case("leaf_cert_for_intermediate_ca_invalid_oid.der"))
    seeds["fuzz_x509_chain"]["storekit_self_signed"] = chain(
        4, read("apple_receipts/tpinappreceipt/StoreKitTestCertificate.cer"))

    # Consume ledgers holding the go-iap purchase: intact (with and without a key), with a torn
    # tail, and with a flipped bit in the middle.
    records = ledger_records(load("google_play/go-iap/signed_data.json"))
    for keyed in (False, True):
        name = "keyed" if keyed else "plain"
        intact = ledger_seed(keyed, records)
        seeds["fuzz_ledger"]["go_iap_%s.ledger" % name] = intact
        seeds["fuzz_ledger"]["go_iap_%s_torn.ledger" % name] = intact[:-7]
        seeds["fuzz_ledger"]["go_iap_%s_flipped.ledger" % name] = (
            intact[:100] + bytes([intact[100] ^ 4]) + intact[101:])
        seeds["fuzz_ledger"]["go_iap_%s_header_only.ledger" % name] = ledger_seed(keyed, [])
    seeds["fuzz_ledger"]["go_iap_plain_fix_checksums.ledger"] = b"\x02" + ledger_seed(False, records)[1:]

    for target in TARGETS:
        directory = os.path.join(out, "seeds_" + target)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for name, content in sorted(seeds[target].items()):
            with open(os.path.join(directory, name), "wb") as f:
                f.write(content)


def replay(testdata, exe, corpora):
    target = os.path.basename(exe)
    if target not in TARGETS:
        sys.exit("%s is not one of the fuzz targets %s" % (exe, ", ".join(TARGETS)))
    with tempfile.TemporaryDirectory(prefix="iap_embedded_seeds_") as out:
        main(testdata, out)
        return subprocess.run([exe] + corpora + [os.path.join(out, "seeds_" + target)]).returncode


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--replay":
        sys.exit(replay(sys.argv[2], sys.argv[3], sys.argv[4:]))
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
