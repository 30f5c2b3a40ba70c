#pragma once
/// The beacon simulator's slashing oracle: every validly signed attestation (also each attester of an
/// aggregate's inner attestation) and block it receives is recorded, independently of whether it was accepted
/// and of the nodes' own slashing databases, and any two that would be slashable for one validator are flagged:
/// a double vote (two different attestation data with one target epoch), a surround vote (one attestation's
/// source..target strictly inside the other's), a double proposal (two different blocks for one slot).
/// Spec: consensus-specs phase0 is_slashable_attestation_data, process_proposer_slashing. Pure, no I/O.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eth/types.hpp"

namespace phx::sim {

/// One slashable pair found.
struct SlashableOffence {
  enum class Kind : std::uint8_t { kDoubleVote, kSurroundVote, kDoubleProposal };
  Kind kind = Kind::kDoubleVote;
  ValidatorIndex validator{};
  std::string detail;  ///< e.g. "target 5: 0xab… vs 0xcd…", "source 2 target 6 surrounds source 3 target 5"
};

/// "double_vote", "surround_vote", "double_proposal".
const char* to_string(SlashableOffence::Kind k);

/// Records signed messages and the offences among them. Memory grows with the distinct messages recorded
/// (one entry per validator and target epoch, per proposer and slot).
class SlashingOracle {
 public:
  /// A validly signed attestation of `validator` over `data`.
  void record_attestation(ValidatorIndex validator, const eth::phase0::AttestationData& data);
  /// A validly signed block of `proposer` at `slot` with header root `root`.
  void record_block(ValidatorIndex proposer, Slot slot, const Root& root);
  /// Whether `validator` signed an attestation with target `epoch` or a block of a slot in it (what the beacon
  /// simulator's liveness endpoint answers). Precondition: slots_per_epoch > 0.
  bool live(ValidatorIndex validator, Epoch epoch, std::uint64_t slots_per_epoch) const;
  /// Every offence found so far, in the order found (each pair once).
  const std::vector<SlashableOffence>& offences() const { return offences_; }

 private:
  struct Vote {
    std::uint64_t source = 0;
    Root data_root{};
  };
  // validator → target epoch → the distinct votes with that target (more than one = a double vote)
  std::map<std::uint64_t, std::map<std::uint64_t, std::vector<Vote>>> votes_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::vector<Root>> blocks_;  // (proposer, slot) → roots
  std::vector<SlashableOffence> offences_;
};

}  // namespace phx::sim
