// SPDX-License-Identifier: MIT
//
// The ledger's on-disk format: the file header, record framing, CRC-32, the HMAC-SHA256 chain and
// the little binary encoding of record payloads. All integers are little-endian.
//
//   header (68 bytes)
//     0  magic "IAPLEDGR"          8
//     8  format version (1)        u16
//    10  flags (bit 0: keyed)      u16
//    12  reserved, zero            u32
//    16  ledger id (random)        16
//    32  HMAC-SHA256(key, bytes 0..31) when keyed, else zero     32
//    64  CRC-32 of bytes 0..63     u32
//   record
//     0  payload length            u32
//     4  type                      u8
//     5  reserved, zero            3
//     8  CRC-32 of bytes 0..7      u32
//    12  payload                   length bytes
//     +  CRC-32 of the payload     u32
//     +  keyed: HMAC-SHA256(key, previous MAC || bytes 0..11 || payload)   32
//
// The first record's "previous MAC" is the header's MAC, which binds the chain to this ledger id.
#ifndef IAP_EMBEDDED_DETAIL_LEDGER_FORMAT_HPP
#define IAP_EMBEDDED_DETAIL_LEDGER_FORMAT_HPP

#include "iap_embedded/detail/mbedtls_compat.hpp"
#include "iap_embedded/error.hpp"

