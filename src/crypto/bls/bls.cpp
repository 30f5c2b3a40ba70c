// Ethereum BLS signature API (draft-irtf-cfrg-bls-signature-05, proof-of-possession scheme).
#include "crypto/bls/bls.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "base/assert.hpp"
#include "crypto/bls/pairing.hpp"
#include "crypto/hash/sha256.hpp"

namespace phx::crypto::bls {

SecretKey::SecretKey(SecretKey&& o) noexcept : sk_(o.sk_) { secure_zero(&o.sk_, sizeof(o.sk_)); }
SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    sk_ = o.sk_;
    secure_zero(&o.sk_, sizeof(o.sk_));
  }
  return *this;
}
SecretKey::~SecretKey() { secure_zero(&sk_, sizeof(sk_)); }

Result<SecretKey> SecretKey::from_bytes(ByteSpan b32) {
  auto s = Fr::from_bytes_be(b32);
  if (!s) return std::unexpected(s.error());
  bool zero = s->is_zero();
  ::phx::declassify(&zero, sizeof zero);  // a zero key is rejected openly; only that verdict is revealed
  if (zero) return fail(BlsError::kZeroSecretKey);
  SecretKey k(*s);
  secure_zero(&*s, sizeof(Fr));
  return k;
}

Result<SecretKey> SecretKey::keygen(ByteSpan ikm, ByteSpan key_info) {
  // KeyGen / HKDF_mod_r: salt = H(salt) each round; PRK = HKDF-Extract(salt, IKM ‖ I2OSP(0, 1));
  // OKM = HKDF-Expand(PRK, key_info ‖ I2OSP(48, 2), 48); SK = OS2IP(OKM) mod r; repeat while SK = 0.
  if (ikm.size() < 32) return fail(BlsError::kShortIkm);
  SecretBytes ikm0(ikm.size() + 1);
  for (std::size_t i = 0; i < ikm.size(); ++i) ikm0.mut_view()[i] = ikm[i];
  ikm0.mut_view()[ikm.size()] = 0;
  Bytes info(key_info.begin(), key_info.end());
  info.push_back(0);
  info.push_back(48);
  hash::Digest salt = hash::sha256(as_bytes("BLS-SIG-KEYGEN-SALT-"));
  for (;;) {
    const SecretArray<32> prk = hash::hkdf_extract(salt, ikm0.view());
    SecretArray<48> okm;
    hash::hkdf_expand(prk.view(), info, okm.mut_view());
    Fr s = Fr::from_bytes_be_reduce(okm.view());
    if (!s.is_zero()) {
      SecretKey k(s);
      secure_zero(&s, sizeof(s));
      return k;
    }
    salt = hash::sha256(salt);
  }
}

SecretKey SecretKey::from_scalar(Fr&& s) {
  bool zero = s.is_zero();
  ::phx::declassify(&zero, sizeof zero);
  PHX_ASSERT(!zero);
  SecretKey k(s);
  secure_zero(&s, sizeof(s));
  return k;
}

SecretArray<32> SecretKey::to_bytes() const {
  ByteArray<32> b = sk_.to_bytes_be();
  SecretArray<32> out{std::span<const std::uint8_t, 32>(b)};
  secure_zero(b.data(), b.size());
  return out;
}

PublicKey SecretKey::public_key() const { return PublicKey::from_point(G1::generator().mul(sk_)); }

Signature SecretKey::sign(ByteSpan msg) const { return sign_hashed(hash_to_g2(msg, kEthDst)); }
Signature SecretKey::sign_hashed(const G2& h) const { return Signature::from_point(h.mul(sk_)); }

Result<PublicKey> PublicKey::from_bytes(ByteSpan b48) {
  auto p = G1::from_compressed(b48);
  if (!p) return std::unexpected(p.error());
  if (p->is_identity()) return fail(BlsError::kIdentityPublicKey);
  return PublicKey(*p);
}

Result<Signature> Signature::from_bytes(ByteSpan b96) {
  auto p = G2::from_compressed(b96);
  if (!p) return std::unexpected(p.error());
  return Signature(*p);
}

bool verify(const PublicKey& pk, ByteSpan msg, const Signature& sig) {
  if (pk.point().is_identity()) return false;
  const G1 ps[2] = {G1::generator().neg(), pk.point()};
  const G2 qs[2] = {sig.point(), hash_to_g2(msg, kEthDst)};
  return pairing_check(ps, qs);
}

Result<Signature> aggregate(std::span<const Signature> sigs) {
  if (sigs.empty()) return fail(BlsError::kEmptyInput);
  G2 acc = sigs[0].point();
  for (std::size_t i = 1; i < sigs.size(); ++i) acc = acc.add_vartime(sigs[i].point());
  return Signature::from_point(acc);
}

Result<PublicKey> aggregate_pubkeys(std::span<const PublicKey> pks) {
  if (pks.empty()) return fail(BlsError::kEmptyInput);
  G1 acc = pks[0].point();
  for (std::size_t i = 1; i < pks.size(); ++i) acc = acc.add_vartime(pks[i].point());
  return PublicKey::from_point(acc);
}

