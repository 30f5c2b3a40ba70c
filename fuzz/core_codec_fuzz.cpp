// Fuzz target: the duty workflow's wire decoders (consensus values and partial-signature batches from peers).
// Property: decoding never crashes; whatever decodes re-encodes to the same bytes (canonical encoding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace phx;
  using namespace phx::core;
  if (size < 1) return 0;
  const ByteSpan in(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    const auto type = static_cast<DutyType>(1 + data[0] / 2 % kDutyTypeCount);
    auto set = decode_unsigned_set(type, in);
    if (set && encode_unsigned_set(*set) != Bytes(in.begin(), in.end())) std::abort();
  } else {
    auto batch = decode_partials(in);
    if (batch && encode_partials(batch->first, batch->second) != Bytes(in.begin(), in.end())) std::abort();
  }
  return 0;
}
