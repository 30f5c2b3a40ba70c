// secp256k1 verification of envelope and node signatures.
#include "dkg/signer.hpp"

namespace phx::dkg {

bool K1NodeVerifier::verify(std::uint32_t sender, const Root& digest, const ByteArray<64>& sig) const {
  if (sender >= keys_.size()) return false;
  return crypto::k1::verify(keys_[sender], digest, sig);
}

bool K1NodeVerifier::verify_recoverable(std::uint32_t sender, const Root& digest, const ByteArray<65>& sig) const {
  if (sender >= keys_.size() || sig[64] > 1) return false;
  // Reject high-s like verify() does, so that a node signature has exactly one valid encoding.
  if (!crypto::k1::verify(keys_[sender], digest, ByteSpan(sig.data(), 64))) return false;
  auto pk = crypto::k1::recover(digest, sig);
  return pk && *pk == keys_[sender];
}

}  // namespace phx::dkg
