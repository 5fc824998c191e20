// SPDX-License-Identifier: MIT
//
// A throwaway TLS identity for --https without --cert/--key: an ECDSA P-256 key and a self-signed
// X.509 v3 certificate (CN=localhost, valid from an hour ago for one year) made with mbedTLS at
// start. Clients pin it (--write-cert exports it).
//
// mbedTLS 2.28 has no subjectAltName writer, so the extension's DER is written here. Its names:
// DNS:localhost, IP:127.0.0.1 (and IP:<listen address> when that is another specific address),
// plus each IP address again as a DNS name: mbedTLS 2.28 clients match a host name only against
// dNSName entries, even when the host is an IP literal, while OpenSSL-based clients such as curl
// match IP literals only against iPAddress entries.
#ifndef IAP_DEV_SERVER_SELF_SIGNED_CERTIFICATE_HPP
#define IAP_DEV_SERVER_SELF_SIGNED_CERTIFICATE_HPP

#include <iap_embedded/detail/calendar.hpp>
#include <iap_embedded/error.hpp>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include <cstdint>
#include <string>
#include <vector>

namespace iap_dev_server {

struct tls_identity {
    std::string certificate_pem;
    std::string private_key_pem;
};

namespace self_signed_detail {

class mbedtls_rng {
public:
    mbedtls_rng() {
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
    }
    ~mbedtls_rng() {
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
    }
    mbedtls_rng(const mbedtls_rng&) = delete;
    mbedtls_rng& operator=(const mbedtls_rng&) = delete;

    int seed() {
        static const unsigned char personalisation[] = "iap_dev_server self-signed certificate";
        return mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, personalisation, sizeof personalisation - 1);
    }
    mbedtls_ctr_drbg_context* drbg() noexcept { return &drbg_; }

private:
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
};

/// DER length octets.
inline void append_der_length(std::vector<unsigned char>& out, std::size_t n) {
    if (n < 0x80) {
        out.push_back(static_cast<unsigned char>(n));
    } else if (n < 0x100) {
        out.push_back(0x81);
        out.push_back(static_cast<unsigned char>(n));
    } else {
        out.push_back(0x82);
        out.push_back(static_cast<unsigned char>(n >> 8));
        out.push_back(static_cast<unsigned char>(n & 0xFF));
    }
}

/// GeneralNames ::= SEQUENCE OF GeneralName, with dNSName [2] IA5String and iPAddress [7] OCTET
/// STRING, both implicitly tagged.
inline std::vector<unsigned char> subject_alt_name_der(const std::vector<std::string>& dns_names,
                                                       const std::vector<std::vector<unsigned char>>& ip_addresses) {
    std::vector<unsigned char> names;
    for (const auto& dns : dns_names) {
        names.push_back(0x82);
        append_der_length(names, dns.size());
        names.insert(names.end(), dns.begin(), dns.end());
    }
    for (const auto& ip : ip_addresses) {
        names.push_back(0x87);
        append_der_length(names, ip.size());
        names.insert(names.end(), ip.begin(), ip.end());
    }
    std::vector<unsigned char> out{0x30};
    append_der_length(out, names.size());
    out.insert(out.end(), names.begin(), names.end());
    return out;
}

/// "YYYYMMDDhhmmss" as mbedtls_x509write_crt_set_validity wants it.
inline std::string validity_time(std::int64_t ms) {
    const std::string iso = iap_embedded::detail::format_time_ms(ms); // 2026-03-01T10:00:00.000Z
    return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) + iso.substr(14, 2) + iso.substr(17, 2);
}

} // namespace self_signed_detail

