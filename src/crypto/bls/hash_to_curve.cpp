// RFC 9380: expand_message_xmd (§5.3.1), hash_to_field (§5.2), simplified SWU for AB ≠ 0 (§6.6.2) on the
// 3-isogenous curve E2', the 3-isogeny map (Appendix E.3) and clear_cofactor (§8.8.2 / Appendix G.3).
#include "crypto/bls/hash_to_curve.hpp"

#include "base/assert.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::crypto::bls {

void expand_message_xmd(ByteSpan msg, std::string_view dst_in, MutByteSpan out) {
  const std::size_t len = out.size();
  const std::size_t ell = (len + 31) / 32;
  PHX_ASSERT(ell <= 255 && len <= 65535);
  hash::Digest long_dst{};
  ByteSpan dst = as_bytes(dst_in);
  if (dst.size() > 255) {
    hash::Sha256 h;
    h.update(as_bytes("H2C-OVERSIZE-DST-")).update(dst);
    long_dst = h.finish();
    dst = long_dst;
  }
  const std::uint8_t dst_len = static_cast<std::uint8_t>(dst.size());
  static constexpr std::uint8_t kZPad[64] = {};
  const std::uint8_t lib[3] = {static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), 0};
  hash::Sha256 h;
  h.update(kZPad).update(msg).update(lib).update(dst).update(ByteSpan(&dst_len, 1));
  const hash::Digest b0 = h.finish();
  hash::Digest bi{};
  for (std::size_t i = 1; i <= ell; ++i) {
    h.reset();
    hash::Digest in{};
    for (std::size_t k = 0; k < 32; ++k) in[k] = (i == 1) ? b0[k] : static_cast<std::uint8_t>(b0[k] ^ bi[k]);
    const std::uint8_t idx = static_cast<std::uint8_t>(i);
    h.update(in).update(ByteSpan(&idx, 1)).update(dst).update(ByteSpan(&dst_len, 1));
    bi = h.finish();
    const std::size_t off = (i - 1) * 32;
    for (std::size_t k = 0; k < 32 && off + k < len; ++k) out[off + k] = bi[k];
  }
}

namespace {

// 2^256 mod p, to reduce 64-byte strings as hi·2^256 + lo.
constexpr Fp kTwo256 = Fp::from_canonical(detail::Limbs<6>{0, 0, 0, 0, 1, 0});

Fp fp_from_64_bytes(const std::uint8_t* b) {
  detail::Limbs<6> hi{}, lo{};
  for (std::size_t i = 0; i < 4; ++i) {
    hi[3 - i] = get_be64(b + 8 * i);
    lo[3 - i] = get_be64(b + 32 + 8 * i);
  }
  return Fp::from_canonical(hi) * kTwo256 + Fp::from_canonical(lo);
}

constexpr Fp2 fp2_hex(std::string_view c0, std::string_view c1) { return {Fp::from_hex(c0), Fp::from_hex(c1)}; }

// E2': y² = x³ + A'x + B', A' = 240u, B' = 1012(1 + u); Z = −(2 + u).
constexpr Fp2 kA{Fp::zero(), Fp::from_u64(240)};
constexpr Fp2 kB{Fp::from_u64(1012), Fp::from_u64(1012)};
constexpr Fp2 kZ{Fp::from_u64(2).neg(), Fp::one().neg()};

// 3-isogeny map coefficients (RFC 9380 Appendix E.3).
constexpr Fp2 kXNum[4] = {
    fp2_hex("5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6",
            "5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97d6"),
    fp2_hex("0", "11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71a"),
    fp2_hex("11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71e",
            "8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38d"),
    fp2_hex("171d6541fa38ccfaed6dea691f5fb614cb14b4e7f4e810aa22d6108f142b85757098e38d0f671c7188e2aaaaaaaa5ed1", "0"),
};
constexpr Fp2 kXDen[2] = {
    fp2_hex("0", "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa63"),
    fp2_hex("c", "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa9f"),
};
constexpr Fp2 kYNum[4] = {
    fp2_hex("1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706",
            "1530477c7ab4113b59a4c18b076d11930f7da5d4a07f649bf54439d87d27e500fc8c25ebf8c92f6812cfc71c71c6d706"),
    fp2_hex("0", "5c759507e8e333ebb5b7a9a47d7ed8532c52d39fd3a042a88b58423c50ae15d5c2638e343d9c71c6238aaaaaaaa97be"),
    fp2_hex("11560bf17baa99bc32126fced787c88f984f87adf7ae0c7f9a208c6b4f20a4181472aaa9cb8d555526a9ffffffffc71c",
            "8ab05f8bdd54cde190937e76bc3e447cc27c3d6fbd7063fcd104635a790520c0a395554e5c6aaaa9354ffffffffe38f"),
    fp2_hex("124c9ad43b6cf79bfbf7043de3811ad0761b0f37a1e26286b0e977c69aa274524e79097a56dc4bd9e1b371c71c718b10", "0"),
};
constexpr Fp2 kYDen[3] = {
    fp2_hex("1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb",
            "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa8fb"),
    fp2_hex("0", "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffa9d3"),
    fp2_hex("12", "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaa99"),
};

struct SswuConsts {
  Fp2 minus_b_over_a;
  Fp2 b_over_za;
  Fp five_c;  // 5·√−5
};

const SswuConsts& sswu_consts() {
  static const SswuConsts kC = [] {
    SswuConsts c{};
    c.minus_b_over_a = kB.neg() * kA.inverse();
    c.b_over_za = kB * (kZ * kA).inverse();
    Fp root;
    const bool ok = Fp::from_u64(5).neg().sqrt(root);
    PHX_ASSERT(ok);
    c.five_c = Fp::from_u64(5) * root;
    return c;
  }();
  return kC;
}

}  // namespace

