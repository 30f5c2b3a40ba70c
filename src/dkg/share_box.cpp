// Share encryption between a dealer and a receiver: G1 ECDH, HKDF-SHA256 and AES-256-GCM via OpenSSL EVP.
#include "dkg/share_box.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>

#include "base/assert.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;

const char* to_string(OpenError e) {
  switch (e) {
    case OpenError::kOk: return "ok";
    case OpenError::kBadLength: return "ciphertext has the wrong length";
    case OpenError::kAuthFailed: return "ciphertext does not authenticate";
    case OpenError::kBadScalar: return "decrypted share is not below the group order";
  }
  return "unknown";
}

namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

std::array<std::uint8_t, 12> gcm_nonce(std::uint32_t chunk) {
  std::array<std::uint8_t, 12> n{};
  put_be32(n.data(), chunk);
  return n;
}

constexpr std::string_view kAadPrefix = "phalanx/dkg/v1/shares";
using Aad = std::array<std::uint8_t, kAadPrefix.size() + 32 + 12>;

Aad aad(const Root& session_id, std::uint32_t dealer, std::uint32_t receiver, std::uint32_t chunk) {
  Aad a{};
  std::size_t p = 0;
  for (char c : kAadPrefix) a[p++] = static_cast<std::uint8_t>(c);
  for (auto b : session_id) a[p++] = b;
  put_be32(a.data() + p, dealer);
  put_be32(a.data() + p + 4, receiver);
  put_be32(a.data() + p + 8, chunk);
  return a;
}

}  // namespace

SecretArray<32> share_key(const Fr& own_secret, const G1& peer_key, const Root& session_id, std::uint32_t dealer,
                          std::uint32_t receiver) {
  // The shared point is secret: its x coordinate, made affine with a constant-time inversion, is the IKM (the
  // compressed encoding would branch on the sign of y). It is never the identity: the secret is non-zero and
  // the peer key a non-identity point of prime order.
  const G1 shared = peer_key.mul(own_secret);
  crypto::bls::Fp x, y;
  shared.to_affine(x, y);
  ByteArray<48> ikm{};
  x.to_be_bytes(ikm.data());
  secure_zero(&x, sizeof x);
  secure_zero(&y, sizeof y);
  SecretArray<32> prk = crypto::hash::hkdf_extract(session_id, ikm);
  secure_zero(ikm.data(), ikm.size());
  Bytes info;
  append(info, as_bytes("phalanx/dkg/v1/share-key"));
  std::uint8_t ids[8];
  put_be32(ids, dealer);
  put_be32(ids + 4, receiver);
  append(info, ByteSpan(ids, sizeof ids));
  SecretArray<32> key;
  crypto::hash::hkdf_expand(prk.view(), info, key.mut_view());
  return key;
}

Bytes seal_shares(const SecretArray<32>& key, const Root& session_id, std::uint32_t dealer, std::uint32_t receiver,
                  std::uint32_t chunk, std::span<const Fr> shares) {
  SecretBytes plain(32 * shares.size());
  for (std::size_t i = 0; i < shares.size(); ++i) shares[i].to_be_bytes(plain.mut_view().data() + 32 * i);
  const auto nonce = gcm_nonce(chunk);
  const Aad a = aad(session_id, dealer, receiver, chunk);
  Bytes out(plain.size() + 16);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  PHX_ASSERT(ctx != nullptr);
  int len = 0;
  PHX_ASSERT(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.view().data(), nonce.data()) == 1);
  PHX_ASSERT(EVP_EncryptUpdate(ctx.get(), nullptr, &len, a.data(), static_cast<int>(a.size())) == 1);
  int written = 0;
  if (plain.size() != 0) {
    PHX_ASSERT(EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.view().data(), static_cast<int>(plain.size())) ==
               1);
    written = len;
  }
  PHX_ASSERT(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len) == 1);
  PHX_ASSERT(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, out.data() + plain.size()) == 1);
  return out;
}

Opened open_shares(const SecretArray<32>& key, const Root& session_id, std::uint32_t dealer, std::uint32_t receiver,
                   std::uint32_t chunk, ByteSpan ciphertext, std::size_t count) {
  Opened out;
  if (ciphertext.size() != 32 * count + 16) {
    out.error = OpenError::kBadLength;
    return out;
  }
  const auto nonce = gcm_nonce(chunk);
  const Aad a = aad(session_id, dealer, receiver, chunk);
  SecretBytes plain(32 * count);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  PHX_ASSERT(ctx != nullptr);
  int len = 0;
  PHX_ASSERT(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.view().data(), nonce.data()) == 1);
  PHX_ASSERT(EVP_DecryptUpdate(ctx.get(), nullptr, &len, a.data(), static_cast<int>(a.size())) == 1);
  if (count != 0) {
    PHX_ASSERT(EVP_DecryptUpdate(ctx.get(), plain.mut_view().data(), &len, ciphertext.data(),
                                 static_cast<int>(32 * count)) == 1);
  }
  std::array<std::uint8_t, 16> tag{};
  for (std::size_t i = 0; i < 16; ++i) tag[i] = ciphertext[32 * count + i];
  PHX_ASSERT(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1);
  std::uint8_t fin[16];
  if (EVP_DecryptFinal_ex(ctx.get(), fin, &len) != 1) {
    out.error = OpenError::kAuthFailed;
    return out;
  }
  out.shares = SecretScalars(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto s = Fr::from_bytes_be(plain.view().subspan(32 * i, 32));  // branches only on the (public) range verdict
    if (!s) {
      out.error = OpenError::kBadScalar;
      out.bad_index = i;
      out.shares = SecretScalars();
      return out;
    }
    out.shares[i] = *s;
    secure_zero(&*s, sizeof(Fr));
  }
  return out;
}

}  // namespace phx::dkg
