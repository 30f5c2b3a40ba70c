#pragma once
/// AggSigDB: verified aggregate signatures per (duty, pubkey), for broadcast and for the validator API's
/// selection-proof endpoints (Charon core/aggsigdb). At most one aggregate per (duty, pubkey): a second,
/// different one is refused. Bounded by the deadliner.
#include <map>

#include "core/deadliner.hpp"
#include "core/types.hpp"

namespace phx::core {

/// Stores aggregates.
class AggSigDB {
 public:
  /// A store refusing duties `deadliner` reports expired (not owned; must outlive this object).
  explicit AggSigDB(const Deadliner& deadliner) : deadliner_(deadliner) {}

  /// Stores the aggregate of (duty, pubkey). Returns true when stored, false when the identical aggregate was
  /// already held. Errors: kExpired, kWrongDataType (message kind is not the duty's), kConflict (a different
  /// aggregate is held).
  Result<bool> store(const Duty& duty, const PubKey& pubkey, const SignedData& aggregate);
  /// The aggregate of (duty, pubkey). Errors: kNotFound.
  Result<SignedData> get(const Duty& duty, const PubKey& pubkey) const;
  /// Drops every aggregate of `duty`.
  void evict(const Duty& duty) { data_.erase(duty); }
  /// Number of aggregates held.
  std::size_t size() const;

 private:
  const Deadliner& deadliner_;
  std::map<Duty, std::map<PubKey, SignedData>> data_;
};

}  // namespace phx::core
