// PBKDF2-HMAC-SHA256 (pbkdf2.hpp) against OpenSSL's PKCS5_PBKDF2_HMAC over many lengths, salts and costs, on the
// SHA-NI and the portable path, one job at a time and interleaved.
#include "crypto/hash/pbkdf2.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <vector>

namespace phx::crypto::hash {
namespace {

Bytes filled(std::size_t n, std::uint32_t seed) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& v : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v = static_cast<std::uint8_t>(x);
  }
  return b;
}

Bytes openssl_pbkdf2(ByteSpan pw, ByteSpan salt, std::uint32_t c, std::size_t len) {
  Bytes out(len);
  EXPECT_EQ(PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(pw.data()), static_cast<int>(pw.size()), salt.data(),
                              static_cast<int>(salt.size()), static_cast<int>(c), EVP_sha256(),
                              static_cast<int>(len), out.data()),
            1);
  return out;
}

TEST(Pbkdf2, MatchesRfc7914Vector) {
  Bytes out(64);
  pbkdf2_hmac_sha256(as_bytes("passwd"), as_bytes("salt"), 1, out);
  EXPECT_EQ(to_hex(out, false),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

TEST(Pbkdf2, MatchesOpenSslForManyLengthsSaltsAndCosts) {
  std::size_t cases = 0;
  for (std::size_t pw_len : {0, 1, 31, 32, 55, 56, 63, 64, 65, 100, 200})
    for (std::size_t salt_len : {0, 1, 32, 51, 52, 55, 56, 59, 60, 64, 119, 130})
      for (std::uint32_t c : {1u, 2u, 3u, 77u})
        for (std::size_t len : {1, 20, 32, 33, 64, 97}) {
          const Bytes pw = filled(pw_len, static_cast<std::uint32_t>(pw_len * 131 + salt_len));
          const Bytes salt = filled(salt_len, static_cast<std::uint32_t>(salt_len + 7 * c));
          const Bytes want = openssl_pbkdf2(pw, salt, c, len);
          Bytes fast(len), portable(len);
          pbkdf2_hmac_sha256(pw, salt, c, fast);
          const Pbkdf2Job job{pw, salt, c, portable};
          pbkdf2_hmac_sha256_many_portable(std::span<const Pbkdf2Job>(&job, 1));
          ASSERT_EQ(fast, want) << "pw " << pw_len << " salt " << salt_len << " c " << c << " len " << len;
          ASSERT_EQ(portable, want) << "pw " << pw_len << " salt " << salt_len << " c " << c << " len " << len;
          ++cases;
        }
  EXPECT_EQ(cases, 11u * 12u * 4u * 6u);
}

TEST(Pbkdf2, InterleavedJobsOfDifferentCostsMatchOpenSsl) {
  // EIP-2335-shaped jobs (32-byte salt, 32-byte key) mixed with odd ones, so that lanes finish at different
  // times and are refilled mid-run; every lane count from 1 to kPbkdf2Lanes.
  const std::vector<std::uint32_t> costs = {4096, 1, 1000, 4096, 4096, 3, 2500, 4096, 17};
  const std::vector<std::size_t> lens = {32, 32, 64, 32, 1, 32, 96, 32, 40};
  std::vector<Bytes> pws, salts, wants;
  for (std::size_t i = 0; i < costs.size(); ++i) {
    pws.push_back(filled(8 + 9 * i, static_cast<std::uint32_t>(i + 100)));
    salts.push_back(filled(32, static_cast<std::uint32_t>(i + 200)));
    wants.push_back(openssl_pbkdf2(pws[i], salts[i], costs[i], lens[i]));
  }
  for (std::size_t lanes = 1; lanes <= kPbkdf2Lanes; ++lanes) {
    std::vector<Bytes> outs;
    for (auto len : lens) outs.emplace_back(len);
    std::vector<Pbkdf2Job> jobs;
    for (std::size_t i = 0; i < costs.size(); ++i) jobs.push_back(Pbkdf2Job{pws[i], salts[i], costs[i], outs[i]});
    pbkdf2_hmac_sha256_many_lanes(jobs, lanes);
    for (std::size_t i = 0; i < costs.size(); ++i) EXPECT_EQ(outs[i], wants[i]) << "lanes " << lanes << " job " << i;
  }
  std::vector<Bytes> outs;
  for (auto len : lens) outs.emplace_back(len);
  std::vector<Pbkdf2Job> jobs;
  for (std::size_t i = 0; i < costs.size(); ++i) jobs.push_back(Pbkdf2Job{pws[i], salts[i], costs[i], outs[i]});
  pbkdf2_hmac_sha256_many(jobs);
  for (std::size_t i = 0; i < costs.size(); ++i) EXPECT_EQ(outs[i], wants[i]) << "job " << i;
}

TEST(Pbkdf2, EmptyJobListAndEmptyOutputDoNothing) {
  pbkdf2_hmac_sha256_many({});
  Bytes none;
  pbkdf2_hmac_sha256(as_bytes("pw"), as_bytes("salt"), 5, none);
  SUCCEED();
}

}  // namespace
}  // namespace phx::crypto::hash
