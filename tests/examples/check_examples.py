#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Runs one example program of examples/ with the real store data of the test data directory and
# checks its exit code and what it prints, for valid input and for input each example must refuse.
# Expected values come from the test data itself (its SOURCES.md, the purchase JSON, the decoded
# JWS payloads), never from an earlier run of the program.
#
#   check_examples.py EXAMPLE --exe PATH --testdata DIR [--iapctl PATH] [--dev-server PATH]
#
# EXAMPLE: quickstart_google, app_store_receipt, storekit2_jws, purchase_flow or sync_dev_server.
# Exit 0 when every case passed, 1 otherwise (each failure is described on stderr).

import argparse
import base64
import datetime
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request

failures = []
passed = 0
testdata_dir = ""  # --testdata, absolute


def missing_data(path):
    """Ends the check, naming the test data file that is not there and testdata_dir."""
    relative = os.path.relpath(path, testdata_dir)
    sys.exit(f"test data file {relative} is missing: cannot read {path}\n  testdata_dir = {testdata_dir} (Meson "
             "option -Dtestdata_dir; the project's copy is tests/data, see tests/data/SOURCES.md)")


def require_data(args):
    """Every argument naming a file under testdata_dir (or @file) exists."""
    for a in map(str, args):
        path = a[1:] if a.startswith("@") else a
        if path.startswith(testdata_dir + os.sep) and not os.path.isfile(path):
            missing_data(path)


def utc(ms):
    """Milliseconds since the epoch as the examples print them: 2024-02-23T17:27:16Z."""
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(args, name, exit_code, lines=(), absent=(), timeout=60):
    """Runs args; checks the exit code, that each of `lines` is a whole line of stdout, and that
    no line of stdout starts with any of `absent`. Returns stdout."""
    global passed
    require_data(args)
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    out = proc.stdout.splitlines()
    problems = []
    if proc.returncode != exit_code:
        problems.append(f"exit code {proc.returncode}, expected {exit_code}")
    for line in lines:
        if line not in out:
            problems.append(f"missing line {line!r}")
    for text in absent:
        if any(line.startswith(text) for line in out):
            problems.append(f"unexpected line starting with {text!r}")
    if problems:
        failures.append(name)
        sys.stderr.write(f"FAIL {name}: {'; '.join(problems)}\n  command: {' '.join(map(str, args))}\n"
                         f"  stdout:\n{proc.stdout}  stderr:\n{proc.stderr}\n")
    else:
        passed += 1
        print(f"ok   {name}")
    return proc.stdout


def require(condition, name, detail=""):
    global passed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failures.append(name)
        sys.stderr.write(f"FAIL {name} {detail}\n")


