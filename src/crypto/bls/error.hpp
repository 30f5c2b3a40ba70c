#pragma once
/// Reasons a BLS decoding or API call fails (module error enum, convertible to std::error_code).
#include "base/result.hpp"

namespace phx::crypto::bls {

/// Why a BLS operation rejected its input.
enum class BlsError {
  kOk = 0,
  kBadLength = 1,           ///< wrong number of bytes for the encoding
  kBadCompressionFlag = 2,  ///< compression bit (0x80) does not match the encoding length
  kBadInfinityEncoding = 3, ///< infinity bit set but other bits/bytes are not zero
  kXNotInField = 4,         ///< a coordinate is ≥ p
  kNotOnCurve = 5,          ///< the point does not satisfy the curve equation
  kNotInSubgroup = 6,       ///< the point is not in the prime-order subgroup
  kIdentityPublicKey = 7,   ///< the public key is the identity (KeyValidate)
  kZeroSecretKey = 8,       ///< the secret key is 0
  kScalarOutOfRange = 9,    ///< a scalar is ≥ r
  kEmptyInput = 10,         ///< an aggregate of nothing was requested
  kShortIkm = 11,           ///< KeyGen input keying material shorter than 32 bytes
  kBadSortFlag = 12,        ///< sign bit (0x20) set where it must be zero
};

/// Human-readable reason.
const char* to_string(BlsError e);
PHX_ERROR_ENUM(BlsError, "bls")

}  // namespace phx::crypto::bls

PHX_ERROR_ENUM_TRAIT(phx::crypto::bls::BlsError)
