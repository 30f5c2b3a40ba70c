#pragma once
/// SigAgg: threshold partial signatures → the DV's aggregate signature (Charon core/sigagg), optimistic:
/// recombine from `threshold` partials without verifying them, verify the aggregates of a whole duty with
/// one randomised batch check, and only when that fails locate the failing validators (bisection over the
/// batch) and, for those, the bad partials (threshold::find_invalid_partials). Bad share indices are blamed
/// and the aggregate is recombined from the good partials when at least `threshold` remain.
#include <set>
#include <span>
#include <vector>

#include "core/parsigdb.hpp"
#include "core/types.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::core {

/// The outcome of aggregating one ThresholdSet.
struct AggregateOutcome {
  Duty duty;                     ///< the duty
  PubKey pubkey;                 ///< the DV key
  Result<SignedData> aggregate;  ///< the verified aggregate, or why not (kNotEnoughPartials, …)
  std::vector<ShareIdx> blamed;  ///< share indices whose partial failed verification, ascending
};

/// Aggregation counters (for metrics and tests).
struct SigAggStats {
  std::uint64_t batch_checks = 0;   ///< batch verifications run
  std::uint64_t fallback_sets = 0;  ///< sets that needed find_invalid_partials
  std::uint64_t suspect_checks = 0;   ///< partials of suspect shares verified before recombination
  std::uint64_t suspect_dropped = 0;  ///< of those, found invalid and dropped
};

/// Recombines and verifies aggregates. Pure computation on public data (variable time).
class SigAgg {
 public:
  /// An aggregator for the cluster in `keys` (not owned), using `cache` for Lagrange coefficients and up to
  /// `threads` threads (≥ 1; the caller's thread included, joined before aggregate() returns) for the
  /// recombinations and for a batch check over several signing roots.
  explicit SigAgg(const KeyBook& keys,
                  crypto::threshold::LagrangeCache& cache = crypto::threshold::default_lagrange_cache(),
                  unsigned threads = 1);

  /// Aggregates every set (typically all validators of one duty); outcome i belongs to sets[i]. Each set
  /// must hold partials over its signing_root; a set whose pubkey or share indices are unknown, or with
  /// fewer than threshold partials, fails with kUnknownPubkey / kUnknownShare / kNotEnoughPartials.
  std::vector<AggregateOutcome> aggregate(std::span<const ThresholdSet> sets);
  /// Like aggregate(sets), but the partials of `suspects` (share indices blamed recently) are verified first
  /// (per signing root one same-message batch, individual checks only when it fails); a bad one is dropped
  /// and blamed before recombination. A Byzantine share then costs about one check per partial instead of a
  /// failed duty batch, a bisection and a repair for every validator it signed for.
  std::vector<AggregateOutcome> aggregate(std::span<const ThresholdSet> sets, const std::set<ShareIdx>& suspects);

  /// Counters since construction.
  const SigAggStats& stats() const { return stats_; }

 private:
  struct Candidate;
  bool batch_ok(std::span<const Candidate* const> cands);
  void bisect(std::span<const Candidate* const> cands, std::vector<const Candidate*>& failed);
  void repair(const ThresholdSet& set, AggregateOutcome& out);

  const KeyBook& keys_;
  crypto::threshold::LagrangeCache& cache_;
  unsigned threads_;
  SigAggStats stats_;
};

}  // namespace phx::core
