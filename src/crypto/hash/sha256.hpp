#pragma once
/// SHA-256, HMAC-SHA256 and HKDF-SHA256 (RFC 5869) over OpenSSL's EVP (which uses the CPU's SHA extensions
/// when present). None of these is secret-dependent in timing beyond the input length.
#include <cstdint>
#include <memory>
#include <span>

#include "base/bytes.hpp"
#include "base/secret.hpp"

namespace phx::crypto::hash {

using Digest = ByteArray<32>;

/// SHA-256 of `data` (FIPS 180-4).
Digest sha256(ByteSpan data);

/// SHA-256 of the concatenation a || b.
Digest sha256(ByteSpan a, ByteSpan b);

/// Incremental SHA-256. Not copyable; reusable after finish() via reset().
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  Sha256& update(ByteSpan data);
  Digest finish();
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// HMAC-SHA256(key, data) (RFC 2104).
Digest hmac_sha256(ByteSpan key, ByteSpan data);

/// HKDF-Extract(salt, ikm) → PRK (RFC 5869 §2.2).
SecretArray<32> hkdf_extract(ByteSpan salt, ByteSpan ikm);

/// HKDF-Expand(prk, info, L) → OKM of `out.size()` bytes, at most 255·32 (RFC 5869 §2.3). Writes into `out`.
void hkdf_expand(ByteSpan prk, ByteSpan info, MutByteSpan out);

}  // namespace phx::crypto::hash
