#pragma once
/// secp256k1 operator identity keys over libsecp256k1: ECDSA sign/verify on 32-byte digests, recoverable
/// signatures (Ethereum's r‖s‖v with v ∈ {0,1}), public-key recovery, DER and compact encodings.
/// Signing is constant time (libsecp256k1); verification and recovery handle public data only.
#include <cstdint>
#include <functional>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"

namespace phx::crypto::k1 {

enum class K1Error {
  kOk = 0,
  kBadSecretKey,      ///< zero or ≥ the group order, or wrong length
  kBadPublicKey,      ///< not 33/65 bytes or not a curve point
  kBadSignature,      ///< wrong length, bad DER, or r/s out of range
  kBadRecoveryId,     ///< v not in {0,1} (27/28 are accepted and normalized)
  kRecoveryFailed,    ///< no public key recovers from this signature and digest
};
const char* to_string(K1Error e);
PHX_ERROR_ENUM(K1Error, "secp256k1")

using Digest = ByteArray<32>;
/// Compact ECDSA signature r‖s (64 bytes), low-s normalized.
using CompactSig = ByteArray<64>;
/// Recoverable signature r‖s‖v (65 bytes), v ∈ {0,1}.
using RecoverableSig = ByteArray<65>;

/// A secp256k1 public key (always a valid curve point).
class PublicKey {
 public:
  /// Parses a 33-byte compressed or 65-byte uncompressed SEC1 encoding.
  static Result<PublicKey> from_bytes(ByteSpan b);
  /// 33-byte SEC1 compressed encoding.
  ByteArray<33> to_compressed() const { return compressed_; }
  /// 65-byte SEC1 uncompressed encoding (0x04‖x‖y).
  ByteArray<65> to_uncompressed() const;
  friend bool operator==(const PublicKey&, const PublicKey&) = default;

 private:
  ByteArray<33> compressed_{};
};

/// A secp256k1 secret key. Move-only, zeroized on destruction.
class SecretKey {
 public:
  /// 32 big-endian bytes in [1, n-1].
  static Result<SecretKey> from_bytes(ByteSpan b);
  /// A fresh random key from OpenSSL's CSPRNG.
  static SecretKey generate();
  PublicKey public_key() const;
  /// The 32 secret bytes (for writing a 0600 key file; never log them).
  std::span<const std::uint8_t, 32> bytes() const { return sk_.view(); }

  /// ECDSA over a 32-byte digest (RFC 6979 nonces), low-s.
  CompactSig sign(const Digest& digest) const;
  /// Recoverable ECDSA over a 32-byte digest: r‖s‖v with v ∈ {0,1}.
  RecoverableSig sign_recoverable(const Digest& digest) const;

 private:
  SecretArray<32> sk_;
};

/// Verifies a compact (r‖s) signature; high-s signatures are rejected (non-malleable).
bool verify(const PublicKey& pk, const Digest& digest, ByteSpan compact_sig);
/// Recovers the signer from r‖s‖v (v ∈ {0,1,27,28}).
Result<PublicKey> recover(const Digest& digest, ByteSpan recoverable_sig);
/// DER encoding of a compact signature (for libp2p-style handshakes).
Bytes to_der(const CompactSig& sig);
/// Parses a DER signature into compact form.
Result<CompactSig> from_der(ByteSpan der);

}  // namespace phx::crypto::k1

PHX_ERROR_ENUM_TRAIT(phx::crypto::k1::K1Error)

template <>
struct std::hash<phx::crypto::k1::PublicKey> {
  std::size_t operator()(const phx::crypto::k1::PublicKey& pk) const noexcept {
    auto c = pk.to_compressed();
    std::size_t h = 0;
    for (std::size_t i = 1; i < 9; ++i) h = (h << 8) | c[i];
    return h;
  }
};
