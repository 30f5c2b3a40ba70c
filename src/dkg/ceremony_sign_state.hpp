#pragma once
/// The ceremony's state for rounds R3–R4 (internal to the ceremony's translation units).
#include <vector>

#include "crypto/bls/bls.hpp"
#include "dkg/ceremony.hpp"

namespace phx::dkg {

/// Own secret shares, hashed signing roots, partial and combined signatures.
struct Ceremony::SignState {
  std::vector<crypto::bls::SecretKey> keys;       ///< [v] this node's shares (receivers); moved into the result
  std::vector<crypto::bls::G2> hashed;            ///< [v·A + a] hash_to_g2(signing root)
  std::vector<crypto::bls::Signature> own;        ///< [v·A + a] this node's partials
  std::vector<crypto::bls::Signature> combined;   ///< [v·A + a] recombined signatures
  std::vector<ValidatorPublic> validators;        ///< public outputs (the lock's input)
  crypto::bls::G2 lock_h;                         ///< hash_to_g2(lock hash)
  std::vector<crypto::bls::Signature> lock_own;   ///< [v] this node's partials over the lock hash
  ByteArray<65> node_sig{};                       ///< this node's secp256k1 signature of the lock hash
};

}  // namespace phx::dkg
