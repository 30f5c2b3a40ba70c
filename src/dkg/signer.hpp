#pragma once
/// The operator identity key as the DKG uses it (injected, like QBFT's signer): compact signatures over
/// envelope digests and the recoverable 65-byte node signature over the lock hash; production secp256k1.
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::dkg {

/// Signs with this node's identity key.
class NodeSigner {
 public:
  virtual ~NodeSigner() = default;
  /// Compact r‖s (low s) over a 32-byte digest. Constant time in the key for real implementations.
  virtual ByteArray<64> sign(const Root& digest) const = 0;
  /// Recoverable r‖s‖v (v ∈ {0,1}) over a 32-byte digest (Charon's node_signatures format).
  virtual ByteArray<65> sign_recoverable(const Root& digest) const = 0;
};

/// Checks the participants' signatures.
class NodeVerifier {
 public:
  virtual ~NodeVerifier() = default;
  /// True when `sig` is participant `sender`'s compact signature of `digest` (false for unknown senders).
  virtual bool verify(std::uint32_t sender, const Root& digest, const ByteArray<64>& sig) const = 0;
  /// True when the recoverable `sig` over `digest` recovers to participant `sender`'s key.
  virtual bool verify_recoverable(std::uint32_t sender, const Root& digest, const ByteArray<65>& sig) const = 0;
};

/// Production signer: secp256k1 (libsecp256k1, RFC 6979 nonces) with the operator's ENR key.
class K1NodeSigner final : public NodeSigner {
 public:
  /// Takes ownership of the key (move-only, zeroized).
  explicit K1NodeSigner(crypto::k1::SecretKey sk) : sk_(std::move(sk)) {}
  ByteArray<64> sign(const Root& digest) const override { return sk_.sign(digest); }
  ByteArray<65> sign_recoverable(const Root& digest) const override { return sk_.sign_recoverable(digest); }

 private:
  crypto::k1::SecretKey sk_;
};

/// Production verifier over the participants' identity keys (in participant order).
class K1NodeVerifier final : public NodeVerifier {
 public:
  /// `keys[i]` is participant i's identity key.
  explicit K1NodeVerifier(std::vector<crypto::k1::PublicKey> keys) : keys_(std::move(keys)) {}
  bool verify(std::uint32_t sender, const Root& digest, const ByteArray<64>& sig) const override;
  bool verify_recoverable(std::uint32_t sender, const Root& digest, const ByteArray<65>& sig) const override;

 private:
  std::vector<crypto::k1::PublicKey> keys_;
};

}  // namespace phx::dkg
