#pragma once
/// The simulator's cluster identities: per-node signers and one verifier, either the fast test doubles
/// (consensus/qbft/signer_doubles_test.hpp) or real secp256k1 (dv/k1_signer.hpp).
#include <memory>
#include <vector>

#include "consensus/qbft/signer_doubles_test.hpp"

namespace phx::consensus::qbft::sim {

/// A cluster's identities: one signer per node and one shared verifier, either fake or real secp256k1.
struct Identities {
  std::vector<std::unique_ptr<Signer>> signers;  ///< signers[i] holds only node i's key
  std::unique_ptr<Verifier> verifier;            ///< knows every node's public (or fake) key
  /// Deterministic keys derived from `seed`; real = secp256k1 (dv::K1Signer/K1Verifier), else the fakes.
  static Identities make(std::uint32_t n, std::uint64_t seed, bool real);
};

}  // namespace phx::consensus::qbft::sim
