#pragma once
/// Frobenius and ψ constants, computed once at first use from ξ = 1 + u (no hand-copied tables).
#include <array>

#include "crypto/bls/fp.hpp"

namespace phx::crypto::bls::detail {

struct TowerConsts {
  std::array<Fp2, 6> frob_gamma;  ///< ξ^(j(p−1)/6), j = 0..5 (Frobenius on the w^j coefficient)
  Fp2 psi_x;                      ///< ξ^(−(p−1)/3): ψ's x-coordinate factor
  Fp2 psi_y;                      ///< ξ^(−(p−1)/2): ψ's y-coordinate factor
  Fp psi2_x;                      ///< N(psi_x) ∈ Fp: ψ²(x, y) = (psi2_x·x, psi2_y·y)
  Fp psi2_y;                      ///< N(psi_y) ∈ Fp (= −1)
};

/// The constants (thread-safe lazy initialisation).
const TowerConsts& tower_consts();

}  // namespace phx::crypto::bls::detail
