#include "crypto/hash/sha256_pair.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "crypto/hash/sha256.hpp"

namespace phx::crypto::hash {
namespace {

std::vector<std::uint8_t> random_blocks(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> v(64 * n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(Sha256Pair, MatchesOpenSslOnRandomBlocks) {
  const std::size_t n = 257;
  auto in = random_blocks(n, 1);
  std::vector<std::uint8_t> out(32 * n), port(32 * n);
  sha256_64_many(in.data(), out.data(), n);
  sha256_64_many_portable(in.data(), port.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    const Digest want = sha256(ByteSpan(in.data() + 64 * i, 64));
    EXPECT_EQ(0, std::memcmp(want.data(), out.data() + 32 * i, 32)) << "block " << i;
    EXPECT_EQ(0, std::memcmp(want.data(), port.data() + 32 * i, 32)) << "block " << i;
  }
}

TEST(Sha256Pair, ZeroChunksGiveKnownZeroHash) {
  // hash(zero32 || zero32): the depth-1 zero hash of SSZ merkleization.
  const Root z{};
  EXPECT_EQ(to_hex(sha256_pair(z, z)), "0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
}

TEST(Sha256Pair, InPlaceReductionMatches) {
  const std::size_t n = 64;
  auto in = random_blocks(n, 2);
  std::vector<std::uint8_t> expect(32 * n);
  sha256_64_many_portable(in.data(), expect.data(), n);
  sha256_64_many(in.data(), in.data(), n);
  EXPECT_EQ(0, std::memcmp(expect.data(), in.data(), 32 * n));
}

}  // namespace
}  // namespace phx::crypto::hash
