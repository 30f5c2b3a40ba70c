#pragma once
/// ZCash serialization flags shared by G1 and G2 (draft-irtf-cfrg-pairing-friendly-curves, appendix C; the
/// Ethereum BLS deserialization vectors): bit 7 = compressed, bit 6 = infinity, bit 5 = sort (larger y).
/// Internal to crypto/bls. Public data only.
#include <optional>

#include "base/bytes.hpp"
#include "crypto/bls/error.hpp"

namespace phx::crypto::bls::detail {

/// Checks length and flag bits of an encoded point. Returns std::nullopt for a valid encoding of the identity,
/// otherwise the sort flag (always false for uncompressed encodings, where a set sort flag is an error).
inline Result<std::optional<bool>> check_point_flags(ByteSpan b, std::size_t size, bool compressed) {
  if (b.size() != size) return fail(BlsError::kBadLength);
  const bool c_flag = (b[0] & 0x80) != 0;
  const bool inf = (b[0] & 0x40) != 0;
  const bool s_flag = (b[0] & 0x20) != 0;
  if (c_flag != compressed) return fail(BlsError::kBadCompressionFlag);
  if (inf) {
    std::uint8_t rest = b[0] & 0x1f;
    for (std::size_t i = 1; i < b.size(); ++i) rest |= b[i];
    if (s_flag || rest != 0) return fail(BlsError::kBadInfinityEncoding);
    return std::optional<bool>{};
  }
  if (!compressed && s_flag) return fail(BlsError::kBadSortFlag);
  return std::optional<bool>{s_flag};
}

/// The first 48 bytes of an encoding with the three flag bits cleared (the big-endian x, or x's c1 for G2).
inline ByteArray<48> first_coordinate(ByteSpan b) {
  ByteArray<48> buf{};
  for (std::size_t i = 0; i < 48; ++i) buf[i] = b[i];
  buf[0] &= 0x1f;
  return buf;
}

}  // namespace phx::crypto::bls::detail
