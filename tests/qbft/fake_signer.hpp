#pragma once
/// FakeSignerForTests / FakeVerifierForTests: a fast stand-in for secp256k1 in the simulator's thousands of
/// schedules. Keyed per node (signature = HMAC-SHA256(key_i, digest) ‖ 0^32), so a Byzantine node that holds
/// only its own FakeSignerForTests still cannot produce an honest node's signature. NOT for production.
#include <memory>
#include <vector>

#include "consensus/qbft/signer.hpp"

namespace phx::consensus::qbft::sim {

/// Test-only signer: HMAC-SHA256 with this node's 32-byte key.
class FakeSignerForTests final : public Signer {
 public:
  /// `key` is this node's test key (not a secret in any real sense).
  explicit FakeSignerForTests(ByteArray<32> key) : key_(key) {}
  /// HMAC-SHA256(key, digest) ‖ 0^32.
  Signature sign(const Root& digest) const override;

 private:
  ByteArray<32> key_;
};

/// Test-only verifier holding every node's fake key.
class FakeVerifierForTests final : public Verifier {
 public:
  /// `keys[i]` is node i's test key.
  explicit FakeVerifierForTests(std::vector<ByteArray<32>> keys) : keys_(std::move(keys)) {}
  /// Recomputes the sender's fake signature and compares.
  bool verify(OperatorIdx sender, const Root& digest, const Signature& sig) const override;

 private:
  std::vector<ByteArray<32>> keys_;
};

/// A cluster's identities: one signer per node and one shared verifier, either fake or real secp256k1.
struct Identities {
  std::vector<std::unique_ptr<Signer>> signers;  ///< signers[i] holds only node i's key
  std::unique_ptr<Verifier> verifier;            ///< knows every node's public (or fake) key
  /// Deterministic keys derived from `seed`; real = secp256k1 (K1Signer/K1Verifier), else the fakes.
  static Identities make(std::uint32_t n, std::uint64_t seed, bool real);
};

}  // namespace phx::consensus::qbft::sim
