#pragma once
/// Batched verification of many Feldman shares for one receiver (random linear combination, one MSM per
/// commitment degree) and the bisection that names the bad items when a batch fails.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/secret.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"

namespace phx::dkg {

/// A deterministic stream of random 128-bit batch coefficients: ρ_m = (first or second 16 bytes of
/// sha256(key ‖ be64(counter))) | 1. The key comes from the receiver's secret seed and a context label, so a
/// dealer cannot predict the coefficients, and a resumed node draws the same ones (its checks replay alike).
class BatchRng {
 public:
  /// A stream keyed by sha256("phalanx/dkg/v1/batch" ‖ key_material ‖ label).
  BatchRng(ByteSpan key_material, ByteSpan label);
  /// The next non-zero coefficient below 2^128.
  crypto::bls::Fr next();

 private:
  SecretArray<32> key_;
  std::uint64_t counter_ = 0;
  std::uint8_t block_[32] = {};
  bool half_ = false;
};

/// Positions in [0, n) whose items are bad, found by bisection: `check(begin, end)` decides a range in one
/// randomised batch; ranges of at most `leaf` items are decided one by one with `single(i)`. The caller
/// already knows [0, n) fails (the root check is skipped), so when a left half passes the right half is
/// known to fail without a check: about log2(n/leaf) range checks for one bad item, ≤ 2·b·log2(n/leaf) for
/// b. Ascending order.
std::vector<std::size_t> bisect_bad(std::size_t n, const std::function<bool(std::size_t, std::size_t)>& check,
                                    const std::function<bool(std::size_t)>& single, std::size_t leaf = 4);

/// One share to check against Feldman commitments: share·G1 == Σ_k x^k·C_k. The commitments are public
/// points already subgroup-checked; the share is secret.
struct FeldmanItem {
  std::span<const crypto::bls::G1> commitments;  ///< C_0..C_{t−1} of the dealer's polynomial for one validator
  crypto::bls::Fr share;                         ///< f(x), decrypted by the receiver
};

/// True iff (with probability ≥ 1 − 2^-127 over the coefficients) every item satisfies the Feldman equation
/// at x: with ρ_m from `rng`, (Σ ρ_m s_m)·G == Σ_k x^k·(Σ_m ρ_m C_{m,k}): one MSM of 128-bit scalars per
/// degree k plus one constant-time fixed-base multiplication (the shares are secret; only the verdict is
/// revealed). False on empty input.
bool batch_feldman_check(std::span<const FeldmanItem> items, std::uint32_t x, BatchRng& rng);

/// The single check share·G1 == Σ_k x^k·C_k (share multiplied in constant time).
bool feldman_check(const FeldmanItem& item, std::uint32_t x);

/// Positions of the items that fail the Feldman equation (bisection with batch_feldman_check; empty when all
/// pass). Ascending.
std::vector<std::size_t> find_bad_feldman(std::span<const FeldmanItem> items, std::uint32_t x, BatchRng& rng);

}  // namespace phx::dkg
