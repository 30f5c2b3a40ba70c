#pragma once
/// Ethereum BLS signatures: draft-irtf-cfrg-bls-signature-05, proof-of-possession scheme, minimal-pubkey-size
/// variant (public keys in G1, signatures in G2), DST kEthDst. This is the API the rest of Phalanx uses.
#include <span>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/secret.hpp"
#include "crypto/bls/error.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "crypto/bls/g2.hpp"
#include "crypto/bls/hash_to_curve.hpp"

namespace phx::crypto::bls {

class PublicKey;
class Signature;

/// A BLS secret key: a scalar in [1, r). Move-only; the scalar is zeroized on destruction; never logged.
class SecretKey {
 public:
  /// Move-only: copies are deleted; a move zeroizes the source.
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& o) noexcept;
  SecretKey& operator=(SecretKey&& o) noexcept;
  ~SecretKey();

  /// 32 big-endian bytes; errors: kBadLength, kScalarOutOfRange (≥ r), kZeroSecretKey (0).
  static Result<SecretKey> from_bytes(ByteSpan b32);
  /// KeyGen (draft-irtf-cfrg-bls-signature-05 §2.3, = EIP-2333 HKDF_mod_r) from ≥ 32 bytes of IKM.
  /// Errors: kShortIkm.
  static Result<SecretKey> keygen(ByteSpan ikm, ByteSpan key_info = {});
  /// Wraps a scalar (takes ownership; the source is zeroed). Precondition: nonzero (PHX_ASSERT).
  static SecretKey from_scalar(Fr&& s);
  /// The scalar (for threshold code). Treat as secret.
  const Fr& scalar() const { return sk_; }
  /// 32 big-endian bytes (zeroized container).
  SecretArray<32> to_bytes() const;
  /// SkToPk: [sk]G1. Constant time.
  PublicKey public_key() const;
  /// Sign: [sk]·hash_to_g2(msg, kEthDst). Constant time in sk.
  Signature sign(ByteSpan msg) const;
  /// [sk]·h for a message already hashed with hash_to_g2(msg, kEthDst): one hash serves every key that signs
  /// the same message (validators of one duty). Constant time in sk.
  Signature sign_hashed(const G2& h) const;

 private:
  explicit SecretKey(const Fr& s) : sk_(s) {}
  Fr sk_;
};

/// A validated public key (a non-identity point of G1).
class PublicKey {
 public:
  /// Decodes 48 compressed bytes and runs KeyValidate: rejects the identity and non-subgroup points.
  static Result<PublicKey> from_bytes(ByteSpan b48);
  /// Wraps a point (no checks; callers own validity, e.g. aggregation results).
  static PublicKey from_point(const G1& p) { return PublicKey(p); }
  /// The G1 point.
  const G1& point() const { return p_; }
  /// 48-byte compressed encoding.
  ByteArray<48> to_bytes() const { return p_.to_compressed(); }
  /// Point equality.
  friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.p_ == b.p_; }

 private:
  explicit PublicKey(const G1& p) : p_(p) {}
  G1 p_;
};

/// A signature: a point of G2 (the identity is a valid encoding; it never verifies).
class Signature {
 public:
  /// Decodes 96 compressed bytes (flags, range, curve, subgroup checked; identity allowed).
  static Result<Signature> from_bytes(ByteSpan b96);
  /// Wraps a point (no checks).
  static Signature from_point(const G2& p) { return Signature(p); }
  /// The G2 point.
  const G2& point() const { return p_; }
  /// 96-byte compressed encoding.
  ByteArray<96> to_bytes() const { return p_.to_compressed(); }
  /// Point equality.
  friend bool operator==(const Signature& a, const Signature& b) { return a.p_ == b.p_; }

 private:
  explicit Signature(const G2& p) : p_(p) {}
  G2 p_;
};

/// CoreVerify (§2.7): e(pk, H(msg)) == e(g1, sig). False for an identity public key.
bool verify(const PublicKey& pk, ByteSpan msg, const Signature& sig);
/// Aggregate (§2.8): the sum of the signatures. Error kEmptyInput on an empty list.
Result<Signature> aggregate(std::span<const Signature> sigs);
/// The sum of the public keys. Error kEmptyInput on an empty list.
Result<PublicKey> aggregate_pubkeys(std::span<const PublicKey> pks);
/// FastAggregateVerify (§3.3.4): all keys signed the same message. False on an empty list or identity key.
bool fast_aggregate_verify(std::span<const PublicKey> pks, ByteSpan msg, const Signature& sig);
/// AggregateVerify (§3.1.1 with PoP, so messages need not be distinct). False if empty or sizes differ.
bool aggregate_verify(std::span<const PublicKey> pks, std::span<const ByteSpan> msgs, const Signature& sig);

/// One (public key, message, signature) triple for batch verification.
struct SignatureSet {
  PublicKey pubkey;
  Bytes message;
  Signature signature;
};

/// True iff every set verifies (with overwhelming probability): random nonzero 64-bit coefficients c_i,
/// Π e(c_i·pk_i, H(m_i)) · e(−g1, Σ c_i·σ_i) = 1 as one multi-pairing, where sets with equal messages share
/// one pair (Σ c_i·pk_i, H(m)): n sets over g distinct messages cost g hashes and g + 1 Miller loop pairs.
/// False on an empty input.
bool batch_verify(std::span<const SignatureSet> sets);

/// The same check with the hashing, scaling and Miller loops split over `threads` threads (the calling thread
/// included) and one shared final exponentiation. `threads` is clamped to [1, distinct messages].
bool batch_verify(std::span<const SignatureSet> sets, unsigned threads);

}  // namespace phx::crypto::bls
