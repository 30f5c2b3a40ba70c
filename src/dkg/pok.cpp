// Schnorr proofs of knowledge of a_{i,v,0}: challenge, deterministic nonce, single and batch verification.
#include "dkg/pok.hpp"

#include <array>

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;

namespace {
constexpr std::string_view kChallengeDst = "PHALANX-DKG-V1-POK-CHALLENGE";
constexpr std::string_view kNonceDst = "PHALANX-DKG-V1-POK-NONCE";
}  // namespace

Fr pok_challenge(const PokContext& ctx, const ByteArray<48>& c0, const ByteArray<48>& r) {
  std::array<std::uint8_t, 32 + 4 + 4 + 48 + 48> msg{};
  std::size_t p = 0;
  for (auto b : ctx.session_id) msg[p++] = b;
  put_be32(msg.data() + p, ctx.dealer);
  p += 4;
  put_be32(msg.data() + p, ctx.validator);
  p += 4;
  for (auto b : c0) msg[p++] = b;
  for (auto b : r) msg[p++] = b;
  return hash_to_scalar(kChallengeDst, msg);
}

Fr pok_challenge(const PokContext& ctx, const G1& c0, const G1& r) {
  return pok_challenge(ctx, c0.to_compressed(), r.to_compressed());
}

Pok prove_pok(const Seed& seed, const Fr& secret, const G1& c0, const PokContext& ctx) {
  std::array<std::uint8_t, 32 + 32 + 4 + 4 + 32> msg{};
  std::size_t p = 0;
  for (auto b : seed.view()) msg[p++] = b;
  for (auto b : ctx.session_id) msg[p++] = b;
  put_be32(msg.data() + p, ctx.dealer);
  p += 4;
  put_be32(msg.data() + p, ctx.validator);
  p += 4;
  secret.to_be_bytes(msg.data() + p);
  Fr k = hash_to_scalar(kNonceDst, msg);
  secure_zero(msg.data(), msg.size());
  k = Fr::select(k, Fr::one(), k.is_zero());  // R must not be the identity (probability 2^-255)
  Pok out;
  out.r = G1::generator().mul(k);
  declassify(&out.r, sizeof out.r);  // R is published; its encoding (in the challenge) is variable time
  const Fr c = pok_challenge(ctx, c0, out.r);
  out.z = k + c * secret;
  secure_zero(&k, sizeof k);
  return out;
}

bool verify_pok(const PokItem& item) {
  const G1 lhs = G1::generator().mul_vartime(item.z);
  const G1 rhs = item.r.add_vartime(item.c0.mul_vartime(item.challenge));
  return lhs == rhs;
}

bool batch_verify_pok(std::span<const PokItem> items, BatchRng& rng) {
  if (items.empty()) return false;
  std::vector<G1> rs(items.size()), cs(items.size());
  std::vector<Fr> rho(items.size()), rho_c(items.size());
  Fr zsum = Fr::zero();
  for (std::size_t m = 0; m < items.size(); ++m) {
    rho[m] = rng.next();
    rho_c[m] = rho[m] * items[m].challenge;
    zsum = zsum + rho[m] * items[m].z;
    rs[m] = items[m].r;
    cs[m] = items[m].c0;
  }
  const G1 rhs = G1::msm_vartime(rs, rho).add_vartime(G1::msm_vartime(cs, rho_c));
  return G1::generator().mul_vartime(zsum) == rhs;
}

std::vector<std::size_t> find_bad_pok(std::span<const PokItem> items, BatchRng& rng) {
  return bisect_bad(
      items.size(), [&](std::size_t b, std::size_t e) { return batch_verify_pok(items.subspan(b, e - b), rng); },
      [&](std::size_t i) { return verify_pok(items[i]); });
}

}  // namespace phx::dkg
