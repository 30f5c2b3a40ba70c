#include "crypto/threshold/threshold.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <type_traits>
#include <utility>

#include "base/assert.hpp"
#include "base/secret.hpp"
#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/bls/pairing.hpp"
#include "base/secret.hpp"

namespace phx::crypto::threshold {

using bls::Fr;
using bls::G1;
using bls::G2;

namespace {

static_assert(std::is_trivially_copyable_v<Fr>, "Fr must be a plain value so that it can be zeroized");

void wipe(Fr& f) noexcept {
  secure_zero(&f, sizeof(f));
}

Fr fr_of(ShareIdx i) {
  return Fr::from_u64(i.value);
}

// Montgomery's trick: replaces every element by its inverse with one field inversion. No element may be 0.
void batch_invert(std::vector<Fr>& v) {
  if (v.empty()) return;
  std::vector<Fr> prefix(v.size());
  Fr acc = Fr::one();
  for (std::size_t i = 0; i < v.size(); ++i) {
    prefix[i] = acc;
    acc = acc * v[i];
  }
  Fr inv = acc.inverse();
  for (std::size_t i = v.size(); i-- > 0;) {
    const Fr vi = v[i];
    v[i] = inv * prefix[i];
    inv = inv * vi;
  }
}

template <class T>
std::vector<ShareIdx> indices_of(std::span<const T> items) {
  std::vector<ShareIdx> out;
  out.reserve(items.size());
  for (const auto& it : items) out.push_back(it.idx);
  return out;
}

// Checks t, the count and the indices of a recombination input. Returns the indices.
template <class T>
Result<std::vector<ShareIdx>> check_input(std::span<const T> items, std::uint32_t t) {
  if (t == 0) return fail(ThresholdError::kBadThreshold);
  if (items.size() < t) return fail(ThresholdError::kNotEnoughShares);
  std::vector<ShareIdx> idx = indices_of(items);
  if (auto ok = check_indices(idx); !ok) return std::unexpected(ok.error());
  return idx;
}

// 64-bit non-zero random coefficients for randomised batch checks (IETF BLS draft-05 §2.8 discussion;
// 64 bits give a 2^-64 forgery bound per check).
std::vector<Fr> random_coefficients(std::size_t n) {
  std::vector<std::uint64_t> raw(n);
  PHX_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                        static_cast<int>(n * sizeof(std::uint64_t))) == 1);
  std::vector<Fr> out;
  out.reserve(n);
  for (std::uint64_t r : raw) out.push_back(Fr::from_u64(r == 0 ? 1 : r));
  return out;
}

}  // namespace

const char* to_string(ThresholdError e) {
  switch (e) {
    case ThresholdError::kOk:
      return "ok";
    case ThresholdError::kBadThreshold:
      return "threshold must satisfy 1 <= t <= n";
    case ThresholdError::kTooManyShares:
      return "too many shares";
    case ThresholdError::kZeroIndex:
      return "share index 0 is not allowed (indices start at 1)";
    case ThresholdError::kDuplicateIndex:
      return "duplicate share index";
    case ThresholdError::kNotEnoughShares:
      return "fewer shares than the threshold";
    case ThresholdError::kInconsistentShare:
      return "share is inconsistent with the others or the commitments";
    case ThresholdError::kSizeMismatch:
      return "parallel inputs differ in length";
    case ThresholdError::kIdentityResult:
      return "recombined key is zero / the identity";
  }
  return "unknown threshold error";
}

// ---------------------------------------------------------------------------------------------------------
// SecretPolynomial

SecretPolynomial SecretPolynomial::random_with_secret(const Fr& secret, std::uint32_t t) {
  PHX_ASSERT(t >= 1);
  std::vector<Fr> c;
  c.reserve(t);  // exact capacity: no reallocation leaves unwiped copies behind
  c.push_back(secret);
  for (std::uint32_t k = 1; k < t; ++k) c.push_back(Fr::random());
  return SecretPolynomial(std::move(c));
}

SecretPolynomial SecretPolynomial::from_coefficients(std::vector<Fr>&& coefficients) {
  PHX_ASSERT(!coefficients.empty());
  return SecretPolynomial(std::move(coefficients));
}

SecretPolynomial::SecretPolynomial(SecretPolynomial&& o) noexcept : coeffs_(std::move(o.coeffs_)) {
  o.coeffs_.clear();
}

