#include "identities.hpp"

#include "crypto/hash/sha256.hpp"
#include "dv/k1_signer.hpp"

namespace phx::consensus::qbft::sim {

Identities Identities::make(std::uint32_t n, std::uint64_t seed, bool real) {
  Identities ids;
  std::vector<ByteArray<32>> keys;
  std::vector<crypto::k1::PublicKey> pks;
  for (std::uint32_t i = 0; i < n; ++i) {
    Bytes material(16);
    put_le64(material.data(), seed);
    put_le64(material.data() + 8, i);
    ByteArray<32> key = crypto::hash::sha256(material);
    if (real) {
      auto sk = crypto::k1::SecretKey::from_bytes(key);  // a SHA-256 output is a valid key but for ~2^-128
      pks.push_back(sk->public_key());
      ids.signers.push_back(std::make_unique<dv::K1Signer>(std::move(*sk)));
    } else {
      keys.push_back(key);
      ids.signers.push_back(std::make_unique<FakeSignerForTests>(key));
    }
  }
  if (real) {
    ids.verifier = std::make_unique<dv::K1Verifier>(std::move(pks));
  } else {
    ids.verifier = std::make_unique<FakeVerifierForTests>(std::move(keys));
  }
  return ids;
}

}  // namespace phx::consensus::qbft::sim