#include <mbedtls/entropy.h>
#include <mbedtls/md.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace iap_embedded {
inline namespace v1 {
namespace detail {
namespace ledger_format {

constexpr char magic[8] = {'I', 'A', 'P', 'L', 'E', 'D', 'G', 'R'};
constexpr std::uint16_t version = 1;
constexpr std::uint16_t flag_keyed = 1;
constexpr std::size_t header_size = 68;
constexpr std::size_t frame_size = 12;
constexpr std::size_t crc_size = 4;
constexpr std::size_t mac_size = 32;
/// Largest record payload, in bytes: the one limit that both writing and replaying a ledger
/// enforce (`frame_record` refuses to write a larger one, the replay calls one corrupt). Real
/// records are a few hundred bytes; server fields are capped far below it
/// (`max_server_field_bytes` in iap_server_response.hpp).
constexpr std::uint32_t max_payload = 1u << 20;

/// Record types. Values are part of the format: never renumber. The format version stays 1 as
/// the format grows: a new record type, or a new optional field at the end of a record's payload,
/// is read by this library and called corrupt (unknown type, wrong length) by an older one, which
/// therefore never misreads a newer ledger. The consume record's optional tail is: the server
/// payment (payment_seq, access_token, confirmed; empty strings for none), then the other id
/// (empty only when more follows), then flags (bit 0: without a server payment).
enum class record_type : std::uint8_t {
    consume = 1,     ///< a purchase consumed (and perhaps credited, perhaps delivered)
    deliver = 2,     ///< delivery of a consumed purchase confirmed
    update = 3,      ///< a later verified artifact changed a purchase's state or expiry
    spend = 4,       ///< a balance debited
    clock = 5,       ///< a time seen in verified store data
    balance_set = 6, ///< a balance's value (written by compaction)
    server_available = 7, ///< the IAP server listed a payment this device has not consumed
    server_attempt = 8,   ///< a server consume of a payment is about to be sent
    server_result = 9,    ///< the IAP server's verdict on a payment's consume
    link_payment = 10,      ///< a consumed purchase is an IAP server payment
    no_server_payment = 11, ///< a consumed purchase has no IAP server payment
};

/// CRC-32 (IEEE 802.3, as zlib computes it), slicing by eight bytes: replaying a large ledger
/// checksums every byte of it.
inline std::uint32_t crc32(const unsigned char* data, std::size_t n, std::uint32_t crc = 0) noexcept {
    struct tables_t {
        std::uint32_t t[8][256];
        tables_t() noexcept {
            for (std::uint32_t i = 0; i < 256; ++i) {
                std::uint32_t c = i;
                for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                t[0][i] = c;
            }
            for (std::uint32_t i = 0; i < 256; ++i)
                for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
        }
    };
    static const tables_t tables;
    const auto& t = tables.t;
    crc = ~crc;
    while (n >= 8) {
        const std::uint32_t lo = crc ^ (std::uint32_t{data[0]} | std::uint32_t{data[1]} << 8 |
                                         std::uint32_t{data[2]} << 16 | std::uint32_t{data[3]} << 24);
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^ t[3][data[4]] ^
              t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
        data += 8;
        n -= 8;
    }
    while (n-- != 0) crc = t[0][(crc ^ *data++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

inline void put_u16(unsigned char* p, std::uint16_t v) noexcept {
    p[0] = static_cast<unsigned char>(v);
    p[1] = static_cast<unsigned char>(v >> 8);
}
inline void put_u32(unsigned char* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
inline std::uint16_t get_u16(const unsigned char* p) noexcept {
    return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}
inline std::uint32_t get_u32(const unsigned char* p) noexcept {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

using mac_value = std::array<unsigned char, mac_size>;

/// HMAC-SHA256 with the key set up once; `reset` restarts a message without re-keying.
class hmac_sha256 {
public:
    hmac_sha256() noexcept { mbedtls_md_init(&ctx_); }
    ~hmac_sha256() { mbedtls_md_free(&ctx_); }
    hmac_sha256(const hmac_sha256&) = delete;
    hmac_sha256& operator=(const hmac_sha256&) = delete;

    result<void> set_key(std::string_view key) {
        if (const int init = compat::crypto_init(); init != 0)
            return make_error(errc::internal_error, "mbedTLS crypto initialisation failed", init);
        const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
        if (info == nullptr) return make_error(errc::unsupported_algorithm, "SHA-256 is not compiled into mbedTLS");
        int rc = mbedtls_md_setup(&ctx_, info, 1);
        if (rc == 0)
            rc = mbedtls_md_hmac_starts(&ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size());
        if (rc != 0) return make_error(errc::internal_error, "HMAC-SHA256 key setup failed", rc);
        return {};
    }

    /// MAC of the concatenation of up to three byte ranges.
    result<mac_value> compute(const unsigned char* a, std::size_t an, const unsigned char* b = nullptr,
                              std::size_t bn = 0, const unsigned char* c = nullptr, std::size_t cn = 0) {
        mac_value out{};
        int rc = mbedtls_md_hmac_reset(&ctx_);
        if (rc == 0 && an != 0) rc = mbedtls_md_hmac_update(&ctx_, a, an);
        if (rc == 0 && bn != 0) rc = mbedtls_md_hmac_update(&ctx_, b, bn);
        if (rc == 0 && cn != 0) rc = mbedtls_md_hmac_update(&ctx_, c, cn);
        if (rc == 0) rc = mbedtls_md_hmac_finish(&ctx_, out.data());
        if (rc != 0) return make_error(errc::internal_error, "HMAC-SHA256 failed", rc);
        return out;
    }

private:
    mbedtls_md_context_t ctx_;
};

/// Constant-time comparison of two MACs.
inline bool same_mac(const unsigned char* a, const unsigned char* b) noexcept {
    unsigned char diff = 0;
    for (std::size_t i = 0; i < mac_size; ++i) diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
    return diff == 0;
}

/// 16 random bytes from the system's entropy sources, for a new ledger id.
inline result<std::array<unsigned char, 16>> random_ledger_id() {
    std::array<unsigned char, 16> id{};
    mbedtls_entropy_context entropy;
    mbedtls_entropy_init(&entropy);
    const int rc = mbedtls_entropy_func(&entropy, id.data(), id.size());
    mbedtls_entropy_free(&entropy);
    if (rc != 0) return make_error(errc::internal_error, "no entropy for a new ledger id", rc);
    return id;
}

/// Appends payload fields.
class payload_writer {
public:
    payload_writer& u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); return *this; }
    payload_writer& i64(std::int64_t v) {
        const auto u = static_cast<std::uint64_t>(v);
        for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(static_cast<unsigned char>(u >> (8 * i))));
        return *this;
    }
    payload_writer& str(std::string_view s) {
        unsigned char n[4];
        put_u32(n, static_cast<std::uint32_t>(s.size()));
        out_.append(reinterpret_cast<const char*>(n), 4);
        out_.append(s.data(), s.size());
        return *this;
    }
    const std::string& bytes() const noexcept { return out_; }

private:
    std::string out_;
};

/// Reads payload fields with bounds checks. After the first overrun every read returns an empty
/// value and `ok()` is false; `finished()` also requires that nothing is left over.
class payload_reader {
public:
    payload_reader(const unsigned char* data, std::size_t size) noexcept : p_(data), left_(size) {}

    std::uint8_t u8() noexcept {
        if (!take(1)) return 0;
        return p_[-1];
    }
    std::int64_t i64() noexcept {
        if (!take(8)) return 0;
        std::uint64_t u = 0;
        for (int i = 7; i >= 0; --i) u = u << 8 | p_[i - 8];
        return static_cast<std::int64_t>(u);
    }
    std::string str() {
        if (!take(4)) return {};
        const std::uint32_t n = get_u32(p_ - 4);
        if (!take(n)) return {};
        return std::string(reinterpret_cast<const char*>(p_ - n), n);
    }
    bool ok() const noexcept { return ok_; }
    /// Bytes not read yet (optional trailing fields).
    std::size_t left() const noexcept { return ok_ ? left_ : 0; }
    bool finished() const noexcept { return ok_ && left_ == 0; }

private:
    bool take(std::size_t n) noexcept {
        if (!ok_ || n > left_) return ok_ = false;
        p_ += n;
        left_ -= n;
        return true;
    }
    const unsigned char* p_;
    std::size_t left_;
    bool ok_ = true;
};

} // namespace ledger_format
} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_LEDGER_FORMAT_HPP
