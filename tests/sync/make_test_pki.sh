#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Makes the PKI of the sync transport's TLS tests with the OpenSSL command line (OpenSSL is used
# here only; the library speaks TLS with mbedTLS). Keys are EC P-256 and fresh on every run.
#
#   tests/sync/make_test_pki.sh OUTPUT_DIR
#
# Every certificate is valid 2020-01-01 to 2040-01-01 (UTC) unless said otherwise. Files written:
#   ca.pem, ca.der          "iap_embedded test CA" (self-signed, CA)
#   other_ca.pem            "iap_embedded unrelated CA" (self-signed, CA): trusts none of the servers
#   leaf_key.pem            the private key of every server certificate below (PKCS#8 PEM)
#   other_key.pem           a key that belongs to none of them
#   localhost.pem           CN=localhost, SAN DNS:localhost, IP:127.0.0.1, DNS:127.0.0.1; by ca
#                           (the DNS entry "127.0.0.1" is what mbedTLS 2.28 matches an IP-literal
#                           host against; 3.x also matches the iPAddress entry)
#   wrong_host.pem          CN=wrong.example, SAN DNS:wrong.example; by ca
#   expired.pem             like localhost.pem, valid 2020-01-01 to 2021-01-01 only; by ca
#   intermediate.pem        "iap_embedded test intermediate" (CA, pathlen 0); by ca
#   chained.pem             localhost.pem's names, issued by intermediate, followed by
#                           intermediate.pem: a server chain, leaf first
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTPUT_DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_test_pki.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir "$work/new"
: >"$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/openssl.cnf" <<CONF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
organizationName = optional
commonName = supplied
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[localhost_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, DNS:127.0.0.1
[wrong_host_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
CONF
cnf=$work/openssl.cnf
from=20200101000000Z
to=20400101000000Z

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key" 2>/dev/null; }

# issue NAME KEY SUBJECT EXTENSIONS ISSUER(NAME or "self") [START END]
issue() {
    openssl req -new -config "$cnf" -key "$work/$2.key" -subj "$3" -out "$work/$1.csr"
    if [ "$5" = self ]; then
        signer="-selfsign -keyfile $work/$2.key"
    else
        signer="-cert $work/$5.pem -keyfile $work/$5.key"
    fi
    # shellcheck disable=SC2086 # $signer is a list of options
    openssl ca -batch -notext -preserveDN -config "$cnf" $signer -md sha256 \
        -extensions "$4" -startdate "${6:-$from}" -enddate "${7:-$to}" \
        -in "$work/$1.csr" -out "$work/$1.pem" 2>/dev/null
    openssl x509 -in "$work/$1.pem" -out "$out/$1.pem"
}

key ca
key other_ca
key intermediate
key leaf
key other
issue ca ca "/O=iap_embedded tests/CN=iap_embedded test CA" ca_ext self
issue other_ca other_ca "/O=iap_embedded tests/CN=iap_embedded unrelated CA" ca_ext self
issue intermediate intermediate "/O=iap_embedded tests/CN=iap_embedded test intermediate" intermediate_ext ca
issue localhost leaf "/CN=localhost" localhost_ext ca
issue wrong_host leaf "/CN=wrong.example" wrong_host_ext ca
issue expired leaf "/CN=localhost" localhost_ext ca 20200101000000Z 20210101000000Z
issue chained_leaf leaf "/CN=localhost" localhost_ext intermediate
cat "$out/chained_leaf.pem" "$out/intermediate.pem" >"$out/chained.pem"
rm -f "$out/chained_leaf.pem"
openssl x509 -in "$out/ca.pem" -outform DER -out "$out/ca.der"
openssl pkey -in "$work/leaf.key" -out "$out/leaf_key.pem"
openssl pkey -in "$work/other.key" -out "$out/other_key.pem"
