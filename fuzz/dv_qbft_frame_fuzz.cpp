// Fuzz target for the DV QBFT frame (dv/frame.hpp): the strict decoder must never crash, whatever decodes must
// re-encode to the same bytes (one encoding per frame), the decoded message must respect the limit, and the
// carried qbft message goes through the qbft decoder as the driver would hand it to the engine.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "consensus/qbft/message.hpp"
#include "dv/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const phx::ByteSpan in(data, size);
  // A small limit (first byte) exercises the too-large path as well as the default limit.
  const std::size_t small_limit = size > 0 ? data[0] : 0;
  for (std::size_t limit : {small_limit, phx::consensus::qbft::kMaxMessageBytes}) {
    auto f = phx::dv::decode_qbft_frame(in, limit);
    if (!f) continue;
    if (f->instance_id.empty() || f->instance_id.size() > phx::consensus::qbft::kMaxInstanceIdBytes) std::abort();
    if (f->message.empty() || f->message.size() > limit) std::abort();
    const phx::Bytes again = phx::dv::encode_qbft_frame(f->instance_id, f->message);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    (void)phx::consensus::qbft::decode(f->message);
  }
  return 0;
}
