#include "crypto/hash/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/assert.hpp"

namespace phx::crypto::hash {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  PHX_ASSERT(impl_->ctx != nullptr);
  reset();
}

Sha256::~Sha256() {
  if (impl_ && impl_->ctx) EVP_MD_CTX_free(impl_->ctx);
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&& o) noexcept {
  if (this != &o) {
    if (impl_ && impl_->ctx) EVP_MD_CTX_free(impl_->ctx);
    impl_ = std::move(o.impl_);
  }
  return *this;
}

void Sha256::reset() { PHX_ASSERT(EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) == 1); }

Sha256& Sha256::update(ByteSpan data) {
  PHX_ASSERT(EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) == 1);
  return *this;
}

Digest Sha256::finish() {
  Digest out{};
  unsigned int len = 0;
  PHX_ASSERT(EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) == 1 && len == 32);
  return out;
}

Digest sha256(ByteSpan data) {
  Digest out{};
  unsigned int len = 0;
  PHX_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) == 1);
  return out;
}

Digest sha256(ByteSpan a, ByteSpan b) {
  Sha256 h;
  h.update(a).update(b);
  return h.finish();
}

Digest hmac_sha256(ByteSpan key, ByteSpan data) {
  Digest out{};
  unsigned int len = 0;
  static const std::uint8_t kEmpty = 0;
  const void* k = key.empty() ? &kEmpty : key.data();
  PHX_ASSERT(HMAC(EVP_sha256(), k, static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) !=
             nullptr);
  return out;
}

SecretArray<32> hkdf_extract(ByteSpan salt, ByteSpan ikm) {
  Digest prk = hmac_sha256(salt, ikm);
  SecretArray<32> out{std::span<const std::uint8_t, 32>(prk)};
  secure_zero(prk.data(), prk.size());
  return out;
}

void hkdf_expand(ByteSpan prk, ByteSpan info, MutByteSpan out) {
  PHX_ASSERT(out.size() <= 255 * 32);
  Digest t{};
  std::size_t t_len = 0;
  std::size_t done = 0;
  Bytes buf;
  for (std::uint8_t i = 1; done < out.size(); ++i) {
    buf.clear();
    buf.insert(buf.end(), t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t_len));
    buf.insert(buf.end(), info.begin(), info.end());
    buf.push_back(i);
    t = hmac_sha256(prk, buf);
    t_len = 32;
    std::size_t take = std::min<std::size_t>(32, out.size() - done);
    for (std::size_t j = 0; j < take; ++j) out[done + j] = t[j];
    done += take;
  }
  secure_zero(t.data(), t.size());
  if (!buf.empty()) secure_zero(buf.data(), buf.size());
}

}  // namespace phx::crypto::hash
