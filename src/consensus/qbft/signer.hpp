#pragma once
/// Identity-key signing ports of the QBFT engine. The engine only sees Signer/Verifier; the production
/// secp256k1 implementation lives with its user (dv/k1_signer.hpp), tests plug in a fast double.
#include "base/bytes.hpp"
#include "base/ids.hpp"

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

}  // namespace phx::consensus::qbft
