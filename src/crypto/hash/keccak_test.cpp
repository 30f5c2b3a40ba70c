#include <gtest/gtest.h>

#include "crypto/hash/keccak.hpp"

namespace phx::crypto::hash {
namespace {

TEST(Keccak256, MatchesKnownDigests) {
  EXPECT_EQ(to_hex(keccak256(as_bytes("")), false),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(to_hex(keccak256(as_bytes("abc")), false),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, HandlesBlockBoundaries) {
  // 135, 136 and 137 bytes straddle the 136-byte rate. Expected values from @noble/hashes keccak_256.
  EXPECT_EQ(to_hex(keccak256(Bytes(135, 'a')), false),
            "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
  EXPECT_EQ(to_hex(keccak256(Bytes(136, 'a')), false),
            "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  EXPECT_EQ(to_hex(keccak256(Bytes(137, 'a')), false),
            "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
}

}  // namespace
}  // namespace phx::crypto::hash
