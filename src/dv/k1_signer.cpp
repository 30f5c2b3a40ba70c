// secp256k1 implementation of the QBFT Signer/Verifier ports.
#include "dv/k1_signer.hpp"

namespace phx::dv {

consensus::qbft::Signature K1Signer::sign(const Root& digest) const {
  return sk_.sign(digest);
}

bool K1Verifier::verify(OperatorIdx sender, const Root& digest, const consensus::qbft::Signature& sig) const {
  if (sender.value >= pubkeys_.size()) return false;
  return crypto::k1::verify(pubkeys_[sender.value], digest, sig);
}

}  // namespace phx::dv
