// SlashingOracle: slashable pairs among the signed messages the beacon simulator received.
#include "sim/slashing_oracle.hpp"

#include <algorithm>

#include "base/bytes.hpp"
#include "ssz/merkle.hpp"

namespace phx::sim {

const char* to_string(SlashableOffence::Kind k) {
  switch (k) {
    case SlashableOffence::Kind::kDoubleVote:
      return "double_vote";
    case SlashableOffence::Kind::kSurroundVote:
      return "surround_vote";
    case SlashableOffence::Kind::kDoubleProposal:
      return "double_proposal";
  }
  return "?";
}

namespace {
std::string short_root(const Root& r) { return to_hex(ByteSpan(r.data(), 6)); }
}  // namespace

void SlashingOracle::record_attestation(ValidatorIndex validator, const eth::phase0::AttestationData& data) {
  const Root root = ssz::hash_tree_root(data);
  const std::uint64_t s = data.source.epoch.value;
  const std::uint64_t t = data.target.epoch.value;
  auto& by_target = votes_[validator.value];
  auto& same_target = by_target[t];
  if (std::any_of(same_target.begin(), same_target.end(), [&](const Vote& v) { return v.data_root == root; }))
    return;  // the same vote again (every node of a cluster submits it)
  for (const Vote& v : same_target) {
    offences_.push_back({SlashableOffence::Kind::kDoubleVote, validator,
                         "target " + std::to_string(t) + ": " + short_root(v.data_root) + " vs " + short_root(root)});
  }
  // Surround votes: an earlier vote (s2, t2) with s < s2 and t2 < t (the new one surrounds it) or s2 < s and
  // t < t2 (it is surrounded).
  for (const auto& [t2, list] : by_target) {
    if (t2 == t) continue;
    for (const Vote& v : list) {
      const bool surrounds = s < v.source && t2 < t;
      const bool surrounded = v.source < s && t < t2;
      if (surrounds || surrounded) {
        offences_.push_back({SlashableOffence::Kind::kSurroundVote, validator,
                             "source " + std::to_string(s) + " target " + std::to_string(t) +
                                 (surrounds ? " surrounds" : " is surrounded by") + " source " +
                                 std::to_string(v.source) + " target " + std::to_string(t2)});
      }
    }
  }
  same_target.push_back(Vote{s, root});
}

bool SlashingOracle::live(ValidatorIndex validator, Epoch epoch, std::uint64_t slots_per_epoch) const {
  if (auto v = votes_.find(validator.value); v != votes_.end() && v->second.contains(epoch.value)) return true;
  const std::uint64_t first = epoch.value * slots_per_epoch;
  auto b = blocks_.lower_bound({validator.value, first});
  return b != blocks_.end() && b->first.first == validator.value && b->first.second < first + slots_per_epoch;
}

void SlashingOracle::record_block(ValidatorIndex proposer, Slot slot, const Root& root) {
  auto& roots = blocks_[{proposer.value, slot.value}];
  if (std::find(roots.begin(), roots.end(), root) != roots.end()) return;
  for (const Root& r : roots) {
    offences_.push_back({SlashableOffence::Kind::kDoubleProposal, proposer,
                         "slot " + std::to_string(slot.value) + ": " + short_root(r) + " vs " + short_root(root)});
  }
  roots.push_back(root);
}

}  // namespace phx::sim
