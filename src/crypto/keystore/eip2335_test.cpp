// EIP-2335 keystores: the EIP's vectors, round trips with both KDFs, batch decryption, hostile input.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <vector>

#include "crypto/keystore/eip2335.hpp"

namespace phx::crypto::keystore {
namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(PHX_EIP2335_VECTORS) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Eip2335, DecryptsEveryEipVector) {
  auto cases = nlohmann::json::parse(read("test_vectors.json"))["cases"];
  int consumed = 0;
  for (const auto& c : cases) {
    std::string ks = read(c["keystore_file"].get<std::string>());
    ASSERT_FALSE(ks.empty()) << c["keystore_file"];
    auto processed = process_password(c["password"].get<std::string>());
    ASSERT_TRUE(processed);
    EXPECT_EQ(to_hex(processed->view()), c["encoded_password_hex"].get<std::string>());
    auto sk = decrypt(ks, c["password"].get<std::string>());
    ASSERT_TRUE(sk) << c["name"] << ": " << sk.error().message();
    EXPECT_EQ(to_hex(sk->to_bytes().view()), c["secret"].get<std::string>());
    EXPECT_EQ(to_hex(sk->public_key().to_bytes(), false), c["pubkey"].get<std::string>());
    EXPECT_EQ(decrypt(ks, "testpassword").error(), make_error_code(Eip2335Error::kWrongPassword));
    ++consumed;
  }
  EXPECT_EQ(consumed, 2);
}

TEST(Eip2335, DecryptManyGivesEveryEipVectorsSecret) {
  auto cases = nlohmann::json::parse(read("test_vectors.json"))["cases"];
  std::vector<std::string> stores, passwords;
  for (const auto& c : cases) {
    stores.push_back(read(c["keystore_file"].get<std::string>()));
    passwords.push_back(c["password"].get<std::string>());
  }
  std::vector<DecryptJob> jobs;
  for (std::size_t i = 0; i < stores.size(); ++i) jobs.push_back(DecryptJob{stores[i], passwords[i]});
  auto keys = decrypt_many(jobs);
  ASSERT_EQ(keys.size(), 2u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(keys[i]) << keys[i].error().message();
    EXPECT_EQ(to_hex(keys[i]->to_bytes().view()), cases[i]["secret"].get<std::string>());
  }
}

TEST(Eip2335, DecryptManyMatchesDecryptOnMixedKdfsAndFailures) {
  // Seven PBKDF2 keystores (more than one core's lanes, costs differing so lanes finish apart), two scrypt ones,
  // a wrong password and a malformed file, in one call.
  std::vector<std::string> stores, passwords;
  std::vector<bls::SecretKey> secrets;
  for (std::size_t i = 0; i < 9; ++i) {
    auto sk = bls::SecretKey::from_scalar(bls::Fr::random());
    EncryptOptions o;
    o.kdf = i % 4 == 3 ? Kdf::kScrypt : Kdf::kPbkdf2;
    o.cost = o.kdf == Kdf::kScrypt ? 16 : 100 + 37 * i;
    passwords.push_back("password " + std::to_string(i));
    stores.push_back(*encrypt(sk, passwords.back(), o));
    secrets.push_back(std::move(sk));
  }
  stores.push_back(stores[0]);
  passwords.push_back("not the password");
  stores.push_back("{\"version\": 4}");
  passwords.push_back("x");
  std::vector<DecryptJob> jobs;
  for (std::size_t i = 0; i < stores.size(); ++i) jobs.push_back(DecryptJob{stores[i], passwords[i]});
  auto keys = decrypt_many(jobs);
  ASSERT_EQ(keys.size(), stores.size());
  for (std::size_t i = 0; i < 9; ++i) {
    ASSERT_TRUE(keys[i]) << i << ": " << keys[i].error().message();
    EXPECT_TRUE(keys[i]->public_key() == secrets[i].public_key()) << i;
  }
  EXPECT_EQ(keys[9].error(), make_error_code(Eip2335Error::kWrongPassword));
  EXPECT_EQ(keys[10].error(), decrypt(stores[10], "x").error());
  EXPECT_TRUE(decrypt_many({}).empty());
}

