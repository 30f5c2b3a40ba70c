// The keystore cache file: header parsing, entry decoding, encryption and decryption (format in cache.hpp).
#include "crypto/keystore/cache.hpp"

#include <algorithm>

#include "base/assert.hpp"
#include "crypto/hash/random.hpp"
#include "crypto/hash/sha256.hpp"
#include "crypto/keystore/primitives.hpp"

namespace phx::crypto::keystore {

const char* to_string(CacheError e) {
  switch (e) {
    case CacheError::kOk:
      return "ok";
    case CacheError::kMalformed:
      return "not a keystore cache file (truncated or corrupted)";
    case CacheError::kUnsupported:
      return "keystore cache of another format version";
    case CacheError::kBadParams:
      return "keystore cache KDF parameters out of bounds";
    case CacheError::kWrongPassword:
      return "keystore cache does not verify (other passwords, or corrupted)";
    case CacheError::kBadSecret:
      return "keystore cache holds an invalid secret key";
    case CacheError::kCryptoFailure:
      return "keystore cache: crypto library failure";
  }
  return "unknown keystore cache error";
}

namespace {

constexpr std::uint64_t kMaxScryptN = 1u << 20;  // as for keystores: 128·N·r bytes ≤ 1 GiB with r = 8
constexpr std::uint64_t kMaxPbkdf2C = 1u << 24;  // as for keystores
constexpr std::uint32_t kScryptR = 8;
constexpr std::uint32_t kScryptP = 1;
constexpr std::size_t kMacSize = 32;

void put_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}

/// The header's bytes.
Bytes encode_header(const CacheHeader& h) {
  Bytes out(kCacheHeaderSize);
  std::uint8_t* p = out.data();
  std::copy(kCacheMagic.begin(), kCacheMagic.end(), p);
  p += 8;
  put_le32(p, h.kdf == Kdf::kPbkdf2 ? kCacheVersionPbkdf2 : kCacheVersionScrypt);
  p += 4;
  put_le64(p, h.cost);
  p += 8;
  put_le32(p, h.scrypt_r);
  p += 4;
  put_le32(p, h.scrypt_p);
  p += 4;
  p = std::copy(h.salt.begin(), h.salt.end(), p);
  p = std::copy(h.iv.begin(), h.iv.end(), p);
  p = std::copy(h.fingerprint.begin(), h.fingerprint.end(), p);
  put_le32(p, h.count);
  return out;
}

/// AES key (first 16 bytes) and HMAC key (last 16 bytes) from the password.
Result<SecretArray<32>> cache_key(const CacheHeader& h, ByteSpan password) {
  auto dk = detail::derive_key(h.kdf, password, h.salt, h.cost, h.scrypt_r, h.scrypt_p);
  if (!dk) return fail(CacheError::kCryptoFailure);
  return std::move(*dk);
}

}  // namespace

Result<CacheHeader> parse_cache_header(ByteSpan file) {
  if (file.size() < kCacheHeaderSize + kMacSize) return fail(CacheError::kMalformed);
  const std::uint8_t* p = file.data();
  if (!std::equal(kCacheMagic.begin(), kCacheMagic.end(), p)) return fail(CacheError::kMalformed);
  p += 8;
  const std::uint32_t version = get_le32(p);
  if (version != kCacheVersionScrypt && version != kCacheVersionPbkdf2) return fail(CacheError::kUnsupported);
  p += 4;
  CacheHeader h;
  h.kdf = version == kCacheVersionPbkdf2 ? Kdf::kPbkdf2 : Kdf::kScrypt;
  h.cost = get_le64(p);
  p += 8;
  h.scrypt_r = get_le32(p);
  p += 4;
  h.scrypt_p = get_le32(p);
  p += 4;
  std::copy_n(p, 32, h.salt.begin());
  p += 32;
  std::copy_n(p, 16, h.iv.begin());
  p += 16;
  std::copy_n(p, 32, h.fingerprint.begin());
  p += 32;
  h.count = get_le32(p);
  const bool params_ok =
      h.kdf == Kdf::kScrypt
          ? h.cost >= 2 && (h.cost & (h.cost - 1)) == 0 && h.cost <= kMaxScryptN && h.scrypt_r == kScryptR &&
                h.scrypt_p == kScryptP
          : h.cost >= 1 && h.cost <= kMaxPbkdf2C && h.scrypt_r == 0 && h.scrypt_p == 0;
  if (!params_ok) return fail(CacheError::kBadParams);
  if (h.count > kCacheMaxEntries) return fail(CacheError::kMalformed);
  if (file.size() != kCacheHeaderSize + std::size_t{h.count} * kCacheEntrySize + kMacSize)
    return fail(CacheError::kMalformed);
  return h;
}

