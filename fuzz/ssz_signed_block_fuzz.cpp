// Fuzz target: strict SSZ decoding of an Electra/Fulu SignedBeaconBlock (the same type in both forks) and of
// Fulu SignedBlockContents. Whatever decodes must re-encode to the identical bytes (SSZ encodings are unique)
// and must hash without failing.
#include <cstdint>
#include <cstdlib>

#include "eth/types.hpp"
#include "ssz/codec.hpp"
#include "ssz/merkle.hpp"

namespace {
template <class T>
void one(const std::uint8_t* data, std::size_t size) {
  const phx::ByteSpan in(data, size);
  auto v = phx::ssz::deserialize<T>(in);
  if (!v) return;
  const phx::Bytes again = phx::ssz::serialize(*v);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  (void)phx::ssz::hash_tree_root(*v);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  one<phx::eth::fulu::SignedBeaconBlock>(data, size);
  one<phx::eth::fulu::SignedBlindedBeaconBlock>(data, size);
  one<phx::eth::fulu::SignedBlockContents>(data, size);
  return 0;
}
