#include <gtest/gtest.h>

#include "crypto/hash/sha256_pair.hpp"
#include "ssz/codec.hpp"
#include "ssz/json.hpp"
#include "ssz/merkle.hpp"

namespace phx::ssz {
namespace {

struct Inner {
  std::uint64_t a = 0;
  ByteArray<32> b{};
  PHX_SSZ_FIELDS(Inner, a, b)
};

struct Outer {
  std::uint16_t x = 0;
  List<std::uint64_t, 4> nums;
  bool flag = false;
  ByteList<10> blob;
  std::array<Inner, 2> pair{};
  Bitlist<16> bits;
  List<ByteList<8>, 3> nested;
  PHX_SSZ_FIELDS(Outer, x, nums, flag, blob, pair, bits, nested)
};

Outer sample() {
  Outer o;
  o.x = 0x1234;
  o.nums = {1, 2, 3};
  o.flag = true;
  o.blob = ByteList<10>(Bytes{0xaa, 0xbb});
  o.pair[1].a = 7;
  o.pair[1].b[0] = 9;
  o.bits = Bitlist<16>(3);
  o.bits.set(0, true);
  o.bits.set(2, true);
  o.nested.push_back(ByteList<8>(Bytes{1}));
  o.nested.push_back(ByteList<8>());
  return o;
}

TEST(SszCodec, SerializesBasicsLittleEndian) {
  EXPECT_EQ(to_hex(serialize(std::uint64_t{5}), false), "0500000000000000");
  EXPECT_EQ(to_hex(serialize(std::uint16_t{0x1234}), false), "3412");
  EXPECT_EQ(to_hex(serialize(true), false), "01");
}

TEST(SszCodec, BitlistHasDelimiterBit) {
  Bitlist<16> b(3);
  b.set(0, true);
  b.set(2, true);
  EXPECT_EQ(to_hex(serialize(b), false), "0d");
  Bitlist<16> e;
  EXPECT_EQ(to_hex(serialize(e), false), "01");
  Bitlist<16> full(8);
  EXPECT_EQ(to_hex(serialize(full), false), "0001");
}

TEST(SszCodec, RoundTripsContainerWithVariableFields) {
  const Outer o = sample();
  const Bytes enc = serialize(o);
  auto dec = deserialize<Outer>(enc);
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ(*dec, o);
  EXPECT_EQ(serialize(*dec), enc);
}

TEST(SszCodec, RejectsMalformedInput) {
  const Bytes enc = serialize(sample());
  for (std::size_t cut = 0; cut < enc.size(); ++cut) {
    // A cut may still be a valid (different) value, since the last variable field runs to the end.
    auto d = deserialize<Outer>(ByteSpan(enc.data(), cut));
    EXPECT_TRUE(!d || serialize(*d) == Bytes(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(cut)))
        << cut;
    EXPECT_TRUE(!d || !(*d == sample())) << cut;
  }
  Bytes bad = enc;
  bad[2] = 0xff;  // first offset (nums) no longer equals the fixed-part size
  EXPECT_EQ(deserialize<Outer>(bad).error(), make_error_code(SszError::kBadOffset));
  EXPECT_EQ(deserialize<bool>(Bytes{2}).error(), make_error_code(SszError::kBadBoolean));
  EXPECT_EQ(deserialize<Bitlist<16>>(Bytes{0x00}).error(), make_error_code(SszError::kBadBitlist));
  EXPECT_EQ(deserialize<Bitlist<7>>(Bytes{0x00, 0x01}).error(), make_error_code(SszError::kTooManyElements));
  EXPECT_EQ((deserialize<List<std::uint64_t, 2>>(Bytes(24)).error()),
            make_error_code(SszError::kTooManyElements));
  EXPECT_EQ((deserialize<List<std::uint64_t, 2>>(Bytes(7)).error()), make_error_code(SszError::kBadLength));
  EXPECT_EQ(deserialize<Bitvector<4>>(Bytes{0x10}).error(), make_error_code(SszError::kBadBitvector));
  EXPECT_FALSE(deserialize<Outer>(Bytes{}));
}

TEST(SszMerkle, KnownRoots) {
  // hash_tree_root(uint64 5) is the chunk itself.
  EXPECT_EQ(to_hex(hash_tree_root(std::uint64_t{5}), false),
            "0500000000000000000000000000000000000000000000000000000000000000");
  // Two zero chunks: sha256(0^64).
  EXPECT_EQ(to_hex(hash_tree_root(Inner{})),
            "0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b");
  // An empty list mixes in length 0 over the zero tree of its limit.
  const Root r = hash_tree_root(List<std::uint64_t, 4>{});
  EXPECT_EQ(r, mix_in_length(zero_hash(0), 0));
  EXPECT_EQ(zero_hash(1), hash_tree_root(Inner{}));
}

TEST(SszMerkle, LargeListMatchesNaiveTree) {
  List<std::uint64_t, 1024> l;
  for (std::uint64_t i = 0; i < 77; ++i) l.push_back(i * 0x0101010101ULL);
  // Naive: pad to 256 chunks (1024 u64 / 4 per chunk), hash pairwise.
  std::vector<Root> layer(256);
  for (std::size_t i = 0; i < l.size(); ++i) put_le64(layer[i / 4].data() + 8 * (i % 4), l[i]);
  while (layer.size() > 1) {
    std::vector<Root> next(layer.size() / 2);
    for (std::size_t i = 0; i < next.size(); ++i) {
      Bytes cat(layer[2 * i].begin(), layer[2 * i].end());
      cat.insert(cat.end(), layer[2 * i + 1].begin(), layer[2 * i + 1].end());
      Root h{};
      crypto::hash::sha256_64_many(cat.data(), h.data(), 1);
      next[i] = h;
    }
    layer = next;
  }
  EXPECT_EQ(hash_tree_root(l), mix_in_length(layer[0], 77));
}

TEST(SszJson, RoundTripsAndUsesBeaconApiConventions) {
  const Outer o = sample();
  const Json j = to_json(o);
  EXPECT_EQ(j["x"], "4660");
  EXPECT_EQ(j["nums"][2], "3");
  EXPECT_EQ(j["flag"], true);
  EXPECT_EQ(j["blob"], "0xaabb");
  EXPECT_EQ(j["bits"], "0x0d");
  auto back = from_json<Outer>(j);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, o);
}

TEST(SszJson, StrictErrorsNameTheField) {
  Json j = to_json(sample());
  j["pair"][1]["a"] = 7;
  EXPECT_EQ(from_json<Outer>(j).error().message(), "pair[1].a: expected a decimal string");
  j = to_json(sample());
  j["extra"] = "1";
  EXPECT_EQ(from_json<Outer>(j).error().message(), "extra: unknown field");
  j = to_json(sample());
  j.erase("flag");
  EXPECT_EQ(from_json<Outer>(j).error().message(), "flag: missing field");
  j = to_json(sample());
  j["pair"][0]["b"] = "0x00";
  EXPECT_EQ(from_json<Outer>(j, "data").error().message(), "data.pair[0].b: expected 32 bytes, got 1");
  j = to_json(sample());
  j["nums"] = {"1", "2", "3", "4", "5"};
  EXPECT_EQ(from_json<Outer>(j).error().message(), "nums: more than 4 elements");
  j = to_json(sample());
  j["x"] = "70000";
  EXPECT_EQ(from_json<Outer>(j).error().message(), "x: number out of range");
}

TEST(SszJson, Uint256DecimalRoundTrip) {
  const std::string max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  auto u = dec_to_u256(max);
  ASSERT_TRUE(u);
  EXPECT_EQ(u256_to_dec(*u), max);
  EXPECT_FALSE(dec_to_u256(max + "0"));
  EXPECT_EQ(u256_to_dec(Uint256::from_u64(1234567)), "1234567");
  EXPECT_FALSE(dec_to_u64("18446744073709551616"));
  EXPECT_EQ(*dec_to_u64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(dec_to_u64("-1"));
  EXPECT_FALSE(dec_to_u64(""));
}

}  // namespace
}  // namespace phx::ssz
