// Choosing among several beacon nodes' answers: eligibility, attestation data score, block value.
#include "beaconapi/bn_select.hpp"

#include <algorithm>

#include "base/assert.hpp"

namespace phx::beaconapi {

std::vector<bool> duty_data_eligible(std::span<const BnSyncView> views, std::uint64_t max_lag) {
  std::uint64_t best = 0;
  for (const auto& v : views)
    if (v.known && !v.is_syncing) best = std::max(best, v.head_slot.value);
  std::vector<bool> out(views.size(), false);
  bool any = false;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const auto& v = views[i];
    out[i] = !v.known || (!v.is_syncing && v.sync_distance <= max_lag && v.head_slot.value + max_lag >= best);
    any = any || out[i];
  }
  if (!any) std::fill(out.begin(), out.end(), true);
  return out;
}

std::vector<AttestationScore> score_attestation_data(std::span<const AttestationAnswer> answers) {
  std::vector<AttestationScore> out;
  out.reserve(answers.size());
  for (const auto& a : answers) {
    AttestationScore s;
    s.target_epoch = a.data.target.epoch.value;
    s.source_epoch = a.data.source.epoch.value;
    s.votes = static_cast<std::size_t>(
        std::count_if(answers.begin(), answers.end(), [&](const AttestationAnswer& b) { return b.data == a.data; }));
    s.head_slot = a.bn_head_slot.value;
    out.push_back(s);
  }
  return out;
}

std::size_t pick_attestation_data(std::span<const AttestationAnswer> answers) {
  PHX_ASSERT(!answers.empty());
  const auto scores = score_attestation_data(answers);
  std::size_t best = 0;
  for (std::size_t i = 1; i < scores.size(); ++i)
    if (scores[i] > scores[best]) best = i;
  return best;
}

ssz::Uint256 add_saturating(const ssz::Uint256& a, const ssz::Uint256& b) {
  ssz::Uint256 out;
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {  // little-endian bytes
    const unsigned s = unsigned(a.le[i]) + unsigned(b.le[i]) + carry;
    out.le[i] = static_cast<std::uint8_t>(s & 0xff);
    carry = s >> 8;
  }
  if (carry) out.le.fill(0xff);
  return out;
}

int compare(const ssz::Uint256& a, const ssz::Uint256& b) {
  for (std::size_t i = 32; i-- > 0;) {
    if (a.le[i] != b.le[i]) return a.le[i] < b.le[i] ? -1 : 1;
  }
  return 0;
}

std::size_t pick_block(std::span<const BlockOffer> offers) {
  PHX_ASSERT(!offers.empty());
  std::size_t best = 0;
  ssz::Uint256 best_value = add_saturating(offers[0].execution_payload_value, offers[0].consensus_block_value);
  for (std::size_t i = 1; i < offers.size(); ++i) {
    const auto v = add_saturating(offers[i].execution_payload_value, offers[i].consensus_block_value);
    if (compare(v, best_value) > 0) {
      best = i;
      best_value = v;
    }
  }
  return best;
}

std::size_t pick_most(std::span<const std::size_t> counts) {
  PHX_ASSERT(!counts.empty());
  std::size_t best = 0;
  for (std::size_t i = 1; i < counts.size(); ++i)
    if (counts[i] > counts[best]) best = i;
  return best;
}

}  // namespace phx::beaconapi
