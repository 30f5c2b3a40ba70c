// Unit tests of share encryption: key agreement, round trip, and every way a ciphertext can fail to open.
#include "dkg/share_box.hpp"

#include <gtest/gtest.h>

using namespace phx;
using namespace phx::dkg;
using crypto::bls::Fr;
using crypto::bls::G1;

namespace {

struct Pair {
  Fr e_dealer = Fr::from_u64(111);
  Fr e_receiver = Fr::from_u64(222);
  Root session{};
  SecretArray<32> dealer_key() const {
    return share_key(e_dealer, G1::generator().mul(e_receiver), session, 1, 2);
  }
  SecretArray<32> receiver_key() const {
    return share_key(e_receiver, G1::generator().mul(e_dealer), session, 1, 2);
  }
};

std::vector<Fr> shares(std::size_t n) {
  std::vector<Fr> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(Fr::from_u64(1000 + i));
  return out;
}

}  // namespace

TEST(DkgShareBox, BothSidesDeriveTheSameKey) {
  Pair p;
  EXPECT_TRUE(ct_equal(p.dealer_key().view(), p.receiver_key().view()));
  Pair q;
  q.session[0] = 1;
  EXPECT_FALSE(ct_equal(p.dealer_key().view(), q.dealer_key().view()));
}

TEST(DkgShareBox, RoundTrip) {
  Pair p;
  const auto s = shares(10);
  const Bytes ct = seal_shares(p.dealer_key(), p.session, 1, 2, 3, s);
  EXPECT_EQ(ct.size(), 32 * 10 + 16u);
  Opened o = open_shares(p.receiver_key(), p.session, 1, 2, 3, ct, 10);
  ASSERT_EQ(o.error, OpenError::kOk);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_TRUE(o.shares[i] == s[i]);
}

TEST(DkgShareBox, RejectsWrongKeyTamperingContextAndLength) {
  Pair p;
  const auto s = shares(4);
  const Bytes ct = seal_shares(p.dealer_key(), p.session, 1, 2, 0, s);
  Pair other;
  other.e_receiver = Fr::from_u64(223);
  EXPECT_EQ(open_shares(other.receiver_key(), p.session, 1, 2, 0, ct, 4).error, OpenError::kAuthFailed);
  Bytes bad = ct;
  bad[5] ^= 1;
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 1, 2, 0, bad, 4).error, OpenError::kAuthFailed);
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 1, 2, 1, ct, 4).error, OpenError::kAuthFailed);  // chunk
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 0, 2, 0, ct, 4).error, OpenError::kAuthFailed);  // dealer
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 1, 2, 0, ct, 3).error, OpenError::kBadLength);
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 1, 2, 0, ByteSpan{}, 0).error, OpenError::kBadLength);
}

TEST(DkgShareBox, EmptyChunkStillAuthenticates) {
  Pair p;
  const Bytes ct = seal_shares(p.dealer_key(), p.session, 1, 2, 0, {});
  EXPECT_EQ(ct.size(), 16u);
  EXPECT_EQ(open_shares(p.receiver_key(), p.session, 1, 2, 0, ct, 0).error, OpenError::kOk);
}
