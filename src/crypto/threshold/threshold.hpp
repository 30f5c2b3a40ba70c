#pragma once
/// Threshold BLS over BLS12-381 (Shamir secret sharing in Fr, Lagrange interpolation in Fr, G1 and G2,
/// Feldman commitments, same-message verification of partial signatures). See README.md in this folder.
/// Share indices are the 1-based Shamir x coordinates (ShareIdx); index 0 would be the secret itself.
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/ids.hpp"
#include "base/result.hpp"
#include "crypto/bls/bls.hpp"
#include "crypto/bls/fr.hpp"
#include "crypto/bls/g1.hpp"
#include "crypto/bls/g2.hpp"

namespace phx::crypto::threshold {

/// Why a threshold operation was refused.
enum class ThresholdError {
  kOk = 0,
  kBadThreshold = 1,     ///< threshold t = 0 or t > n at split time, or commitments of the wrong count
  kTooManyShares = 2,    ///< n larger than kMaxShares
  kZeroIndex = 3,        ///< a share index 0 (reserved for the secret)
  kDuplicateIndex = 4,   ///< the same share index twice in one set
  kNotEnoughShares = 5,  ///< fewer than t shares / partials / pubshares
  kInconsistentShare =
      6,                ///< a share does not lie on the polynomial (Feldman check, or extra shares disagree)
  kSizeMismatch = 7,    ///< parallel spans of different lengths
  kIdentityResult = 8,  ///< the recombined public key is the identity (inconsistent or malicious input)
};
/// Human-readable reason for `e`.
const char* to_string(ThresholdError e);
PHX_ERROR_ENUM(ThresholdError, "threshold")

/// Upper bound on n (cluster sizes are small; bounds memory and work on untrusted inputs).
inline constexpr std::uint32_t kMaxShares = 1024;

/// One operator's key share: its index (x) and secret f(x).
struct KeyShare {
  ShareIdx idx;           ///< Shamir x (1-based)
  bls::SecretKey secret;  ///< f(idx); move-only, zeroized
};

/// One operator's public share f(x)·G1.
struct PublicShare {
  ShareIdx idx;             ///< Shamir x (1-based)
  bls::PublicKey pubshare;  ///< f(idx)·G1
};

/// One operator's partial signature f(x)·H(m).
struct PartialSignature {
  ShareIdx idx;                ///< Shamir x (1-based) of the signer's share
  bls::Signature partial_sig;  ///< f(idx)·H(m)
};

/// The secret polynomial f(X) = a_0 + a_1 X + … + a_{t-1} X^{t-1} over Fr. Move-only; its coefficients are
/// zeroized on destruction. Evaluation is constant time in the coefficients.
class SecretPolynomial {
 public:
  /// f with a_0 = secret and t-1 fresh uniform coefficients (Fr::random, OpenSSL RAND_bytes). Precondition:
  /// t ≥ 1.
  static SecretPolynomial random_with_secret(const bls::Fr& secret, std::uint32_t t);
  /// f with the given coefficients (a_0 first), for tests and for DKG contributions. Precondition: non-empty.
  static SecretPolynomial from_coefficients(std::vector<bls::Fr>&& coefficients);

  /// Move-only: the source is left empty; the destructor zeroizes the coefficients.
  SecretPolynomial(const SecretPolynomial&) = delete;
  SecretPolynomial& operator=(const SecretPolynomial&) = delete;
  SecretPolynomial(SecretPolynomial&& o) noexcept;
  SecretPolynomial& operator=(SecretPolynomial&& o) noexcept;
  ~SecretPolynomial();

  /// t, the number of coefficients (degree + 1).
  std::uint32_t threshold() const { return static_cast<std::uint32_t>(coeffs_.size()); }
  /// f(x) by Horner's rule; constant time in the coefficients (x is public).
  bls::Fr evaluate(const bls::Fr& x) const;
  /// Feldman commitments C_k = a_k·G1 (constant-time scalar multiplication). Public.
  std::vector<bls::G1> commitments() const;

