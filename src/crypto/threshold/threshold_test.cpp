#include "crypto/threshold/threshold.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

#include "base/assert.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/bls/pairing.hpp"

namespace phx::crypto::threshold {
namespace {

using bls::Fr;
using bls::G1;
using bls::G2;

std::string hex_of(const bls::SecretKey& sk) {
  return to_hex(sk.to_bytes().view(), false);
}

bls::SecretKey random_key() {
  return bls::SecretKey::from_scalar(Fr::random());
}

// Borrow-free copy of a share (KeyShare is move-only).
KeyShare copy_share(const KeyShare& s) {
  return KeyShare{s.idx, bls::SecretKey::from_scalar(Fr(s.secret.scalar()))};
}

std::vector<KeyShare> pick(const std::vector<KeyShare>& all, std::initializer_list<std::size_t> positions) {
  std::vector<KeyShare> out;
  for (std::size_t p : positions) out.push_back(copy_share(all[p]));
  return out;
}

TEST(SecretPolynomial, EvaluatesByHorner) {
  std::vector<Fr> c{Fr::from_u64(1), Fr::from_u64(2), Fr::from_u64(3)};
  auto f = SecretPolynomial::from_coefficients(std::move(c));
  EXPECT_EQ(f.threshold(), 3u);
  EXPECT_TRUE(f.evaluate(Fr::from_u64(2)) == Fr::from_u64(17));  // 1 + 4 + 12
  EXPECT_TRUE(f.evaluate(Fr::zero()) == Fr::from_u64(1));
  auto g = std::move(f);
  EXPECT_TRUE(g.evaluate(Fr::from_u64(1)) == Fr::from_u64(6));
}

TEST(Split, EveryTSubsetRecoversTheSecret) {
  const bls::SecretKey sk = random_key();
  auto s = split(sk, 3, 5);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->shares.size(), 5u);
  ASSERT_EQ(s->commitments.size(), 3u);
  for (std::uint32_t i = 0; i < 5; ++i) EXPECT_EQ(s->shares[i].idx.value, i + 1);
  int subsets = 0;
  for (std::size_t a = 0; a < 5; ++a)
    for (std::size_t b = a + 1; b < 5; ++b)
      for (std::size_t c = b + 1; c < 5; ++c) {
        auto sub = pick(s->shares, {c, a, b});  // order must not matter
        auto r = recover_secret(sub, 3);
        ASSERT_TRUE(r.has_value()) << r.error().message();
        EXPECT_EQ(hex_of(*r), hex_of(sk));
        ++subsets;
      }
  EXPECT_EQ(subsets, 10);
}

TEST(Split, FewerThanTSharesDoNotDetermineTheSecret) {
  const bls::SecretKey sk = random_key();
  auto s = split(sk, 3, 4);
  ASSERT_TRUE(s.has_value());
  auto two = pick(s->shares, {0, 1});
  auto r = recover_secret(two, 3);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ThresholdError::kNotEnoughShares);
  // Interpolating 2 shares as if t were 2 yields something else than the secret (w.o.p.).
  auto wrong = recover_secret(two, 2);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_NE(hex_of(*wrong), hex_of(sk));
}

TEST(Split, SharesAreFreshPerSplitAndThresholdOneCopiesTheSecret) {
  const bls::SecretKey sk = random_key();
  auto a = split(sk, 2, 3);
  auto b = split(sk, 2, 3);
  ASSERT_TRUE(a && b);
  EXPECT_NE(hex_of(a->shares[0].secret), hex_of(b->shares[0].secret));
  auto one = split(sk, 1, 3);
  ASSERT_TRUE(one.has_value());
  for (const auto& sh : one->shares) EXPECT_EQ(hex_of(sh.secret), hex_of(sk));
}

TEST(Split, RejectsBadParameters) {
  const bls::SecretKey sk = random_key();
  EXPECT_EQ(split(sk, 0, 4).error(), ThresholdError::kBadThreshold);
  EXPECT_EQ(split(sk, 5, 4).error(), ThresholdError::kBadThreshold);
  EXPECT_EQ(split(sk, 2, kMaxShares + 1).error(), ThresholdError::kTooManyShares);
}

