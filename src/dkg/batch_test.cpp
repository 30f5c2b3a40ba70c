// Unit and property tests of the batched Feldman check and the bisection that names bad shares.
#include "dkg/batch.hpp"

#include <gtest/gtest.h>

#include <random>

#include "dkg/poly.hpp"

using namespace phx;
using namespace phx::dkg;
using crypto::bls::Fr;
using crypto::bls::G1;

namespace {

// Cheap valid items for large properties: C_{m,k} = (base + m·t + k)·G built by successive additions of G (no
// scalar multiplication per point), s_m = Σ_k (base + m·t + k)·x^k.
struct Items {
  std::vector<G1> points;
  std::vector<FeldmanItem> items;
};

Items make_items(std::size_t count, std::size_t t, std::uint32_t x, std::uint64_t base) {
  Items out;
  out.points.resize(count * t);
  G1 acc = G1::generator().mul(Fr::from_u64(base));
  const G1 g = G1::generator();
  for (std::size_t i = 0; i < count * t; ++i) {
    out.points[i] = acc;
    acc = acc.add_vartime(g);
  }
  out.items.resize(count);
  const Fr fx = Fr::from_u64(x);
  for (std::size_t m = 0; m < count; ++m) {
    Fr s = Fr::zero(), xp = Fr::one();
    for (std::size_t k = 0; k < t; ++k) {
      s = s + Fr::from_u64(base + m * t + k) * xp;
      xp = xp * fx;
    }
    out.items[m].commitments = std::span<const G1>(out.points).subspan(m * t, t);
    out.items[m].share = s;
  }
  return out;
}

BatchRng rng_for(const char* label) { return BatchRng(as_bytes("test-key"), as_bytes(label)); }

}  // namespace

TEST(DkgBatchRng, IsDeterministicPerKeyAndLabelAndNeverZero) {
  BatchRng a = rng_for("x"), b = rng_for("x"), c = rng_for("y");
  for (int i = 0; i < 10; ++i) {
    const Fr va = a.next();
    EXPECT_TRUE(va == b.next());
    EXPECT_FALSE(va == c.next());
    EXPECT_FALSE(va.is_zero());
    const auto limbs = va.to_limbs();
    EXPECT_EQ(limbs[2], 0u);  // below 2^128
    EXPECT_EQ(limbs[3], 0u);
  }
}

TEST(DkgBatchFeldman, AcceptsValidSharesOfMixedDegree) {
  std::vector<crypto::threshold::SecretPolynomial> polys;
  std::vector<std::vector<G1>> comms;
  for (std::uint32_t t : {1u, 2u, 3u, 5u}) {
    std::vector<Fr> c;
    for (std::uint32_t k = 0; k < t; ++k) c.push_back(Fr::from_u64(1000 * t + k + 1));
    polys.push_back(crypto::threshold::SecretPolynomial::from_coefficients(std::move(c)));
    comms.push_back(polys.back().commitments());
  }
  std::vector<FeldmanItem> items;
  for (std::size_t i = 0; i < polys.size(); ++i) items.push_back({comms[i], polys[i].evaluate(Fr::from_u64(4))});
  auto rng = rng_for("mixed");
  EXPECT_TRUE(batch_feldman_check(items, 4, rng));
  EXPECT_FALSE(batch_feldman_check(items, 5, rng));  // another receiver's index
  EXPECT_TRUE(find_bad_feldman(items, 4, rng).empty());
  EXPECT_FALSE(batch_feldman_check(std::span<const FeldmanItem>{}, 4, rng));
}

TEST(DkgBatchFeldman, FindsEveryBadShare) {
  Items it = make_items(50, 3, 3, 7);
  auto rng = rng_for("bad");
  ASSERT_TRUE(batch_feldman_check(it.items, 3, rng));
  it.items[0].share = it.items[0].share + Fr::one();
  it.items[17].share = it.items[17].share + Fr::one();
  it.items[49].share = Fr::zero();
  EXPECT_FALSE(batch_feldman_check(it.items, 3, rng));
  EXPECT_EQ(find_bad_feldman(it.items, 3, rng), (std::vector<std::size_t>{0, 17, 49}));
}

TEST(DkgBatchFeldman, FindsOneBadShareAmongOneHundredThousand) {
  // Property: at a random position among 100,000 (dealer, validator) items, bisection names exactly the bad one.
  // t = 2 keeps the Horner combination of the per-degree MSMs in play at half the cost of t = 3.
  constexpr std::size_t kItems = 100'000;
  Items it = make_items(kItems, 2, 5, 11);
  std::mt19937_64 prng(20261124);
  auto rng = rng_for("100k");
  ASSERT_TRUE(batch_feldman_check(std::span<const FeldmanItem>(it.items).first(1000), 5, rng));
  const std::size_t bad = prng() % kItems;
  it.items[bad].share = it.items[bad].share + Fr::from_u64(1 + prng() % 1000);
  EXPECT_FALSE(batch_feldman_check(it.items, 5, rng));
  EXPECT_EQ(find_bad_feldman(it.items, 5, rng), std::vector<std::size_t>{bad});
}

TEST(DkgBatchFeldman, CancellingErrorsAreCaughtByFreshCoefficients) {
  // Two errors that cancel in an unweighted sum (+d and −d) must still fail the randomised check.
  Items it = make_items(8, 2, 2, 3);
  it.items[1].share = it.items[1].share + Fr::from_u64(5);
  it.items[6].share = it.items[6].share - Fr::from_u64(5);
  auto rng = rng_for("cancel");
  EXPECT_FALSE(batch_feldman_check(it.items, 2, rng));
  EXPECT_EQ(find_bad_feldman(it.items, 2, rng), (std::vector<std::size_t>{1, 6}));
}

TEST(DkgBisect, NamesBadItemsWithFewChecks) {
  std::vector<bool> bad(1000, false);
  bad[3] = bad[500] = bad[999] = true;
  std::size_t checks = 0;
  auto range_ok = [&](std::size_t b, std::size_t e) {
    ++checks;
    for (std::size_t i = b; i < e; ++i) {
      if (bad[i]) return false;
    }
    return true;
  };
  const auto found = bisect_bad(bad.size(), range_ok, [&](std::size_t i) { return !bad[i]; });
  EXPECT_EQ(found, (std::vector<std::size_t>{3, 500, 999}));
  EXPECT_LT(checks, 3u * 2u * 10u);
}
