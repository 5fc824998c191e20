#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Signs look-alike App Store receipts with the forged PKI of make_forged_pki.sh.

usage: make_forged_receipts.py PKI_DIR OUTPUT_DIR

The payload (a DER SET OF ReceiptAttribute) is built here; `openssl cms -sign` signs it. Nothing
written here verifies against Apple's root: tests pass the forged root explicitly. Files written
to OUTPUT_DIR:
  payload.der                   the receipt content
  expected.json                 every field the payload holds, for the tests to compare with
  sha256_noattr.der             leaf <- wwdr <- root, SHA-256, no signed attributes (Apple's form)
  sha1_noattr.der               the same with SHA-1
  sha256_attrs.der              SHA-256 with signed attributes (contentType, messageDigest, ...)
  sha256_attrs.b64              the same as base64 text in 64-character lines
  sha512_noattr.der, md5_noattr.der   digests the library does not accept
  no_signer_cert.der            the signer's certificate left out (intermediate and root kept)
  expired_leaf.der              signed by a leaf valid 2020..2021 only
  leaf_no_marker.der            signed by a leaf without Apple's receipt-signing marker
  wwdr_no_marker.der            leaf issued by an intermediate without the WWDR marker
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

DEVICE_UUID = "00112233-4455-6677-8899-AABBCCDDEEFF"
OPAQUE = bytes(range(0x10, 0x20))


def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def integer(value):
    raw = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big", signed=True)
    return der(0x02, raw)


def utf8(text):
    return der(0x0C, text.encode("utf-8"))


def ia5(text):
    return der(0x16, text.encode("ascii"))


def attribute(kind, value_der, version=1):
    return der(0x30, integer(kind) + integer(version) + der(0x04, value_der))


def der_set(elements):
    return der(0x31, b"".join(sorted(elements)))


def in_app(p):
    attrs = [
        attribute(1701, integer(p["quantity"])),
        attribute(1702, utf8(p["product_id"])),
        attribute(1703, utf8(p["transaction_id"])),
        attribute(1704, ia5(p["purchase_date"])),
        attribute(1705, utf8(p["original_transaction_id"])),
        attribute(1706, ia5(p["original_purchase_date"])),
        attribute(1708, ia5(p.get("expires_date", ""))),
        attribute(1711, integer(p["web_order_line_item_id"])),
        attribute(1712, ia5(p.get("cancellation_date", ""))),
        attribute(1719, integer(1 if p["in_intro_offer"] else 0)),
        attribute(1713, integer(0)),
        attribute(9999, b"\x05\x00"),  # unknown type: ignored
    ]
    return der_set(attrs)


def main(pki, out):
    os.makedirs(out, exist_ok=True)
    purchases = [
        {"product_id": "com.example.forged.coins", "transaction_id": "1000000000000001",
         "original_transaction_id": "1000000000000001", "quantity": 3,
         "purchase_date": "2025-05-01T10:00:00Z", "purchase_time_ms": 1746093600000,
         "original_purchase_date": "2025-05-01T10:00:00Z", "original_purchase_time_ms": 1746093600000,
         "web_order_line_item_id": 0, "in_intro_offer": False, "state": "purchased"},
        {"product_id": "com.example.forged.monthly", "transaction_id": "1000000000000002",
         "original_transaction_id": "1000000000000001", "quantity": 1,
         "purchase_date": "2025-05-02T11:30:00+0100", "purchase_time_ms": 1746181800000,
         "original_purchase_date": "2025-05-01T10:00:00Z", "original_purchase_time_ms": 1746093600000,
         "expires_date": "2025-06-02T10:30:00Z", "expires_time_ms": 1748860200000,
         "cancellation_date": "2025-05-10T00:00:00Z", "cancellation_time_ms": 1746835200000,
         "web_order_line_item_id": 2000000000000042, "in_intro_offer": True, "state": "refunded"},
    ]
    receipt = {"bundle_id": "com.example.forged", "app_version": "1.2.3", "original_app_version": "1.0",
               "receipt_type": "Production", "creation_date": "2025-06-01T12:00:00Z",
               "creation_time_ms": 1748779200000, "device_uuid": DEVICE_UUID, "purchases": purchases}
    bundle_value = utf8(receipt["bundle_id"])
    device = bytes.fromhex(DEVICE_UUID.replace("-", ""))
    device_hash = hashlib.sha1(device + OPAQUE + bundle_value).digest()
    attrs = [
        attribute(0, utf8(receipt["receipt_type"])),
        attribute(2, bundle_value),
        attribute(3, utf8(receipt["app_version"])),
        attribute(4, OPAQUE),
        attribute(5, device_hash),
        attribute(12, ia5(receipt["creation_date"])),
        attribute(19, utf8(receipt["original_app_version"])),
        attribute(8, ia5("2025-06-01T12:00:00Z")),  # attributes Apple adds and this library ignores
        attribute(25, integer(3)),
    ] + [attribute(17, in_app(p)) for p in purchases]
    payload = der_set(attrs)
    with open(os.path.join(out, "payload.der"), "wb") as f:
        f.write(payload)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(receipt, f, indent=1)

    work = tempfile.mkdtemp(prefix="iap_embedded_receipts.")
    try:
        def pem(name):
            path = os.path.join(work, name + ".pem")
            subprocess.run(["openssl", "x509", "-inform", "DER", "-in", os.path.join(pki, name + ".der"),
                            "-out", path], check=True)
            return path

        payload_path = os.path.join(out, "payload.der")
        chain = os.path.join(work, "chain.pem")
        with open(chain, "w") as f:
            for name in ("wwdr", "root"):
                with open(pem(name)) as part:
                    f.write(part.read())
        chain_no_marker = os.path.join(work, "chain_no_marker.pem")
        with open(chain_no_marker, "w") as f:
            for name in ("wwdr_no_marker", "root"):
                with open(pem(name)) as part:
                    f.write(part.read())
        key = os.path.join(pki, "leaf_key.pem")

        def sign(output, leaf="leaf", md="sha256", attributes=False, certfile=chain, extra=()):
            command = ["openssl", "cms", "-sign", "-binary", "-nodetach", "-md", md, "-signer", pem(leaf),
                       "-inkey", key, "-certfile", certfile, "-outform", "DER", "-in", payload_path,
                       "-out", os.path.join(out, output)] + list(extra)
            if not attributes:
                command.append("-noattr")
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)

        sign("sha256_noattr.der")
        sign("sha1_noattr.der", md="sha1")
        sign("sha256_attrs.der", attributes=True)
        sign("sha512_noattr.der", md="sha512")
        sign("md5_noattr.der", md="md5")
        sign("no_signer_cert.der", extra=["-nocerts"])
        sign("expired_leaf.der", leaf="leaf_expired")
        sign("leaf_no_marker.der", leaf="leaf_no_marker")
        sign("wwdr_no_marker.der", leaf="leaf_by_wwdr_no_marker", certfile=chain_no_marker)
        import base64
        with open(os.path.join(out, "sha256_attrs.der"), "rb") as f:
            text = base64.b64encode(f.read()).decode()
        with open(os.path.join(out, "sha256_attrs.b64"), "w") as f:
            f.write("\n".join(text[i:i + 64] for i in range(0, len(text), 64)) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