SecretPolynomial& SecretPolynomial::operator=(SecretPolynomial&& o) noexcept {
  if (this != &o) {
    wipe();
    coeffs_ = std::move(o.coeffs_);
    o.coeffs_.clear();
  }
  return *this;
}

SecretPolynomial::~SecretPolynomial() {
  wipe();
}

void SecretPolynomial::wipe() noexcept {
  if (!coeffs_.empty()) secure_zero(coeffs_.data(), coeffs_.size() * sizeof(Fr));
}

Fr SecretPolynomial::evaluate(const Fr& x) const {
  Fr acc = coeffs_.back();
  for (std::size_t k = coeffs_.size() - 1; k-- > 0;) acc = acc * x + coeffs_[k];
  return acc;
}

std::vector<G1> SecretPolynomial::commitments() const {
  std::vector<G1> out;
  out.reserve(coeffs_.size());
  const G1 g = G1::generator();
  for (const Fr& a : coeffs_) out.push_back(g.mul(a));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Split

Result<SplitResult> split(const bls::SecretKey& secret, std::uint32_t t, std::uint32_t n) {
  if (n > kMaxShares) return fail(ThresholdError::kTooManyShares);
  if (t == 0 || t > n) return fail(ThresholdError::kBadThreshold);
  SecretPolynomial f = SecretPolynomial::random_with_secret(secret.scalar(), t);
  SplitResult out;
  out.shares.reserve(n);
  for (std::uint32_t i = 1; i <= n; ++i) {
    Fr y = f.evaluate(Fr::from_u64(i));
    out.shares.push_back(KeyShare{ShareIdx{i}, bls::SecretKey::from_scalar(std::move(y))});
    wipe(y);
  }
  out.commitments = f.commitments();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Lagrange

Result<void> check_indices(std::span<const ShareIdx> indices) {
  if (indices.empty()) return fail(ThresholdError::kNotEnoughShares);
  if (indices.size() > kMaxShares) return fail(ThresholdError::kTooManyShares);
  std::vector<std::uint32_t> v;
  v.reserve(indices.size());
  for (ShareIdx i : indices) {
    if (i.value == 0) return fail(ThresholdError::kZeroIndex);
    v.push_back(i.value);
  }
  std::sort(v.begin(), v.end());
  if (std::adjacent_find(v.begin(), v.end()) != v.end()) return fail(ThresholdError::kDuplicateIndex);
  return {};
}

Result<std::vector<Fr>> lagrange_at(std::span<const ShareIdx> set, const Fr& x) {
  if (auto ok = check_indices(set); !ok) return std::unexpected(ok.error());
  const std::size_t n = set.size();
  std::vector<Fr> xs;
  xs.reserve(n);
  for (ShareIdx i : set) xs.push_back(fr_of(i));
  std::vector<Fr> num(n, Fr::one());
  std::vector<Fr> den(n, Fr::one());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i == j) continue;
      num[i] = num[i] * (x - xs[j]);
      den[i] = den[i] * (xs[i] - xs[j]);
    }
  }
  batch_invert(den);  // distinct indices < r: no denominator is 0
  for (std::size_t i = 0; i < n; ++i) num[i] = num[i] * den[i];
  return num;
}

Result<std::vector<Fr>> lagrange_at_zero(std::span<const ShareIdx> set) {
  return lagrange_at(set, Fr::zero());
}

LagrangeCache::LagrangeCache(std::size_t capacity) : capacity_(capacity) {
  PHX_ASSERT(capacity >= 1);
}

Result<std::vector<Fr>> LagrangeCache::get(std::span<const ShareIdx> set) {
  if (auto ok = check_indices(set); !ok) return std::unexpected(ok.error());
  // Sort positions by index; the cache holds coefficients in sorted order.
  std::vector<std::size_t> order(set.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return set[a] < set[b]; });
  Key key;
  key.reserve(set.size());
  for (std::size_t p : order) key.push_back(set[p].value);

  std::vector<Fr> sorted_coeffs;
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      sorted_coeffs = it->second->coeffs;
      ++hits_;
    }
  }
  if (sorted_coeffs.empty()) {
    std::vector<ShareIdx> sorted_set;
    sorted_set.reserve(key.size());
    for (std::uint32_t v : key) sorted_set.push_back(ShareIdx{v});
    auto computed = lagrange_at_zero(sorted_set);
    if (!computed) return std::unexpected(computed.error());
    sorted_coeffs = std::move(*computed);
    std::lock_guard lock(mu_);
    if (index_.find(key) == index_.end()) {  // another thread may have inserted it meanwhile
      lru_.push_front(Entry{key, sorted_coeffs});
      index_.emplace(key, lru_.begin());
      if (lru_.size() > capacity_) {
        index_.erase(lru_.back().key);
        lru_.pop_back();
      }
    }
  }
  std::vector<Fr> out(set.size());
  for (std::size_t k = 0; k < order.size(); ++k) out[order[k]] = sorted_coeffs[k];
  return out;
}

