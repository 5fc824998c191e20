#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Makes a signed ONE store purchase for the C interface tests (no public ONE store sample exists):
# a fresh RSA-2048 key, a purchase JSON, and its SHA512withRSA signature, as ONE store signs.
# Usage: make_one_store_fixture.sh OUTPUT_DIR
# Writes OUTPUT_DIR/public_key.b64 (base64 DER SubjectPublicKeyInfo, one line),
# OUTPUT_DIR/purchase.json (no trailing newline) and OUTPUT_DIR/signature.b64, and the same purchase
# later refunded (purchaseState 2) in refunded.json and refunded_signature.b64.
set -eu
out=$1
mkdir -p "$out"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/private_key.pem" 2>/dev/null
openssl pkey -in "$out/private_key.pem" -pubout -outform DER | openssl base64 -A > "$out/public_key.b64"
printf '%s' '{"orderId":"ONESTORE-C-0001","packageName":"com.example.game","productId":"gems_100","purchaseTime":1700000000456,"purchaseId":"SANDBOX3000000004564","purchaseToken":"TOKEN-C-API-0001","purchaseState":0,"acknowledgeState":0,"quantity":2,"developerPayload":"player-42"}' > "$out/purchase.json"
sed 's/"purchaseState":0/"purchaseState":2/' "$out/purchase.json" > "$out/refunded.json"
for name in purchase refunded; do
  signature=$out/signature.b64
  [ "$name" = purchase ] || signature=$out/${name}_signature.b64
  openssl dgst -sha512 -sign "$out/private_key.pem" "$out/$name.json" | openssl base64 -A > "$signature"
done
