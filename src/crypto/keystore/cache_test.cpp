// The keystore cache file: round trip, wrong password, tampering, and the header checks on hostile input.
#include "crypto/keystore/cache.hpp"

#include <gtest/gtest.h>

namespace phx::crypto::keystore {
namespace {

std::vector<CacheEntry> entries(std::size_t n) {
  std::vector<CacheEntry> out;
  for (std::size_t i = 0; i < n; ++i) {
    Bytes ikm(32, static_cast<std::uint8_t>(i + 1));
    auto sk = *bls::SecretKey::keygen(ikm);
    out.push_back(CacheEntry{sk.public_key().to_bytes(), std::move(sk)});
  }
  return out;
}

const ByteArray<32> kPrint = [] {
  ByteArray<32> f{};
  f[0] = 0x42;
  return f;
}();

TEST(KeystoreCache, RoundTripsEveryEntry) {
  auto in = entries(5);
  auto file = encrypt_cache(in, as_bytes("pw-1pw-2pw-3"), kPrint, Kdf::kScrypt, 16);
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->size(), kCacheHeaderSize + 5 * kCacheEntrySize + 32);
  auto h = parse_cache_header(*file);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->count, 5u);
  EXPECT_EQ(h->fingerprint, kPrint);
  EXPECT_EQ(h->kdf, Kdf::kScrypt);
  EXPECT_EQ(h->cost, 16u);
  auto out = decrypt_cache(*file, as_bytes("pw-1pw-2pw-3"));
  ASSERT_TRUE(out.has_value()) << out.error().message();
  ASSERT_EQ(out->size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ((*out)[i].pubshare, in[i].pubshare);
    EXPECT_EQ((*out)[i].secret.public_key().to_bytes(), in[i].pubshare);
  }
  // No secret in the clear: the first secret's bytes do not occur in the file.
  const auto sk = in[0].secret.to_bytes();
  EXPECT_EQ(std::search(file->begin(), file->end(), sk.view().begin(), sk.view().end()), file->end());
}

TEST(KeystoreCache, OtherPasswordsOrAnyChangedByteFailToVerify) {
  auto file = *encrypt_cache(entries(2), as_bytes("right"), kPrint, Kdf::kScrypt, 16);
  auto wrong = decrypt_cache(file, as_bytes("wrong"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error(), make_error_code(CacheError::kWrongPassword));
  // Flip one bit of the fingerprint, the ciphertext and the MAC in turn.
  for (std::size_t at : {kCacheHeaderSize - 10, kCacheHeaderSize + 3, file.size() - 1}) {
    auto bad = file;
    bad[at] ^= 0x01;
    auto r = decrypt_cache(bad, as_bytes("right"));
    ASSERT_FALSE(r.has_value()) << at;
    EXPECT_EQ(r.error(), make_error_code(CacheError::kWrongPassword)) << at;
  }
}

TEST(KeystoreCache, HostileHeadersAreRefusedBeforeAnyKdf) {
  auto file = *encrypt_cache(entries(1), as_bytes("pw"), kPrint, Kdf::kScrypt, 16);
  auto expect = [](Bytes f, CacheError e) {
    auto r = parse_cache_header(f);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), make_error_code(e));
  };
  expect(Bytes(file.begin(), file.begin() + 40), CacheError::kMalformed);  // truncated
  auto magic = file;
  magic[0] = 'X';
  expect(magic, CacheError::kMalformed);
  auto version = file;
  version[8] = 3;
  expect(version, CacheError::kUnsupported);
  auto pbkdf2_with_scrypt_params = file;  // version 2 (PBKDF2) must carry r = p = 0
  pbkdf2_with_scrypt_params[8] = 2;
  expect(pbkdf2_with_scrypt_params, CacheError::kBadParams);
  auto huge_n = file;
  huge_n[12 + 7] = 0x40;  // N = 2^62
  expect(huge_n, CacheError::kBadParams);
  auto odd_n = file;
  odd_n[12] = 17;
  expect(odd_n, CacheError::kBadParams);
  auto count = file;
  count[kCacheHeaderSize - 4] = 2;  // says two entries, holds one
  expect(count, CacheError::kMalformed);
  auto longer = file;
  longer.push_back(0);
  expect(longer, CacheError::kMalformed);
}

// Version 2: PBKDF2 (no memory; the cache of PBKDF2 keystores). The same checks hold.
TEST(KeystoreCache, Pbkdf2CacheRoundTripsAndItsParametersAreBounded) {
  auto in = entries(3);
  auto file = encrypt_cache(in, as_bytes("pw"), kPrint, Kdf::kPbkdf2, 1000);
  ASSERT_TRUE(file.has_value());
  auto h = parse_cache_header(*file);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->kdf, Kdf::kPbkdf2);
  EXPECT_EQ(h->cost, 1000u);
  EXPECT_EQ(h->scrypt_r, 0u);
  EXPECT_EQ(h->scrypt_p, 0u);
  auto out = decrypt_cache(*file, as_bytes("pw"));
  ASSERT_TRUE(out.has_value()) << out.error().message();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[2].secret.public_key().to_bytes(), in[2].pubshare);
  EXPECT_EQ(decrypt_cache(*file, as_bytes("other")).error(), make_error_code(CacheError::kWrongPassword));
  auto huge_c = *file;
  huge_c[12 + 3] = 0x02;  // c = 2^25 + 1000 > 2^24
  EXPECT_EQ(parse_cache_header(huge_c).error(), make_error_code(CacheError::kBadParams));
  auto zero_c = *file;
  std::fill(zero_c.begin() + 12, zero_c.begin() + 20, std::uint8_t{0});
  EXPECT_EQ(parse_cache_header(zero_c).error(), make_error_code(CacheError::kBadParams));
  auto as_scrypt = *file;  // version 1 with c = 1000 (not a power of two) and r = p = 0
  as_scrypt[8] = 1;
  EXPECT_EQ(parse_cache_header(as_scrypt).error(), make_error_code(CacheError::kBadParams));
}

TEST(KeystoreCache, EntriesWithAnInvalidSecretAreRefused) {
  Bytes plain(kCacheEntrySize, 0);  // secret 0 is not a valid key
  auto r = decode_cache_entries(plain);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(CacheError::kBadSecret));
  EXPECT_FALSE(decode_cache_entries(Bytes(kCacheEntrySize - 1, 1)).has_value());
}

}  // namespace
}  // namespace phx::crypto::keystore
