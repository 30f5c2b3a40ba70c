#pragma once
/// The production QBFT identity signer and verifier: ECDSA over secp256k1 (libsecp256k1) with the operators'
/// identity keys, plugged into the engine's `consensus::qbft::Signer`/`Verifier` ports.
#include <vector>

#include "base/ids.hpp"
#include "consensus/qbft/signer.hpp"
#include "crypto/k1/k1.hpp"

namespace phx::dv {

/// Production signer: ECDSA secp256k1 (RFC 6979 nonces, low-s) with the operator's identity key.
class K1Signer final : public consensus::qbft::Signer {
 public:
  /// Takes ownership of the key (move-only, zeroized).
  explicit K1Signer(crypto::k1::SecretKey sk) : sk_(std::move(sk)) {}
  /// Compact ECDSA signature of `digest`; constant time (libsecp256k1).
  consensus::qbft::Signature sign(const Root& digest) const override;

 private:
  crypto::k1::SecretKey sk_;
};

/// Production verifier: the cluster's identity public keys in operator order.
class K1Verifier final : public consensus::qbft::Verifier {
 public:
  /// `pubkeys[i]` is operator i's identity key.
  explicit K1Verifier(std::vector<crypto::k1::PublicKey> pubkeys) : pubkeys_(std::move(pubkeys)) {}
  /// secp256k1 ECDSA verification (high-s rejected); variable time on public data.
  bool verify(OperatorIdx sender, const Root& digest, const consensus::qbft::Signature& sig) const override;

 private:
  std::vector<crypto::k1::PublicKey> pubkeys_;
};

}  // namespace phx::dv
