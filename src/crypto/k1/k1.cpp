#include "crypto/k1/k1.hpp"

#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "base/assert.hpp"

namespace phx::crypto::k1 {

const char* to_string(K1Error e) {
  switch (e) {
    case K1Error::kOk: return "ok";
    case K1Error::kBadSecretKey: return "invalid secp256k1 secret key";
    case K1Error::kBadPublicKey: return "invalid secp256k1 public key";
    case K1Error::kBadSignature: return "invalid secp256k1 signature encoding";
    case K1Error::kBadRecoveryId: return "invalid recovery id (v)";
    case K1Error::kRecoveryFailed: return "public key recovery failed";
  }
  return "unknown secp256k1 error";
}

namespace {

/// One context for the process, randomized once (side-channel blinding). libsecp256k1 contexts are safe to
/// use concurrently once created.
const secp256k1_context* ctx() {
  static secp256k1_context* c = [] {
    secp256k1_context* x = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    std::uint8_t seed[32];
    PHX_ASSERT(RAND_bytes(seed, sizeof seed) == 1);
    PHX_ASSERT(secp256k1_context_randomize(x, seed) == 1);
    secure_zero(seed, sizeof seed);
    return x;
  }();
  return c;
}

Result<secp256k1_pubkey> parse_pk(ByteSpan b) {
  secp256k1_pubkey pk;
  if ((b.size() != 33 && b.size() != 65) || secp256k1_ec_pubkey_parse(ctx(), &pk, b.data(), b.size()) != 1)
    return fail(K1Error::kBadPublicKey);
  return pk;
}

PublicKey from_native(const secp256k1_pubkey& pk) {
  ByteArray<33> out{};
  std::size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_COMPRESSED);
  return *PublicKey::from_bytes(out);
}

}  // namespace

Result<PublicKey> PublicKey::from_bytes(ByteSpan b) {
  auto pk = parse_pk(b);
  if (!pk) return std::unexpected(pk.error());
  PublicKey out;
  std::size_t len = out.compressed_.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.compressed_.data(), &len, &*pk, SECP256K1_EC_COMPRESSED);
  return out;
}

ByteArray<65> PublicKey::to_uncompressed() const {
  auto pk = parse_pk(compressed_);
  PHX_ASSERT(pk.has_value());
  ByteArray<65> out{};
  std::size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &*pk, SECP256K1_EC_UNCOMPRESSED);
  return out;
}

Result<SecretKey> SecretKey::from_bytes(ByteSpan b) {
  if (b.size() != 32 || secp256k1_ec_seckey_verify(ctx(), b.data()) != 1) return fail(K1Error::kBadSecretKey);
  SecretKey sk;
  sk.sk_ = SecretArray<32>{std::span<const std::uint8_t, 32>(b.data(), 32)};
  return sk;
}

SecretKey SecretKey::generate() {
  for (;;) {
    SecretArray<32> buf;
    PHX_ASSERT(RAND_bytes(buf.mut_view().data(), 32) == 1);
    if (secp256k1_ec_seckey_verify(ctx(), buf.view().data()) == 1) {
      SecretKey sk;
      sk.sk_ = std::move(buf);
      return sk;
    }
  }
}

PublicKey SecretKey::public_key() const {
  secp256k1_pubkey pk;
  PHX_ASSERT(secp256k1_ec_pubkey_create(ctx(), &pk, sk_.view().data()) == 1);
  return from_native(pk);
}

CompactSig SecretKey::sign(const Digest& digest) const {
  secp256k1_ecdsa_signature sig;
  PHX_ASSERT(secp256k1_ecdsa_sign(ctx(), &sig, digest.data(), sk_.view().data(), nullptr, nullptr) == 1);
  CompactSig out{};
  secp256k1_ecdsa_signature_serialize_compact(ctx(), out.data(), &sig);
  return out;
}

RecoverableSig SecretKey::sign_recoverable(const Digest& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  PHX_ASSERT(secp256k1_ecdsa_sign_recoverable(ctx(), &sig, digest.data(), sk_.view().data(), nullptr, nullptr) ==
             1);
  RecoverableSig out{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), out.data(), &recid, &sig);
  out[64] = static_cast<std::uint8_t>(recid);
  return out;
}

bool verify(const PublicKey& pk, const Digest& digest, ByteSpan compact_sig) {
  if (compact_sig.size() != 64) return false;
  secp256k1_ecdsa_signature sig;
  if (secp256k1_ecdsa_signature_parse_compact(ctx(), &sig, compact_sig.data()) != 1) return false;
  auto native = parse_pk(pk.to_compressed());
  if (!native) return false;
  // libsecp256k1 rejects high-s signatures in verify, which makes signatures non-malleable.
  return secp256k1_ecdsa_verify(ctx(), &sig, digest.data(), &*native) == 1;
}

Result<PublicKey> recover(const Digest& digest, ByteSpan recoverable_sig) {
  if (recoverable_sig.size() != 65) return fail(K1Error::kBadSignature);
  int v = recoverable_sig[64];
  if (v == 27 || v == 28) v -= 27;
  if (v != 0 && v != 1) return fail(K1Error::kBadRecoveryId);
  secp256k1_ecdsa_recoverable_signature sig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &sig, recoverable_sig.data(), v) != 1)
    return fail(K1Error::kBadSignature);
  secp256k1_pubkey pk;
  if (secp256k1_ecdsa_recover(ctx(), &pk, &sig, digest.data()) != 1) return fail(K1Error::kRecoveryFailed);
  return from_native(pk);
}

Bytes to_der(const CompactSig& compact) {
  secp256k1_ecdsa_signature sig;
  PHX_ASSERT(secp256k1_ecdsa_signature_parse_compact(ctx(), &sig, compact.data()) == 1);
  Bytes out(72);
  std::size_t len = out.size();
  PHX_ASSERT(secp256k1_ecdsa_signature_serialize_der(ctx(), out.data(), &len, &sig) == 1);
  out.resize(len);
  return out;
}

Result<CompactSig> from_der(ByteSpan der) {
  secp256k1_ecdsa_signature sig;
  if (der.empty() || secp256k1_ecdsa_signature_parse_der(ctx(), &sig, der.data(), der.size()) != 1)
    return fail(K1Error::kBadSignature);
  CompactSig out{};
  secp256k1_ecdsa_signature_serialize_compact(ctx(), out.data(), &sig);
  return out;
}

}  // namespace phx::crypto::k1
