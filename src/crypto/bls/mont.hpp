#pragma once
/// Generic Montgomery-form prime field over N 64-bit limbs (internal building block of Fp and Fr).
/// All arithmetic here is constant time in the operand values (no secret-dependent branches or indices);
/// exponentiation by a *public* exponent branches on the exponent's bits only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "base/secret.hpp"
#include "crypto/bls/mont_asm.hpp"

namespace phx::crypto::bls::detail {

using u64 = std::uint64_t;
__extension__ typedef unsigned __int128 u128;
template <std::size_t N>
using Limbs = std::array<u64, N>;

constexpr u64 hex_digit(char c) {
  if (c >= '0' && c <= '9') return static_cast<u64>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<u64>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<u64>(c - 'A' + 10);
  return 0;
}

/// Parses a big-endian hex constant (optional 0x prefix) into little-endian limbs. Compile-time helper.
template <std::size_t N>
constexpr Limbs<N> parse_hex(std::string_view s) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  Limbs<N> r{};
  std::size_t bit = 0;
  for (std::size_t i = s.size(); i-- > 0;) {
    r[bit / 64] |= hex_digit(s[i]) << (bit % 64);
    bit += 4;
  }
  return r;
}

/// r = a + b, returns the carry.
template <std::size_t N>
constexpr u64 add_n(Limbs<N>& r, const Limbs<N>& a, const Limbs<N>& b) {
  u64 c = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const u128 s = static_cast<u128>(a[i]) + b[i] + c;
    r[i] = static_cast<u64>(s);
    c = static_cast<u64>(s >> 64);
  }
  return c;
}

/// r = a - b, returns the borrow (0 or 1).
template <std::size_t N>
constexpr u64 sub_n(Limbs<N>& r, const Limbs<N>& a, const Limbs<N>& b) {
  u64 br = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const u128 d = static_cast<u128>(a[i]) - b[i] - br;
    r[i] = static_cast<u64>(d);
    br = static_cast<u64>(d >> 64) & 1;
  }
  return br;
}

/// a < b as big integers (variable time; for public constants and validated encodings).
template <std::size_t N>
constexpr bool less_than(const Limbs<N>& a, const Limbs<N>& b) {
  for (std::size_t i = N; i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i];
  }
  return false;
}

/// Shift right by k bits (k < 64).
template <std::size_t N>
constexpr Limbs<N> shr(const Limbs<N>& a, unsigned k) {
  Limbs<N> r{};
  for (std::size_t i = 0; i < N; ++i) {
    r[i] = a[i] >> k;
    if (k != 0 && i + 1 < N) r[i] |= a[i + 1] << (64 - k);
  }
  return r;
}

template <std::size_t N>
constexpr Limbs<N> sub_small(const Limbs<N>& a, u64 s) {
  Limbs<N> b{};
  b[0] = s;
  Limbs<N> r{};
  sub_n(r, a, b);
  return r;
}

template <std::size_t N>
constexpr Limbs<N> add_small(const Limbs<N>& a, u64 s) {
  Limbs<N> b{};
  b[0] = s;
  Limbs<N> r{};
  add_n(r, a, b);
  return r;
}

/// Divides by a small divisor (exact or truncating), compile-time helper for exponents like (p-1)/6.
template <std::size_t N>
constexpr Limbs<N> div_small(const Limbs<N>& a, u64 d) {
  Limbs<N> q{};
  u128 rem = 0;
  for (std::size_t i = N; i-- > 0;) {
    const u128 cur = (rem << 64) | a[i];
    q[i] = static_cast<u64>(cur / d);
    rem = cur % d;
  }
  return q;
}

/// Branch-free boolean AND / OR (no short-circuit, so no branch on secret flags).
constexpr bool ct_and(bool a, bool b) { return static_cast<bool>(static_cast<unsigned>(a) & static_cast<unsigned>(b)); }
constexpr bool ct_or(bool a, bool b) { return static_cast<bool>(static_cast<unsigned>(a) | static_cast<unsigned>(b)); }

/// The constants of a Montgomery modulus m (odd, top limb < 2^62 so the "no-carry" CIOS applies).
template <std::size_t N>
struct Modulus {
  Limbs<N> m{};
  u64 inv = 0;     ///< -m^{-1} mod 2^64
  Limbs<N> r1{};   ///< 2^(64N) mod m (Montgomery one)
  Limbs<N> r2{};   ///< 2^(128N) mod m (to enter Montgomery form)
};

template <std::size_t N>
constexpr void dbl_mod(Limbs<N>& x, const Limbs<N>& m) {
  Limbs<N> t{};
  add_n(t, x, x);
  Limbs<N> s{};
  const u64 br = sub_n(s, t, m);
  x = br ? t : s;
}