TEST(Recover, RejectsBadIndexSets) {
  auto s = split(random_key(), 2, 3);
  ASSERT_TRUE(s.has_value());
  auto dup = pick(s->shares, {0, 0});
  EXPECT_EQ(recover_secret(dup, 2).error(), ThresholdError::kDuplicateIndex);
  auto zero = pick(s->shares, {0, 1});
  zero[1].idx = ShareIdx{0};
  EXPECT_EQ(recover_secret(zero, 2).error(), ThresholdError::kZeroIndex);
  auto ok = pick(s->shares, {0, 1});
  EXPECT_EQ(recover_secret(ok, 0).error(), ThresholdError::kBadThreshold);
  EXPECT_EQ(recover_secret(std::span<const KeyShare>{}, 1).error(), ThresholdError::kNotEnoughShares);
}

TEST(Recover, ExtraSharesMustLieOnThePolynomial) {
  const bls::SecretKey sk = random_key();
  auto s = split(sk, 2, 4);
  ASSERT_TRUE(s.has_value());
  auto all = pick(s->shares, {0, 1, 2, 3});
  auto r = recover_secret(all, 2);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(hex_of(*r), hex_of(sk));
  all[3].secret = bls::SecretKey::from_scalar(all[3].secret.scalar() + Fr::one());
  EXPECT_EQ(recover_secret(all, 2).error(), ThresholdError::kInconsistentShare);
}

TEST(Lagrange, CoefficientsInterpolateConstantsAndPoints) {
  const std::vector<ShareIdx> set{ShareIdx{1}, ShareIdx{3}, ShareIdx{4}};
  auto l0 = lagrange_at_zero(set);
  ASSERT_TRUE(l0.has_value());
  Fr sum = Fr::zero();
  for (const Fr& l : *l0) sum = sum + l;
  EXPECT_TRUE(sum == Fr::one());  // interpolating f ≡ 1
  // λ_1(0) = 3·4 / ((3−1)(4−1)) = 2
  EXPECT_TRUE((*l0)[0] == Fr::from_u64(2));
  auto at3 = lagrange_at(set, Fr::from_u64(3));
  ASSERT_TRUE(at3.has_value());
  EXPECT_TRUE((*at3)[0].is_zero());
  EXPECT_TRUE((*at3)[1] == Fr::one());
  EXPECT_TRUE((*at3)[2].is_zero());
  EXPECT_EQ(lagrange_at_zero(std::vector<ShareIdx>{ShareIdx{2}, ShareIdx{2}}).error(),
            ThresholdError::kDuplicateIndex);
  EXPECT_EQ(lagrange_at_zero(std::vector<ShareIdx>{}).error(), ThresholdError::kNotEnoughShares);
}

TEST(LagrangeCache, ReturnsCoefficientsInCallerOrderAndEvictsLeastRecentlyUsed) {
  LagrangeCache cache(2);
  const std::vector<ShareIdx> a{ShareIdx{4}, ShareIdx{1}, ShareIdx{3}};
  const std::vector<ShareIdx> a_sorted{ShareIdx{1}, ShareIdx{3}, ShareIdx{4}};
  auto direct = lagrange_at_zero(a);
  auto c1 = cache.get(a);
  ASSERT_TRUE(direct && c1);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE((*direct)[i] == (*c1)[i]) << i;
  EXPECT_EQ(cache.hits(), 0u);
  auto c2 = cache.get(a_sorted);  // same set, other order: a hit
  ASSERT_TRUE(c2.has_value());
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_TRUE((*c2)[0] == (*c1)[1]);
  EXPECT_TRUE((*c2)[2] == (*c1)[0]);
  ASSERT_TRUE(cache.get(std::vector<ShareIdx>{ShareIdx{1}, ShareIdx{2}}).has_value());
  ASSERT_TRUE(cache.get(std::vector<ShareIdx>{ShareIdx{5}, ShareIdx{6}}).has_value());
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.get(a).has_value());  // evicted: recomputed, not a hit
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.get(std::vector<ShareIdx>{ShareIdx{0}}).error(), ThresholdError::kZeroIndex);
}

