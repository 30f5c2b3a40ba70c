// Fuzz target: G1 / public-key decoding. Any successful decode must re-encode to the same bytes, and the
// compressed and uncompressed decoders must agree on the decoded point.
#include <cstdint>
#include <algorithm>
#include <cstdlib>

#include "crypto/bls/bls.hpp"

using namespace phx::crypto::bls;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const phx::ByteSpan in(data, size);
  if (auto p = G1::from_compressed(in)) {
    const auto enc = p->to_compressed();
    if (size != enc.size() || !std::equal(enc.begin(), enc.end(), data)) std::abort();
    if (!p->in_subgroup() || !p->on_curve()) std::abort();
    auto u = G1::from_uncompressed(p->to_uncompressed());
    if (!u || !(*u == *p)) std::abort();
  }
  if (auto p = G1::from_uncompressed(in)) {
    const auto enc = p->to_uncompressed();
    if (size != enc.size() || !std::equal(enc.begin(), enc.end(), data)) std::abort();
  }
  if (auto pk = PublicKey::from_bytes(in)) {
    if (pk->point().is_identity()) std::abort();
    const auto enc = pk->to_bytes();
    if (!std::equal(enc.begin(), enc.end(), data)) std::abort();
  }
  return 0;
}