Result<std::vector<CacheEntry>> decode_cache_entries(ByteSpan plaintext) {
  if (plaintext.size() % kCacheEntrySize != 0 || plaintext.size() / kCacheEntrySize > kCacheMaxEntries)
    return fail(CacheError::kMalformed);
  std::vector<CacheEntry> out;
  out.reserve(plaintext.size() / kCacheEntrySize);
  for (std::size_t off = 0; off < plaintext.size(); off += kCacheEntrySize) {
    auto sk = bls::SecretKey::from_bytes(plaintext.subspan(off + 48, 32));
    if (!sk) return fail(CacheError::kBadSecret);
    CacheEntry e{{}, std::move(*sk)};
    std::copy_n(plaintext.data() + off, 48, e.pubshare.begin());
    out.push_back(std::move(e));
  }
  return out;
}

Result<Bytes> encrypt_cache(const std::vector<CacheEntry>& entries, ByteSpan password,
                            const ByteArray<32>& fingerprint, Kdf kdf, std::uint64_t cost) {
  PHX_ASSERT(entries.size() <= kCacheMaxEntries);
  if (kdf == Kdf::kScrypt)
    PHX_ASSERT(cost >= 2 && (cost & (cost - 1)) == 0 && cost <= kMaxScryptN);
  else
    PHX_ASSERT(cost >= 1 && cost <= kMaxPbkdf2C);
  CacheHeader h;
  h.kdf = kdf;
  h.cost = cost;
  h.scrypt_r = kdf == Kdf::kScrypt ? kScryptR : 0;
  h.scrypt_p = kdf == Kdf::kScrypt ? kScryptP : 0;
  hash::random_bytes(h.salt);
  hash::random_bytes(h.iv);
  h.fingerprint = fingerprint;
  h.count = static_cast<std::uint32_t>(entries.size());
  auto dk = cache_key(h, password);
  if (!dk) return std::unexpected(dk.error());
  SecretBytes plain(entries.size() * kCacheEntrySize);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::uint8_t* q = plain.mut_view().data() + i * kCacheEntrySize;
    std::copy(entries[i].pubshare.begin(), entries[i].pubshare.end(), q);
    const SecretArray<32> sk = entries[i].secret.to_bytes();
    std::copy_n(sk.view().data(), 32, q + 48);
  }
  Bytes out = encode_header(h);
  out.resize(kCacheHeaderSize + plain.size());
  if (auto a = detail::aes128_ctr(dk->view().subspan(0, 16), h.iv, plain.view(),
                                  MutByteSpan(out.data() + kCacheHeaderSize, plain.size()));
      !a)
    return fail(CacheError::kCryptoFailure);
  const hash::Digest mac = hash::hmac_sha256(dk->view().subspan(16, 16), out);
  append(out, mac);
  return out;
}

Result<std::vector<CacheEntry>> decrypt_cache(ByteSpan file, ByteSpan password) {
  auto h = parse_cache_header(file);
  if (!h) return std::unexpected(h.error());
  auto dk = cache_key(*h, password);
  if (!dk) return std::unexpected(dk.error());
  const std::size_t body = file.size() - kMacSize;
  const hash::Digest mac = hash::hmac_sha256(dk->view().subspan(16, 16), file.subspan(0, body));
  if (!ct_equal(mac, file.subspan(body, kMacSize))) return fail(CacheError::kWrongPassword);
  SecretBytes plain(body - kCacheHeaderSize);
  if (auto a = detail::aes128_ctr(dk->view().subspan(0, 16), h->iv, file.subspan(kCacheHeaderSize, plain.size()),
                                  plain.mut_view());
      !a)
    return fail(CacheError::kCryptoFailure);
  return decode_cache_entries(plain.view());
}

}  // namespace phx::crypto::keystore
