// Doppelganger protection's decision logic: the watch over each validator's first epochs after a start.
#include "core/doppelganger.hpp"

#include <algorithm>

#include "base/assert.hpp"

namespace phx::core {

std::uint32_t doppelganger_min_peers(std::uint32_t nodes, std::uint32_t threshold) {
  const std::uint32_t f = nodes > threshold ? nodes - threshold : 0;
  return std::max<std::uint32_t>(1, std::min(f + 1, threshold));
}

Epoch first_watched_epoch(Duration since_genesis, Duration slot, std::uint64_t slots_per_epoch, Duration margin) {
  PHX_ASSERT(slot.count() > 0 && slots_per_epoch > 0);
  const Duration start = since_genesis + margin;
  if (start.count() <= 0) return Epoch{0};
  const auto epoch_len = slot.count() * static_cast<Duration::rep>(slots_per_epoch);
  const auto n = start.count();
  return Epoch{static_cast<std::uint64_t>((n + epoch_len - 1) / epoch_len)};  // round up to an epoch boundary
}

const char* to_string(DoppelgangerStatus s) {
  switch (s) {
    case DoppelgangerStatus::kWatching:
      return "watching";
    case DoppelgangerStatus::kSafe:
      return "safe";
    case DoppelgangerStatus::kDetected:
      return "detected";
  }
  return "unknown";
}

DoppelgangerWatch::DoppelgangerWatch(const std::vector<PubKey>& validators, Epoch first, DoppelgangerOptions options)
    : first_(first), options_(options) {
  PHX_ASSERT(options_.watch_epochs >= 1 && options_.min_peers >= 1 && options_.slots_per_epoch >= 1);
  for (const auto& pk : validators) validators_.try_emplace(pk);
}

bool DoppelgangerWatch::watched_epoch(std::uint64_t epoch) const {
  return epoch >= first_.value && epoch < first_.value + options_.watch_epochs;
}

void DoppelgangerWatch::on_peer_partial(const PubKey& pubkey, Slot duty_slot, ShareIdx share) {
  auto it = validators_.find(pubkey);
  if (it == validators_.end()) return;
  const std::uint64_t epoch = duty_slot.value / options_.slots_per_epoch;
  if (!watched_epoch(epoch)) return;  // bounded: only the watched epochs' evidence is kept
  auto& peers = it->second.peers[epoch];
  if (peers.size() < options_.min_peers) peers.insert(share.value);
}

void DoppelgangerWatch::on_liveness(Epoch epoch, Slot asked_at, const std::vector<PubKey>& asked,
                                    const std::vector<PubKey>& live) {
  if (!watched_epoch(epoch.value)) return;
  const bool final_answer = asked_at.value >= (epoch.value + 1) * options_.slots_per_epoch;
  const std::set<PubKey> live_set(live.begin(), live.end());
  for (const auto& pk : asked) {
    auto it = validators_.find(pk);
    if (it == validators_.end() || it->second.status != DoppelgangerStatus::kWatching) continue;
    auto& v = it->second;
    if (live_set.contains(pk)) v.live.try_emplace(epoch.value, asked_at);
    if (final_answer) v.final_at.try_emplace(epoch.value, asked_at);
  }
}

bool DoppelgangerWatch::explained(const PerValidator& v, std::uint64_t epoch) const {
  auto it = v.peers.find(epoch);
  return it != v.peers.end() && it->second.size() >= options_.min_peers;
}

std::vector<DoppelgangerEvent> DoppelgangerWatch::on_slot(Slot now) {
  std::vector<DoppelgangerEvent> out;
  for (auto& [pk, v] : validators_) {
    if (v.status != DoppelgangerStatus::kWatching) continue;
    // Liveness seen at an earlier slot: by now every partial of the cluster's duties up to that slot is here.
    for (const auto& [epoch, at] : v.live) {
      if (at.value >= now.value || explained(v, epoch)) continue;
      v.status = DoppelgangerStatus::kDetected;
      out.push_back({pk, v.status, Epoch{epoch}});
      break;
    }
    if (v.status != DoppelgangerStatus::kWatching) continue;
    bool all_checked = true;
    for (std::uint64_t e = first_.value; e < first_.value + options_.watch_epochs && all_checked; ++e) {
      auto f = v.final_at.find(e);
      all_checked = f != v.final_at.end() && f->second.value < now.value;
    }
    if (all_checked) {
      v.status = DoppelgangerStatus::kSafe;
      v.peers.clear();
      v.live.clear();
      out.push_back({pk, v.status, last_epoch()});
    }
  }
  return out;
}

std::vector<Epoch> DoppelgangerWatch::epochs_to_ask(Slot now) const {
  std::vector<Epoch> out;
  const std::uint64_t current = now.value / options_.slots_per_epoch;
  for (std::uint64_t e = first_.value; e < first_.value + options_.watch_epochs && e <= current; ++e) {
    const bool needed = std::any_of(validators_.begin(), validators_.end(), [&](const auto& kv) {
      return kv.second.status == DoppelgangerStatus::kWatching && !kv.second.final_at.contains(e);
    });
    if (needed) out.push_back(Epoch{e});
  }
  return out;
}

std::vector<PubKey> DoppelgangerWatch::watched() const {
  std::vector<PubKey> out;
  for (const auto& [pk, v] : validators_)
    if (v.status == DoppelgangerStatus::kWatching) out.push_back(pk);
  return out;
}

bool DoppelgangerWatch::may_sign(const PubKey& pubkey) const {
  auto it = validators_.find(pubkey);
  return it != validators_.end() && it->second.status == DoppelgangerStatus::kSafe;
}

DoppelgangerStatus DoppelgangerWatch::status(const PubKey& pubkey) const {
  auto it = validators_.find(pubkey);
  return it == validators_.end() ? DoppelgangerStatus::kWatching : it->second.status;
}

std::array<std::size_t, 3> DoppelgangerWatch::counts() const {
  std::array<std::size_t, 3> c{};
  for (const auto& [pk, v] : validators_) ++c[static_cast<std::size_t>(v.status)];
  return c;
}

}  // namespace phx::core
