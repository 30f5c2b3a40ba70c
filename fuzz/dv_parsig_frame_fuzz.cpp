// Fuzz target for the DV partial-signature frame (dv/frame.hpp): the strict decoder must never crash, and
// whatever decodes must respect the limits and re-encode to the same bytes.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "dv/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const phx::ByteSpan in(data, size);
  const std::size_t small_limit = size > 0 ? data[size - 1] : 0;
  for (std::size_t limit : {small_limit, std::size_t{8u << 20}}) {
    auto f = phx::dv::decode_parsig_frame(in, limit);
    if (!f) continue;
    if (f->duty_id.empty() || f->duty_id.size() > phx::dv::kMaxDutyIdBytes) std::abort();
    if (f->payload.empty() || f->payload.size() > limit) std::abort();
    const phx::Bytes again = phx::dv::encode_parsig_frame(f->duty_id, f->payload);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  }
  return 0;
}