std::size_t LagrangeCache::size() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

std::uint64_t LagrangeCache::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

LagrangeCache& default_lagrange_cache() {
  static LagrangeCache cache(256);
  return cache;
}

// ---------------------------------------------------------------------------------------------------------
// Recovery and recombination

Result<bls::SecretKey> recover_secret(std::span<const KeyShare> shares, std::uint32_t t) {
  auto idx = check_input(shares, t);
  if (!idx) return std::unexpected(idx.error());
  const std::span<const ShareIdx> base(idx->data(), t);

  // f(x) for x = 0 and for each extra share's index, interpolated from the first t shares.
  auto interpolate = [&](const Fr& x) -> Result<Fr> {
    auto lambda = lagrange_at(base, x);
    if (!lambda) return std::unexpected(lambda.error());
    Fr acc = Fr::zero();
    for (std::size_t i = 0; i < t; ++i) acc = acc + (*lambda)[i] * shares[i].secret.scalar();
    return acc;
  };

  for (std::size_t e = t; e < shares.size(); ++e) {
    auto predicted = interpolate(fr_of(shares[e].idx));
    if (!predicted) return std::unexpected(predicted.error());
    const bool same = *predicted == shares[e].secret.scalar();
    wipe(*predicted);
    if (!::phx::declassify(same)) return fail(ThresholdError::kInconsistentShare);
  }
  auto secret = interpolate(Fr::zero());
  if (!secret) return std::unexpected(secret.error());
  if (::phx::declassify(secret->is_zero())) return fail(ThresholdError::kIdentityResult);
  bls::SecretKey out = bls::SecretKey::from_scalar(std::move(*secret));
  wipe(*secret);
  return out;
}

namespace {

// Σ λ_i·P_i over the first t items, then each further item must equal the interpolation at its index.
template <class Point, class T, class GetPoint>
Result<Point> recombine_points(std::span<const T> items, std::uint32_t t, LagrangeCache& cache,
                               GetPoint get_point) {
  auto idx = check_input(items, t);
  if (!idx) return std::unexpected(idx.error());
  const std::span<const ShareIdx> base(idx->data(), t);
  std::vector<Point> points;
  points.reserve(t);
  for (std::size_t i = 0; i < t; ++i) points.push_back(get_point(items[i]));

  auto lambda0 = cache.get(base);
  if (!lambda0) return std::unexpected(lambda0.error());
  Point result = Point::msm_vartime(points, *lambda0);

  for (std::size_t e = t; e < items.size(); ++e) {
    auto lambda = lagrange_at(base, fr_of(items[e].idx));
    if (!lambda) return std::unexpected(lambda.error());
    if (!(Point::msm_vartime(points, *lambda) == get_point(items[e]))) {
      return fail(ThresholdError::kInconsistentShare);
    }
  }
  return result;
}

}  // namespace

Result<bls::Signature> recombine_signatures(std::span<const PartialSignature> partials, std::uint32_t t,
                                            LagrangeCache& cache) {
  auto p = recombine_points<G2>(partials, t, cache,
                                [](const PartialSignature& s) -> const G2& { return s.partial_sig.point(); });
  if (!p) return std::unexpected(p.error());
  return bls::Signature::from_point(*p);
}

Result<bls::PublicKey> recombine_pubkeys(std::span<const PublicShare> pubshares, std::uint32_t t,
                                         LagrangeCache& cache) {
  auto p = recombine_points<G1>(pubshares, t, cache,
                                [](const PublicShare& s) -> const G1& { return s.pubshare.point(); });
  if (!p) return std::unexpected(p.error());
  if (p->is_identity()) return fail(ThresholdError::kIdentityResult);
  return bls::PublicKey::from_point(*p);
}

// ---------------------------------------------------------------------------------------------------------
// Feldman commitments

