// G2 group law, scalar multiplication, subgroup check and ZCash serialization.
#include "crypto/bls/g2.hpp"

#include <array>
#include <optional>
#include <vector>

#include "base/assert.hpp"
#include "crypto/bls/ct_mul.hpp"
#include "crypto/bls/curve_impl.hpp"
#include "crypto/bls/encoding.hpp"
#include "crypto/bls/tower_consts.hpp"

namespace phx::crypto::bls {

namespace {
using detail::Jac;

constexpr Fp2 kB2{Fp::from_u64(4), Fp::from_u64(4)};

Jac<Fp2> J(const G2& p) { return {p.x(), p.y(), p.z()}; }
G2 W(const Jac<Fp2>& j) { return G2(j.x, j.y, j.z); }

}  // namespace

G2 G2::generator() {
  static constexpr Fp2 kGx{
      Fp::from_hex("024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbefd48056c8c121bdb8"),
      Fp::from_hex("13e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d055d042b7e")};
  static constexpr Fp2 kGy{
      Fp::from_hex("0ce5d527727d6e118cc9cdc6da2e351aadfd9baa8cbdd3a76d429a695160d12c923ac9cc3baca289e193548608b82801"),
      Fp::from_hex("0606c4a02ea734cc32acd2b02bc28b99cb3e287e85a763af267492ab572e99ab3f370d275cec1da1aaa9075ff05f79be")};
  return G2(kGx, kGy, Fp2::one());
}

G2 G2::operator+(const G2& o) const { return W(detail::jac_add_ct(J(*this), J(o))); }
G2 G2::add_vartime(const G2& o) const { return W(detail::jac_add_vartime(J(*this), J(o))); }
G2 G2::dbl() const { return W(detail::jac_dbl(J(*this))); }
G2 G2::neg() const { return G2(x_, y_.neg(), z_); }
G2 G2::mul(const Fr& k) const {
  // GLS with ψ: k = d0 + d1·|x| + d2·|x|² + d3·|x|³ (digits < |x| since k < r < |x|⁴), and on G2
  // [|x|]P = −ψ(P). Four 64-bit scalars share 64 doublings.
  detail::Limbs<4> n = k.to_limbs();
  std::array<std::array<std::uint64_t, 1>, 4> ks{};
  for (auto& d : ks) d[0] = detail::div_abs_x_ct(n);
  // Table for P, then each next table is −ψ of the previous one (ψ is a group endomorphism; on projective
  // coordinates ψ(X : Y : Z) = (conj(X)·c_x : conj(Y)·c_y : conj(Z)) as well).
  const auto& c = detail::tower_consts();
  std::array<detail::Table16<Fp2>, 4> tables;
  tables[0] = detail::proj_table16(detail::proj_from_jac(J(*this)));
  for (std::size_t j = 0; j < 16; ++j) {
    const auto& t = tables[0][j];
    tables[1][j] = {t.x.conj() * c.psi_x, (t.y.conj() * c.psi_y).neg(), t.z.conj()};
    // (−ψ)² = ψ² acts on coordinates by Fp scalars.
    tables[2][j] = {t.x.mul_fp(c.psi2_x), t.y.mul_fp(c.psi2_y), t.z};
    const auto& u = tables[1][j];
    tables[3][j] = {u.x.mul_fp(c.psi2_x), u.y.mul_fp(c.psi2_y), u.z};
  }
  return W(detail::proj_multi_mul_ct<Fp2, 4, 1>(tables, ks));
}
namespace {
// GLS decomposition k = Σ d_i·|x|^i and the four bases (−ψ)^i(P), for public scalars.
void gls_split(const G2& p, const Fr& k, std::array<std::uint64_t, 1>* digits, detail::OddTable<Fp2>* tables) {
  detail::Limbs<4> n = k.to_limbs();
  for (std::size_t i = 0; i < 4; ++i) digits[i][0] = detail::div_abs_x_ct(n);
  const auto& c = detail::tower_consts();
  tables[0] = detail::jac_odd_table(J(p));
  for (std::size_t i = 1; i < 4; ++i) {
    for (std::size_t j = 0; j < 8; ++j) {
      const auto& t = tables[i - 1][j];
      tables[i][j] = {t.x.conj() * c.psi_x, (t.y.conj() * c.psi_y).neg(), t.z.conj()};
    }
  }
}
}  // namespace

G2 G2::mul_vartime(const Fr& k) const {
  std::array<std::array<std::uint64_t, 1>, 4> digits;
  std::array<detail::OddTable<Fp2>, 4> tables;
  gls_split(*this, k, digits.data(), tables.data());
  return W(detail::jac_straus_vartime<Fp2, 1>(tables, digits));
}
G2 G2::mul_u64_vartime(std::uint64_t k) const {
  return W(detail::jac_mul_vartime(J(*this), detail::Limbs<4>{k, 0, 0, 0}));
}
G2 G2::mul_by_x() const { return W(detail::jac_mul_abs_x_vartime(J(*this))).neg(); }

G2 G2::msm_vartime(std::span<const G2> points, std::span<const Fr> scalars) {
  PHX_ASSERT(points.size() == scalars.size());
  const std::size_t n = points.size();
  // Every scalar is split into four 64-bit GLS digits, so both methods run over 64-bit scalars only.
  std::vector<std::array<std::uint64_t, 1>> digits(4 * n);
  std::vector<detail::OddTable<Fp2>> tables(4 * n);
  for (std::size_t i = 0; i < n; ++i) gls_split(points[i], scalars[i], &digits[4 * i], &tables[4 * i]);
  if (n <= 256) return W(detail::jac_straus_vartime<Fp2, 1>(tables, digits));  // Straus wins below ~1000 bases
  std::vector<Jac<Fp2>> pts(4 * n);
  std::vector<Fr> ks(4 * n);
  for (std::size_t i = 0; i < 4 * n; ++i) {
    pts[i] = tables[i][0];
    ks[i] = Fr::from_u64(digits[i][0]);
  }
  return W(detail::jac_msm_vartime<Fp2>(pts, ks));
}

bool operator==(const G2& a, const G2& b) { return detail::jac_eq(J(a), J(b)); }

bool G2::on_curve() const {
  if (is_identity()) return true;
  // Y² = X³ + b·Z⁶
  const Fp2 z2 = z_.sqr();
  const Fp2 z6 = z2.sqr() * z2;
  return y_.sqr() == x_.sqr() * x_ + kB2 * z6;
}

G2 G2::psi() const {
  const auto& c = detail::tower_consts();
  return G2(x_.conj() * c.psi_x, y_.conj() * c.psi_y, z_.conj());
}

G2 G2::psi2() const {
  const auto& c = detail::tower_consts();
  return G2(x_.mul_fp(c.psi2_x), y_.mul_fp(c.psi2_y), z_);
}

bool G2::in_subgroup() const {
  if (is_identity()) return true;
  return psi() == mul_by_x();
}

G2 G2::clear_cofactor() const {
  // RFC 9380 Appendix G.3 (Budroni–Pintore): h_eff·P = [x² − x − 1]P + [x − 1]ψ(P) + ψ²(2P).
  const G2& p = *this;
  const G2 t1 = p.mul_by_x();
  G2 t2 = p.psi();
  G2 t3 = p.dbl().psi2();
  t3 = t3.add_vartime(t2.neg());
  t2 = t1.add_vartime(t2);
  t2 = t2.mul_by_x();
  t3 = t3.add_vartime(t2);
  t3 = t3.add_vartime(t1.neg());
  return t3.add_vartime(p.neg());
}

void G2::to_affine(Fp2& x, Fp2& y) const {
  const Fp2 zi = z_.inverse();
  const Fp2 zi2 = zi.sqr();
  x = x_ * zi2;
  y = y_ * zi2 * zi;
}

ByteArray<96> G2::to_compressed() const {
  ByteArray<96> out{};
  if (is_identity()) {
    out[0] = 0xc0;
    return out;
  }
  Fp2 x, y;
  to_affine(x, y);
  x.c1.to_be_bytes(out.data());
  x.c0.to_be_bytes(out.data() + 48);
  out[0] |= 0x80;
  if (y.lexicographically_largest_vartime()) out[0] |= 0x20;
  return out;
}

ByteArray<192> G2::to_uncompressed() const {
  ByteArray<192> out{};
  if (is_identity()) {
    out[0] = 0x40;
    return out;
  }
  Fp2 x, y;
  to_affine(x, y);
  x.c1.to_be_bytes(out.data());
  x.c0.to_be_bytes(out.data() + 48);
  y.c1.to_be_bytes(out.data() + 96);
  y.c0.to_be_bytes(out.data() + 144);
  return out;
}

Result<G2> G2::from_compressed(ByteSpan b) {
  auto flags = detail::check_point_flags(b, 96, /*compressed=*/true);
  if (!flags) return std::unexpected(flags.error());
  if (!*flags) return G2::identity();
  const bool s_flag = **flags;
  const ByteArray<48> buf = detail::first_coordinate(b);
  const auto x1 = Fp::from_be_bytes(buf.data());
  const auto x0 = Fp::from_be_bytes(b.data() + 48);
  if (!x1 || !x0) return fail(BlsError::kXNotInField);
  const auto x = std::optional<Fp2>(Fp2{*x0, *x1});
  Fp2 y;
  if (!(x->sqr() * *x + kB2).sqrt(y)) return fail(BlsError::kNotOnCurve);
  if (y.lexicographically_largest_vartime() != s_flag) y = y.neg();
  const G2 p(*x, y, Fp2::one());
  if (!p.in_subgroup()) return fail(BlsError::kNotInSubgroup);
  return p;
}

Result<G2> G2::from_uncompressed(ByteSpan b) {
  auto flags = detail::check_point_flags(b, 192, /*compressed=*/false);
  if (!flags) return std::unexpected(flags.error());
  if (!*flags) return G2::identity();
  const ByteArray<48> buf = detail::first_coordinate(b);
  const auto x1 = Fp::from_be_bytes(buf.data());
  const auto x0 = Fp::from_be_bytes(b.data() + 48);
  const auto y1 = Fp::from_be_bytes(b.data() + 96);
  const auto y0 = Fp::from_be_bytes(b.data() + 144);
  if (!x1 || !x0 || !y1 || !y0) return fail(BlsError::kXNotInField);
  const G2 p(Fp2{*x0, *x1}, Fp2{*y0, *y1}, Fp2::one());
  if (!p.on_curve()) return fail(BlsError::kNotOnCurve);
  if (!p.in_subgroup()) return fail(BlsError::kNotInSubgroup);
  return p;
}

}  // namespace phx::crypto::bls
