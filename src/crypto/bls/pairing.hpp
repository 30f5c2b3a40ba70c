#pragma once
/// The optimal ate pairing e: G1 × G2 → GT ⊂ Fp12* on BLS12-381.
#include <span>

#include "crypto/bls/fp12.hpp"
#include "crypto/bls/g1.hpp"
#include "crypto/bls/g2.hpp"

namespace phx::crypto::bls {

/// Miller loop f_{|x|,Q}(P) for each pair, multiplied into one accumulator (one shared squaring chain),
/// conjugated at the end because x < 0. Pairs where either point is the identity contribute 1.
/// Precondition: sizes equal. Variable time (public points).
Fp12 miller_loop(std::span<const G1> p, std::span<const G2> q);

/// f^((p¹² − 1)/r) (up to a fixed power 3 in the hard part, which preserves bilinearity and "== 1"):
/// easy part with one inversion and Frobenius, hard part as a chain in x with Granger–Scott squarings.
Fp12 final_exponentiation(const Fp12& f);

/// e(P, Q) as an element of GT (a fixed power of the reduced Tate-normalised ate pairing).
Fp12 pairing(const G1& p, const G2& q);

/// True iff Π e(p_i, q_i) = 1 (one shared Miller loop, one final exponentiation). Precondition: sizes equal.
/// An empty product is 1 (true). Variable time (public points).
bool pairing_check(std::span<const G1> p, std::span<const G2> q);

}  // namespace phx::crypto::bls
