#pragma once
/// ParSigDB: partial signatures per (duty, pubkey, share index), from this node's VC and from peers (Charon
/// core/parsigdb). Identical re-sends are deduplicated; a share index that sends two different partials for
/// one (duty, pubkey) is rejected and recorded (equivocation). Once `threshold` partials over the SAME
/// signing root are present the set is emitted for aggregation. Bounded by the deadliner.
#include <map>
#include <optional>
#include <vector>

#include "core/deadliner.hpp"
#include "core/types.hpp"
#include "crypto/threshold/threshold.hpp"

namespace phx::core {

/// `threshold` partials over one signing root for one (duty, pubkey): the input of SigAgg.
struct ThresholdSet {
  Duty duty;                                                  ///< the duty
  PubKey pubkey;                                              ///< the DV key
  Root signing_root{};                                        ///< the root every partial signs
  SignedMessage message;                                      ///< the message signed (same for all partials)
  std::vector<crypto::threshold::PartialSignature> partials;  ///< ≥ threshold, ascending share index
};

/// A recorded equivocation: `share_idx` sent two different partials for (duty, pubkey).
struct Equivocation {
  Duty duty;           ///< the duty
  PubKey pubkey;       ///< the DV key
  ShareIdx share_idx;  ///< the offender
  Root first_root{};   ///< signing root of the partial kept
  Root second_root{};  ///< signing root of the partial refused (may equal first_root: other signature)
};

/// What store() did with an accepted partial.
enum class ParSigOutcome {
  kStored,            ///< new partial kept; threshold not (yet) reached for its root
  kDuplicate,         ///< identical to the one already held; nothing changed
  kThresholdReached,  ///< new partial kept and its root now has ≥ threshold partials (see `ready`)
};

/// Result of an accepted store().
struct ParSigStored {
  ParSigOutcome outcome = ParSigOutcome::kStored;  ///< what happened
  std::optional<ThresholdSet> ready;               ///< set when outcome is kThresholdReached
};

/// Stores partial signatures. Partials are not verified here (SigAgg verifies the aggregate optimistically
/// and finds bad partials only on failure); the signing root is recomputed from the message, never trusted.
class ParSigDB {
 public:
  /// A store for the cluster in `keys` (threshold from there), signing roots on `config`, deadlines from
  /// `deadliner`. None is owned; all must outlive this object.
  ParSigDB(const eth::ChainConfig& config, const KeyBook& keys, const Deadliner& deadliner);

  /// Stores one partial. Errors (untrusted input): kExpired, kWrongDataType (message kind is not the
  /// duty's), kUnknownPubkey, kUnknownShare, kEquivocation (the share already sent a different partial for
  /// this (duty, pubkey); recorded in equivocations()). Emits the threshold set when a new partial makes its
  /// root reach the threshold, and again on each further new partial over that root until
  /// mark_aggregated(), so that aggregation can retry after excluding bad partials.
  Result<ParSigStored> store(const Duty& duty, const PubKey& pubkey, const ParSignedData& partial);

  /// Marks (duty, pubkey) as aggregated: later partials are still checked and stored but not emitted.
  void mark_aggregated(const Duty& duty, const PubKey& pubkey);
  /// Excludes `share_idx`'s partial for (duty, pubkey) from emitted sets (SigAgg found it invalid). The
  /// partial stays recorded so that a different re-send is an equivocation.
  void exclude(const Duty& duty, const PubKey& pubkey, ShareIdx share_idx);
  /// Share indices holding a partial for (duty, pubkey) (excluded ones included), ascending.
  std::vector<ShareIdx> shares_present(const Duty& duty, const PubKey& pubkey) const;
  /// Every equivocation seen (bounded like the store: evict() drops those of the duty).
  const std::vector<Equivocation>& equivocations() const { return equivocations_; }
  /// Drops every partial and equivocation record of `duty`.
  void evict(const Duty& duty);
  /// Number of partials held.
  std::size_t size() const;

 private:
  struct Entry {
    Root signing_root{};
    ParSignedData partial;
    bool excluded = false;
  };
  struct PubkeyPartials {
    std::map<ShareIdx, Entry> by_share;
    bool aggregated = false;
  };
  std::optional<ThresholdSet> collect(const Duty& duty, const PubKey& pubkey, const PubkeyPartials& s,
                                      const Root& root) const;

  const eth::ChainConfig& config_;
  const KeyBook& keys_;
  const Deadliner& deadliner_;
  std::map<Duty, std::map<PubKey, PubkeyPartials>> data_;
  std::vector<Equivocation> equivocations_;
};

}  // namespace phx::core
