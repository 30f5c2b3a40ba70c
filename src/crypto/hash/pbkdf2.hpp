#pragma once
/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2), the EIP-2335 "pbkdf2" KDF, built for its cost: the HMAC key's inner and
/// outer SHA-256 states are computed once, then each iteration is exactly two compressions of fixed-layout
/// blocks (32 message bytes + constant padding). With the CPU's SHA extensions (SHA-NI, detected at run time;
/// otherwise portable code) several derivations run interleaved on one core to hide the sha256rnds2 latency.
/// Timing depends only on the lengths and iteration counts, never on the password or salt contents; the
/// password-derived states are zeroized before returning.
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/bytes.hpp"

namespace phx::crypto::hash {

/// One derivation: `out.size()` bytes of PBKDF2-HMAC-SHA256(`password`, `salt`, `iterations`). `out` must not
/// overlap the inputs.
struct Pbkdf2Job {
  ByteSpan password;
  ByteSpan salt;
  std::uint32_t iterations = 1;  ///< c ≥ 1
  MutByteSpan out;
};

/// How many output blocks (32 bytes each; one per EIP-2335 keystore) one core runs interleaved. On the project
/// machine (AMD EPYC, SHA-NI) the CPU time per block falls from 1 lane to 4 and levels off at 5–6, where the
/// SHA unit's throughput, not sha256rnds2's latency, is the bound (docs/BENCHMARKS.md, keystore_bench).
inline constexpr std::size_t kPbkdf2Lanes = 6;

/// PBKDF2-HMAC-SHA256(password, salt, iterations) into `out` (any length ≥ 1, iterations ≥ 1).
void pbkdf2_hmac_sha256(ByteSpan password, ByteSpan salt, std::uint32_t iterations, MutByteSpan out);

/// Every job of `jobs`, up to kPbkdf2Lanes output blocks at a time interleaved on this thread (jobs may differ in
/// every parameter). Same results as one pbkdf2_hmac_sha256 call per job, in less time when there are several.
void pbkdf2_hmac_sha256_many(std::span<const Pbkdf2Job> jobs);

/// The portable implementation of pbkdf2_hmac_sha256_many (exposed for tests and benchmarks).
void pbkdf2_hmac_sha256_many_portable(std::span<const Pbkdf2Job> jobs);

/// Like pbkdf2_hmac_sha256_many with at most `lanes` (1 … kPbkdf2Lanes) blocks interleaved (for benchmarks).
void pbkdf2_hmac_sha256_many_lanes(std::span<const Pbkdf2Job> jobs, std::size_t lanes);

}  // namespace phx::crypto::hash
