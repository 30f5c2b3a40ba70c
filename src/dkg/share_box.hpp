#pragma once
/// Encryption of one dealer's shares of a chunk for one receiver: ephemeral G1 Diffie–Hellman, HKDF-SHA256,
/// AES-256-GCM (OpenSSL EVP; computation only, no I/O). One ciphertext per (dealer, receiver, chunk).
#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "dkg/poly.hpp"

namespace phx::dkg {

/// K_ij = HKDF-SHA256(salt = session_id, IKM = x(e·E_peer) as 48 big-endian bytes, info = "phalanx/dkg/v1/share-key" ‖
/// be32(dealer) ‖ be32(receiver)), 32 bytes. `own_secret` is this side's ephemeral secret, `peer_key` the
/// other side's ephemeral public key (decoded and subgroup-checked, not the identity). Both sides derive the
/// same key (e_i·E_j = e_j·E_i). Constant time in the secret.
SecretArray<32> share_key(const crypto::bls::Fr& own_secret, const crypto::bls::G1& peer_key,
                          const Root& session_id, std::uint32_t dealer, std::uint32_t receiver);

/// Seals the shares of one chunk (32 big-endian bytes each, validator order) under `key` with AES-256-GCM:
/// nonce = be32(chunk) ‖ 0^8 (each key seals each chunk once), AAD = "phalanx/dkg/v1/shares" ‖ session_id ‖
/// be32(dealer) ‖ be32(receiver) ‖ be32(chunk). Returns ciphertext ‖ 16-byte tag.
Bytes seal_shares(const SecretArray<32>& key, const Root& session_id, std::uint32_t dealer, std::uint32_t receiver,
                  std::uint32_t chunk, std::span<const crypto::bls::Fr> shares);

/// Why a ciphertext did not open to `count` shares.
enum class OpenError {
  kOk = 0,
  kBadLength = 1,    ///< not 32·count + 16 bytes
  kAuthFailed = 2,   ///< the AES-GCM tag does not verify (wrong key or tampered bytes)
  kBadScalar = 3,    ///< a decrypted share is ≥ r
};
/// Human-readable reason.
const char* to_string(OpenError e);

/// Opened shares, or why not (with the position of the first out-of-range share for kBadScalar).
struct Opened {
  OpenError error = OpenError::kOk;  ///< kOk when `shares` holds `count` shares
  std::size_t bad_index = 0;         ///< for kBadScalar: position in the chunk
  SecretScalars shares;              ///< the decrypted shares (zeroized on destruction)
};

/// Opens a ciphertext made by seal_shares with the same parameters. Constant time in the plaintext apart
/// from the (public) verdicts.
Opened open_shares(const SecretArray<32>& key, const Root& session_id, std::uint32_t dealer,
                   std::uint32_t receiver, std::uint32_t chunk, ByteSpan ciphertext, std::size_t count);

}  // namespace phx::dkg