TEST(LagrangeCache, IsSafeUnderConcurrentUse) {
  LagrangeCache cache(3);
  const std::vector<std::vector<ShareIdx>> sets{{ShareIdx{1}, ShareIdx{2}, ShareIdx{3}},
                                                {ShareIdx{2}, ShareIdx{4}},
                                                {ShareIdx{7}, ShareIdx{1}, ShareIdx{5}, ShareIdx{3}},
                                                {ShareIdx{9}, ShareIdx{8}}};
  std::vector<std::vector<Fr>> want;
  for (const auto& s : sets) want.push_back(*lagrange_at_zero(s));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::size_t k = static_cast<std::size_t>((i + t) % 4);
        auto got = cache.get(sets[k]);
        if (!got || got->size() != want[k].size()) {
          ++mismatches[static_cast<std::size_t>(t)];
          continue;
        }
        for (std::size_t j = 0; j < got->size(); ++j) {
          if (!((*got)[j] == want[k][j])) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
  EXPECT_LE(cache.size(), 3u);
  EXPECT_GT(cache.hits(), 0u);
}

struct Cluster {
  bls::SecretKey sk;
  SplitResult split;
  std::vector<bls::PublicKey> pubshares;
};

Cluster make_cluster(std::uint32_t t, std::uint32_t n) {
  bls::SecretKey sk = random_key();
  auto s = split(sk, t, n);
  PHX_ASSERT(s.has_value());
  Cluster c{std::move(sk), std::move(*s), {}};
  for (const auto& sh : c.split.shares) c.pubshares.push_back(sh.secret.public_key());
  return c;
}

TEST(Recombine, PartialSignaturesGiveTheGroupSignature) {
  Cluster c = make_cluster(3, 4);
  const Bytes msg{1, 2, 3, 4, 5};
  std::vector<PartialSignature> partials;
  for (std::size_t i : {3u, 0u, 2u})
    partials.push_back({c.split.shares[i].idx, c.split.shares[i].secret.sign(msg)});
  LagrangeCache cache;
  auto sig = recombine_signatures(partials, 3, cache);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(*sig == c.sk.sign(msg));
  EXPECT_TRUE(bls::verify(c.sk.public_key(), msg, *sig));
  // A fourth, consistent partial is accepted; a partial on another message is not.
  partials.push_back({c.split.shares[1].idx, c.split.shares[1].secret.sign(msg)});
  auto sig4 = recombine_signatures(partials, 3, cache);
  ASSERT_TRUE(sig4.has_value());
  EXPECT_TRUE(*sig4 == *sig);
  EXPECT_GE(cache.hits(), 1u);
  partials[3].partial_sig = c.split.shares[1].secret.sign(Bytes{9});
  EXPECT_EQ(recombine_signatures(partials, 3, cache).error(), ThresholdError::kInconsistentShare);
  partials.erase(partials.begin() + 2, partials.end());
  EXPECT_EQ(recombine_signatures(partials, 3, cache).error(), ThresholdError::kNotEnoughShares);
}

TEST(Recombine, PublicSharesGiveTheGroupPublicKey) {
  Cluster c = make_cluster(3, 5);
  std::vector<PublicShare> ps;
  for (std::size_t i : {4u, 1u, 2u, 0u}) ps.push_back({c.split.shares[i].idx, c.pubshares[i]});
  auto pk = recombine_pubkeys(ps, 3);
  ASSERT_TRUE(pk.has_value());
  EXPECT_TRUE(*pk == c.sk.public_key());
  EXPECT_TRUE(c.split.commitments[0] == c.sk.public_key().point());
  ps[3].pubshare = c.pubshares[3];  // index 1 carrying share 4's key
  EXPECT_EQ(recombine_pubkeys(ps, 3).error(), ThresholdError::kInconsistentShare);
  ps[1].idx = ps[0].idx;
  EXPECT_EQ(recombine_pubkeys(ps, 3).error(), ThresholdError::kDuplicateIndex);
}

TEST(Feldman, SharesAndPubsharesVerifyAgainstCommitments) {
  Cluster c = make_cluster(3, 5);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(verify_share(c.split.shares[i], c.split.commitments).has_value()) << i;
    EXPECT_TRUE(verify_pubshare({c.split.shares[i].idx, c.pubshares[i]}, c.split.commitments).has_value());
    EXPECT_TRUE(commitment_eval(c.split.commitments, c.split.shares[i].idx) == c.pubshares[i].point());
  }
  KeyShare bad = copy_share(c.split.shares[2]);
  bad.secret = bls::SecretKey::from_scalar(bad.secret.scalar() + Fr::one());
  EXPECT_EQ(verify_share(bad, c.split.commitments).error(), ThresholdError::kInconsistentShare);
  KeyShare moved = copy_share(c.split.shares[2]);
  moved.idx = ShareIdx{4};
  EXPECT_EQ(verify_share(moved, c.split.commitments).error(), ThresholdError::kInconsistentShare);
  moved.idx = ShareIdx{0};
  EXPECT_EQ(verify_share(moved, c.split.commitments).error(), ThresholdError::kZeroIndex);
  EXPECT_EQ(verify_pubshare({ShareIdx{1}, c.pubshares[0]}, {}).error(), ThresholdError::kBadThreshold);
  // Commitments of another split do not vouch for these shares.
  Cluster other = make_cluster(3, 5);
  EXPECT_EQ(verify_share(c.split.shares[0], other.split.commitments).error(),
            ThresholdError::kInconsistentShare);
}

