// Unit tests of the Schnorr proofs of knowledge: validity, binding to session/dealer/validator, batching.
#include "dkg/pok.hpp"

#include <gtest/gtest.h>

using namespace phx;
using namespace phx::dkg;
using crypto::bls::Fr;
using crypto::bls::G1;

namespace {

Seed seed_of(std::uint8_t b) {
  ByteArray<32> raw{};
  raw.fill(b);
  return Seed(std::span<const std::uint8_t, 32>(raw));
}

PokContext ctx(std::uint8_t session, std::uint32_t dealer, std::uint32_t validator) {
  PokContext c;
  c.session_id.fill(session);
  c.dealer = dealer;
  c.validator = validator;
  return c;
}

PokItem item_for(const Fr& a0, const PokContext& c, const Seed& seed) {
  const G1 c0 = G1::generator().mul(a0);
  const Pok p = prove_pok(seed, a0, c0, c);
  return PokItem{c0, p.r, p.z, pok_challenge(c, c0, p.r)};
}

BatchRng rng_for(const char* label) { return BatchRng(as_bytes("pok-test"), as_bytes(label)); }

}  // namespace

TEST(DkgPok, ValidProofVerifies) {
  const Seed s = seed_of(1);
  const PokItem it = item_for(Fr::from_u64(42), ctx(1, 2, 3), s);
  EXPECT_TRUE(verify_pok(it));
  EXPECT_FALSE(it.r.is_identity());
}

TEST(DkgPok, ProofIsDeterministicForAResumedDealer) {
  const Fr a0 = Fr::from_u64(77);
  const G1 c0 = G1::generator().mul(a0);
  const Pok p1 = prove_pok(seed_of(3), a0, c0, ctx(1, 0, 5));
  const Pok p2 = prove_pok(seed_of(3), a0, c0, ctx(1, 0, 5));
  EXPECT_TRUE(p1.r == p2.r);
  EXPECT_TRUE(p1.z == p2.z);
  // Another session never reuses the nonce (else two challenges would reveal a_0).
  const Pok p3 = prove_pok(seed_of(3), a0, c0, ctx(2, 0, 5));
  EXPECT_FALSE(p1.r == p3.r);
}

TEST(DkgPok, ReplayIntoAnotherSessionDealerOrValidatorFails) {
  const Fr a0 = Fr::from_u64(1234);
  const G1 c0 = G1::generator().mul(a0);
  const Pok p = prove_pok(seed_of(4), a0, c0, ctx(1, 2, 3));
  for (const PokContext& other : {ctx(9, 2, 3), ctx(1, 1, 3), ctx(1, 2, 4)}) {
    const PokItem replay{c0, p.r, p.z, pok_challenge(other, c0, p.r)};
    EXPECT_FALSE(verify_pok(replay));
  }
  EXPECT_TRUE(verify_pok(PokItem{c0, p.r, p.z, pok_challenge(ctx(1, 2, 3), c0, p.r)}));
}

TEST(DkgPok, ProofForAnotherKeyFails) {
  const Fr a0 = Fr::from_u64(5);
  const Pok p = prove_pok(seed_of(4), a0, G1::generator().mul(a0), ctx(1, 2, 3));
  const G1 other = G1::generator().mul(Fr::from_u64(6));
  EXPECT_FALSE(verify_pok(PokItem{other, p.r, p.z, pok_challenge(ctx(1, 2, 3), other, p.r)}));
}

TEST(DkgPok, BatchVerifiesManyAndNamesTheBadOnes) {
  std::vector<PokItem> items;
  for (std::uint32_t v = 0; v < 64; ++v) items.push_back(item_for(Fr::from_u64(1000 + v), ctx(7, 1, v), seed_of(8)));
  auto rng = rng_for("batch");
  EXPECT_TRUE(batch_verify_pok(items, rng));
  items[5].z = items[5].z + Fr::one();
  items[40].challenge = items[40].challenge + Fr::one();  // as if replayed under another context
  EXPECT_FALSE(batch_verify_pok(items, rng));
  EXPECT_EQ(find_bad_pok(items, rng), (std::vector<std::size_t>{5, 40}));
  EXPECT_FALSE(batch_verify_pok(std::span<const PokItem>{}, rng));
}
