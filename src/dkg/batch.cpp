// Random-linear-combination Feldman checks for one receiver, and generic bisection to name bad items.
#include "dkg/batch.hpp"

#include <algorithm>

#include "crypto/hash/sha256.hpp"
#include "dkg/poly.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;

BatchRng::BatchRng(ByteSpan key_material, ByteSpan label) {
  crypto::hash::Sha256 h;
  h.update(as_bytes("phalanx/dkg/v1/batch"));
  h.update(key_material);
  h.update(label);
  const Root k = h.finish();
  key_ = SecretArray<32>(std::span<const std::uint8_t, 32>(k));
}

Fr BatchRng::next() {
  if (!half_) {
    std::uint8_t msg[40];
    for (std::size_t i = 0; i < 32; ++i) msg[i] = key_.view()[i];
    put_be64(msg + 32, counter_++);
    const Root d = crypto::hash::sha256(ByteSpan(msg, sizeof msg));
    secure_zero(msg, sizeof msg);
    std::copy(d.begin(), d.end(), block_);
  }
  std::uint8_t wide[16];
  std::copy(block_ + (half_ ? 16 : 0), block_ + (half_ ? 32 : 16), wide);
  half_ = !half_;
  wide[15] |= 1;  // never zero: a zero coefficient would hide its item
  return Fr::from_bytes_be_reduce(ByteSpan(wide, sizeof wide));
}

std::vector<std::size_t> bisect_bad(std::size_t n, const std::function<bool(std::size_t, std::size_t)>& check,
                                    const std::function<bool(std::size_t)>& single, std::size_t leaf) {
  std::vector<std::size_t> bad;
  // Explicit stack of ranges known to fail.
  std::vector<std::pair<std::size_t, std::size_t>> stack;
  if (n > 0) stack.emplace_back(0, n);
  while (!stack.empty()) {
    const auto [b, e] = stack.back();
    stack.pop_back();
    if (e - b <= std::max<std::size_t>(leaf, 1)) {
      for (std::size_t i = b; i < e; ++i) {
        if (!single(i)) bad.push_back(i);
      }
      continue;
    }
    const std::size_t mid = b + (e - b) / 2;
    // [b, e) fails: if the left half passes, the right half must fail and needs no check of its own.
    if (check(b, mid)) {
      stack.emplace_back(mid, e);
    } else {
      if (!check(mid, e)) stack.emplace_back(mid, e);
      stack.emplace_back(b, mid);
    }
  }
  std::sort(bad.begin(), bad.end());
  return bad;
}

bool batch_feldman_check(std::span<const FeldmanItem> items, std::uint32_t x, BatchRng& rng) {
  if (items.empty()) return false;
  std::size_t t = 0;
  for (const auto& it : items) t = std::max(t, it.commitments.size());
  if (t == 0) return false;
  std::vector<Fr> rho(items.size());
  Fr lhs_scalar = Fr::zero();
  for (std::size_t m = 0; m < items.size(); ++m) {
    rho[m] = rng.next();
    lhs_scalar = lhs_scalar + rho[m] * items[m].share;
  }
  const G1 lhs = G1::generator().mul(lhs_scalar);
  secure_zero(&lhs_scalar, sizeof lhs_scalar);
  // Σ_k x^k M_k with M_k = Σ_m ρ_m C_{m,k}, by Horner from the highest degree.
  std::vector<G1> pts;
  std::vector<Fr> sc;
  pts.reserve(items.size());
  sc.reserve(items.size());
  G1 acc = G1::identity();
  for (std::size_t k = t; k-- > 0;) {
    pts.clear();
    sc.clear();
    for (std::size_t m = 0; m < items.size(); ++m) {
      if (k < items[m].commitments.size()) {
        pts.push_back(items[m].commitments[k]);
        sc.push_back(rho[m]);
      }
    }
    const G1 mk = G1::msm_vartime(pts, sc);
    acc = (k + 1 == t) ? mk : acc.mul_u64_vartime(x).add_vartime(mk);
  }
  return declassify(acc == lhs);
}

bool feldman_check(const FeldmanItem& item, std::uint32_t x) {
  if (item.commitments.empty()) return false;
  const G1 lhs = G1::generator().mul(item.share);
  return declassify(eval_in_exponent(item.commitments, x) == lhs);
}

std::vector<std::size_t> find_bad_feldman(std::span<const FeldmanItem> items, std::uint32_t x, BatchRng& rng) {
  return bisect_bad(
      items.size(),
      [&](std::size_t b, std::size_t e) { return batch_feldman_check(items.subspan(b, e - b), x, rng); },
      [&](std::size_t i) { return feldman_check(items[i], x); });
}

}  // namespace phx::dkg
