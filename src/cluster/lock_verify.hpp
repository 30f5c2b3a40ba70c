#pragma once
/// Full verification of cluster definitions and locks, as `phalanx definition verify`, `phalanx lock verify`,
/// `phalanx run` and the DKG do before trusting them. Results are reports: what was verified, what the version
/// does not have, what is absent, and what cannot be verified offline, so a caller can show all of it.
#include "cluster/definition.hpp"
#include "cluster/eip712.hpp"

namespace phx::cluster {

/// Hashes (config_hash, definition_hash) and EIP-712 signatures of a definition (check_definition_signatures).
DefinitionVerification verify_definition(const Definition& d);

enum class CheckStatus : std::uint8_t {
  kPassed,
  kFailed,
  kNotInVersion,  ///< the lock's schema version has no such field (e.g. node signatures before v1.7)
  kAbsent,        ///< the field is empty, which the version allows (e.g. v1.7 locks without deposit data)
  kUnverifiable,  ///< present but not checkable offline (contract signatures)
};
const char* to_string(CheckStatus s);

struct LockCheck {
  std::string what;    ///< "hashes", "operator signatures", "public shares", …
  CheckStatus status = CheckStatus::kPassed;
  std::string detail;  ///< why, for anything but a plain pass
};

/// Every check of verify_lock, in order; stops at the first failure (later checks rely on earlier ones).
struct LockVerification {
  DefinitionVerification definition;
  std::vector<LockCheck> checks;
  std::optional<LockProblem> problem;  ///< the first failure (none: the lock is acceptable)
  bool ok() const { return !problem.has_value(); }
  /// True when every check passed (nothing absent, missing from the version or unverifiable).
  bool complete() const;
};

/// Checks, in order, naming the field, validator or operator on failure: hashes (config, definition, lock)
/// and validator count; operator/creator EIP-712 signatures; share counts, distinct validator keys and shares;
/// every validator's public shares lie on one polynomial of degree threshold-1 through its key;
/// signature_aggregate (the aggregate of every share's signature over lock_hash); builder registrations (signed
/// by the validator key, fee recipient as in the definition); deposit data (signed by the validator key,
/// credentials as in the definition); node signatures.
LockVerification check_lock(const Lock& l);

/// check_lock, failing with its first problem. Unverifiable or absent parts do not fail.
LockResult<void> verify_lock(const Lock& l);

}  // namespace phx::cluster
