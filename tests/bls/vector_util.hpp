#pragma once
// Shared by the BLS vector runners: parsing of Fp2 values and G2 points as the vector files write them, and
// the runners' `--vectors DIR` argument.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "base/bytes.hpp"
#include "crypto/bls/g2.hpp"

namespace phx::crypto::bls::vectors {

/// "0x<c0>,0x<c1>" (48-byte big-endian coordinates) → Fp2; throws on malformed text (a broken vector file).
inline Fp2 fp2_of(const std::string& s) {
  const auto comma = s.find(',');
  if (comma == std::string::npos) throw std::runtime_error("bad Fp2: " + s);
  auto c0 = from_hex_fixed<48>(s.substr(0, comma));
  auto c1 = from_hex_fixed<48>(s.substr(comma + 1));
  if (!c0 || !c1) throw std::runtime_error("bad Fp2 hex: " + s);
  auto a = Fp::from_be_bytes(c0->data());
  auto b = Fp::from_be_bytes(c1->data());
  if (!a || !b) throw std::runtime_error("Fp2 out of range: " + s);
  return {*a, *b};
}

/// True when `p`'s affine coordinates equal the vector's {"x": "...", "y": "..."}.
inline bool point_is(const G2& p, const nlohmann::json& j) {
  Fp2 x, y;
  p.to_affine(x, y);
  return x == fp2_of(j["x"].get<std::string>()) && y == fp2_of(j["y"].get<std::string>());
}

/// The value of `--vectors DIR`, or empty when absent.
inline std::string vectors_dir(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--vectors") return argv[i + 1];
  return {};
}

}  // namespace phx::crypto::bls::vectors