/// Makes a key and a self-signed certificate for `localhost` and the given IP address (the text
/// form and the 4 or 16 bytes of the address the server listens on; empty when unspecified).
inline iap_embedded::result<tls_identity> make_self_signed_identity(const std::string& listen_ip_text,
                                                                     const std::vector<unsigned char>& listen_ip_bytes) {
    using iap_embedded::errc;
    using iap_embedded::make_error;
    namespace sd = self_signed_detail;

    sd::mbedtls_rng rng;
    int rc = rng.seed();
    if (rc != 0) return make_error(errc::internal_error, "cannot seed the random generator", rc);

    struct owned {
        mbedtls_pk_context key;
        mbedtls_x509write_cert crt;
        mbedtls_mpi serial;
        owned() {
            mbedtls_pk_init(&key);
            mbedtls_x509write_crt_init(&crt);
            mbedtls_mpi_init(&serial);
        }
        ~owned() {
            mbedtls_mpi_free(&serial);
            mbedtls_x509write_crt_free(&crt);
            mbedtls_pk_free(&key);
        }
        owned(const owned&) = delete;
        owned& operator=(const owned&) = delete;
    } o;

    if ((rc = mbedtls_pk_setup(&o.key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0)
        return make_error(errc::internal_error, "mbedtls_pk_setup failed", rc);
    if ((rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(o.key), mbedtls_ctr_drbg_random, rng.drbg())) != 0)
        return make_error(errc::internal_error, "cannot generate a P-256 key", rc);

    unsigned char serial_bytes[16];
    if ((rc = mbedtls_ctr_drbg_random(rng.drbg(), serial_bytes, sizeof serial_bytes)) != 0)
        return make_error(errc::internal_error, "cannot draw a serial number", rc);
    serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7F) | 0x40); // positive, 16 bytes
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
    rc = mbedtls_x509write_crt_set_serial_raw(&o.crt, serial_bytes, sizeof serial_bytes);
#else
    rc = mbedtls_mpi_read_binary(&o.serial, serial_bytes, sizeof serial_bytes);
    if (rc == 0) rc = mbedtls_x509write_crt_set_serial(&o.crt, &o.serial);
#endif
    if (rc != 0) return make_error(errc::internal_error, "cannot set the serial number", rc);

    const std::int64_t now = iap_embedded::detail::wall_clock_ms();
    const std::int64_t hour = 3600LL * 1000;
    mbedtls_x509write_crt_set_version(&o.crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&o.crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&o.crt, &o.key);
    mbedtls_x509write_crt_set_issuer_key(&o.crt, &o.key);
    if ((rc = mbedtls_x509write_crt_set_subject_name(&o.crt, "CN=localhost")) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&o.crt, "CN=localhost")) != 0)
        return make_error(errc::internal_error, "cannot set the certificate's names", rc);
    if ((rc = mbedtls_x509write_crt_set_validity(&o.crt, sd::validity_time(now - hour).c_str(),
                                                 sd::validity_time(now + 366 * 24 * hour).c_str())) != 0)
        return make_error(errc::internal_error, "cannot set the validity period", rc);

    std::vector<std::string> dns_names{"localhost", "127.0.0.1"};
    std::vector<std::vector<unsigned char>> ip_addresses{{127, 0, 0, 1}};
    if (!listen_ip_bytes.empty() && listen_ip_text != "127.0.0.1") {
        dns_names.push_back(listen_ip_text);
        ip_addresses.push_back(listen_ip_bytes);
    }
    const auto san = sd::subject_alt_name_der(dns_names, ip_addresses);
    if ((rc = mbedtls_x509write_crt_set_extension(&o.crt, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                                                  0, san.data(), san.size())) != 0)
        return make_error(errc::internal_error, "cannot add the subjectAltName extension", rc);

    tls_identity identity;
    std::vector<unsigned char> buffer(8192);
    if ((rc = mbedtls_x509write_crt_pem(&o.crt, buffer.data(), buffer.size(), mbedtls_ctr_drbg_random, rng.drbg())) != 0)
        return make_error(errc::internal_error, "cannot write the certificate", rc);
    identity.certificate_pem = reinterpret_cast<const char*>(buffer.data());
    if ((rc = mbedtls_pk_write_key_pem(&o.key, buffer.data(), buffer.size())) != 0)
        return make_error(errc::internal_error, "cannot write the private key", rc);
    identity.private_key_pem = reinterpret_cast<const char*>(buffer.data());
    mbedtls_platform_zeroize(buffer.data(), buffer.size());
    return identity;
}

} // namespace iap_dev_server

#endif // IAP_DEV_SERVER_SELF_SIGNED_CERTIFICATE_HPP
