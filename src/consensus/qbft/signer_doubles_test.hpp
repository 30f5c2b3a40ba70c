#pragma once
/// FakeSignerForTests / FakeVerifierForTests: a fast stand-in for secp256k1 in the engine's tests and the QBFT
/// simulator's thousands of schedules. Keyed per node (signature = HMAC-SHA256(key_i, digest) ‖ 0^32), so a
/// Byzantine node that holds only its own FakeSignerForTests still cannot produce an honest node's signature.
/// NOT for production (the real signer is dv/k1_signer.hpp).
#include <algorithm>
#include <utility>
#include <vector>

#include "consensus/qbft/signer.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::consensus::qbft {

/// Test-only signer: HMAC-SHA256 with this node's 32-byte key.
class FakeSignerForTests final : public Signer {
 public:
  /// `key` is this node's test key (not a secret in any real sense).
  explicit FakeSignerForTests(ByteArray<32> key) : key_(key) {}
  /// HMAC-SHA256(key, digest) ‖ 0^32.
  Signature sign(const Root& digest) const override {
    Signature s{};
    const auto mac = crypto::hash::hmac_sha256(key_, digest);
    std::copy(mac.begin(), mac.end(), s.begin());
    return s;
  }

 private:
  ByteArray<32> key_;
};

/// Test-only verifier holding every node's fake key.
class FakeVerifierForTests final : public Verifier {
 public:
  /// `keys[i]` is node i's test key.
  explicit FakeVerifierForTests(std::vector<ByteArray<32>> keys) : keys_(std::move(keys)) {}
  /// Recomputes the sender's fake signature and compares.
  bool verify(OperatorIdx sender, const Root& digest, const Signature& sig) const override {
    if (sender.value >= keys_.size()) return false;
    return FakeSignerForTests(keys_[sender.value]).sign(digest) == sig;
  }

 private:
  std::vector<ByteArray<32>> keys_;
};

}  // namespace phx::consensus::qbft