template <std::size_t N>
constexpr Modulus<N> make_modulus(std::string_view hex) {
  Modulus<N> M{};
  M.m = parse_hex<N>(hex);
  u64 y = 1;
  for (int i = 0; i < 7; ++i) y *= 2 - M.m[0] * y;  // Newton: y = m^{-1} mod 2^64
  M.inv = 0 - y;
  Limbs<N> x{};
  x[0] = 1;
  for (std::size_t i = 0; i < 64 * N; ++i) dbl_mod(x, M.m);
  M.r1 = x;
  for (std::size_t i = 0; i < 64 * N; ++i) dbl_mod(x, M.m);
  M.r2 = x;
  return M;
}

/// Constant-time r = c ? b : a.
template <std::size_t N>
constexpr Limbs<N> select_limbs(const Limbs<N>& a, const Limbs<N>& b, u64 c) {
  const u64 mask = 0 - (c & 1);
  Limbs<N> r{};
  for (std::size_t i = 0; i < N; ++i) r[i] = (a[i] & ~mask) | (b[i] & mask);
  return r;
}

/// Portable Montgomery multiplication: the "no-carry" CIOS variant with unsigned __int128.
template <std::size_t N>
constexpr Limbs<N> mont_mul_portable(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
  Limbs<N> t{};
  for (std::size_t i = 0; i < N; ++i) {
    u128 uv = static_cast<u128>(a[0]) * b[i] + t[0];
    u64 A = static_cast<u64>(uv >> 64);
    const u64 t0 = static_cast<u64>(uv);
    const u64 m = t0 * M.inv;
    u128 c2 = static_cast<u128>(m) * M.m[0] + t0;
    u64 C = static_cast<u64>(c2 >> 64);
    for (std::size_t j = 1; j < N; ++j) {
      uv = static_cast<u128>(a[j]) * b[i] + t[j] + A;
      A = static_cast<u64>(uv >> 64);
      c2 = static_cast<u128>(m) * M.m[j] + static_cast<u64>(uv) + C;
      C = static_cast<u64>(c2 >> 64);
      t[j - 1] = static_cast<u64>(c2);
    }
    t[N - 1] = C + A;
  }
  Limbs<N> s{};
  const u64 br = sub_n(s, t, M.m);
  return select_limbs(s, t, br);
}

/// Montgomery multiplication a·b·R^{-1} mod m, dispatching to the BMI2/ADX kernel for 6 limbs at run time.
template <std::size_t N>
constexpr Limbs<N> mont_mul(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
#if PHX_BLS_HAVE_ADX
  if constexpr (N == 6) {
    if (!std::is_constant_evaluated()) {
      Limbs<6> r;
      mont_mul_6_adx(r.data(), a.data(), b.data(), M.m.data(), M.inv);
      return r;
    }
  }
#endif
  return mont_mul_portable(a, b, M);
}

/// Portable (a + b) mod m for a, b < m (plain C++; the reference for the kernels below). Constant time.
template <std::size_t N>
constexpr Limbs<N> add_mod_portable(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
  Limbs<N> t{};
  add_n(t, a, b);  // no carry: m < 2^(64N-2)
  Limbs<N> s{};
  const u64 br = sub_n(s, t, M.m);
  return select_limbs(s, t, br);
}

/// Portable (a − b) mod m for a, b < m. Constant time.
template <std::size_t N>
constexpr Limbs<N> sub_mod_portable(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
  Limbs<N> t{};
  const u64 br = sub_n(t, a, b);
  Limbs<N> s{};
  add_n(s, t, M.m);
  return select_limbs(t, s, br);
}

/// (a + b) mod m for a, b < m. Constant time.
template <std::size_t N>
constexpr Limbs<N> add_mod(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
#if PHX_BLS_HAVE_ASM_ADDSUB
  if constexpr (N == 6) {
    if (!std::is_constant_evaluated()) {
      Limbs<6> r;
      add_mod_6_asm(r.data(), a.data(), b.data(), M.m.data());
      return r;
    }
  }
#endif
#if defined(__x86_64__)
  if (!std::is_constant_evaluated()) {
    // adc/sbb chains and a mask select (what the __int128 version compiles to poorly).
    Limbs<N> t, s;
    unsigned char c = 0;
    for (std::size_t i = 0; i < N; ++i) {
      unsigned long long o;
      c = _addcarry_u64(c, a[i], b[i], &o);
      t[i] = o;
    }
    unsigned char br = 0;
    for (std::size_t i = 0; i < N; ++i) {
      unsigned long long o;
      br = _subborrow_u64(br, t[i], M.m[i], &o);
      s[i] = o;
    }
    // Scalar cmov select (a plain mask select gets auto-vectorized through the stack, which is slower).
    const u64 b64 = br;
    for (std::size_t i = 0; i < N; ++i) {
      asm("testq %[c], %[c]\n\tcmovnzq %[t], %[s]" : [s] "+r"(s[i]) : [t] "r"(t[i]), [c] "r"(b64) : "cc");
    }
    return s;
  }
#endif
  return add_mod_portable(a, b, M);
}

