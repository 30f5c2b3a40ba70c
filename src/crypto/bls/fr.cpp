// Fr parsing, reduction and randomness; BlsError strings.
#include "crypto/bls/fr.hpp"

#include <openssl/rand.h>

#include "base/assert.hpp"
#include "base/secret.hpp"
#include "crypto/bls/error.hpp"

namespace phx::crypto::bls {

const char* to_string(BlsError e) {
  switch (e) {
    case BlsError::kOk: return "ok";
    case BlsError::kBadLength: return "bad encoding length";
    case BlsError::kBadCompressionFlag: return "compression flag does not match the encoding length";
    case BlsError::kBadInfinityEncoding: return "infinity flag set with nonzero bits";
    case BlsError::kXNotInField: return "coordinate is not less than the field modulus";
    case BlsError::kNotOnCurve: return "point is not on the curve";
    case BlsError::kNotInSubgroup: return "point is not in the prime-order subgroup";
    case BlsError::kIdentityPublicKey: return "public key is the identity";
    case BlsError::kZeroSecretKey: return "secret key is zero";
    case BlsError::kScalarOutOfRange: return "scalar is not less than the group order";
    case BlsError::kEmptyInput: return "empty input";
    case BlsError::kShortIkm: return "input keying material shorter than 32 bytes";
    case BlsError::kBadSortFlag: return "sign flag set in an uncompressed encoding";
  }
  return "unknown bls error";
}

Result<Fr> Fr::from_bytes_be(ByteSpan b32) {
  if (b32.size() != 32) return fail(BlsError::kBadLength);
  const auto v = Fr::from_be_bytes(b32.data());
  if (!v) return fail(BlsError::kScalarOutOfRange);
  return *v;
}

Fr Fr::from_bytes_be_reduce(ByteSpan any_len) {
  // Horner over 8-byte words: acc = acc·2^64 + w (each w < 2^64 < r). Constant time for a given length.
  static constexpr Fr kTwo64 = Fr::from_canonical(detail::Limbs<4>{0, 1, 0, 0});
  Fr acc = Fr::zero();
  std::size_t i = 0;
  const std::size_t head = any_len.size() % 8;
  if (head != 0) {
    std::uint64_t w = 0;
    for (; i < head; ++i) w = (w << 8) | any_len[i];
    acc = Fr::from_u64(w);
  }
  for (; i < any_len.size(); i += 8) acc = acc * kTwo64 + Fr::from_u64(get_be64(any_len.data() + i));
  return acc;
}

ByteArray<32> Fr::to_bytes_be() const {
  ByteArray<32> out{};
  to_be_bytes(out.data());
  return out;
}

Fr Fr::random() {
  std::uint8_t buf[64];
  PHX_ASSERT(RAND_bytes(buf, sizeof(buf)) == 1);
  const Fr r = from_bytes_be_reduce(ByteSpan(buf, sizeof(buf)));
  secure_zero(buf, sizeof(buf));
  return r;
}

}  // namespace phx::crypto::bls
