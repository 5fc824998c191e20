// SPDX-License-Identifier: MIT
//
// Fuzzes opening a ledger from arbitrary bytes (the replay that `ledger::open` runs on the file,
// in memory). The first input byte chooses the mode: bit 0, a keyed replay (key "fuzz ledger
// key"); bit 1 (unkeyed only), fix every CRC first, so that mutations reach the record decoder and
// the state checks instead of stopping at a checksum. The rest is the file. Invariants:
// - the replay never crashes; a failure is ledger_corrupted with an offset inside the input;
// - a success ends at a record boundary inside the input, leaves no balance below zero, and the
//   state's snapshot (what compaction writes) replays to the same purchases and balances.
#include "fuzz_assert.hpp"

#include "iap_embedded/ledger.hpp"
#include "iap_embedded/detail/ledger_state.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view fuzz_key = "fuzz ledger key";

bool set_up(iap_embedded::detail::ledger_state& s, bool keyed) {
    s.keyed = keyed;
    if (keyed && !s.hmac.set_key(fuzz_key)) return false;
    if (keyed) s.options.hmac_key = std::string(fuzz_key);
    return true;
}

// Rewrites the header CRC and every record's CRCs, walking the frames as the replay does.
void fix_checksums(std::vector<unsigned char>& f) {
    namespace fmt = iap_embedded::detail::ledger_format;
    if (f.size() < fmt::header_size) return;
    fmt::put_u32(&f[64], fmt::crc32(f.data(), 64));
    std::size_t pos = fmt::header_size;
    while (f.size() - pos >= fmt::frame_size) {
        unsigned char* h = &f[pos];
        fmt::put_u32(h + 8, fmt::crc32(h, 8));
        const std::uint32_t length = fmt::get_u32(h);
        if (length > fmt::max_payload || f.size() - pos < fmt::frame_size + std::size_t{length} + fmt::crc_size) return;
        fmt::put_u32(h + fmt::frame_size + length, fmt::crc32(h + fmt::frame_size, length));
        pos += fmt::frame_size + length + fmt::crc_size;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace iap_embedded;
    namespace d = iap_embedded::detail;
    if (size == 0) return 0;
    const bool keyed = (data[0] & 1) != 0;
    std::vector<unsigned char> fixed;
    const unsigned char* file = data + 1;
    const std::size_t file_size = size - 1;
    if (!keyed && (data[0] & 2) != 0) {
        fixed.assign(data + 1, data + size);
        fix_checksums(fixed);
        file = fixed.data();
    }

    d::ledger_state s;
    IAP_EMBEDDED_FUZZ_ASSERT(set_up(s, keyed));
    const auto replayed = d::replay_ledger(s, file, file_size);
    if (!replayed) {
        IAP_EMBEDDED_FUZZ_ASSERT(replayed.error_code() == errc::ledger_corrupted);
        IAP_EMBEDDED_FUZZ_ASSERT(replayed.message().find("offset") != std::string::npos);
        IAP_EMBEDDED_FUZZ_ASSERT(s.damage_offset <= file_size);
        return 0;
    }
    if (replayed->fresh) {
        IAP_EMBEDDED_FUZZ_ASSERT(file_size < d::ledger_format::header_size);
        return 0;
    }
    IAP_EMBEDDED_FUZZ_ASSERT(replayed->valid_end >= d::ledger_format::header_size);
    IAP_EMBEDDED_FUZZ_ASSERT(replayed->valid_end <= file_size);
    IAP_EMBEDDED_FUZZ_ASSERT(s.index.size() == s.entries.size());
    for (const auto& b : s.balances) IAP_EMBEDDED_FUZZ_ASSERT(b.second >= 0);

    // What compaction would write replays to the same state.
    const auto snapshot = d::snapshot_bytes(s, 0);
    IAP_EMBEDDED_FUZZ_ASSERT(snapshot.has_value());
    d::ledger_state again;
    IAP_EMBEDDED_FUZZ_ASSERT(set_up(again, keyed));
    const auto* bytes = reinterpret_cast<const unsigned char*>(snapshot->data());
    const auto round_trip = d::replay_ledger(again, bytes, snapshot->size());
    IAP_EMBEDDED_FUZZ_ASSERT(round_trip.has_value());
    IAP_EMBEDDED_FUZZ_ASSERT(round_trip->valid_end == snapshot->size());
    IAP_EMBEDDED_FUZZ_ASSERT(again.entries.size() == s.entries.size());
    IAP_EMBEDDED_FUZZ_ASSERT(again.balances == s.balances);
    IAP_EMBEDDED_FUZZ_ASSERT(again.trusted_time_ms == s.trusted_time_ms);
    IAP_EMBEDDED_FUZZ_ASSERT(again.payment_order == s.payment_order);
    for (const auto& p : s.payments) {
        const auto copy = again.payments.find(p.first);
        IAP_EMBEDDED_FUZZ_ASSERT(copy != again.payments.end());
        IAP_EMBEDDED_FUZZ_ASSERT(copy->second.state == p.second.state && copy->second.attempted == p.second.attempted);
        IAP_EMBEDDED_FUZZ_ASSERT(copy->second.result_code == p.second.result_code);
        IAP_EMBEDDED_FUZZ_ASSERT(copy->second.access_token == p.second.access_token);
        IAP_EMBEDDED_FUZZ_ASSERT(copy->second.key.has_value() == p.second.key.has_value());
    }
    for (const auto& e : s.entries) {
        const ledger_entry* copy = again.find(e.key);
        IAP_EMBEDDED_FUZZ_ASSERT(copy != nullptr);
        IAP_EMBEDDED_FUZZ_ASSERT(copy->state == e.state && copy->delivered_time_ms.has_value() == e.delivered_time_ms.has_value());
    }
    return 0;
}
