// Fuzz target: threshold recombination of untrusted partial signatures.
// Input: byte 0 → t = 1 + (b0 % 8); then records of 4 bytes share index (big-endian) + 96 bytes compressed
// G2 partial signature. Records whose signature does not decode are dropped (as a node would drop them);
// the rest go to recombine_signatures and lagrange_at_zero, which must return a value or an error, never
// crash. Property: with t = 1 the recombination of a single partial is that partial (λ = 1).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "crypto/bls/bls.hpp"
#include "crypto/threshold/threshold.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::crypto;
  if (size < 1) return 0;
  const std::uint32_t t = 1u + data[0] % 8u;
  constexpr std::size_t kRecord = 4 + 96;
  std::vector<threshold::PartialSignature> partials;
  std::vector<ShareIdx> indices;
  for (std::size_t off = 1; off + kRecord <= size && partials.size() < 32; off += kRecord) {
    const ShareIdx idx{get_be32(data + off)};
    indices.push_back(idx);
    auto sig = bls::Signature::from_bytes(ByteSpan(data + off + 4, 96));
    if (sig) partials.push_back({idx, *sig});
  }
  auto lambda = threshold::lagrange_at_zero(indices);
  if (lambda && lambda->size() != indices.size()) std::abort();
  threshold::LagrangeCache cache(4);
  auto r = threshold::recombine_signatures(partials, t, cache);
  if (r && t == 1 && partials.size() == 1 && !(*r == partials[0].partial_sig)) std::abort();
  return 0;
}
