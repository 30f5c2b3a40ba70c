#include "consensus/qbft/signer.hpp"

namespace phx::consensus::qbft {

Signature K1Signer::sign(const Root& digest) const {
  return sk_.sign(digest);
}

bool K1Verifier::verify(OperatorIdx sender, const Root& digest, const Signature& sig) const {
  if (sender.value >= pubkeys_.size()) return false;
  return crypto::k1::verify(pubkeys_[sender.value], digest, sig);
}

}  // namespace phx::consensus::qbft
