// SPDX-License-Identifier: MIT
//
// A store's public key kept out of plain sight in the app binary. `tools/embed_key.py` turns the
// Google Play or ONE store licence key (base64) into a small generated header: the key's DER bytes
// cut into chunks, stored in a shuffled order, each byte XORed with a keystream drawn from a
// random seed chosen at generation time. This header puts it back together at run time:
//
//     tools/embed_key.py --name play_key --output play_key.hpp licence_key.b64   # at build time
//
//     #include "play_key.hpp"                    // defines `inline constexpr ... play_key`
//     verifier.add_google_play(play_key.base64(), "com.example.game");
//
// What it does, honestly: neither the base64 text nor the DER bytes appear anywhere in the binary
// (the unit test checks its own executable), so a `strings` or byte search for the key, or for a
// replacement of the same length, finds nothing, and the seed is read through a volatile access so
// that no optimiser can fold the key back into a constant. Finding the key now takes reading the
// code; a fresh generation per release changes every stored byte.
//
// What it does not do: it does not stop patching. Anyone who can modify the binary can also patch
// the call that verifies (or its result), or set a breakpoint on `base64()` and read the key from
// memory: local verification raises the cost of fraud, it cannot prevent it. The real defence is a
// server that verifies, or the IAP server sync (sync.hpp). The key is public anyway: what this
// protects against is swapping it for the attacker's own, not learning it.
//
// Needs base64.hpp (the library's encoder) and nothing of mbedTLS.
#ifndef IAP_EMBEDDED_EMBEDDED_KEY_HPP
#define IAP_EMBEDDED_EMBEDDED_KEY_HPP

#include "iap_embedded/base64.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace iap_embedded {
inline namespace v1 {

/// A public key as `tools/embed_key.py` writes it. `Size` is the length of its DER encoding,
/// `Chunks` the number of pieces it was cut into. Build one only with the generator; the members
/// are public so that the generated header can initialise it as a constant.
template <std::size_t Size, std::size_t Chunks>
struct embedded_key {
    static_assert(Size > 0 && Chunks > 0 && Chunks <= Size, "an embedded key needs bytes and chunks");

    /// The masked bytes, chunk after chunk in storage order.
    unsigned char masked[Size];
    /// `order[k]` is the position in the DER of the chunk stored k-th.
    std::uint16_t order[Chunks];
    /// The keystream seed.
    std::uint64_t seed;
    /// Length of every chunk but the DER's last one, which holds the rest.
    std::size_t chunk_size;

    /// The key's DER bytes (SubjectPublicKeyInfo). Empty if the object is inconsistent.
    std::string der() const {
        // A volatile read: the compiler cannot know the seed, so it cannot compute the key at
        // build time and store it as a constant.
        std::uint64_t state = *static_cast<const volatile std::uint64_t*>(&seed);
        std::string out(Size, '\0');
        bool placed[Chunks] = {};
        std::size_t stored = 0;
        std::uint64_t word = 0;
        for (std::size_t k = 0; k < Chunks; ++k) {
            const std::size_t chunk = order[k];
            if (chunk >= Chunks || placed[chunk] || chunk_size == 0 || chunk > Size / chunk_size) return {};
            placed[chunk] = true;
            const std::size_t begin = chunk * chunk_size;
            const std::size_t length = chunk + 1 == Chunks ? Size - begin : chunk_size;
            if (begin > Size || length > Size - begin || length > Size - stored) return {};
            for (std::size_t i = 0; i < length; ++i, ++stored) {
                if (stored % 8 == 0) word = next(state);
                const auto mask = static_cast<unsigned char>(word >> (8 * (stored % 8)));
                out[begin + i] = static_cast<char>(static_cast<unsigned char>(masked[stored] ^ mask));
            }
        }
        return stored == Size ? out : std::string();
    }

    /// The key as base64 text, what `google_play_verifier::create`, `one_store_verifier::create`,
    /// `verifier::add_google_play` and `verifier::add_one_store` take.
    std::string base64() const {
        const std::string bytes = der();
        return encode_base64(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    }

    /// The keystream: splitmix64, the same generator tools/embed_key.py uses.
    static constexpr std::uint64_t next(std::uint64_t& state) noexcept {
        state += 0x9e3779b97f4a7c15ULL;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
};

} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_EMBEDDED_KEY_HPP
