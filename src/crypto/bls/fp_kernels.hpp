#pragma once
/// Fp's modulus and its double-width kernels for lazy reduction: 384×384 → 768-bit products and squares,
/// Montgomery reduction of a 768-bit value, and 768-bit addition/subtraction modulo p·2^384. Each kernel has a
/// portable C++ version (__int128) and, when the target has BMI2/ADX, the assembly one from wide_asm.hpp.
/// All of it is constant time (no branches or memory indices that depend on the values).
#include <cstdint>
#include <type_traits>

#include "crypto/bls/mont.hpp"
#include "crypto/bls/wide_asm.hpp"

namespace phx::crypto::bls::detail {

struct FpParams {
  static constexpr std::size_t kN = 6;
  static constexpr Modulus<6> kModulus = make_modulus<6>(
      "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab");
};

/// A 768-bit unsigned integer (12 little-endian limbs).
using Limbs12 = Limbs<12>;

/// Portable a·b (schoolbook, 768-bit result).
constexpr Limbs12 mul_384_portable(const Limbs<6>& a, const Limbs<6>& b) {
  Limbs12 r{};
  for (std::size_t i = 0; i < 6; ++i) {
    u64 carry = 0;
    for (std::size_t j = 0; j < 6; ++j) {
      const u128 s = static_cast<u128>(a[j]) * b[i] + r[i + j] + carry;
      r[i + j] = static_cast<u64>(s);
      carry = static_cast<u64>(s >> 64);
    }
    r[i + 6] = carry;
  }
  return r;
}

/// Portable Montgomery reduction t·2^-384 mod p for t < p·2^384 (result fully reduced).
constexpr Limbs<6> redc_384_portable(const Limbs12& t) {
  const auto& M = FpParams::kModulus;
  u64 w[13]{};
  for (std::size_t i = 0; i < 12; ++i) w[i] = t[i];
  for (std::size_t i = 0; i < 6; ++i) {
    const u64 m = w[i] * M.inv;
    u64 carry = 0;
    for (std::size_t j = 0; j < 6; ++j) {
      const u128 s = static_cast<u128>(m) * M.m[j] + w[i + j] + carry;
      w[i + j] = static_cast<u64>(s);
      carry = static_cast<u64>(s >> 64);
    }
    for (std::size_t k = i + 6; k < 13; ++k) {  // fixed trip count: carry propagation without branches
      const u128 s = static_cast<u128>(w[k]) + carry;
      w[k] = static_cast<u64>(s);
      carry = static_cast<u64>(s >> 64);
    }
  }
  Limbs<6> r{};
  for (std::size_t i = 0; i < 6; ++i) r[i] = w[i + 6];  // < 2p, and w[12] = 0
  Limbs<6> s{};
  const u64 br = sub_n(s, r, M.m);
  return select_limbs(s, r, br);
}

/// a·b as a 768-bit integer; a, b < 2^384 (callers pass values < 2p).
inline Limbs12 mul_384(const Limbs<6>& a, const Limbs<6>& b) {
#if PHX_BLS_HAVE_ADX
  Limbs12 r;
  mul_384_adx(r.data(), a.data(), b.data());
  return r;
#else
  return mul_384_portable(a, b);
#endif
}

/// a² as a 768-bit integer.
inline Limbs12 sqr_384(const Limbs<6>& a) {
#if PHX_BLS_HAVE_ADX
  Limbs12 r;
  sqr_384_adx(r.data(), a.data());
  return r;
#else
  return mul_384_portable(a, a);
#endif
}

/// t·2^-384 mod p, fully reduced, for t < p·2^384.
inline Limbs<6> redc_384(const Limbs12& t) {
#if PHX_BLS_HAVE_ADX
  Limbs<6> r;
  redc_384_adx(r.data(), t.data(), FpParams::kModulus.m.data(), FpParams::kModulus.inv);
  return r;
#else
  return redc_384_portable(t);
#endif
}

/// Portable (a + b) mod p·2^384 for a, b < p·2^384 (the sum's high half is reduced mod p).
constexpr Limbs12 wide_add_mod_portable(const Limbs12& a, const Limbs12& b) {
  Limbs12 r{};
  add_n(r, a, b);  // < 2p·2^384 < 2^768: no carry out
  Limbs<6> hi{}, s{};
  for (std::size_t i = 0; i < 6; ++i) hi[i] = r[6 + i];
  const u64 br = sub_n(s, hi, FpParams::kModulus.m);
  hi = select_limbs(s, hi, br);
  for (std::size_t i = 0; i < 6; ++i) r[6 + i] = hi[i];
  return r;
}

/// Portable (a − b) mod p·2^384 for a, b < p·2^384 (p·2^384 added back on a borrow).
constexpr Limbs12 wide_sub_mod_portable(const Limbs12& a, const Limbs12& b) {
  Limbs12 r{};
  const u64 br = sub_n(r, a, b);
  Limbs<6> hi{}, s{};
  for (std::size_t i = 0; i < 6; ++i) hi[i] = r[6 + i];
  add_n(s, hi, FpParams::kModulus.m);
  hi = select_limbs(hi, s, br);
  for (std::size_t i = 0; i < 6; ++i) r[6 + i] = hi[i];
  return r;
}

/// (a + b) mod p·2^384 for a, b < p·2^384.
inline Limbs12 wide_add_mod(const Limbs12& a, const Limbs12& b) {
#if PHX_BLS_HAVE_ASM_ADDSUB
  Limbs12 r;
  const u64 c = add_6_carry_asm(r.data(), a.data(), b.data());
  add_mod_6_cin_asm(r.data() + 6, a.data() + 6, b.data() + 6, FpParams::kModulus.m.data(), c);
  return r;
#else
  return wide_add_mod_portable(a, b);
#endif
}

/// (a − b) mod p·2^384 for a, b < p·2^384.
inline Limbs12 wide_sub_mod(const Limbs12& a, const Limbs12& b) {
#if PHX_BLS_HAVE_ASM_ADDSUB
  Limbs12 r;
  const u64 br = sub_6_borrow_asm(r.data(), a.data(), b.data());
  sub_mod_6_bin_asm(r.data() + 6, a.data() + 6, b.data() + 6, FpParams::kModulus.m.data(), br);
  return r;
#else
  return wide_sub_mod_portable(a, b);
#endif
}

/// a − b as plain 768-bit integers; precondition a ≥ b (the caller's bounds guarantee it).
inline Limbs12 wide_sub_exact(const Limbs12& a, const Limbs12& b) {
  Limbs12 r;
#if PHX_BLS_HAVE_ASM_ADDSUB
  const u64 br = sub_6_borrow_asm(r.data(), a.data(), b.data());
  sub_6_bin_asm(r.data() + 6, a.data() + 6, b.data() + 6, br);
#else
  sub_n(r, a, b);
#endif
  return r;
}

}  // namespace phx::crypto::bls::detail