 private:
  explicit SecretPolynomial(std::vector<bls::Fr>&& c) : coeffs_(std::move(c)) {}
  void wipe() noexcept;
  std::vector<bls::Fr> coeffs_;
};

/// The output of a dealer split: n key shares (indices 1..n) and the t Feldman commitments.
struct SplitResult {
  std::vector<KeyShare> shares;
  std::vector<bls::G1> commitments;  ///< commitments[0] is the group public key's point
};

/// Shamir split of `secret` into n shares with threshold t (any t recover it, t-1 reveal nothing), with
/// Feldman commitments. Errors: kBadThreshold (t = 0 or t > n), kTooManyShares (n > kMaxShares). Constant
/// time in the secret and the coefficients.
Result<SplitResult> split(const bls::SecretKey& secret, std::uint32_t t, std::uint32_t n);

/// Checks a set of share indices: non-empty, no index 0, no duplicate, at most kMaxShares.
Result<void> check_indices(std::span<const ShareIdx> indices);

/// Lagrange coefficients λ_i(x) = Π_{j ≠ i} (x − j)/(i − j) for the indices of `set`, in the order given.
/// Errors: those of check_indices. Variable time (indices are public).
Result<std::vector<bls::Fr>> lagrange_at(std::span<const ShareIdx> set, const bls::Fr& x);

/// λ_i(0) = Π_{j ≠ i} j/(j − i): the coefficients that interpolate f(0) from f(i), i ∈ set.
Result<std::vector<bls::Fr>> lagrange_at_zero(std::span<const ShareIdx> set);

/// A small thread-safe LRU cache of Lagrange coefficients at zero keyed by the sorted index set (signer
/// sets repeat from duty to duty, so recombination usually skips the field inversions).
class LagrangeCache {
 public:
  /// A cache holding up to `capacity` (≥ 1) index sets.
  explicit LagrangeCache(std::size_t capacity = 64);
  /// λ_i(0) for `set` in the order given, computed once per distinct set. Errors: those of check_indices.
  Result<std::vector<bls::Fr>> get(std::span<const ShareIdx> set);
  /// Number of sets held.
  std::size_t size() const;
  /// Number of get() calls answered from the cache (for tests and metrics).
  std::uint64_t hits() const;

 private:
  using Key = std::vector<std::uint32_t>;
  struct Entry {
    Key key;
    std::vector<bls::Fr> coeffs;  // in sorted-index order
  };
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // front = most recently used
  std::map<Key, std::list<Entry>::iterator> index_;
  std::uint64_t hits_ = 0;
};

/// The process-wide cache used when no cache is passed explicitly.
LagrangeCache& default_lagrange_cache();

/// Recovers the secret f(0) from at least t shares: interpolates from the first t, then checks that every
/// further share lies on the same polynomial. Errors: kNotEnoughShares, kZeroIndex, kDuplicateIndex,
/// kInconsistentShare. Constant time in the share values (only the consistency verdict is revealed).
Result<bls::SecretKey> recover_secret(std::span<const KeyShare> shares, std::uint32_t t);

/// Recombines at least t partial signatures on one message into the group signature Σ λ_i·σ_i (G2 MSM over
/// the first t; further partials must agree, else kInconsistentShare). Partials are not verified here: use
/// verify_partials_same_message first. Errors as recover_secret. Variable time (public data).
Result<bls::Signature> recombine_signatures(std::span<const PartialSignature> partials, std::uint32_t t,
                                            LagrangeCache& cache = default_lagrange_cache());

/// Recombines at least t public shares into the group public key Σ λ_i·P_i (G1 MSM; further shares must
/// agree). Errors as recover_secret, plus kIdentityResult. Variable time (public data).
Result<bls::PublicKey> recombine_pubkeys(std::span<const PublicShare> pubshares, std::uint32_t t,
                                         LagrangeCache& cache = default_lagrange_cache());

/// Σ_k C_k·x^k: the public share that the Feldman commitments predict for index x. Variable time.
bls::G1 commitment_eval(std::span<const bls::G1> commitments, ShareIdx idx);

/// Checks a secret share against Feldman commitments: share·G1 = Σ_k C_k·idx^k. Errors: kZeroIndex,
/// kBadThreshold (no commitments), kInconsistentShare. The share is multiplied in constant time.
Result<void> verify_share(const KeyShare& share, std::span<const bls::G1> commitments);

/// Checks a public share against Feldman commitments (variable time). Errors as verify_share.
Result<void> verify_pubshare(const PublicShare& pubshare, std::span<const bls::G1> commitments);

/// Same-message check of n partial signatures at once (IETF BLS draft §2.8 style randomised batching):
/// with fresh random non-zero 64-bit r_i, e(Σ r_i·pk_i, H(m)) · e(−g1, Σ r_i·σ_i) = 1. One hash to G2, two
/// small MSMs, one 2-pair multi-pairing. True iff all verify (except with probability ≤ 2^-63 per call).
/// False on empty input, size mismatch or an identity pubshare. Variable time (public data).
bool verify_partials_same_message(std::span<const bls::PublicKey> pubshares, ByteSpan msg,
                                  std::span<const bls::Signature> partial_sigs);

/// The same check with H(m) already computed (lets find_invalid_partials hash once).
bool verify_partials_same_message_hashed(std::span<const bls::PublicKey> pubshares, const bls::G2& hashed_msg,
                                         std::span<const bls::Signature> partial_sigs);

/// Positions (0-based, ascending) of the partial signatures that do not verify against their pubshare, so
/// that the caller can blame the sender: bisection with the same-message check (one check when all are
/// good, about 2·b·log2(n) for b bad ones). Empty when all verify. Size mismatch: every position is blamed.
std::vector<std::size_t> find_invalid_partials(std::span<const bls::PublicKey> pubshares, ByteSpan msg,
                                               std::span<const bls::Signature> partial_sigs);

}  // namespace phx::crypto::threshold

PHX_ERROR_ENUM_TRAIT(phx::crypto::threshold::ThresholdError)