bool fast_aggregate_verify(std::span<const PublicKey> pks, ByteSpan msg, const Signature& sig) {
  if (pks.empty()) return false;
  for (const auto& pk : pks) {
    if (pk.point().is_identity()) return false;
  }
  const auto agg = aggregate_pubkeys(pks);
  if (!agg || agg->point().is_identity()) return false;  // CoreVerify's KeyValidate on the aggregate
  const G1 ps[2] = {G1::generator().neg(), agg->point()};
  const G2 qs[2] = {sig.point(), hash_to_g2(msg, kEthDst)};
  return pairing_check(ps, qs);
}

bool aggregate_verify(std::span<const PublicKey> pks, std::span<const ByteSpan> msgs, const Signature& sig) {
  if (pks.empty() || pks.size() != msgs.size()) return false;
  std::vector<G1> ps;
  std::vector<G2> qs;
  ps.reserve(pks.size() + 1);
  qs.reserve(pks.size() + 1);
  ps.push_back(G1::generator().neg());
  qs.push_back(sig.point());
  for (std::size_t i = 0; i < pks.size(); ++i) {
    if (pks[i].point().is_identity()) return false;
    ps.push_back(pks[i].point());
    qs.push_back(hash_to_g2(msgs[i], kEthDst));
  }
  return pairing_check(ps, qs);
}

bool batch_verify(std::span<const SignatureSet> sets) { return batch_verify(sets, 1); }

bool batch_verify(std::span<const SignatureSet> sets, unsigned threads) {
  if (sets.empty()) return false;
  const std::size_t n = sets.size();
  for (const auto& s : sets)
    if (s.pubkey.point().is_identity()) return false;
  std::vector<std::uint64_t> coeffs(n);
  PHX_ASSERT(RAND_bytes(reinterpret_cast<std::uint8_t*>(coeffs.data()),
                        static_cast<int>(n * sizeof(std::uint64_t))) == 1);
  std::vector<G2> sigs(n);
  std::vector<Fr> cs(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (coeffs[i] == 0) coeffs[i] = 1;
    cs[i] = Fr::from_u64(coeffs[i]);
    sigs[i] = sets[i].signature.point();
  }
  // Sets over the same message share one hash to G2 and one Miller loop pair:
  // Π_m e(Σ_{i: m_i = m} c_i·pk_i, H(m)) · e(−g1, Σ c_i·σ_i) = 1. Validators of one duty mostly sign a few
  // roots (one AttestationData per committee, one block root per slot), so this is a few pairs, not n.
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  // (memcmp by hand: g++ 12 warns falsely on std::vector<uint8_t>'s operator<.)
  auto less = [&](std::size_t a, std::size_t b) {
    const Bytes& x = sets[a].message;
    const Bytes& y = sets[b].message;
    const std::size_t len = std::min(x.size(), y.size());
    const int c = len == 0 ? 0 : std::memcmp(x.data(), y.data(), len);
    return c != 0 ? c < 0 : x.size() < y.size();
  };
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [begin, end) into `order`
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || less(order[i - 1], order[i])) groups.emplace_back(i, i);
    groups.back().second = i + 1;
  }
  const std::size_t g = groups.size();
  const std::size_t k = std::clamp<std::size_t>(threads, 1, g);
  // Worker t handles groups [t·g/k, (t+1)·g/k): Σ c_i·pk_i and H(m) per group, then one Miller loop.
  std::vector<Fp12> partial(k, Fp12::one());
  auto work = [&](std::size_t t) {
    const std::size_t lo = t * g / k, hi = (t + 1) * g / k;
    std::vector<G1> ps;
    std::vector<G2> qs;
    ps.reserve(hi - lo);
    qs.reserve(hi - lo);
    for (std::size_t j = lo; j < hi; ++j) {
      const auto [b, e] = groups[j];
      G1 acc = sets[order[b]].pubkey.point().mul_u64_vartime(coeffs[order[b]]);
      if (e - b > 1) {
        std::vector<G1> pts;
        std::vector<Fr> scal;
        pts.reserve(e - b);
        scal.reserve(e - b);
        for (std::size_t x = b; x < e; ++x) {
          pts.push_back(sets[order[x]].pubkey.point());
          scal.push_back(cs[order[x]]);
        }
        acc = G1::msm_vartime(pts, scal);
      }
      ps.push_back(acc);
      qs.push_back(hash_to_g2(sets[order[b]].message, kEthDst));
    }
    partial[t] = miller_loop(ps, qs);
  };
  std::vector<std::thread> pool;
  pool.reserve(k - 1);
  for (std::size_t t = 1; t < k; ++t) pool.emplace_back(work, t);
  work(0);
  const G2 sig_sum = G2::msm_vartime(sigs, cs);
  const G1 neg_g1 = G1::generator().neg();
  Fp12 acc = miller_loop(std::span<const G1>(&neg_g1, 1), std::span<const G2>(&sig_sum, 1));
  for (auto& th : pool) th.join();
  for (const auto& f : partial) acc *= f;
  return final_exponentiation(acc).is_one();
}

}  // namespace phx::crypto::bls