/// (a - b) mod m for a, b < m. Constant time.
template <std::size_t N>
constexpr Limbs<N> sub_mod(const Limbs<N>& a, const Limbs<N>& b, const Modulus<N>& M) {
#if PHX_BLS_HAVE_ASM_ADDSUB
  if constexpr (N == 6) {
    if (!std::is_constant_evaluated()) {
      Limbs<6> r;
      sub_mod_6_asm(r.data(), a.data(), b.data(), M.m.data());
      return r;
    }
  }
#endif
#if defined(__x86_64__)
  if (!std::is_constant_evaluated()) {
    Limbs<N> t, s;
    unsigned char br = 0;
    for (std::size_t i = 0; i < N; ++i) {
      unsigned long long o;
      br = _subborrow_u64(br, a[i], b[i], &o);
      t[i] = o;
    }
    const u64 mask = 0 - static_cast<u64>(br);
    unsigned char c = 0;
    for (std::size_t i = 0; i < N; ++i) {
      unsigned long long o;
      c = _addcarry_u64(c, t[i], M.m[i] & mask, &o);
      s[i] = o;
    }
    return s;
  }
#endif
  return sub_mod_portable(a, b, M);
}

/// CRTP base of a prime field in Montgomery form. D is the derived class, P provides kN and kModulus.
template <class D, class P>
class Field {
 public:
  static constexpr std::size_t kN = P::kN;
  using L = Limbs<kN>;

  constexpr Field() = default;

  /// Additive identity.
  static constexpr D zero() { return D{}; }
  /// Multiplicative identity.
  static constexpr D one() { return from_mont(P::kModulus.r1); }
  /// Wraps limbs already in Montgomery form.
  static constexpr D from_mont(const L& v) {
    D r;
    r.v_ = v;
    return r;
  }
  /// Enters Montgomery form. Precondition: c < m.
  static constexpr D from_canonical(const L& c) { return from_mont(mont_mul(c, P::kModulus.r2, P::kModulus)); }
  /// Small integer (< m).
  static constexpr D from_u64(u64 x) {
    L c{};
    c[0] = x;
    return from_canonical(c);
  }
  /// Compile-time constant from hex. Precondition: value < m.
  static constexpr D from_hex(std::string_view s) { return from_canonical(parse_hex<kN>(s)); }
  /// The canonical integer in [0, m).
  constexpr L to_canonical() const {
    L one_raw{};
    one_raw[0] = 1;
    return mont_mul(v_, one_raw, P::kModulus);
  }
  /// Montgomery limbs (for tests and serialization helpers).
  constexpr const L& mont() const { return v_; }

  /// Parses exactly 8·kN big-endian bytes; nullopt if the value is ≥ m. Constant time except for the final
  /// branch on validity.
  static std::optional<D> from_be_bytes(const std::uint8_t* p) {
    L c{};
    for (std::size_t i = 0; i < kN; ++i) {
      u64 w = 0;
      for (std::size_t k = 0; k < 8; ++k) w = (w << 8) | p[(kN - 1 - i) * 8 + k];
      c[i] = w;
    }
    L diff{};
    u64 in_range = sub_n(diff, c, P::kModulus.m);  // borrow ⇔ c < m; constant time
    const D v = from_canonical(c);
    ::phx::declassify(&in_range, sizeof in_range);  // the validity verdict is public by design
    if (in_range == 0) return std::nullopt;  // the only branch: on the (public) validity outcome
    return v;
  }
  /// Writes the canonical value as 8·kN big-endian bytes.
  void to_be_bytes(std::uint8_t* p) const {
    const L c = to_canonical();
    for (std::size_t i = 0; i < kN; ++i) {
      for (std::size_t k = 0; k < 8; ++k) p[(kN - 1 - i) * 8 + k] = static_cast<std::uint8_t>(c[i] >> (56 - 8 * k));
    }
  }

