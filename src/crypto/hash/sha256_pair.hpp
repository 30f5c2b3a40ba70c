#pragma once
/// Two-chunk SHA-256 for Merkle trees: hashes 64-byte messages (two 32-byte chunks) to 32-byte digests. The
/// second compression (the fixed padding block) uses a precomputed message schedule. Uses the CPU's SHA
/// extensions (SHA-NI) when present, detected once at run time; otherwise a portable implementation.
/// Timing depends only on the number of blocks, never on their contents.
#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"

namespace phx::crypto::hash {

/// SHA-256 of each of `n` consecutive 64-byte messages at `in`, written as `n` consecutive 32-byte digests to
/// `out` (FIPS 180-4). `out` may alias `in` exactly (out == in) for in-place tree reduction, since message i
/// is read completely before digest i is written and digest i lies at or before message i.
void sha256_64_many(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept;

/// The portable implementation of sha256_64_many (exposed for tests and benchmarks).
void sha256_64_many_portable(const std::uint8_t* in, std::uint8_t* out, std::size_t n) noexcept;

/// True when sha256_64_many uses the SHA-NI instructions on this CPU.
bool sha256_uses_shani() noexcept;

/// SHA-256(a || b) of two 32-byte chunks: the Merkle parent of `a` and `b` (consensus-specs `hash`).
inline Root sha256_pair(const Root& a, const Root& b) noexcept {
  std::uint8_t buf[64];
  for (std::size_t i = 0; i < 32; ++i) {
    buf[i] = a[i];
    buf[32 + i] = b[i];
  }
  Root out;
  sha256_64_many(buf, out.data(), 1);
  return out;
}

}  // namespace phx::crypto::hash
