#include "core/aggsigdb.hpp"

namespace phx::core {

Result<bool> AggSigDB::store(const Duty& duty, const PubKey& pubkey, const SignedData& aggregate) {
  if (deadliner_.expired(duty)) return fail(CoreError::kExpired);
  if (!fits(duty, aggregate.message)) return fail(CoreError::kWrongDataType);
  auto& m = data_[duty];
  auto it = m.find(pubkey);
  if (it != m.end()) {
    if (it->second.message == aggregate.message && it->second.signature == aggregate.signature) return false;
    return fail(CoreError::kConflict);
  }
  m.emplace(pubkey, aggregate);
  return true;
}

Result<SignedData> AggSigDB::get(const Duty& duty, const PubKey& pubkey) const {
  auto it = data_.find(duty);
  if (it == data_.end()) return fail(CoreError::kNotFound);
  auto jt = it->second.find(pubkey);
  if (jt == it->second.end()) return fail(CoreError::kNotFound);
  return jt->second;
}

std::size_t AggSigDB::size() const {
  std::size_t n = 0;
  for (const auto& [d, m] : data_) n += m.size();
  return n;
}

}  // namespace phx::core