void hash_to_field_fp2(ByteSpan msg, std::string_view dst, Fp2 out[2]) {
  std::uint8_t buf[256];
  expand_message_xmd(msg, dst, MutByteSpan(buf, sizeof(buf)));
  for (std::size_t i = 0; i < 2; ++i) {
    out[i].c0 = fp_from_64_bytes(buf + 128 * i);
    out[i].c1 = fp_from_64_bytes(buf + 128 * i + 64);
  }
}

namespace {

// Z·u² and the SSWU denominator Z²u⁴ + Z·u².
inline void sswu_den(const Fp2& u, Fp2& zu2, Fp2& den) {
  zu2 = kZ * u.sqr();
  den = zu2.sqr() + zu2;
}

// map_to_curve of K field elements in lockstep (their exponentiations overlap in the CPU), with tv1 = inv0(den)
// supplied by the caller (so the maps share one inversion).
template <std::size_t K>
void map_to_curve_g2_lanes(const Fp2 (&u)[K], const Fp2 (&zu2)[K], const Fp2 (&tv1)[K], G2 (&out)[K]) {
  const auto& sc = sswu_consts();
  // Simplified SWU (RFC 9380 §6.6.2), straight-line with constant-time selections.
  Fp2 x1[K], gx1[K], x2[K], gx2[K];
  Fp n1[K], s1[K];
  for (std::size_t l = 0; l < K; ++l) {
    x1[l] = sc.minus_b_over_a * (Fp2::one() + tv1[l]);
    x1[l] = Fp2::select(x1[l], sc.b_over_za, tv1[l].is_zero());
    gx1[l] = (x1[l].sqr() + kA) * x1[l] + kB;
    x2[l] = zu2[l] * x1[l];
    gx2[l] = (x2[l].sqr() + kA) * x2[l] + kB;
    n1[l] = gx1[l].norm();
  }
  // One exponentiation decides squareness and yields the norm root for either branch: s = N(gx1)^((p+1)/4)
  // squares to ±N(gx1). gx2 = Z³u⁶·gx1 and N(Z) = 5 is a non-square with −5 = c², so when gx1 is not a
  // square √N(gx2) = 5·N(u)³·c·s.
  Fp::sqrt_candidate_lanes(n1, s1);
  Fp2 x[K], gx[K], y[K];
  Fp s[K];
  for (std::size_t l = 0; l < K; ++l) {
    const bool e1 = s1[l].sqr() == n1[l];
    const Fp nu = u[l].norm();
    const Fp s2 = sc.five_c * nu.sqr() * nu * s1[l];
    x[l] = Fp2::select(x2[l], x1[l], e1);
    gx[l] = Fp2::select(gx2[l], gx1[l], e1);
    s[l] = Fp::select(s2, s1[l], e1);
  }
  bool ok[K];
  Fp2::sqrt_with_norm_root_lanes(gx, s, y, ok);  // gx is a square by construction of the map
  for (std::size_t l = 0; l < K; ++l) {
    const Fp2 yl = Fp2::select(y[l], y[l].neg(), u[l].sgn0() != y[l].sgn0());
    // 3-isogeny E2' → E2, output in Jacobian coordinates to avoid inversions:
    // Z = xd·yd, X = xn·yd·Z, Y = y·yn·xd·Z².
    const Fp2& xl = x[l];
    const Fp2 x_2 = xl.sqr();
    const Fp2 x_3 = x_2 * xl;
    const Fp2 xn = kXNum[3] * x_3 + kXNum[2] * x_2 + kXNum[1] * xl + kXNum[0];
    const Fp2 xd = x_2 + kXDen[1] * xl + kXDen[0];
    const Fp2 yn = kYNum[3] * x_3 + kYNum[2] * x_2 + kYNum[1] * xl + kYNum[0];
    const Fp2 yd = x_3 + kYDen[2] * x_2 + kYDen[1] * xl + kYDen[0];
    const Fp2 z = xd * yd;
    out[l] = G2(xn * yd * z, yl * yn * xd * z.sqr(), z);
  }
}

}  // namespace

G2 map_to_curve_g2(const Fp2& u) {
  Fp2 zu2[1], den;
  sswu_den(u, zu2[0], den);
  const Fp2 us[1] = {u}, tv1[1] = {den.inverse()};
  G2 out[1];
  map_to_curve_g2_lanes(us, zu2, tv1, out);
  return out[0];
}

G2 hash_to_g2(ByteSpan msg, std::string_view dst) {
  Fp2 u[2];
  hash_to_field_fp2(msg, dst, u);
  // Montgomery's trick: one inversion for both SSWU denominators, constant time (a zero denominator is
  // replaced by 1 in the product and its inv0 result forced to 0).
  Fp2 zu2[2], den[2];
  sswu_den(u[0], zu2[0], den[0]);
  sswu_den(u[1], zu2[1], den[1]);
  const bool z0 = den[0].is_zero(), z1 = den[1].is_zero();
  const Fp2 d0 = Fp2::select(den[0], Fp2::one(), z0);
  const Fp2 d1 = Fp2::select(den[1], Fp2::one(), z1);
  const Fp2 inv01 = (d0 * d1).inverse();
  const Fp2 tv1[2] = {Fp2::select(inv01 * d1, Fp2::zero(), z0), Fp2::select(inv01 * d0, Fp2::zero(), z1)};
  const Fp2 us[2] = {u[0], u[1]};
  G2 q[2];
  map_to_curve_g2_lanes(us, zu2, tv1, q);
  return (q[0] + q[1]).clear_cofactor();
}

}  // namespace phx::crypto::bls