TEST(SameMessageVerify, AcceptsValidPartialsAndRejectsAnyBadOne) {
  Cluster c = make_cluster(4, 6);
  const Bytes msg(33, 0xab);
  std::vector<bls::Signature> sigs;
  for (const auto& sh : c.split.shares) sigs.push_back(sh.secret.sign(msg));
  EXPECT_TRUE(verify_partials_same_message(c.pubshares, msg, sigs));
  EXPECT_TRUE(find_invalid_partials(c.pubshares, msg, sigs).empty());
  EXPECT_TRUE(verify_partials_same_message(std::span(c.pubshares).first(1), msg, std::span(sigs).first(1)));
  EXPECT_FALSE(verify_partials_same_message(c.pubshares, Bytes(33, 0xac), sigs));
  EXPECT_FALSE(verify_partials_same_message({}, msg, {}));
  EXPECT_FALSE(verify_partials_same_message(c.pubshares, msg, std::span(sigs).first(5)));

  auto with_identity = c.pubshares;
  with_identity[2] = bls::PublicKey::from_point(G1::identity());
  auto identity_sigs = sigs;
  identity_sigs[2] = bls::Signature::from_point(G2::identity());
  EXPECT_FALSE(verify_partials_same_message(with_identity, msg, identity_sigs));
  EXPECT_EQ(find_invalid_partials(with_identity, msg, identity_sigs), (std::vector<std::size_t>{2}));

  auto tampered = sigs;
  tampered[1] = c.split.shares[1].secret.sign(Bytes{0});
  tampered[4] = sigs[3];
  EXPECT_FALSE(verify_partials_same_message(c.pubshares, msg, tampered));
  EXPECT_EQ(find_invalid_partials(c.pubshares, msg, tampered), (std::vector<std::size_t>{1, 4}));

  auto swapped = sigs;
  std::swap(swapped[0], swapped[5]);
  EXPECT_EQ(find_invalid_partials(c.pubshares, msg, swapped), (std::vector<std::size_t>{0, 5}));
}

TEST(SameMessageVerify, RandomCoefficientsDefeatCancellingPartials) {
  // σ_0 + D and σ_1 − D sum to the honest aggregate, so an unweighted check would accept them.
  Cluster c = make_cluster(2, 3);
  const Bytes msg{7, 7, 7};
  std::vector<bls::Signature> sigs;
  for (const auto& sh : c.split.shares) sigs.push_back(sh.secret.sign(msg));
  const G2 d = G2::generator().mul(Fr::from_u64(12345));
  sigs[0] = bls::Signature::from_point(sigs[0].point() + d);
  sigs[1] = bls::Signature::from_point(sigs[1].point() - d);
  const G2 naive = sigs[0].point() + sigs[1].point() + sigs[2].point();
  const G1 pk_sum = c.pubshares[0].point() + c.pubshares[1].point() + c.pubshares[2].point();
  const G1 p[2] = {pk_sum, G1::generator().neg()};
  const G2 q[2] = {bls::hash_to_g2(msg), naive};
  ASSERT_TRUE(bls::pairing_check(p, q));  // the attack works against the unweighted sum
  EXPECT_FALSE(verify_partials_same_message(c.pubshares, msg, sigs));
  EXPECT_EQ(find_invalid_partials(c.pubshares, msg, sigs), (std::vector<std::size_t>{0, 1}));
}

}  // namespace
}  // namespace phx::crypto::threshold
