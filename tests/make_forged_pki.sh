#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Forges an App Store PKI with the OpenSSL command line, for tests that must see look-alike chains
# rejected: every name copies Apple's byte for byte (PrintableString in the RSA chain like Apple Root
# CA, UTF8String in the ECC chain like Apple Root CA - G3); only the keys are ours. Nothing here is
# trusted by the library unless a test passes the forged root explicitly.
#
#   tests/make_forged_pki.sh OUTPUT_DIR
#
# Every certificate is valid 2020-01-01 to 2040-01-01 (UTC) unless said otherwise, so tests can use
# fixed evaluation times. Keys are fresh on every run; the files written to OUTPUT_DIR are:
#   root.der, root.pem          fake "Apple Root CA" (RSA-2048, self-signed, CA)
#   wwdr.der                    fake "Apple Worldwide Developer Relations Certification Authority"
#                               (RSA-2048, CA, pathlen 0) WITH marker 1.2.840.113635.100.6.2.1
#   wwdr_no_marker.der          the same name and role, other key, WITHOUT the marker
#   wwdr_not_ca.der             the same name, other key, with the marker but basicConstraints CA:FALSE
#   leaf.der                    "Mac App Store and iTunes Store Receipt Signing" (RSA-2048) WITH
#                               marker 1.2.840.113635.100.6.11.1, issued by wwdr
#   leaf_no_marker.der          the same name, issued by wwdr, WITHOUT the marker
#   leaf_by_wwdr_no_marker.der  leaf with its marker, issued by wwdr_no_marker
#   leaf_by_wwdr_not_ca.der     leaf with its marker, issued by wwdr_not_ca
#   leaf_expired.der            leaf with its marker, issued by wwdr, valid 2020-01-01..2021-01-01 only
#   leaf_key.pem                the private key of every RSA leaf (PKCS#8 PEM)
#   root_g3.der                 fake "Apple Root CA - G3" (P-384, self-signed, CA, ecdsa-with-SHA384)
#   wwdr_g6.der                 fake WWDR CA "G6" (P-384, CA, pathlen 0, marker ...6.2.1), issued by root_g3
#   leaf_ecc.der                "Prod ECC Mac App Store and iTunes Store Receipt Signing" (P-256,
#                               marker ...6.11.1), issued by wwdr_g6
#   leaf_ecc_key.pem            its private key (PKCS#8 PEM), for signing test JWS
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTPUT_DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/iap_embedded_pki.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

mkdir "$work/new"
: >"$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/openssl.cnf" <<CONF
[ca]
default_ca = forged_ca
[forged_ca]
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
policy = policy_any
unique_subject = no
email_in_dn = no
string_mask = default
[policy_any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[req]
distinguished_name = req_dn
string_mask = default
prompt = no
[req_dn]
CN = unused
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[wwdr]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.2.1 = ASN1:NULL
[wwdr_no_marker]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[wwdr_not_ca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.2.1 = ASN1:NULL
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
1.2.840.113635.100.6.11.1 = ASN1:NULL
[leaf_no_marker]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
CONF
sed 's/^string_mask = default$/string_mask = utf8only/' "$work/openssl.cnf" >"$work/openssl-utf8.cnf"
cnf=$work/openssl.cnf

root_dn="/C=US/O=Apple Inc./OU=Apple Certification Authority/CN=Apple Root CA"
wwdr_dn="/C=US/O=Apple Inc./OU=Apple Worldwide Developer Relations/CN=Apple Worldwide Developer Relations Certification Authority"
leaf_dn="/CN=Mac App Store and iTunes Store Receipt Signing/OU=Apple Worldwide Developer Relations/O=Apple Inc./C=US"
g3_dn="/CN=Apple Root CA - G3/OU=Apple Certification Authority/O=Apple Inc./C=US"
g6_dn="/CN=Apple Worldwide Developer Relations Certification Authority/OU=G6/O=Apple Inc./C=US"
ecc_leaf_dn="/CN=Prod ECC Mac App Store and iTunes Store Receipt Signing/OU=Apple Worldwide Developer Relations/O=Apple Inc./C=US"
from=20200101000000Z
to=20400101000000Z

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$1.key" 2>/dev/null; }
ec_key() { openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -out "$work/$1.key"; }

# issue NAME KEY DN EXTENSIONS ISSUER(NAME or "self") DIGEST [START END]
issue() {
    openssl req -new -config "$cnf" -key "$work/$2.key" -subj "$3" -out "$work/$1.csr"
    if [ "$5" = self ]; then
        set -- "$@" ""
        signer="-selfsign -keyfile $work/$2.key"
    else
        signer="-cert $work/$5.pem -keyfile $work/$5.key"
    fi
    # shellcheck disable=SC2086 # $signer is a list of options
    openssl ca -batch -notext -preserveDN -config "$cnf" $signer -md "$6" \
        -extensions "$4" -startdate "${7:-$from}" -enddate "${8:-$to}" \
        -in "$work/$1.csr" -out "$work/$1.pem" 2>/dev/null
    openssl x509 -in "$work/$1.pem" -outform DER -out "$out/$1.der"
}

rsa_key root
rsa_key wwdr
rsa_key wwdr_no_marker
rsa_key wwdr_not_ca
rsa_key leaf
issue root root "$root_dn" root self sha256
issue wwdr wwdr "$wwdr_dn" wwdr root sha256
issue wwdr_no_marker wwdr_no_marker "$wwdr_dn" wwdr_no_marker root sha256
issue wwdr_not_ca wwdr_not_ca "$wwdr_dn" wwdr_not_ca root sha256
issue leaf leaf "$leaf_dn" leaf wwdr sha256
issue leaf_no_marker leaf "$leaf_dn" leaf_no_marker wwdr sha256
issue leaf_by_wwdr_no_marker leaf "$leaf_dn" leaf wwdr_no_marker sha256
issue leaf_by_wwdr_not_ca leaf "$leaf_dn" leaf wwdr_not_ca sha256
issue leaf_expired leaf "$leaf_dn" leaf wwdr sha256 20200101000000Z 20210101000000Z
openssl x509 -in "$work/root.pem" -out "$out/root.pem"
openssl pkey -in "$work/leaf.key" -out "$out/leaf_key.pem"

cnf=$work/openssl-utf8.cnf
ec_key root_g3 P-384
ec_key wwdr_g6 P-384
ec_key leaf_ecc P-256
issue root_g3 root_g3 "$g3_dn" root self sha384
issue wwdr_g6 wwdr_g6 "$g6_dn" wwdr root_g3 sha384
issue leaf_ecc leaf_ecc "$ecc_leaf_dn" leaf wwdr_g6 sha384
openssl pkey -in "$work/leaf_ecc.key" -out "$out/leaf_ecc_key.pem"
