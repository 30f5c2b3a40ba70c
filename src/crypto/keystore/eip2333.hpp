#pragma once
/// EIP-2333 hierarchical derivation of BLS12-381 secret keys (Lamport-tree child derivation, HKDF_mod_r) and
/// EIP-2334 path parsing (`m/12381/3600/i/0/0`). Spec: https://eips.ethereum.org/EIPS/eip-2333 and
/// https://eips.ethereum.org/EIPS/eip-2334. Every intermediate secret lives in a zeroizing container.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/bls.hpp"

namespace phx::crypto::keystore {

/// Why a derivation or a path was rejected.
enum class KeystoreError {
  kOk = 0,
  kSeedTooShort = 1,  ///< derive_master_sk needs a seed of at least 32 bytes (EIP-2333 §derive_master_SK).
  kPathEmpty = 2,     ///< the path string is empty
  kPathNoMasterPrefix = 3,  ///< the path does not start with "m"
  kPathEmptyComponent = 4,  ///< "m//1" or a trailing '/'
  kPathBadDigit = 5,        ///< a component holds something other than decimal digits
  kPathLeadingZero = 6,     ///< a component such as "01" (non-canonical)
  kPathIndexTooLarge = 7,   ///< a component ≥ 2^32
  kPathTooDeep = 8,         ///< more than kMaxPathDepth components
};
/// Human-readable reason for `e`.
const char* to_string(KeystoreError e);
PHX_ERROR_ENUM(KeystoreError, "keystore")

/// Bytes per Lamport chunk (K in EIP-2333) and chunks per Lamport secret key.
inline constexpr std::size_t kLamportChunkBytes = 32;
inline constexpr std::size_t kLamportChunks = 255;
/// The deepest path parse_path accepts (EIP-2334 paths have 5 levels; this leaves room, bounds the work).
inline constexpr std::size_t kMaxPathDepth = 32;

/// IKM_to_lamport_SK(IKM, salt) (EIP-2333): HKDF-Expand(HKDF-Extract(salt, IKM), "", 255·32) split into 255
/// chunks of 32 bytes, returned concatenated (8160 bytes). Constant time in `ikm`.
SecretBytes ikm_to_lamport_sk(ByteSpan ikm, ByteSpan salt);

/// parent_SK_to_lamport_PK(parent_SK, index) (EIP-2333): the 32-byte compressed Lamport public key built
/// from the parent key (I2OSP(parent_SK, 32) and its bit-flip) with salt I2OSP(index, 4). Constant time in
/// the parent key. The result is secret: it is the IKM of the child key.
SecretArray<32> parent_sk_to_lamport_pk(std::span<const std::uint8_t, 32> parent_sk_be, std::uint32_t index);

/// HKDF_mod_r(IKM, key_info) (EIP-2333, = KeyGen of draft-irtf-cfrg-bls-signature-04): salt starts as
/// "BLS-SIG-KEYGEN-SALT-" and is re-hashed with SHA-256 before every attempt, OKM = HKDF(salt, IKM || 0x00,
/// key_info || I2OSP(48, 2), 48), SK = OS2IP(OKM) mod r, repeated while SK = 0. Constant time in `ikm` except
/// the (probability ~2^-255) retry, whose condition alone is declassified.
bls::SecretKey hkdf_mod_r(ByteSpan ikm, ByteSpan key_info = {});

/// derive_master_SK(seed) (EIP-2333). Error kSeedTooShort if seed has fewer than 32 bytes.
Result<bls::SecretKey> derive_master_sk(ByteSpan seed);

/// derive_child_SK(parent_SK, index) (EIP-2333): HKDF_mod_r(parent_SK_to_lamport_PK(parent_SK, index)).
/// Constant time in the parent key.
bls::SecretKey derive_child_sk(const bls::SecretKey& parent, std::uint32_t index);

/// Parses an EIP-2334 path "m/a/b/…" into its indices (no hardened markers: EIP-2333 keys are all
/// "hardened"). "m" alone gives an empty vector. Errors are KeystoreError::kPath*.
Result<std::vector<std::uint32_t>> parse_path(std::string_view path);

/// Derives the key at `path` (e.g. "m/12381/3600/0/0/0", the signing key of validator 0) from `seed`:
/// derive_master_SK then derive_child_SK per index. Errors: those of parse_path and derive_master_sk.
Result<bls::SecretKey> derive_path(ByteSpan seed, std::string_view path);

/// The EIP-2334 signing-key path of validator number `i`: "m/12381/3600/<i>/0/0".
std::string signing_key_path(std::uint32_t i);

}  // namespace phx::crypto::keystore

PHX_ERROR_ENUM_TRAIT(phx::crypto::keystore::KeystoreError)
