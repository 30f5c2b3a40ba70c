#pragma once
/// What the ceremony signs in R3 and R4 depends on the cluster format; the runner injects it through this
/// interface so that the protocol needs no cluster code (Charon lock v1.x: deposit data per amount, builder
/// registration, lock hash).
#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::dkg {

/// One validator's public outputs, as the lock records them.
struct ValidatorPublic {
  crypto::bls::PublicKey pubkey;                  ///< the distributed public key
  std::vector<crypto::bls::PublicKey> pubshares;  ///< public shares in receiver order (lock order)
  std::vector<crypto::bls::Signature> signatures; ///< the combined signatures over signing_roots(v), in order
};

/// The artifacts a ceremony produces signatures for.
class ArtifactPlan {
 public:
  virtual ~ArtifactPlan() = default;
  /// Signing roots per validator (the same for every validator), at most kMaxRootsPerValidator.
  virtual std::uint32_t roots_per_validator() const = 0;
  /// The roots validator v's distributed key signs in R3 (e.g. a DepositMessage signing root per amount,
  /// then the builder registration's). Exactly roots_per_validator() entries.
  virtual std::vector<Root> signing_roots(std::uint32_t validator, const crypto::bls::PublicKey& pubkey) const = 0;
  /// The lock hash over every validator's public outputs (what R4 signs).
  virtual Root lock_hash(std::span<const ValidatorPublic> validators) const = 0;
};

}  // namespace phx::dkg
