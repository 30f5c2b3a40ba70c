#pragma once
/// Identity-key signing interfaces of the QBFT engine and their production implementation over secp256k1
/// (libsecp256k1). The engine only sees Signer/Verifier, so tests may plug in a fast double.
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::consensus::qbft {

/// A 64-byte signature (compact ECDSA r‖s for secp256k1).
using Signature = ByteArray<64>;

/// Signs 32-byte digests with this node's identity key.
class Signer {
 public:
  virtual ~Signer() = default;
  /// Signature of `digest`. Constant time in the key for real implementations.
  virtual Signature sign(const Root& digest) const = 0;
};

/// Checks signatures of the cluster's nodes.
class Verifier {
 public:
  virtual ~Verifier() = default;
  /// True when `sig` is `sender`'s signature of `digest`; false for an unknown sender. Public data only.
  virtual bool verify(OperatorIdx sender, const Root& digest, const Signature& sig) const = 0;
};

/// Production signer: ECDSA secp256k1 (RFC 6979 nonces, low-s) with the operator's identity key.
class K1Signer final : public Signer {
 public:
  /// Takes ownership of the key (move-only, zeroized).
  explicit K1Signer(crypto::k1::SecretKey sk) : sk_(std::move(sk)) {}
  /// Compact ECDSA signature of `digest`; constant time (libsecp256k1).
  Signature sign(const Root& digest) const override;

 private:
  crypto::k1::SecretKey sk_;
};

/// Production verifier: the cluster's identity public keys in operator order.
class K1Verifier final : public Verifier {
 public:
  /// `pubkeys[i]` is operator i's identity key.
  explicit K1Verifier(std::vector<crypto::k1::PublicKey> pubkeys) : pubkeys_(std::move(pubkeys)) {}
  /// secp256k1 ECDSA verification (high-s rejected); variable time on public data.
  bool verify(OperatorIdx sender, const Root& digest, const Signature& sig) const override;

 private:
  std::vector<crypto::k1::PublicKey> pubkeys_;
};

}  // namespace phx::consensus::qbft