TEST(Eip2335, EncryptManyAndEncryptAllRoundTripInOrderWithFreshSaltsAndFailuresInPlace) {
  // 15 keys: more than two batches of lanes, so three threads share them; job 7's password is not UTF-8.
  std::vector<bls::SecretKey> secrets;
  std::vector<std::string> passwords;
  for (std::size_t i = 0; i < 15; ++i) {
    secrets.push_back(bls::SecretKey::from_scalar(bls::Fr::random()));
    passwords.push_back(i == 7 ? std::string("\xff\xfe") : "pw " + std::to_string(i));
  }
  std::vector<EncryptJob> jobs;
  for (std::size_t i = 0; i < secrets.size(); ++i) jobs.push_back(EncryptJob{&secrets[i], passwords[i]});
  for (Kdf kdf : {Kdf::kPbkdf2, Kdf::kScrypt}) {
    EncryptOptions o;
    o.kdf = kdf;
    o.cost = kdf == Kdf::kPbkdf2 ? 1000 : 16;
    o.path = "m/12381/3600/0/0/0";
    std::size_t last_progress = 0;
    int calls = 0;
    auto many = encrypt_many(std::span(jobs).subspan(0, 9), o);
    auto all = encrypt_all(jobs, o, 3, [&](std::size_t done) {
      EXPECT_GE(done, last_progress);
      last_progress = done;
      ++calls;
    });
    ASSERT_EQ(many.size(), 9u);
    ASSERT_EQ(all.size(), jobs.size());
    EXPECT_EQ(last_progress, jobs.size());
    EXPECT_GE(calls, 1);
    std::set<std::string> salts;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      for (const auto* r : {i < many.size() ? &many[i] : nullptr, &all[i]}) {
        if (!r) continue;
        if (i == 7) {
          EXPECT_EQ(r->error(), make_error_code(Eip2335Error::kBadPassword));
          continue;
        }
        ASSERT_TRUE(*r) << i << ": " << r->error().message();
        auto info = kdf_info(**r);
        ASSERT_TRUE(info);
        EXPECT_EQ(info->kdf, kdf);
        EXPECT_EQ(info->cost, o.cost);
        auto sk = decrypt(**r, passwords[i]);
        ASSERT_TRUE(sk) << i << ": " << sk.error().message();
        EXPECT_TRUE(sk->public_key() == secrets[i].public_key()) << i;
        EXPECT_EQ(decrypt(**r, "pw x").error(), make_error_code(Eip2335Error::kWrongPassword));
        auto j = nlohmann::json::parse(**r);
        EXPECT_EQ(j["path"], o.path);
        salts.insert(j["crypto"]["kdf"]["params"]["salt"].get<std::string>());
      }
    }
    EXPECT_EQ(salts.size(), 14u + 8u);  // every keystore its own salt
  }
  EXPECT_TRUE(encrypt_many({}).empty());
  EXPECT_TRUE(encrypt_all({}, EncryptOptions{}, 2).empty());
}

TEST(Eip2335, PasswordProcessingStripsControlCodesAndRejectsBadUtf8) {
  EXPECT_EQ(to_hex(process_password("a\x01" "b\x7f" "c")->view(), false), "616263");
  EXPECT_EQ(to_hex(process_password("\xc2\x85x")->view(), false), "78");  // U+0085 (C1) stripped
  EXPECT_EQ(process_password("\xff\xfe").error(), make_error_code(Eip2335Error::kBadPassword));
}

TEST(Eip2335, RoundTripsWithBothKdfs) {
  auto sk = bls::SecretKey::from_scalar(bls::Fr::random());
  for (Kdf kdf : {Kdf::kScrypt, Kdf::kPbkdf2}) {
    EncryptOptions o;
    o.kdf = kdf;
    o.cost = 16;
    o.path = "m/12381/3600/0/0/0";
    auto ks = encrypt(sk, "correct horse", o);
    ASSERT_TRUE(ks);
    auto back = decrypt(*ks, "correct horse");
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->public_key() == sk.public_key());
    EXPECT_EQ(*keystore_pubkey(*ks), sk.public_key().to_bytes());
    EXPECT_EQ(kdf_info(*ks)->cost, 16u);
    EXPECT_EQ(decrypt(*ks, "wrong horse").error(), make_error_code(Eip2335Error::kWrongPassword));
    EXPECT_EQ(nlohmann::json::parse(*ks)["version"], 4);
  }
}

TEST(Eip2335, RejectsHostileOrMalformedKeystores) {
  auto sk = bls::SecretKey::from_scalar(bls::Fr::random());
  EncryptOptions o;
  o.kdf = Kdf::kScrypt;  // the scrypt parameter checks below
  o.cost = 16;
  auto j = nlohmann::json::parse(*encrypt(sk, "pw", o));
  auto huge = j;
  huge["crypto"]["kdf"]["params"]["n"] = 1u << 30;
  EXPECT_EQ(decrypt(huge.dump(), "pw").error(), make_error_code(Eip2335Error::kBadParams));
  auto notpow2 = j;
  notpow2["crypto"]["kdf"]["params"]["n"] = 17;
  EXPECT_EQ(decrypt(notpow2.dump(), "pw").error(), make_error_code(Eip2335Error::kBadParams));
  auto cipher = j;
  cipher["crypto"]["cipher"]["function"] = "aes-256-gcm";
  EXPECT_EQ(decrypt(cipher.dump(), "pw").error(), make_error_code(Eip2335Error::kUnsupported));
  auto badiv = j;
  badiv["crypto"]["cipher"]["params"]["iv"] = "00";
  EXPECT_EQ(decrypt(badiv.dump(), "pw").error(), make_error_code(Eip2335Error::kBadJson));
  auto pk = j;
  pk["pubkey"] = to_hex(bls::SecretKey::from_scalar(bls::Fr::random()).public_key().to_bytes(), false);
  EXPECT_EQ(decrypt(pk.dump(), "pw").error(), make_error_code(Eip2335Error::kPubkeyMismatch));
  auto v3 = j;
  v3["version"] = 3;
  EXPECT_EQ(decrypt(v3.dump(), "pw").error(), make_error_code(Eip2335Error::kUnsupported));
  EXPECT_EQ(decrypt("{", "pw").error(), make_error_code(Eip2335Error::kBadJson));
  EXPECT_EQ(decrypt("[]", "pw").error(), make_error_code(Eip2335Error::kBadJson));
}

}  // namespace
}  // namespace phx::crypto::keystore
