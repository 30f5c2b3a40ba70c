#include <gtest/gtest.h>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/secret.hpp"

namespace phx {
namespace {

TEST(Hex, RoundTripsWithAndWithoutPrefix) {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "0x0001abff");
  EXPECT_EQ(to_hex(b, false), "0001abff");
  EXPECT_EQ(*from_hex("0x0001ABff"), b);
  EXPECT_EQ(*from_hex("0001abff"), b);
}

TEST(Hex, RejectsOddLengthAndBadDigits) {
  EXPECT_EQ(from_hex("0x123").error(), make_error_code(HexError::kOddLength));
  EXPECT_EQ(from_hex("zz").error(), make_error_code(HexError::kBadDigit));
  EXPECT_EQ(from_hex_fixed<2>("0x001122").error(), make_error_code(HexError::kBadLength));
  EXPECT_EQ(from_hex("zz").error().message(), "hex string has a non-hex character");
}

TEST(Endian, BigAndLittleEndianHelpersAgree) {
  std::uint8_t buf[8];
  put_le64(buf, 0x0102030405060708ULL);
  EXPECT_EQ(buf[0], 0x08);
  EXPECT_EQ(get_le64(buf), 0x0102030405060708ULL);
  put_be64(buf, 0x0102030405060708ULL);
  EXPECT_EQ(buf[0], 0x01);
  EXPECT_EQ(get_be64(buf), 0x0102030405060708ULL);
}

TEST(StrongId, ComparesAndHashes) {
  Slot a{5}, b{7};
  EXPECT_LT(a, b);
  EXPECT_EQ(std::hash<Slot>{}(a), std::hash<std::uint64_t>{}(5));
  static_assert(!std::is_convertible_v<Slot, Epoch>);
}

TEST(Secret, MoveLeavesSourceZeroed) {
  std::array<std::uint8_t, 4> raw{1, 2, 3, 4};
  SecretArray<4> s{std::span<const std::uint8_t, 4>(raw)};
  SecretArray<4> t{std::move(s)};
  EXPECT_EQ(t.view()[3], 4);
  for (auto b : s.view()) EXPECT_EQ(b, 0);  // NOLINT(bugprone-use-after-move): checking the zeroization
  static_assert(!std::is_copy_constructible_v<SecretArray<4>>);
  static_assert(!std::is_copy_constructible_v<SecretBytes>);
}

TEST(Secret, ConstantTimeEqual) {
  Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4};
  EXPECT_TRUE(ct_equal(a, b));
  EXPECT_FALSE(ct_equal(a, c));
  EXPECT_FALSE(ct_equal(a, Bytes{1, 2}));
}

TEST(ManualClock, AdvancesOnlyWhenTold) {
  ManualClock c;
  auto t0 = c.now();
  c.advance(std::chrono::seconds(12));
  EXPECT_EQ(c.now() - t0, std::chrono::seconds(12));
}

}  // namespace
}  // namespace phx

#include "base/base64.hpp"

namespace phx {
namespace {

TEST(Base64, MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(*base64_decode("Zm8="), Bytes({'f', 'o'}));
  EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
  EXPECT_EQ(*base64url_decode("-_8"), Bytes({0xfb, 0xff}));
}

TEST(Base64, RejectsMalformedText) {
  EXPECT_EQ(base64_decode("Zm8").error(), make_error_code(Base64Error::kBadPadding));
  EXPECT_EQ(base64url_decode("Z").error(), make_error_code(Base64Error::kBadLength));
  EXPECT_EQ(base64url_decode("Zm!").error(), make_error_code(Base64Error::kBadCharacter));
  EXPECT_EQ(base64url_decode("Zh").error(), make_error_code(Base64Error::kBadPadding));  // trailing bits set
  // Unpadded only: a padded text would decode to bytes whose text form differs (found by cluster_enr_fuzz).
  EXPECT_EQ(base64url_decode("Zm8=").error(), make_error_code(Base64Error::kBadPadding));
  EXPECT_EQ(base64url_decode("Zg==").error(), make_error_code(Base64Error::kBadPadding));
  EXPECT_EQ(base64url_decode("Zm9v=").error(), make_error_code(Base64Error::kBadPadding));
  EXPECT_EQ(*base64url_decode("Zm8"), Bytes({'f', 'o'}));
}

}  // namespace
}  // namespace phx
