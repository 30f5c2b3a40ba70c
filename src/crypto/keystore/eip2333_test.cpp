#include "crypto/keystore/eip2333.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace phx::crypto::keystore {
namespace {

using nlohmann::json;

// Decimal string → 32-byte big-endian (test helper; values are < 2^256).
ByteArray<32> dec_to_be32(const std::string& dec) {
  ByteArray<32> out{};
  for (char ch : dec) {
    EXPECT_TRUE(ch >= '0' && ch <= '9') << dec;
    unsigned carry = static_cast<unsigned>(ch - '0');
    for (int i = 31; i >= 0; --i) {
      const unsigned v = out[static_cast<std::size_t>(i)] * 10u + carry;
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
      carry = v >> 8;
    }
    EXPECT_EQ(carry, 0u) << "value too large: " << dec;
  }
  return out;
}

std::string sk_hex(const bls::SecretKey& sk) {
  return to_hex(sk.to_bytes().view(), false);
}

json load_vectors() {
  std::ifstream in(PHX_EIP2333_VECTORS);
  EXPECT_TRUE(in.good()) << "cannot open " << PHX_EIP2333_VECTORS;
  return json::parse(in);
}

TEST(Eip2333, DerivesEveryMasterAndChildKeyOfTheSpecVectors) {
  const json v = load_vectors();
  std::size_t consumed = 0;
  for (const auto& c : v.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const Bytes seed = *from_hex(c.at("seed").get<std::string>());
    auto master = derive_master_sk(seed);
    ASSERT_TRUE(master.has_value());
    EXPECT_EQ(sk_hex(*master), to_hex(dec_to_be32(c.at("master_SK").get<std::string>()), false));
    const auto index = static_cast<std::uint32_t>(std::stoull(c.at("child_index").get<std::string>()));
    bls::SecretKey child = derive_child_sk(*master, index);
    EXPECT_EQ(sk_hex(child), to_hex(dec_to_be32(c.at("child_SK").get<std::string>()), false));
    ++consumed;
  }
  EXPECT_EQ(consumed, 5u) << "every EIP-2333 vector must be consumed";
}

TEST(Eip2333, ReproducesTheIntermediateLamportValues) {
  const json v = load_vectors();
  std::size_t consumed = 0;
  for (const auto& c : v.at("cases")) {
    if (!c.contains("lamport_0")) continue;
    const ByteArray<32> parent = dec_to_be32(c.at("master_SK").get<std::string>());
    const auto index = static_cast<std::uint32_t>(std::stoull(c.at("child_index").get<std::string>()));
    std::uint8_t salt[4];
    put_be32(salt, index);
    ByteArray<32> flipped{};
    for (std::size_t i = 0; i < 32; ++i) flipped[i] = static_cast<std::uint8_t>(~parent[i]);
    SecretBytes l0 = ikm_to_lamport_sk(parent, salt);
    SecretBytes l1 = ikm_to_lamport_sk(flipped, salt);
    ASSERT_EQ(c.at("lamport_0").size(), kLamportChunks);
    ASSERT_EQ(c.at("lamport_1").size(), kLamportChunks);
    for (std::size_t i = 0; i < kLamportChunks; ++i) {
      EXPECT_EQ(to_hex(l0.view().subspan(i * 32, 32)), c.at("lamport_0")[i].get<std::string>()) << i;
      EXPECT_EQ(to_hex(l1.view().subspan(i * 32, 32)), c.at("lamport_1")[i].get<std::string>()) << i;
    }
    SecretArray<32> pk = parent_sk_to_lamport_pk(parent, index);
    EXPECT_EQ(to_hex(pk.view()), c.at("compressed_lamport_PK").get<std::string>());
    ++consumed;
  }
  EXPECT_EQ(consumed, 1u);
}

TEST(Eip2333, VectorSeedIsTheBip39SeedOfTheMnemonic) {
  // Guards the vector file itself: seed = PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" || passphrase, 2048, 64).
  const json v = load_vectors();
  const auto& c = v.at("cases").at(0);
  const std::string mnemonic = c.at("bip39_mnemonic").get<std::string>();
  const std::string salt = "mnemonic" + c.at("bip39_passphrase").get<std::string>();
  ByteArray<64> seed{};
  ASSERT_EQ(PKCS5_PBKDF2_HMAC(mnemonic.data(), static_cast<int>(mnemonic.size()),
                              reinterpret_cast<const unsigned char*>(salt.data()),
                              static_cast<int>(salt.size()), 2048, EVP_sha512(), 64, seed.data()),
            1);
  EXPECT_EQ(to_hex(seed), c.at("seed").get<std::string>());
}

TEST(Eip2333, RejectsSeedsShorterThan32Bytes) {
  Bytes seed(31, 7);
  auto r = derive_master_sk(seed);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), KeystoreError::kSeedTooShort);
  seed.push_back(7);
  EXPECT_TRUE(derive_master_sk(seed).has_value());
}

