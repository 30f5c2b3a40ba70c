// Shared set-up of the DKG fuzz targets: fixed 4-participant parameters (V = 2, one validator per chunk, one
// signing root) and test doubles that accept every signature, so forged inputs reach the deep paths.
#pragma once
#include <cstdint>
#include <vector>

#include "crypto/hash/sha256.hpp"
#include "dkg/ceremony.hpp"

namespace dkg_fuzz {

using namespace phx;
using namespace phx::dkg;

inline crypto::k1::SecretKey key(std::uint32_t i) {
  ByteArray<32> b{};
  b[0] = 0x33;
  b[31] = static_cast<std::uint8_t>(i + 1);
  return *crypto::k1::SecretKey::from_bytes(b);
}

inline const Params& params() {
  static const Params p = [] {
    Params q;
    q.definition_hash.fill(0xf0);
    q.threshold = 3;
    q.validators = 2;
    q.chunk_validators = 1;
    q.roots_per_validator = 1;
    for (std::uint32_t i = 0; i < 4; ++i) q.participants.push_back(Participant{key(i).public_key(), true, i + 1, true, i + 1});
    return q;
  }();
  return p;
}

inline Seed seed(std::uint32_t i) {
  ByteArray<32> b{};
  b[0] = static_cast<std::uint8_t>(i + 1);
  return Seed(std::span<const std::uint8_t, 32>(b));
}

/// Test double for fuzzing only: every signature verifies.
class AcceptAllVerifierForFuzzing final : public NodeVerifier {
 public:
  bool verify(std::uint32_t, const Root&, const ByteArray<64>&) const override { return true; }
  bool verify_recoverable(std::uint32_t, const Root&, const ByteArray<65>&) const override { return true; }
};

/// Test double for fuzzing only: constant signatures.
class ZeroSignerForFuzzing final : public NodeSigner {
 public:
  ByteArray<64> sign(const Root&) const override { return {}; }
  ByteArray<65> sign_recoverable(const Root&) const override { return {}; }
};

/// Test double of the cluster format: SHA-256 signing roots and lock hash.
class HashingPlanForFuzzing final : public ArtifactPlan {
 public:
  std::uint32_t roots_per_validator() const override { return 1; }
  std::vector<Root> signing_roots(std::uint32_t, const crypto::bls::PublicKey& pk) const override {
    return {crypto::hash::sha256(pk.to_bytes())};
  }
  Root lock_hash(std::span<const ValidatorPublic> vs) const override {
    crypto::hash::Sha256 h;
    for (const auto& v : vs) h.update(v.pubkey.to_bytes());
    return h.finish();
  }
};

}  // namespace dkg_fuzz
