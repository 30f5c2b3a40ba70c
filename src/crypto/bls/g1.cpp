// G1 group law, scalar multiplication, subgroup check and ZCash serialization.
#include "crypto/bls/g1.hpp"

#include <array>
#include <vector>

#include "base/assert.hpp"
#include "crypto/bls/ct_mul.hpp"
#include "crypto/bls/curve_impl.hpp"
#include "crypto/bls/encoding.hpp"

namespace phx::crypto::bls {

namespace {
using detail::Jac;

constexpr Fp kB1 = Fp::from_u64(4);

Jac<Fp> J(const G1& p) { return {p.x(), p.y(), p.z()}; }
G1 W(const Jac<Fp>& j) { return G1(j.x, j.y, j.z); }

// β: the primitive cube root of unity in Fp with φ(x, y) = (βx, y) acting as [−x²] on G1.
const Fp& beta() {
  static const Fp kBeta = [] {
    Fp s;
    const bool ok = Fp::from_u64(3).neg().sqrt(s);  // √−3 exists because p ≡ 1 (mod 3)
    PHX_ASSERT(ok);
    const Fp half = Fp::from_u64(2).inverse();
    const Fp b = (s - Fp::one()) * half;  // (−1 + √−3)/2
    const G1 g = G1::generator();
    const G1 phi(g.x() * b, g.y(), g.z());
    if (phi == g.mul_by_x().mul_by_x().neg()) return b;
    return b.sqr();
  }();
  return kBeta;
}
}  // namespace

G1 G1::generator() {
  static constexpr Fp kGx = Fp::from_hex(
      "17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb");
  static constexpr Fp kGy = Fp::from_hex(
      "08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1");
  return G1(kGx, kGy, Fp::one());
}

G1 G1::operator+(const G1& o) const { return W(detail::jac_add_ct(J(*this), J(o))); }
G1 G1::add_vartime(const G1& o) const { return W(detail::jac_add_vartime(J(*this), J(o))); }
G1 G1::dbl() const { return W(detail::jac_dbl(J(*this))); }
G1 G1::neg() const { return G1(x_, y_.neg(), z_); }
G1 G1::mul(const Fr& k) const {
  // GLV with φ: k = e0 + e1·x² where e0 = d0 + d1·|x|, e1 = d2 + d3·|x| (base-|x| digits), and on G1
  // [x²]P = −φ(P). Two 128-bit scalars share 128 doublings.
  detail::Limbs<4> n = k.to_limbs();
  std::uint64_t d[4];
  for (auto& di : d) di = detail::div_abs_x_ct(n);
  constexpr std::uint64_t kAbsX = 0xd201000000010000ULL;
  std::array<std::array<std::uint64_t, 2>, 2> ks{};
  for (std::size_t j = 0; j < 2; ++j) {
    const detail::u128 e = static_cast<detail::u128>(d[2 * j + 1]) * kAbsX + d[2 * j];
    ks[j] = {static_cast<std::uint64_t>(e), static_cast<std::uint64_t>(e >> 64)};
  }
  std::array<detail::Table16<Fp>, 2> tables;
  tables[0] = detail::proj_table16(detail::proj_from_jac(J(*this)));
  const Fp& b = beta();
  for (std::size_t j = 0; j < 16; ++j) tables[1][j] = {tables[0][j].x * b, tables[0][j].y.neg(), tables[0][j].z};
  return W(detail::proj_multi_mul_ct<Fp, 2, 2>(tables, ks));
}
namespace {
// GLV decomposition k = e0 + e1·x² (e0, e1 < 2^128) and the bases P, −φ(P), for public scalars.
void glv_split(const G1& p, const Fr& k, std::array<std::uint64_t, 2>* digits, detail::OddTable<Fp>* tables) {
  detail::Limbs<4> n = k.to_limbs();
  std::uint64_t d[4];
  for (auto& di : d) di = detail::div_abs_x_ct(n);
  for (std::size_t j = 0; j < 2; ++j) {
    const detail::u128 e = static_cast<detail::u128>(d[2 * j + 1]) * 0xd201000000010000ULL + d[2 * j];
    digits[j] = {static_cast<std::uint64_t>(e), static_cast<std::uint64_t>(e >> 64)};
  }
  tables[0] = detail::jac_odd_table(J(p));
  const Fp& b = beta();
  for (std::size_t j = 0; j < 8; ++j) tables[1][j] = {tables[0][j].x * b, tables[0][j].y.neg(), tables[0][j].z};
}
}  // namespace

G1 G1::mul_vartime(const Fr& k) const {
  std::array<std::array<std::uint64_t, 2>, 2> digits;
  std::array<detail::OddTable<Fp>, 2> tables;
  glv_split(*this, k, digits.data(), tables.data());
  return W(detail::jac_straus_vartime<Fp, 2>(tables, digits));
}
G1 G1::mul_u64_vartime(std::uint64_t k) const {
  return W(detail::jac_mul_vartime(J(*this), detail::Limbs<4>{k, 0, 0, 0}));
}
G1 G1::mul_by_x() const { return W(detail::jac_mul_abs_x_vartime(J(*this))).neg(); }

G1 G1::msm_vartime(std::span<const G1> points, std::span<const Fr> scalars) {
  PHX_ASSERT(points.size() == scalars.size());
  const std::size_t n = points.size();
  if (n <= 256) {  // Straus over 2n 128-bit scalars beats Pippenger over n 255-bit ones at these sizes
    std::vector<std::array<std::uint64_t, 2>> digits(2 * n);
    std::vector<detail::OddTable<Fp>> tables(2 * n);
    for (std::size_t i = 0; i < n; ++i) glv_split(points[i], scalars[i], &digits[2 * i], &tables[2 * i]);
    return W(detail::jac_straus_vartime<Fp, 2>(tables, digits));
  }
  std::vector<Jac<Fp>> pts(n);
  for (std::size_t i = 0; i < n; ++i) pts[i] = J(points[i]);
  return W(detail::jac_msm_vartime<Fp>(pts, scalars));
}

bool operator==(const G1& a, const G1& b) { return detail::jac_eq(J(a), J(b)); }

bool G1::on_curve() const {
  if (is_identity()) return true;
  // Y² = X³ + b·Z⁶
  const Fp z2 = z_.sqr();
  const Fp z6 = z2.sqr() * z2;
  return y_.sqr() == x_.sqr() * x_ + kB1 * z6;
}

bool G1::in_subgroup() const {
  if (is_identity()) return true;
  const G1 phi(x_ * beta(), y_, z_);
  return phi == mul_by_x().mul_by_x().neg();
}

void G1::to_affine(Fp& x, Fp& y) const {
  const Fp zi = z_.inverse();
  const Fp zi2 = zi.sqr();
  x = x_ * zi2;
  y = y_ * zi2 * zi;
}

ByteArray<48> G1::to_compressed() const {
  ByteArray<48> out{};
  if (is_identity()) {
    out[0] = 0xc0;
    return out;
  }
  Fp x, y;
  to_affine(x, y);
  x.to_be_bytes(out.data());
  out[0] |= 0x80;
  if (y.lexicographically_largest_vartime()) out[0] |= 0x20;
  return out;
}

ByteArray<96> G1::to_uncompressed() const {
  ByteArray<96> out{};
  if (is_identity()) {
    out[0] = 0x40;
    return out;
  }
  Fp x, y;
  to_affine(x, y);
  x.to_be_bytes(out.data());
  y.to_be_bytes(out.data() + 48);
  return out;
}

Result<G1> G1::from_compressed(ByteSpan b) {
  auto flags = detail::check_point_flags(b, 48, /*compressed=*/true);
  if (!flags) return std::unexpected(flags.error());
  if (!*flags) return G1::identity();
  const bool s_flag = **flags;
  const ByteArray<48> buf = detail::first_coordinate(b);
  const auto x = Fp::from_be_bytes(buf.data());
  if (!x) return fail(BlsError::kXNotInField);
  Fp y;
  if (!(x->sqr() * *x + kB1).sqrt(y)) return fail(BlsError::kNotOnCurve);
  if (y.lexicographically_largest_vartime() != s_flag) y = y.neg();
  const G1 p(*x, y, Fp::one());
  if (!p.in_subgroup()) return fail(BlsError::kNotInSubgroup);
  return p;
}

Result<G1> G1::from_uncompressed(ByteSpan b) {
  auto flags = detail::check_point_flags(b, 96, /*compressed=*/false);
  if (!flags) return std::unexpected(flags.error());
  if (!*flags) return G1::identity();
  const ByteArray<48> buf = detail::first_coordinate(b);
  const auto x = Fp::from_be_bytes(buf.data());
  const auto y = Fp::from_be_bytes(b.data() + 48);
  if (!x || !y) return fail(BlsError::kXNotInField);
  const G1 p(*x, *y, Fp::one());
  if (!p.on_curve()) return fail(BlsError::kNotOnCurve);
  if (!p.in_subgroup()) return fail(BlsError::kNotInSubgroup);
  return p;
}

}  // namespace phx::crypto::bls