G1 commitment_eval(std::span<const G1> commitments, ShareIdx idx) {
  std::vector<Fr> powers;
  powers.reserve(commitments.size());
  const Fr x = fr_of(idx);
  Fr p = Fr::one();
  for (std::size_t k = 0; k < commitments.size(); ++k) {
    powers.push_back(p);
    p = p * x;
  }
  return G1::msm_vartime(commitments, powers);
}

Result<void> verify_pubshare(const PublicShare& pubshare, std::span<const G1> commitments) {
  if (pubshare.idx.value == 0) return fail(ThresholdError::kZeroIndex);
  if (commitments.empty() || commitments.size() > kMaxShares) return fail(ThresholdError::kBadThreshold);
  if (!(commitment_eval(commitments, pubshare.idx) == pubshare.pubshare.point())) {
    return fail(ThresholdError::kInconsistentShare);
  }
  return {};
}

Result<void> verify_share(const KeyShare& share, std::span<const G1> commitments) {
  if (share.idx.value == 0) return fail(ThresholdError::kZeroIndex);
  if (commitments.empty() || commitments.size() > kMaxShares) return fail(ThresholdError::kBadThreshold);
  const G1 lhs = G1::generator().mul(share.secret.scalar());  // constant time in the share
  if (!(commitment_eval(commitments, share.idx) == lhs)) return fail(ThresholdError::kInconsistentShare);
  return {};
}

// ---------------------------------------------------------------------------------------------------------
// Same-message verification of partial signatures

bool verify_partials_same_message_hashed(std::span<const bls::PublicKey> pubshares, const G2& hashed_msg,
                                         std::span<const bls::Signature> partial_sigs) {
  const std::size_t n = pubshares.size();
  if (n == 0 || n != partial_sigs.size()) return false;
  // An identity pubshare (never produced by PublicKey::from_bytes, but constructible with from_point) would
  // accept the identity as its partial: refuse it outright.
  for (const auto& pk : pubshares) {
    if (pk.point().is_identity()) return false;
  }
  G1 agg_pk = G1::identity();
  G2 agg_sig = G2::identity();
  if (n == 1) {  // a single pair needs no randomisation
    agg_pk = pubshares[0].point();
    agg_sig = partial_sigs[0].point();
  } else {
    std::vector<G1> pks;
    std::vector<G2> sigs;
    pks.reserve(n);
    sigs.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      pks.push_back(pubshares[i].point());
      sigs.push_back(partial_sigs[i].point());
    }
    const std::vector<Fr> r = random_coefficients(n);
    agg_pk = G1::msm_vartime(pks, r);
    agg_sig = G2::msm_vartime(sigs, r);
  }
  const G1 p[2] = {agg_pk, G1::generator().neg()};
  const G2 q[2] = {hashed_msg, agg_sig};
  return bls::pairing_check(p, q);
}

bool verify_partials_same_message(std::span<const bls::PublicKey> pubshares, ByteSpan msg,
                                  std::span<const bls::Signature> partial_sigs) {
  if (pubshares.empty() || pubshares.size() != partial_sigs.size()) return false;
  return verify_partials_same_message_hashed(pubshares, bls::hash_to_g2(msg), partial_sigs);
}

namespace {

void bisect(std::span<const bls::PublicKey> pks, std::span<const bls::Signature> sigs, const G2& h,
            std::size_t offset, std::vector<std::size_t>& bad) {
  if (verify_partials_same_message_hashed(pks, h, sigs)) return;
  if (pks.size() == 1) {
    bad.push_back(offset);
    return;
  }
  const std::size_t mid = pks.size() / 2;
  bisect(pks.first(mid), sigs.first(mid), h, offset, bad);
  bisect(pks.subspan(mid), sigs.subspan(mid), h, offset + mid, bad);
}

}  // namespace

std::vector<std::size_t> find_invalid_partials(std::span<const bls::PublicKey> pubshares, ByteSpan msg,
                                               std::span<const bls::Signature> partial_sigs) {
  std::vector<std::size_t> bad;
  if (pubshares.size() != partial_sigs.size()) {
    for (std::size_t i = 0; i < partial_sigs.size(); ++i) bad.push_back(i);
    return bad;
  }
  if (pubshares.empty()) return bad;
  bisect(pubshares, partial_sigs, bls::hash_to_g2(msg), 0, bad);
  return bad;
}

}  // namespace phx::crypto::threshold