TEST(Eip2333, KeyInfoSeparatesKeys) {
  Bytes ikm(32, 0x42);
  const std::string a = sk_hex(hkdf_mod_r(ikm));
  const std::string b = sk_hex(hkdf_mod_r(ikm, as_bytes("validator")));
  EXPECT_NE(a, b);
  EXPECT_EQ(a, sk_hex(hkdf_mod_r(ikm)));
}

TEST(Eip2333, HkdfModRAgreesWithBlsKeygen) {
  // bls::SecretKey::keygen is specified as the same HKDF_mod_r; both must give one key for one IKM.
  for (std::uint8_t fill = 1; fill < 6; ++fill) {
    Bytes ikm(32 + fill, fill);
    auto kg = bls::SecretKey::keygen(ikm);
    ASSERT_TRUE(kg.has_value());
    EXPECT_EQ(sk_hex(*kg), sk_hex(hkdf_mod_r(ikm))) << int{fill};
  }
}

TEST(Eip2334Path, ParsesSigningAndWithdrawalPaths) {
  auto p = parse_path("m/12381/3600/7/0/0");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, (std::vector<std::uint32_t>{12381, 3600, 7, 0, 0}));
  EXPECT_EQ(*parse_path(signing_key_path(7)), *p);
  EXPECT_EQ(*parse_path("m/12381/3600/0/0"), (std::vector<std::uint32_t>{12381, 3600, 0, 0}));
  EXPECT_TRUE(parse_path("m")->empty());
  EXPECT_EQ(*parse_path("m/4294967295"), (std::vector<std::uint32_t>{4294967295u}));
}

TEST(Eip2334Path, RejectsMalformedPathsWithAReason) {
  const std::pair<const char*, KeystoreError> bad[] = {
      {"", KeystoreError::kPathEmpty},
      {"n/1", KeystoreError::kPathNoMasterPrefix},
      {"m1", KeystoreError::kPathNoMasterPrefix},
      {"/1/2", KeystoreError::kPathNoMasterPrefix},
      {"m/", KeystoreError::kPathEmptyComponent},
      {"m//1", KeystoreError::kPathEmptyComponent},
      {"m/1/", KeystoreError::kPathEmptyComponent},
      {"m/1'/2", KeystoreError::kPathBadDigit},
      {"m/-1", KeystoreError::kPathBadDigit},
      {"m/+1", KeystoreError::kPathBadDigit},
      {"m/0x10", KeystoreError::kPathBadDigit},
      {"m/ 1", KeystoreError::kPathBadDigit},
      {"m/01", KeystoreError::kPathLeadingZero},
      {"m/4294967296", KeystoreError::kPathIndexTooLarge},
      {"m/99999999999999999999999", KeystoreError::kPathIndexTooLarge},
  };
  for (const auto& [path, want] : bad) {
    auto r = parse_path(path);
    ASSERT_FALSE(r.has_value()) << path;
    EXPECT_EQ(r.error(), want) << path << ": " << r.error().message();
  }
  std::string deep = "m";
  for (std::size_t i = 0; i <= kMaxPathDepth; ++i) deep += "/1";
  EXPECT_EQ(parse_path(deep).error(), KeystoreError::kPathTooDeep);
}

TEST(Eip2334Path, DerivePathChainsMasterAndChildDerivation) {
  const Bytes seed = *from_hex("0x3141592653589793238462643383279502884197169399375105820974944592");
  auto via_path = derive_path(seed, "m/12381/3600/2/0/0");
  ASSERT_TRUE(via_path.has_value());
  bls::SecretKey k = std::move(*derive_master_sk(seed));
  for (std::uint32_t i : {12381u, 3600u, 2u, 0u, 0u}) k = derive_child_sk(k, i);
  EXPECT_EQ(sk_hex(*via_path), sk_hex(k));
  EXPECT_NE(sk_hex(*via_path), sk_hex(*derive_path(seed, "m/12381/3600/3/0/0")));
  EXPECT_EQ(derive_path(seed, "m/x").error(), KeystoreError::kPathBadDigit);
  EXPECT_EQ(derive_path(Bytes(8, 1), "m/1").error(), KeystoreError::kSeedTooShort);
}

}  // namespace
}  // namespace phx::crypto::keystore
