#include "core/parsigdb.hpp"

#include <algorithm>

namespace phx::core {

ParSigDB::ParSigDB(const eth::ChainConfig& config, const KeyBook& keys, const Deadliner& deadliner)
    : config_(config), keys_(keys), deadliner_(deadliner) {}

Result<ParSigStored> ParSigDB::store(const Duty& duty, const PubKey& pubkey, const ParSignedData& partial) {
  if (deadliner_.expired(duty)) return fail(CoreError::kExpired);
  if (!fits(duty, partial.data.message)) return fail(CoreError::kWrongDataType);
  if (keys_.find(pubkey) == nullptr) return fail(CoreError::kUnknownPubkey);
  if (partial.share_idx.value == 0 || partial.share_idx.value > keys_.share_count())
    return fail(CoreError::kUnknownShare);

  const Root root = signing_root(config_, partial.data.message);
  PubkeyPartials& s = data_[duty][pubkey];
  auto it = s.by_share.find(partial.share_idx);
  if (it != s.by_share.end()) {
    if (it->second.signing_root == root && it->second.partial.data.signature == partial.data.signature)
      return ParSigStored{ParSigOutcome::kDuplicate, std::nullopt};
    equivocations_.push_back(Equivocation{duty, pubkey, partial.share_idx, it->second.signing_root, root});
    return fail(CoreError::kEquivocation);
  }
  s.by_share.emplace(partial.share_idx, Entry{root, partial, false});
  if (s.aggregated) return ParSigStored{ParSigOutcome::kStored, std::nullopt};
  auto ready = collect(duty, pubkey, s, root);
  if (!ready) return ParSigStored{ParSigOutcome::kStored, std::nullopt};
  return ParSigStored{ParSigOutcome::kThresholdReached, std::move(ready)};
}

std::optional<ThresholdSet> ParSigDB::collect(const Duty& duty, const PubKey& pubkey, const PubkeyPartials& s,
                                              const Root& root) const {
  ThresholdSet set{duty, pubkey, root, {}, {}};
  const SignedMessage* msg = nullptr;
  for (const auto& [idx, e] : s.by_share) {
    if (e.excluded || e.signing_root != root) continue;
    set.partials.push_back({idx, e.partial.data.signature});
    msg = &e.partial.data.message;
  }
  if (msg == nullptr || set.partials.size() < keys_.threshold()) return std::nullopt;
  set.message = *msg;
  return set;
}

void ParSigDB::mark_aggregated(const Duty& duty, const PubKey& pubkey) {
  auto it = data_.find(duty);
  if (it == data_.end()) return;
  auto jt = it->second.find(pubkey);
  if (jt != it->second.end()) jt->second.aggregated = true;
}

void ParSigDB::exclude(const Duty& duty, const PubKey& pubkey, ShareIdx share_idx) {
  auto it = data_.find(duty);
  if (it == data_.end()) return;
  auto jt = it->second.find(pubkey);
  if (jt == it->second.end()) return;
  auto kt = jt->second.by_share.find(share_idx);
  if (kt != jt->second.by_share.end()) kt->second.excluded = true;
}

std::vector<ShareIdx> ParSigDB::shares_present(const Duty& duty, const PubKey& pubkey) const {
  std::vector<ShareIdx> out;
  auto it = data_.find(duty);
  if (it == data_.end()) return out;
  auto jt = it->second.find(pubkey);
  if (jt == it->second.end()) return out;
  for (const auto& [idx, e] : jt->second.by_share) out.push_back(idx);
  return out;
}

void ParSigDB::evict(const Duty& duty) {
  data_.erase(duty);
  std::erase_if(equivocations_, [&](const Equivocation& e) { return e.duty == duty; });
}

std::size_t ParSigDB::size() const {
  std::size_t n = 0;
  for (const auto& [d, m] : data_)
    for (const auto& [pk, s] : m) n += s.by_share.size();
  return n;
}

}  // namespace phx::core