  friend constexpr D operator+(const D& a, const D& b) { return from_mont(add_mod(a.v_, b.v_, P::kModulus)); }
  friend constexpr D operator-(const D& a, const D& b) { return from_mont(sub_mod(a.v_, b.v_, P::kModulus)); }
  friend constexpr D operator*(const D& a, const D& b) { return from_mont(mont_mul(a.v_, b.v_, P::kModulus)); }
  /// a + b without the final reduction (result < 2m): valid only as an operand of operator* (the CIOS
  /// kernels accept inputs < 2m because 4m < 2^(64N)).
  static constexpr D add_unreduced(const D& a, const D& b) {
    D r;
    add_n(r.v_, a.v_, b.v_);
    return r;
  }
  constexpr D& operator+=(const D& b) { return self() = self() + b; }
  constexpr D& operator-=(const D& b) { return self() = self() - b; }
  constexpr D& operator*=(const D& b) { return self() = self() * b; }
  /// -a (0 stays 0). Constant time.
  constexpr D neg() const { return zero() - self(); }
  /// a².
  constexpr D sqr() const { return self() * self(); }
  /// 2a.
  constexpr D dbl() const { return self() + self(); }
  /// a/2 = (a + (a odd ? m : 0)) >> 1 (Montgomery form commutes with halving). Constant time.
  constexpr D half() const {
    const u64 mask = 0 - (v_[0] & 1);
    L mm{};
    for (std::size_t i = 0; i < kN; ++i) mm[i] = P::kModulus.m[i] & mask;
    L t{};
    add_n(t, v_, mm);  // < 2m < 2^(64N): no carry out
    return from_mont(shr(t, 1));
  }

  /// Constant-time zero test.
  constexpr bool is_zero() const {
    u64 acc = 0;
    for (auto w : v_) acc |= w;
    return acc == 0;
  }
  /// Constant-time equality.
  friend constexpr bool operator==(const D& a, const D& b) {
    u64 acc = 0;
    for (std::size_t i = 0; i < kN; ++i) acc |= a.v_[i] ^ b.v_[i];
    return acc == 0;
  }
  /// Constant-time c ? b : a.
  static constexpr D select(const D& a, const D& b, bool c) {
    return from_mont(select_limbs(a.v_, b.v_, static_cast<u64>(c)));
  }

  /// a^e for a public exponent e (sliding window of width 5 over odd powers; the sequence of squarings and
  /// multiplications depends on e only, never on a).
  constexpr D pow_vartime_exp(const L& e) const {
    D in[1] = {self()}, out[1];
    pow_lanes(in, e, out);
    return out[0];
  }
  /// out[l] = a[l]^e for K independent bases with one public exponent, computed in lockstep so that the K
  /// multiplication chains overlap in the CPU (an exponentiation alone is latency-bound). Constant time in a.
  template <std::size_t K>
  static constexpr void pow_lanes(const D (&a)[K], const L& e, D (&out)[K]) {
    D odd[K][16];  // a, a^3, …, a^31 per lane
    for (std::size_t l = 0; l < K; ++l) odd[l][0] = a[l];
    D a2[K];
    for (std::size_t l = 0; l < K; ++l) a2[l] = a[l].sqr();
    for (int i = 1; i < 16; ++i) {
      for (std::size_t l = 0; l < K; ++l) odd[l][i] = odd[l][i - 1] * a2[l];
    }
    auto bit = [&](int i) { return static_cast<unsigned>((e[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1); };
    int i = static_cast<int>(kN * 64) - 1;
    while (i >= 0 && bit(i) == 0) --i;
    D acc[K];
    for (std::size_t l = 0; l < K; ++l) acc[l] = one();
    bool started = false;
    while (i >= 0) {
      if (bit(i) == 0) {
        for (std::size_t l = 0; l < K; ++l) acc[l] = acc[l].sqr();
        --i;
        continue;
      }
      int j = i - 4 < 0 ? 0 : i - 4;  // window [j, i], shrunk so that it ends in a 1 bit
      while (bit(j) == 0) ++j;
      unsigned w = 0;
      for (int k = i; k >= j; --k) {
        if (started) {
          for (std::size_t l = 0; l < K; ++l) acc[l] = acc[l].sqr();
        }
        w = (w << 1) | bit(k);
      }
      for (std::size_t l = 0; l < K; ++l) acc[l] = started ? acc[l] * odd[l][w >> 1] : odd[l][w >> 1];
      started = true;
      i = j - 1;
    }
    for (std::size_t l = 0; l < K; ++l) out[l] = acc[l];
  }
  /// a^{-1} by Fermat's little theorem (a^{m-2}); constant time; the inverse of 0 is 0.
  constexpr D inverse() const { return pow_vartime_exp(sub_small(P::kModulus.m, 2)); }

 protected:
  constexpr D& self() { return static_cast<D&>(*this); }
  constexpr const D& self() const { return static_cast<const D&>(*this); }
  L v_{};
};

}  // namespace phx::crypto::bls::detail