def write(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return path


class google_triplet:
    """awa/go-iap's real purchase: key, exact JSON bytes, signature (SOURCES.md google_play/)."""

    def __init__(self, testdata):
        d = os.path.join(testdata, "google_play", "go-iap")
        self.key = os.path.join(d, "public_key.b64")
        self.data = os.path.join(d, "signed_data.json")
        self.signature = os.path.join(d, "signature.b64")
        with open(self.data, "rb") as f:
            self.data_bytes = f.read()
        self.purchase = json.loads(self.data_bytes)
        with open(os.path.join(d, "verify_signature_cases.json")) as f:
            self.cases = {c["name"]: c for c in json.load(f)["cases"]}


# --- quickstart_google -------------------------------------------------------------------------

def check_quickstart_google(exe, testdata, tmp, _):
    g = google_triplet(testdata)
    p = g.purchase
    grant = f"grant {p['productId']} x1 (order {p['orderId']})"
    run([exe, g.key, g.data, g.signature], "google: real purchase verifies", 0, [grant])
    run([exe, g.key, g.data, g.signature, p["packageName"]], "google: with its package name", 0, [grant])
    out = run([exe, g.key, g.data, g.signature, "com.example.game"], "google: another package is bundle_id_mismatch", 1,
              absent=["grant"])
    require(out.startswith("rejected: ") and out.rstrip().endswith("(the purchase belongs to another app)"),
            "google: another package prints the typed error", repr(out))

    wrong = g.cases["signature is invalid"]["signature_base64"]
    out = run([exe, g.key, g.data, write(tmp, "wrong.sig", wrong)], "google: upstream's wrong signature", 1,
              absent=["grant"])
    require(out.rstrip().endswith("(the signature does not verify)"), "google: wrong signature is signature_invalid",
            repr(out))
    tampered = g.data_bytes.replace(b'"myproduct"', b'"myproduct2"')
    assert tampered != g.data_bytes
    out = run([exe, g.key, write(tmp, "tampered.json", tampered), g.signature], "google: tampered JSON", 1,
              absent=["grant"])
    require(out.rstrip().endswith("(the signature does not verify)"), "google: tampered JSON is signature_invalid",
            repr(out))
    out = run([exe, g.key, write(tmp, "newline.json", g.data_bytes + b"\n"), g.signature],
              "google: one byte added (a newline)", 1, absent=["grant"])
    require(out.rstrip().endswith("(the signature does not verify)"), "google: added newline is signature_invalid",
            repr(out))
    dummy = g.cases["public key is invalid base64 format"]["public_key_base64"]
    out = run([exe, write(tmp, "dummy.key", dummy), g.data, g.signature], "google: upstream's dummy key", 1,
              absent=["grant"])
    require(out.startswith("bad key: "), "google: dummy key is a bad key", repr(out))

    # mokelab-go/iab: signed data ending in "\n" (part of what was signed), and a tampered copy.
    with open(os.path.join(testdata, "google_play", "mokelab-go-iab", "cases.json")) as f:
        cases = json.load(f)["cases"]
    for i, c in enumerate(cases):
        valid = c["openssl_sha1_verify"] == "Verified OK"
        purchase = json.loads(c["signed_data"])
        args = [exe, write(tmp, f"m{i}.key", c["public_key_base64"]), write(tmp, f"m{i}.json", c["signed_data"]),
                write(tmp, f"m{i}.sig", c["signature_base64"])]
        if valid:
            run(args, f"google: mokelab {c['test']} verifies", 0,
                [f"grant {purchase['productId']} x1 (order {purchase['orderId']})"])
        else:
            run(args, f"google: mokelab {c['test']} is rejected", 1, absent=["grant"])
    run([exe, g.key, g.data], "google: usage error", 2)
    run([exe, g.key, os.path.join(tmp, "missing.json"), g.signature], "google: unreadable file", 2)


# --- app_store_receipt -------------------------------------------------------------------------

def check_app_store_receipt(exe, testdata, tmp, _):
    tp = os.path.join(testdata, "apple_receipts", "tpinappreceipt")
    production = os.path.join(tp, "receipt-production")
    # SOURCES.md, apple_receipts/tpinappreceipt/receipt-production.
    out = run([exe, production, "org.getpure.pure-iphone"], "receipt: production verifies", 0, [
        "bundle id: org.getpure.pure-iphone",
        "app version: 15741 (first bought: 434)",
        "environment: Production",
        "created: 2024-02-23T17:27:16Z",
        "device checked: no",
        "purchases: 4",
    ])
    purchases = [line.split() for line in out.splitlines() if line.startswith("  ")]
    require(sorted((p[0], p[2]) for p in purchases) == sorted([
        ("org.getpure.pure.Week", "340001196262039"),
        ("org.getpure.pure.Month", "340001237736590"),
        ("org.getpure.pure.Month", "340001264290434"),
        ("org.getpure.pure.Month", "340001311555626"),
    ]), "receipt: production lists its four transactions", repr(purchases))
    require(all(p[3] == "(original" and p[4] == "340001196262039)" for p in purchases),
            "receipt: production purchases share their original transaction", repr(purchases))

    g5 = os.path.join(tp, "receipt-sandbox-g5")
    run([exe, g5, "dev.bonzer.weeka.app", "956328D9-CC6A-47F4-BE40-6953FB0AB6C7"],
        "receipt: sandbox receipt with its device", 0, [
            "bundle id: dev.bonzer.weeka.app",
            "app version: 2 (first bought: 1.0)",
            "environment: Sandbox",
            "created: 2025-12-26T18:39:47Z",
            "device checked: yes",
            "purchases: 2",
        ])
    out = run([exe, g5, "dev.bonzer.weeka.app"], "receipt: sandbox receipt, expiry dates", 0)
    require("transaction 2000001092134138 " in out and "expires 2025-12-26T18:19:07Z" in out and
            "transaction 2000001092148094 " in out and "expires 2025-12-26T18:55:07Z" in out,
            "receipt: sandbox receipt lists both subscriptions with their expiry", repr(out))
    legacy = os.path.join(tp, "receipt-sandbox-legacy")
    run([exe, legacy, "com.nutcall.alert"], "receipt: legacy SHA-1 receipt", 0,
        ["bundle id: com.nutcall.alert", "app version: 32 (first bought: 1.0)", "environment: Sandbox",
         "created: 2020-05-06T18:28:49Z", "purchases: 187"])

    def rejected(args, name, code):
        out = run(args, name, 1, absent=["bundle id:", "purchases:"])
        require(out.startswith(f"rejected: {code}: "), f"{name}: {code}", repr(out))

    rejected([exe, g5, "dev.bonzer.weeka.app", "00000000-0000-0000-0000-000000000000"],
             "receipt: all-zero device", "device_hash_mismatch")
    rejected([exe, production, "com.example.game"], "receipt: another bundle id", "bundle_id_mismatch")
    rejected([exe, os.path.join(tp, "receipt-xcode"), "com.example.naturelab.backyardbirds.example"],
             "receipt: Xcode receipt", "xcode_not_allowed")
    with open(production, "rb") as f:
        der = bytearray(base64.b64decode(b"".join(f.read().split())))
    signature = bytearray(der)
    signature[-5] ^= 0x01  # the signer's signature is the last field of SignedData
    rejected([exe, write(tmp, "signature.der", bytes(signature)), "org.getpure.pure-iphone"],
             "receipt: signature byte changed",
             "signature_invalid")
    content = bytearray(der)
    offset = der.find(b"org.getpure.pure.Week")
    assert offset > 0
    content[offset + len("org.getpure.pure.")] ^= 0x20  # "Week" -> "week" inside the signed content
    rejected([exe, write(tmp, "content.der", bytes(content)), "org.getpure.pure-iphone"],
             "receipt: signed content changed", "signature_invalid")
    rejected([exe, write(tmp, "garbage", "not a receipt"), "com.example.game"], "receipt: not a receipt",
             "not_a_receipt")
    run([exe], "receipt: usage error", 2)
    run([exe, production], "receipt: the bundle id is required", 2)
    run([exe, g5, "dev.bonzer.weeka.app", "not-a-uuid"], "receipt: bad device id is a usage error", 2)


# --- storekit2_jws -----------------------------------------------------------------------------

def jws_payload(path):
    with open(path) as f:
        part = f.read().strip().split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def check_storekit2_jws(exe, testdata, tmp, _):
    lib = os.path.join(testdata, "apple_jws", "app-store-server-library")
    test_ca = os.path.join(lib, "certs", "testCA.der")
    transaction = os.path.join(lib, "mock_signed_data", "transactionInfo")
    payload = jws_payload(transaction)
    xcode = os.path.join(lib, "xcode", "xcode-signed-transaction")
    # SOURCES.md: bundleId com.example.naturelab.backyardbirds.example, productId pass.premium,
    # transactionId "0", purchaseDate 1697679936049, expiresDate 1700358336049.
    run([exe, "--allow-xcode", "--bundle-id", "com.example.naturelab.backyardbirds.example", xcode],
        "jws: Xcode transaction, Xcode allowed", 0,
        ["kind: transaction", "environment: Xcode", "bundle id: com.example.naturelab.backyardbirds.example",
         "product: pass.premium", "transaction: 0", "state: purchased", f"purchased: {utc(1697679936049)}",
         f"expires: {utc(1700358336049)}", "type: Auto-Renewable Subscription"])

    def rejected(args, name, code):
        out = run(args, name, 1, absent=["kind:"])
        require(out.startswith(f"rejected: {code}: "), f"{name}: {code}", repr(out))

    bundle = ["--bundle-id", "com.example"]
    # SOURCES.md: signed by Apple's test CA, bundle id com.example, environment Sandbox; its payload
    # holds no transactionId, productId or purchaseDate: not a transaction.
    require(not {"transactionId", "productId", "purchaseDate"} & set(payload), "jws: the mock names no transaction",
            repr(payload))
    rejected([exe, "--root", test_ca] + bundle + [transaction], "jws: Apple's mock 'transactionInfo' is no transaction",
             "malformed_input")
    rejected([exe, "--allow-xcode", "--bundle-id", "com.example.naturelab.backyardbirds.example",
              os.path.join(lib, "xcode", "xcode-signed-renewal-info")], "jws: renewal info is no transaction",
             "malformed_input")
    rejected([exe] + bundle + [transaction], "jws: test CA not trusted by the built-in root", "untrusted_certificate")
    rejected([exe, "--bundle-id", "com.example.naturelab.backyardbirds.example", xcode],
             "jws: Xcode data without --allow-xcode", "xcode_not_allowed")
    rejected([exe, "--allow-xcode", "--bundle-id", "com.example.other", xcode], "jws: another app's transaction",
             "bundle_id_mismatch")
    # SOURCES.md: wrongBundleId is a notification; this program verifies transactions only.
    rejected([exe, "--root", test_ca, "--bundle-id", "com.examplex",
              os.path.join(lib, "mock_signed_data", "wrongBundleId")], "jws: a notification is no transaction",
             "malformed_input")
    rejected([exe, "--root", test_ca] + bundle + [os.path.join(lib, "mock_signed_data", "missingX5CHeaderClaim")],
             "jws: missing x5c", "untrusted_certificate")
    with open(transaction) as f:
        header, body, sig = f.read().strip().split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    rejected([exe, "--root", test_ca] + bundle + [write(tmp, "tampered.jws", ".".join([header, body, flipped]))],
             "jws: signature changed", "signature_invalid")
    other = base64.urlsafe_b64encode(json.dumps(dict(payload, bundleId="com.example.other")).encode())
    rejected([exe, "--root", test_ca] + bundle +
             [write(tmp, "payload.jws", ".".join([header, other.decode().rstrip("="), sig]))],
             "jws: payload changed", "signature_invalid")
    run([exe, "--root", test_ca], "jws: usage error", 2)
    run([exe, xcode, "--allow-xcode"], "jws: the bundle id is required", 2)


# --- purchase_flow -----------------------------------------------------------------------------

def check_purchase_flow(exe, testdata, tmp, options):
    g = google_triplet(testdata)
    p = g.purchase
    key = f"google_play:{p['purchaseToken']}"
    ledger = os.path.join(tmp, "purchases.ledger")
    first = run([exe, ledger, g.key, g.data, g.signature], "flow: first purchase is granted once", 0, [
        f"verified: {p['productId']} (order {p['orderId']})",
        f"consumed: {key}",
        f"granted: {p['productId']} x1",
        f"delivered: {key}",
        "replay: already_consumed",
        f"after reopening: {key} consumed and delivered",
    ])
    require(first.count("granted:") == 1, "flow: exactly one grant in the first run", repr(first))
    out = run([exe, ledger, g.key, g.data, g.signature], "flow: the same receipt after a restart", 1,
              [f"verified: {p['productId']} (order {p['orderId']})"], absent=["granted:", "consumed:"])
    require("refused: already_consumed: " in out, "flow: replay after restart is already_consumed", repr(out))

    fresh = os.path.join(tmp, "fresh.ledger")
    wrong = g.cases["signature is invalid"]["signature_base64"]
    out = run([exe, fresh, g.key, g.data, write(tmp, "wrong.sig", wrong)], "flow: forged signature", 1,
              absent=["granted:", "consumed:"])
    require(out.startswith("rejected: signature_invalid: "), "flow: forged signature is signature_invalid", repr(out))
    run([exe, fresh, g.key, g.data, g.signature], "flow: a rejected receipt consumed nothing", 0,
        [f"granted: {p['productId']} x1"])

    if options.iapctl:
        # The app died between consume and grant: consumed (by iapctl) and never delivered.
        crashed = os.path.join(tmp, "crashed.ledger")
        proc = subprocess.run([options.iapctl, "ledger", "consume", "--ledger", crashed, "google-play",
                               "--public-key", "@" + g.key, "--data", g.data, "--signature", "@" + g.signature],
                              capture_output=True, text=True, timeout=60)
        require(proc.returncode == 0, "flow: iapctl consumed without delivering", proc.stdout + proc.stderr)
        out = run([exe, crashed, g.key, g.data, g.signature], "flow: undelivered purchase granted at start", 1,
                  [f"recovered: {key}", f"granted: {p['productId']} x1"])
        require(out.count("granted:") == 1 and "refused: already_consumed: " in out,
                "flow: recovered once, then the receipt is a replay", repr(out))
        run([exe, crashed, g.key, g.data, g.signature], "flow: nothing left to recover", 1,
            absent=["recovered:", "granted:"])
    run([exe, ledger, g.key, g.data], "flow: usage error", 2)


# --- sync_dev_server ---------------------------------------------------------------------------

class dev_server:
    """examples/iap_dev_server on a free loopback port, HTTPS with its generated certificate."""

    app_key = "examples-app-key"

    def __init__(self, path, directory, listen="127.0.0.1:0"):
        self.cert = os.path.join(directory, "server.pem")
        self.proc = subprocess.Popen(
            [path, "--app-key", self.app_key, "--listen", listen, "--https", "--write-cert", self.cert,
             "--data", os.path.join(directory, "server.json")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        try:
            self.url = json.loads(line)["listening"]
        except (ValueError, KeyError):
            self.stop()
            raise RuntimeError(f"iap_dev_server did not start: {line!r}")
        self.context = ssl.create_default_context(cafile=self.cert)

    def listen_address(self):
        return self.url.split("://", 1)[1]

    def call(self, method, target, body=None):
        request = urllib.request.Request(self.url + target, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "X-NHN-TCIAP-AppKey": self.app_key})
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
            answer = json.loads(response.read())
        if not answer["header"]["isSuccessful"]:
            raise RuntimeError(f"{target}: {answer}")
        return answer.get("result")

    def seed(self, user, product_id):
        r = self.call("POST", "/v1/dev/purchases", {"userKey": user, "marketId": "GG", "productSeq": 1000013,
                                                    "productId": product_id, "price": 1200, "currency": "KRW"})
        return r["paymentSeq"], r["accessToken"]

    def consumed(self, payment_seq):
        return self.call("GET", f"/v1/dev/purchases?paymentSeq={payment_seq}")[0]["consumed"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def check_sync_dev_server(exe, testdata, tmp, options):
    g = google_triplet(testdata)
    p = g.purchase
    key = f"google_play:{p['purchaseToken']}"
    purchase_files = [g.key, g.data, g.signature]
    server = dev_server(options.dev_server, tmp)
    try:
        bought = server.seed("user-1", p["productId"])       # bought through the IAP SDK on this device
        elsewhere = server.seed("user-1", "gems_100")         # bought on another device, never consumed
        server.seed("user-2", "gems_100")                     # another user's
        ledger = os.path.join(tmp, "purchases.ledger")
        common = [exe, ledger, server.url, server.cert, server.app_key, "user-1"]
        run(common + list(bought) + purchase_files, "sync: consume, push, fetch, claim", 0, [
            f"consumed: {key} (payment {bought[0]})",
            f"granted: {p['productId']}",
            "pushed: 1, fetched: 1, pending: 0, available: 1",
            f"claimed: payment {elsewhere[0]} as google_play:iap-payment-{elsewhere[0]}",
            "granted: 1000013",  # the consumable list carries the productSeq, not the store's product id
        ])
        require(server.consumed(bought[0]) and server.consumed(elsewhere[0]),
                "sync: the server has both payments consumed")
        run(common, "sync: a second sync has nothing to do", 0, ["pushed: 0, fetched: 0, pending: 0, available: 0"],
            absent=["granted:"])
        out = run(common + list(bought) + purchase_files, "sync: the same purchase replayed", 0,
                  ["pushed: 0, fetched: 0, pending: 0, available: 0"], absent=["granted:"])
        require("refused: already_consumed: " in out, "sync: the replay is already_consumed", repr(out))

        wrong_ca = os.path.join(testdata, "apple_roots", "AppleRootCA-G3.cer")
        out = run([exe, ledger, server.url, wrong_ca, server.app_key, "user-1"], "sync: a CA that is not the server's",
                  1, absent=["pushed:"])
        require(out.startswith("sync failed: tls_error: "), "sync: wrong CA is tls_error", repr(out))

        # Offline: consumed and granted now, pushed when the server is back.
        later = server.seed("user-1", p["productId"])
        offline = os.path.join(tmp, "offline.ledger")
        address = server.listen_address()
        server.stop()
        out = run([exe, offline, server.url, server.cert, server.app_key, "user-1"] + list(later) + purchase_files,
                  "sync: server down", 1, [f"granted: {p['productId']}"], absent=["pushed:"])
        require("sync failed: network_error: " in out and "pending: 1, retry in " in out,
                "sync: server down is network_error, the consume stays pending", repr(out))
        server = dev_server(options.dev_server, tmp, listen=address)
        run([exe, offline, server.url, server.cert, server.app_key, "user-1"], "sync: server back, queue drained", 0,
            ["pushed: 1, fetched: 0, pending: 0, available: 0"], absent=["granted:"])
        require(server.consumed(later[0]), "sync: the server has the offline consume")
        run([exe, offline, server.url], "sync: usage error", 2)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    checks = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}
    parser.add_argument("example", choices=sorted(checks))
    parser.add_argument("--exe", required=True)
    parser.add_argument("--testdata", required=True)
    parser.add_argument("--iapctl")
    parser.add_argument("--dev-server")
    options = parser.parse_args()
    if options.example == "sync_dev_server" and not options.dev_server:
        parser.error("sync_dev_server needs --dev-server")
    global testdata_dir
    testdata_dir = os.path.abspath(options.testdata)
    if not os.path.isdir(testdata_dir):
        sys.exit(f"test data not found: testdata_dir = {testdata_dir} (Meson option -Dtestdata_dir; the project's "
                 "copy is tests/data, see tests/data/SOURCES.md)")
    with tempfile.TemporaryDirectory(prefix="iap_examples_") as tmp:
        try:
            checks[options.example](options.exe, testdata_dir, tmp, options)
        except FileNotFoundError as e:  # a data file the check opens itself
            if not str(e.filename).startswith(testdata_dir + os.sep):
                raise
            missing_data(e.filename)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
